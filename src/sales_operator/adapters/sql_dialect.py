"""Run the SQLite CRM's SQL on PostgreSQL: a connection with `sqlite3.Connection`'s surface.

`SQLiteCRM` is written against `sqlite3`. `PostgresConnection` wraps a psycopg connection so
that the same code, and the same SQL text, runs on PostgreSQL unchanged:

- placeholders: `?` and `:name` become psycopg's `%s` and `%(name)s` (a literal `%` is doubled);
- `BEGIN IMMEDIATE` becomes `BEGIN` plus a transaction-scoped advisory lock, so write
  transactions are serialised as SQLite serialises them (reads never wait);
- DDL: `INTEGER PRIMARY KEY AUTOINCREMENT` becomes an identity column, `INTEGER` `BIGINT`,
  `REAL` `DOUBLE PRECISION`, every table gets a hidden `rowid` identity column (insertion
  order, as SQLite's `rowid`; rows read back never show it), and a SQLite trigger whose body
  is `SELECT RAISE(ABORT, '...')` becomes a PL/pgSQL trigger raising the same message;
- `INSERT OR IGNORE` becomes `ON CONFLICT DO NOTHING`, `INSERT OR REPLACE` an upsert on the
  table's primary key, `json_extract(col, '$.key')` becomes `(col::jsonb ->> 'key')`,
  `IFNULL` `COALESCE`, and `PRAGMA table_info(t)` a query on `information_schema`; other
  `PRAGMA`s do nothing;
- `cursor.lastrowid` after an `INSERT` into a table with an identity `id` (`RETURNING id`);
- errors come back as `sqlite3.IntegrityError` / `sqlite3.OperationalError` (with "locked" in
  the message when retrying can help) / `sqlite3.DatabaseError`, which the CRM already maps
  to its typed adapter errors.

Values are bound on the client (`psycopg.ClientCursor`), so loosely typed SQL such as
`? IS NOT NULL` works as on SQLite. Anything outside this list is passed through as it is:
keep new SQL portable (see the SQL portability rule in the README).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Literal

WRITE_LOCK_KEY = (0x53414C45, 1)
"""The two-int advisory lock key that serialises write transactions (`BEGIN IMMEDIATE`)."""

SCHEMA_LOCK_KEY = (0x53414C45, 2)
"""The two-int advisory lock key held while a process creates or migrates the schema."""


@contextmanager
def schema_lock(conn: Any, timeout: float = 120.0) -> Iterator[None]:
    """Hold the session advisory lock `SCHEMA_LOCK_KEY` on the psycopg connection `conn`.

    Polled with `pg_try_advisory_lock` rather than waited for: a waiting statement would hold
    a snapshot that `CREATE INDEX CONCURRENTLY` (LangGraph's saver migrations) waits on,
    while the lock holder waits for that index: a deadlock.
    """
    from psycopg.rows import tuple_row

    deadline = time.monotonic() + timeout
    while True:
        with conn.cursor(row_factory=tuple_row) as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", SCHEMA_LOCK_KEY)
            row = cur.fetchone()
        if row and row[0]:
            break
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError(
                "database is locked: another process keeps creating the schema"
            )
        time.sleep(0.05)
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s, %s)", SCHEMA_LOCK_KEY)


class Row(dict[str, Any]):
    """A result row: `row["column"]` and `row[0]` both work, and `dict(row)` gives columns."""

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int):
            return list(self.values())[key]
        return super().__getitem__(key)


class Cursor:
    """The result of one statement: `fetchone`, `fetchall`, iteration and `lastrowid`."""

    def __init__(self, rows: list[Row], lastrowid: int | None = None, rowcount: int = -1) -> None:
        self._rows = rows
        self._next = 0
        self.lastrowid = lastrowid
        """The identity `id` of the row an `INSERT` created (None otherwise)."""
        self.rowcount = rowcount
        """Rows changed by the statement (-1 when unknown)."""

    def fetchone(self) -> Row | None:
        """Return the next row, or None."""
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    def fetchall(self) -> list[Row]:
        """Return the remaining rows."""
        rows = self._rows[self._next :]
        self._next = len(self._rows)
        return rows

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


# ---------------------------------------------------------------------------------------------
# Translation
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|::|:[A-Za-z_]\w*|\?|%|[^'\"?:%]+|.", re.S)
"""String literals, quoted identifiers, casts, named and positional parameters, the rest."""


def _placeholders(sql: str, *, with_params: bool) -> str:
    """Turn `?`/`:name` into psycopg's placeholders, doubling `%` when parameters are bound."""
    out: list[str] = []
    for token in _TOKEN.findall(sql):
        if token.startswith("'"):
            out.append(token.replace("%", "%%") if with_params else token)
        elif token == "?":
            out.append("%s")
        elif token.startswith(":") and token != "::" and len(token) > 1:
            out.append(f"%({token[1:]})s")
        elif token == "%":
            out.append("%%" if with_params else "%")
        else:
            out.append(token)
    return "".join(out)


def _outside_strings(sql: str, change: Any) -> str:
    """Apply `change(text)` to the parts of `sql` outside string literals."""
    parts = re.split(r"('(?:[^']|'')*')", sql)
    return "".join(part if part.startswith("'") else change(part) for part in parts)


_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+(BEFORE|AFTER)\s+"
    r"(INSERT|UPDATE|DELETE)\s+ON\s+(\w+)\s+(?:FOR\s+EACH\s+ROW\s+)?BEGIN\s+"
    r"SELECT\s+RAISE\s*\(\s*(?:ABORT|FAIL|ROLLBACK)\s*,\s*'((?:[^']|'')*)'\s*\)\s*;\s*END",
    re.I | re.S,
)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(", re.I)
_PRAGMA_TABLE_INFO = re.compile(r"^\s*PRAGMA\s+table_info\s*\(\s*['\"]?(\w+)['\"]?\s*\)\s*$", re.I)
_RETRYABLE = ("SELECT", "BEGIN", "PRAGMA", "WITH")
"""Statements that may run again after the connection was lost outside a transaction."""
_INSERT_OR = re.compile(r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+(\w+)", re.I)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.I)
_JSON_EXTRACT = re.compile(r"json_extract\s*\(\s*([\w.]+)\s*,\s*'\$\.(\w+)'\s*\)", re.I)


def _ddl_types(text: str) -> str:
    text = re.sub(
        r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b",
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        text,
        flags=re.I,
    )
    text = re.sub(r"\bINTEGER\b", "BIGINT", text, flags=re.I)
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", text, flags=re.I)


def _trigger(match: re.Match[str]) -> str:
    name, timing, event, table, message = match.groups()
    return (
        f"CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $fn$ "
        f"BEGIN RAISE EXCEPTION USING ERRCODE = '23000', MESSAGE = '{message}'; END $fn$;\n"
        f"CREATE OR REPLACE TRIGGER {name} {timing} {event} ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {name}_fn()"
    )


@lru_cache(maxsize=2048)
def translate(sql: str, with_params: bool = True) -> str:
    """Return the PostgreSQL text of one SQLite statement (see the module docstring).

    `INSERT OR REPLACE` and `PRAGMA` need the database and are handled by the connection.
    """
    text = sql.strip().rstrip(";")
    if _TRIGGER.search(text):
        return _TRIGGER.sub(_trigger, text)
    create = _CREATE_TABLE.match(text)
    if create:
        text = _outside_strings(text, _ddl_types)
        head = create.end()
        text = text[:head] + "\n    rowid BIGINT GENERATED ALWAYS AS IDENTITY," + text[head:]
    else:
        text = _outside_strings(
            text, lambda part: re.sub(r"\bREAL\b", "DOUBLE PRECISION", part, flags=re.I)
        )
    text = _JSON_EXTRACT.sub(r"(\1::jsonb ->> '\2')", text)
    text = _outside_strings(
        text, lambda part: re.sub(r"\bIFNULL\s*\(", "COALESCE(", part, flags=re.I)
    )
    ignore = _INSERT_OR.match(text)
    if ignore and ignore.group(1).upper() == "IGNORE":
        text = "INSERT INTO " + text[ignore.end(2) - len(ignore.group(2)) :]
        text = _on_conflict(text, "ON CONFLICT DO NOTHING")
    return _placeholders(text, with_params=with_params)


def _on_conflict(text: str, clause: str) -> str:
    """Add an ON CONFLICT clause before a trailing RETURNING (or at the end)."""
    found = re.search(r"\bRETURNING\b", text, re.I)
    if found:
        return f"{text[: found.start()]}{clause} {text[found.start() :]}"
    return f"{text} {clause}"


def split_script(script: str) -> list[str]:
    """Split a SQL script into statements; a trigger's `BEGIN ... END` stays whole."""
    statements: list[str] = []
    current: list[str] = []
    depth = 0
    for token in re.findall(r"'(?:[^']|'')*'|\w+|;|[^\w';]+", script):
        current.append(token)
        upper = token.upper()
        if upper == "BEGIN" and re.search(r"CREATE\s+TRIGGER", "".join(current), re.I):
            depth += 1
        elif upper == "END" and depth:
            depth -= 1
        elif token == ";" and depth == 0:
            statement = "".join(current).strip().rstrip(";").strip()
            if statement:
                statements.append(statement)
            current = []
    tail = "".join(current).strip()
    if tail:
        statements.append(tail)
    return statements


# ---------------------------------------------------------------------------------------------
# The connection
# ---------------------------------------------------------------------------------------------


def redact(dsn: str) -> str:
    """Return `dsn` with its password replaced by `***` (URL and key=value forms)."""
    dsn = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", dsn)
    return re.sub(r"(password\s*=\s*)(\S+)", r"\1***", dsn, flags=re.I)


class PostgresConnection:
    """A psycopg connection that speaks the subset of `sqlite3.Connection` the CRM uses.

    Args:
        dsn: A libpq connection string or URL.
        timeout: Seconds to wait for a lock (`lock_timeout`) and to connect.
    """

    def __init__(self, dsn: str, *, timeout: float = 10.0) -> None:
        import psycopg

        self._psycopg = psycopg
        self._dsn = dsn
        self._timeout = timeout
        self._pg = self._connect()
        self._in_tx = False
        self._lock = threading.RLock()
        self._identity: dict[str, bool] = {}
        self._keys: dict[str, list[str]] = {}
        self.row_factory: Any = None
        """Ignored (rows are always `Row`); kept for `sqlite3.Connection` compatibility."""

    def _connect(self) -> Any:
        psycopg = self._psycopg
        try:
            conn = psycopg.connect(
                self._dsn,
                autocommit=True,
                connect_timeout=max(1, int(self._timeout)),
                cursor_factory=psycopg.ClientCursor,
            )
        except psycopg.Error as exc:
            raise sqlite3.OperationalError(
                f"cannot connect to PostgreSQL at {redact(self._dsn)}: {exc}"
            ) from exc
        conn.execute(f"SET lock_timeout = {int(self._timeout * 1000)}")
        return conn

    def _usable(self, statement: str) -> bool:
        """Reconnect after a lost connection; False when `statement` has nothing left to do.

        Outside a transaction the next statement simply runs on a new connection. Inside
        one, the server has rolled it back: the statement fails (retryable), and the CRM's
        ROLLBACK that follows is a no-op.
        """
        if not self._pg.broken:
            return True
        if statement.lstrip().upper().startswith("ROLLBACK"):
            self._in_tx = False
            return False
        if self._in_tx:
            raise sqlite3.OperationalError(
                "database is busy or unreachable: the connection was lost inside a "
                "transaction; nothing of it was committed"
            )
        self._pg = self._connect()
        return True

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open (or failed and not yet rolled back)."""
        if self._pg.broken:
            return self._in_tx
        status = self._pg.info.transaction_status
        return bool(status != self._psycopg.pq.TransactionStatus.IDLE)

    @property
    def raw(self) -> Any:
        """The psycopg connection underneath."""
        return self._pg

    def close(self) -> None:
        """Close the connection."""
        self._pg.close()

    def commit(self) -> None:
        """Commit an open transaction (autocommit otherwise)."""
        if self.in_transaction:
            self._pg.execute("COMMIT")
        self._in_tx = False

    def rollback(self) -> None:
        """Roll an open transaction back."""
        if self.in_transaction and not self._pg.broken:
            self._pg.execute("ROLLBACK")
        self._in_tx = False

    # -- statements -------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Cursor:
        """Run one statement written for SQLite; return its rows."""
        with self._lock, self._errors():
            if not self._usable(sql):
                return Cursor([])
            outside = not self._in_tx
            try:
                return self._execute(sql, params)
            except self._psycopg.OperationalError:
                # the server dropped the connection (restart, failover, idle timeout): a
                # read or a BEGIN outside a transaction runs again on a new connection
                retry = outside and sql.lstrip().upper().startswith(_RETRYABLE)
                if not (retry and self._pg.broken):
                    raise
                self._in_tx = False
                self._pg = self._connect()
                return self._execute(sql, params)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any] | Mapping[str, Any]]) -> Cursor:
        """Run one statement once per parameter set."""
        with self._lock, self._errors():
            self._usable(sql)
            text = self._statement(sql, with_params=True)
            # server-side binding: executemany then runs as one pipeline, not one round trip
            # per row (the target columns give the parameters their types)
            with self._psycopg.Cursor(self._pg) as cur:
                cur.executemany(text, list(seq))
                return Cursor([], rowcount=cur.rowcount)

    def executescript(self, script: str) -> Cursor:
        """Run a `;`-separated script (each statement on its own, as SQLite does)."""
        with self._lock, self._errors():
            self._usable(script)
            for statement in split_script(script):
                self._execute(statement, ())
            return Cursor([])

    def _execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> Cursor:
        stripped = sql.strip()
        upper = stripped.upper()
        if upper.startswith("PRAGMA"):
            return self._pragma(stripped)
        if re.match(r"^BEGIN\s+(IMMEDIATE|EXCLUSIVE)\b", upper):
            self._pg.execute("BEGIN")
            self._in_tx = True
            self._pg.execute("SELECT pg_advisory_xact_lock(%s, %s)", WRITE_LOCK_KEY)
            return Cursor([])
        if re.match(r"^BEGIN(\s+DEFERRED)?(\s+TRANSACTION)?$", upper):
            self._pg.execute("BEGIN")
            self._in_tx = True
            return Cursor([])
        if re.match(r"^(COMMIT|END|ROLLBACK)\b", upper):
            self._in_tx = False
        if re.match(r"^(CREATE|ALTER|DROP)\b", upper):  # the tables may change
            self._identity.clear()
            self._keys.clear()
        bound = bool(params)
        text = self._statement(stripped, with_params=bound)
        insert = _INSERT_INTO.match(text)
        returning_id = (
            insert is not None
            and not re.search(r"\bRETURNING\b", text, re.I)
            and self._has_identity_id(insert.group(1))
        )
        if returning_id:
            text += " RETURNING id"
        with self._pg.cursor() as cur:
            cur.execute(text, params if bound else None)
            rows = _rows(cur) if cur.description is not None else []
            lastrowid = None
            if returning_id and rows:
                lastrowid = int(rows[0]["id"])
                rows = []
            return Cursor(rows, lastrowid=lastrowid, rowcount=cur.rowcount)

    def _statement(self, sql: str, *, with_params: bool) -> str:
        replace = _INSERT_OR.match(sql)
        if replace and replace.group(1).upper() == "REPLACE":
            return self._upsert(sql, replace, with_params=with_params)
        return translate(sql, with_params)

    def _upsert(self, sql: str, match: re.Match[str], *, with_params: bool) -> str:
        """`INSERT OR REPLACE INTO t (cols) ...` as an upsert on t's primary key."""
        table = match.group(2)
        columns_match = re.match(r"\s*\(([^)]*)\)", sql[match.end() :])
        if columns_match is None:
            raise sqlite3.OperationalError(
                f"INSERT OR REPLACE INTO {table} needs a column list on PostgreSQL"
            )
        columns = [c.strip() for c in columns_match.group(1).split(",")]
        keys = self._primary_key(table)
        others = [c for c in columns if c not in keys]
        action = (
            "DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in others)
            if others
            else "DO NOTHING"
        )
        text = "INSERT INTO " + sql[match.end() - len(table) :]
        body = translate(text, with_params)
        return _on_conflict(body, f"ON CONFLICT ({', '.join(keys)}) {action}")

    def _primary_key(self, table: str) -> list[str]:
        if table not in self._keys:
            cur = self._pg.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass"
                " AND i.indisprimary ORDER BY a.attnum",
                (table,),
            )
            self._keys[table] = [row[0] for row in cur.fetchall()]
            if not self._keys[table]:
                raise sqlite3.OperationalError(f"INSERT OR REPLACE: {table} has no primary key")
        return self._keys[table]

    def _has_identity_id(self, table: str) -> bool:
        if table not in self._identity:
            cur = self._pg.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = %s AND column_name = 'id' AND is_identity = 'YES'",
                (table.lower(),),
            )
            self._identity[table] = cur.fetchone() is not None
        return self._identity[table]

    def _pragma(self, sql: str) -> Cursor:
        info = _PRAGMA_TABLE_INFO.match(sql)
        if info is None:
            return Cursor([])  # journal_mode, foreign_keys, busy_timeout: nothing to do
        with self._pg.cursor() as cur:
            cur.execute(
                "SELECT ordinal_position - 1 AS cid, column_name AS name, data_type AS type"
                " FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = %s AND column_name <> 'rowid' ORDER BY ordinal_position",
                (info.group(1).lower(),),
            )
            return Cursor(_rows(cur))

    # -- errors -----------------------------------------------------------------------------

    def _errors(self) -> Any:
        return _ErrorMap(self._psycopg)


def _rows(cur: Any) -> list[Row]:
    names = [column.name for column in cur.description]
    keep = [i for i, name in enumerate(names) if name != "rowid"]
    return [Row((names[i], record[i]) for i in keep) for record in cur.fetchall()]


class _ErrorMap:
    """Re-raise psycopg's errors as the `sqlite3` errors the CRM code handles."""

    def __init__(self, psycopg: Any) -> None:
        self._psycopg = psycopg

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None or not isinstance(exc, self._psycopg.Error):
            return False
        errors = self._psycopg.errors
        message = str(exc).strip()
        if isinstance(exc, self._psycopg.IntegrityError):
            raise sqlite3.IntegrityError(message) from exc
        transient = (
            errors.LockNotAvailable,
            errors.DeadlockDetected,
            errors.SerializationFailure,
            errors.QueryCanceled,
        )
        if isinstance(exc, transient):
            raise sqlite3.OperationalError(f"database is locked: {message}") from exc
        if isinstance(exc, self._psycopg.OperationalError):
            raise sqlite3.OperationalError(f"database is busy or unreachable: {message}") from exc
        raise sqlite3.DatabaseError(message) from exc

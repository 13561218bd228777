"""The embedded CRM: one SQLite file that implements both `CRMReader` and `CRM`.

Tables: `accounts`, `contacts`, `leads`, `deals`, `stage_history`, `activities`, `tasks`,
`notes`, `reps`, `receipts`, `audit` (append-only, enforced by triggers), `applied_writes`
(the idempotency ledger), `deal_leases` (one writer per deal) and `schema_version`.
Constant-time reads (issue 12): `assignments` (every owner assignment, for round-robin),
`rep_counters` (each owner's open deals and assignments, updated in the transaction that
changes a deal's owner or stage) and `pending_requests` (the inbox index, one per deal).

Every write is one transaction that also records its idempotency key in `applied_writes`;
a second call with the same key and operation returns the first result and changes nothing.
The connection is shared across threads behind a lock (LangGraph may run nodes in a pool).

`SQLiteCRM.open_seeded(path)` creates the schema and, on an empty database, loads the
bundled story (`data/sample_crm.json`) and the bundled training history
(`data/closed_deals.csv`).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sales_operator.adapters._records import (
    BOOL_SIGNALS,
    DEAL_ROW_COLUMNS,
    INT_SIGNALS,
    account_model,
    activity_history,
    as_bool_int,
    check_capacity,
    closed_deal_row,
    column_value,
    contact_model,
    created_result,
    deal_history,
    deal_model,
    dumps,
    iso,
    jsonable,
    lead_model,
    loss_reason,
    merged_deal_values,
    new_deal_row,
    note_history,
    parse_datetime,
    plan_field_update,
    receipt_supersedes,
    require_key,
    similar_loss_history,
    stage_values,
    task_history,
    unknown_deal,
    unknown_lead_contact,
    unknown_rep,
)
from sales_operator.adapters._records import (
    SIGNAL_COLUMNS as SIGNAL_COLUMNS,  # re-exported: training columns kept in a lead's signals
)
from sales_operator.adapters.base import HistoryRecord, Rep, holder_alive
from sales_operator.errors import (
    AdapterError,
    ConfigurationError,
    DataError,
    PermanentAdapterError,
    TransientAdapterError,
)
from sales_operator.state import (
    Account,
    Activity,
    AuditEntry,
    Contact,
    Deal,
    Lead,
    Receipt,
)
from sales_operator.vocabulary import (
    CLOSED_DEAL_COLUMNS,
    segment_from_employees,
    seniority_from_title,
)

logger = logging.getLogger(__name__)

ADAPTER = "sqlite_crm"
"""Adapter name used in `AdapterError`s."""

SCHEMA_VERSION = 1
"""Version of the schema this module creates."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reps (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    territory TEXT,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT,
    industry TEXT,
    employees INTEGER,
    territory TEXT,
    country TEXT,
    segment TEXT
);
CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts(id),
    name TEXT NOT NULL,
    email TEXT,
    title TEXT,
    role TEXT,
    seniority TEXT,
    timezone TEXT
);
CREATE INDEX IF NOT EXISTS contacts_account ON contacts(account_id);
CREATE TABLE IF NOT EXISTS leads (
    id TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    signals TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS deals (
    id TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts(id),
    lead_id TEXT REFERENCES leads(id),
    name TEXT NOT NULL,
    stage TEXT NOT NULL,
    amount REAL,
    close_date TEXT,
    owner_id TEXT,
    outcome TEXT CHECK (outcome IS NULL OR outcome IN ('won', 'lost')),
    fields TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    closed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deals_owner ON deals(owner_id);
CREATE INDEX IF NOT EXISTS deals_account ON deals(account_id);
CREATE TABLE IF NOT EXISTS stage_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id TEXT NOT NULL REFERENCES deals(id),
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT REFERENCES accounts(id),
    deal_id TEXT REFERENCES deals(id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    direction TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS activities_account ON activities(account_id);
CREATE INDEX IF NOT EXISTS activities_deal ON activities(deal_id);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id TEXT REFERENCES deals(id),
    account_id TEXT REFERENCES accounts(id),
    title TEXT NOT NULL,
    owner_id TEXT,
    due TEXT,
    notes TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id TEXT REFERENCES deals(id),
    account_id TEXT REFERENCES accounts(id),
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    result TEXT NOT NULL,
    executed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    decision TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_deal ON audit(deal_id);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only: DELETE is not allowed');
END;
CREATE TABLE IF NOT EXISTS deal_leases (
    deal_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS applied_writes (
    key TEXT NOT NULL,
    operation TEXT NOT NULL,
    result TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (key, operation)
);
-- constant-time reads (issue 12): indexes for account history, counters and the inbox index
CREATE INDEX IF NOT EXISTS notes_deal ON notes(deal_id);
CREATE INDEX IF NOT EXISTS notes_account ON notes(account_id);
CREATE INDEX IF NOT EXISTS tasks_deal ON tasks(deal_id);
CREATE INDEX IF NOT EXISTS tasks_account ON tasks(account_id);
CREATE INDEX IF NOT EXISTS stage_history_deal ON stage_history(deal_id);
CREATE INDEX IF NOT EXISTS receipts_deal ON receipts(deal_id);
CREATE INDEX IF NOT EXISTS audit_kind_decision ON audit(kind, decision, id);
CREATE TABLE IF NOT EXISTS assignments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deal_id TEXT NOT NULL,
    rep_id TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rep_counters (
    rep_id TEXT PRIMARY KEY,
    open_deals INTEGER NOT NULL DEFAULT 0,
    assigned_total INTEGER NOT NULL DEFAULT 0,
    last_assignment BIGINT
);
CREATE TABLE IF NOT EXISTS pending_requests (
    deal_id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    token TEXT NOT NULL,
    indexed_at TEXT NOT NULL
);
"""

_DEAL_COLUMNS = "id, name, stage, amount, close_date, owner_id, outcome, fields"


# ---------------------------------------------------------------------------------------------
# Small conversions
# ---------------------------------------------------------------------------------------------


def _normalise_timestamp(text: str) -> str:
    """Return `text` as a canonical ISO string: a date stays a date, a time becomes UTC."""
    text = text.strip()
    if len(text) == 10:
        return date.fromisoformat(text).isoformat()
    return iso(datetime.fromisoformat(text))


def _as_number(value: str) -> int | float:
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"expected a finite number, got {value!r}") from None
        return number


# ---------------------------------------------------------------------------------------------
# The bundled sample file
# ---------------------------------------------------------------------------------------------


class _SampleContact(Contact):
    account_id: str | None = None
    """The account the contact works for."""
    seniority: str | None = None
    """Stored seniority; derived from the title when absent."""


class _SampleAccount(Account):
    segment: str | None = None
    """Stored segment; derived from the head count when absent."""


class _SampleDeal(Deal):
    account_id: str | None = None
    """The account."""
    lead_id: str | None = None
    """The lead that opened the deal."""
    created_at: datetime | None = None
    """When the deal was opened (defaults to the lead's arrival)."""
    closed_at: datetime | date | None = None
    """When the deal closed."""


class _SampleActivity(Activity):
    account_id: str | None = None
    """The account (taken from the deal when absent)."""
    deal_id: str | None = None
    """The deal, if any."""


class _SampleNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str | None = None
    """The account (taken from the deal when absent)."""
    deal_id: str | None = None
    """The deal, if any."""
    at: datetime
    """When it was written."""
    text: str
    """The note."""


class _SampleTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str | None = None
    """The account (taken from the deal when absent)."""
    deal_id: str | None = None
    """The deal, if any."""
    at: datetime
    """When it was created."""
    title: str
    """Task title."""
    owner_id: str | None = None
    """Who does it."""
    due: date | None = None
    """Due date."""
    notes: str = ""
    """Details."""
    status: str = "open"
    """`open` or `done`."""


class _StageChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deal_id: str
    """The deal."""
    from_stage: str | None = None
    """The previous stage."""
    to_stage: str
    """The new stage."""
    at: datetime
    """When."""


class SampleCRM(BaseModel):
    """The schema of `data/sample_crm.json`: the seed story's people and history."""

    model_config = ConfigDict(extra="forbid")

    reps: list[Rep] = Field(default_factory=list)
    """Reps, managers and queues."""
    accounts: list[_SampleAccount] = Field(default_factory=list)
    """Companies."""
    contacts: list[_SampleContact] = Field(default_factory=list)
    """People, each with `account_id`."""
    leads: list[Lead] = Field(default_factory=list)
    """Leads with their signals."""
    deals: list[_SampleDeal] = Field(default_factory=list)
    """Open and closed deals, with `account_id`, `lead_id`, `created_at`, `closed_at`."""
    stage_history: list[_StageChange] = Field(default_factory=list)
    """Past stage changes."""
    activities: list[_SampleActivity] = Field(default_factory=list)
    """Activities, each on an account and/or a deal."""
    notes: list[_SampleNote] = Field(default_factory=list)
    """Notes."""
    tasks: list[_SampleTask] = Field(default_factory=list)
    """Tasks."""


class _CsvDeal(BaseModel):
    """One parsed row of `closed_deals.csv`."""

    line: int
    deal_id: str
    account_name: str
    industry: str | None
    employees: int | None
    territory: str | None
    segment: str | None
    lead_source: str
    contact_title: str | None
    seniority: str
    signals: dict[str, float | int | str | bool]
    created_at: str
    closed_at: str
    outcome: Literal["won", "lost"]
    amount: float | None


# ---------------------------------------------------------------------------------------------
# The CRM
# ---------------------------------------------------------------------------------------------


class SQLiteCRM:
    """Implement `CRMReader` and `CRM` on one SQLite file (WAL mode, foreign keys on).

    Args:
        path: The database file (created if missing); `":memory:"` for a private database.
        clock: Returns "now" for records the CRM timestamps itself (notes, tasks, stage
            changes); defaults to the current UTC time.
        timeout: Seconds to wait for another process's write lock before giving up with a
            `TransientAdapterError`.
        history_limit: The most records `account_history` returns (the latest ones).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], datetime] | None = None,
        timeout: float = 10.0,
        history_limit: int = 200,
    ) -> None:
        self.path = str(path)
        """The database file."""
        self.history_limit = history_limit
        """The most records `account_history` returns (the latest ones)."""
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._conn = self._open(timeout)
        self._create_schema()

    def _open(self, timeout: float) -> Any:
        """Open the connection (`PostgresCRM` opens a PostgreSQL one instead)."""
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(
                self.path, timeout=timeout, check_same_thread=False, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot open the CRM database {self.path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode = WAL")
        return conn

    # -- lifecycle ------------------------------------------------------------------------

    @classmethod
    def open_seeded(cls, path: str | Path, **kwargs: Any) -> SQLiteCRM:
        """Open (or create) the CRM at `path` and seed it with the bundled data if empty.

        Args:
            path: The database file.
            **kwargs: Passed to the constructor (`clock`, `timeout`).
        """
        crm = cls(path, **kwargs)
        crm.seed()
        return crm

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SQLiteCRM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _create_schema(self) -> None:
        with self._lock:
            self._conn.executescript(_SCHEMA)
            _add_missing_columns(self._conn)
            row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            version = row[0]
            if version is None:
                self._conn.execute(
                    "INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,)
                )
            elif version > SCHEMA_VERSION:
                raise ConfigurationError(
                    f"the CRM database {self.path} has schema version {version}, newer than "
                    f"this library's {SCHEMA_VERSION}; upgrade sales-operator"
                )
        self._migrate_counters()
        self._migrate_lost_at()

    def _migrate_lost_at(self) -> None:
        """Add `deals.lost_at` (and its index) to a file made before it, filled, in one go.

        The column, its values and the index are one write transaction, so two processes
        opening an older file at once add it once, and none sees the column half filled.
        """
        with self._lock:
            if _has_lost_at(self._conn):
                return
        with self._transaction("migrate_lost_at") as conn:
            if not _has_lost_at(conn):  # another process may have migrated it meanwhile
                conn.execute("ALTER TABLE deals ADD COLUMN lost_at TEXT")
                _backfill_lost_at(conn)
            conn.execute("CREATE INDEX IF NOT EXISTS deals_lost_at ON deals(lost_at)")

    def _migrate_counters(self) -> None:
        """Fill the counter table (and the assignments log) of a file made before they existed."""
        if self._query("SELECT 1 FROM rep_counters LIMIT 1") or not self._query(
            "SELECT 1 FROM reps LIMIT 1"
        ):
            return
        with self._transaction("migrate_counters") as conn:
            if conn.execute("SELECT 1 FROM rep_counters LIMIT 1").fetchone():
                return  # another process migrated it in the meantime
            if not conn.execute("SELECT 1 FROM assignments LIMIT 1").fetchone():
                _backfill_assignments(conn)
            _rebuild_counters(conn)

    @property
    def schema_version(self) -> int:
        """Return the schema version stored in the database."""
        with self._lock:
            return int(self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    def is_empty(self) -> bool:
        """Return True when the database holds no reps, accounts or deals."""
        with self._lock:
            for table in ("reps", "accounts", "deals"):
                if self._conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
                    return False
            return True

    @contextmanager
    def _transaction(self, operation: str) -> Iterator[sqlite3.Connection]:
        """Run the block as one IMMEDIATE transaction, rolled back on any error."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise TransientAdapterError(
                    f"the database is busy: {exc}", adapter=ADAPTER, operation=operation
                ) from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _write(
        self,
        operation: str,
        idempotency_key: str,
        apply: Callable[[sqlite3.Connection], dict[str, Any]],
    ) -> dict[str, Any]:
        """Apply a write once per (key, operation), recording the key in the same transaction."""
        require_key(idempotency_key, ADAPTER, operation)
        try:
            with self._transaction(operation) as conn:
                row = conn.execute(
                    "SELECT result FROM applied_writes WHERE key = ? AND operation = ?",
                    (idempotency_key, operation),
                ).fetchone()
                if row is not None:
                    replay: dict[str, Any] = json.loads(row["result"])
                    return replay
                result = jsonable(apply(conn))
                conn.execute(
                    "INSERT INTO applied_writes (key, operation, result, applied_at) "
                    "VALUES (?, ?, ?, ?)",
                    (idempotency_key, operation, dumps(result), iso(self._clock())),
                )
                return result
        except AdapterError:
            raise
        except sqlite3.IntegrityError as exc:
            raise PermanentAdapterError(
                f"the write breaks a database constraint: {exc}",
                adapter=ADAPTER,
                operation=operation,
            ) from exc
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise TransientAdapterError(
                    f"the database is busy: {exc}", adapter=ADAPTER, operation=operation
                ) from exc
            raise PermanentAdapterError(
                f"database error: {exc}", adapter=ADAPTER, operation=operation
            ) from exc

    def _require_deal(self, conn: sqlite3.Connection, deal_id: str, operation: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM deals WHERE id = ?", (deal_id,)).fetchone()
        if row is None:
            raise unknown_deal(deal_id, adapter=ADAPTER, operation=operation)
        return row  # type: ignore[no-any-return]

    # -- read side ------------------------------------------------------------------------

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._conn.execute(sql, params).fetchall())

    def get_account(self, account_id: str) -> Account | None:
        """Return the account, or None."""
        rows = self._query("SELECT * FROM accounts WHERE id = ?", (account_id,))
        return account_model(rows[0]) if rows else None

    def list_contacts(self, account_id: str) -> list[Contact]:
        """Return the account's contacts, in the order they were added."""
        rows = self._query(
            "SELECT * FROM contacts WHERE account_id = ? ORDER BY rowid", (account_id,)
        )
        return [contact_model(row) for row in rows]

    def get_deal(self, deal_id: str) -> Deal | None:
        """Return the deal, or None."""
        rows = self._query(f"SELECT {_DEAL_COLUMNS} FROM deals WHERE id = ?", (deal_id,))
        return _deal(rows[0]) if rows else None

    def list_deals(self) -> list[Deal]:
        """Return every deal, in the order they were created."""
        return [
            _deal(row) for row in self._query(f"SELECT {_DEAL_COLUMNS} FROM deals ORDER BY rowid")
        ]

    def get_lead(self, lead_id: str) -> Lead | None:
        """Return the lead, or None."""
        rows = self._query("SELECT * FROM leads WHERE id = ?", (lead_id,))
        return lead_model(_decoded(rows[0], "signals")) if rows else None

    def list_reps(self) -> list[Rep]:
        """Return every rep and queue, in the order they were added."""
        return [
            Rep.model_validate_json(row["data"])
            for row in self._query("SELECT data FROM reps ORDER BY rowid")
        ]

    def open_deal_counts(self) -> dict[str, int]:
        """Return rep id to the number of open deals (stage not `closed_*`) the rep owns.

        Every rep appears, with 0 when the rep owns no open deal.
        """
        counts = {row["id"]: 0 for row in self._query("SELECT id FROM reps ORDER BY rowid")}
        for row in self._query("SELECT rep_id, open_deals FROM rep_counters"):
            if row["open_deals"] or row["rep_id"] in counts:
                counts[row["rep_id"]] = int(row["open_deals"])
        return counts

    def recent_assignees(self, limit: int) -> list[str]:
        """Return the rep ids of the latest `limit` owner assignments, oldest first.

        One indexed read of the `assignments` log (written with each `assign_owner`), however
        long the history.
        """
        if limit <= 0:
            return []
        rows = self._query("SELECT rep_id FROM assignments ORDER BY id DESC LIMIT ?", (limit,))
        return [str(row["rep_id"]) for row in reversed(rows)]

    def last_assigned(self) -> dict[str, int]:
        """Return rep id to the sequence number of the rep's latest assignment (higher is later).

        Reps that never got a lead are absent. Read from the `rep_counters` table.
        """
        rows = self._query(
            "SELECT rep_id, last_assignment FROM rep_counters WHERE last_assignment IS NOT NULL"
        )
        return {str(row["rep_id"]): int(row["last_assignment"]) for row in rows}

    def rep_counters(self) -> dict[str, dict[str, int]]:
        """Return rep id to `open_deals` and `assigned_total`, as the counter table holds them."""
        return {
            str(row["rep_id"]): {
                "open_deals": int(row["open_deals"]),
                "assigned_total": int(row["assigned_total"]),
            }
            for row in self._query("SELECT rep_id, open_deals, assigned_total FROM rep_counters")
        }

    def rebuild_counters(self) -> None:
        """Recount the counter table from the deals and the assignments log (a repair)."""
        with self._transaction("rebuild_counters") as conn:
            _rebuild_counters(conn)

    def account_history(self, account_id: str) -> list[HistoryRecord]:
        """Return the account's latest activities, notes, tasks and closed deals, oldest first.

        Refs are `crm:activity/<n>`, `crm:note/<n>`, `crm:task/<n>` and `crm:deal/<id>`.
        Every read is an indexed query with a limit, so the cost does not grow with the
        account's history: at most `history_limit` records (a constructor argument), the
        latest written of each kind, merged by time.
        """
        cap = self.history_limit
        if cap <= 0:
            return []
        records: list[HistoryRecord] = []
        for table, build in (
            ("activities", activity_history),
            ("notes", note_history),
            ("tasks", task_history),
        ):
            rows = self._query(
                f"SELECT * FROM {table} WHERE account_id = ? ORDER BY id DESC LIMIT ?",
                (account_id, cap),
            )
            # rows filed on one of the account's deals without the account (older files)
            rows += self._query(
                f"SELECT * FROM {table} WHERE deal_id IN "
                "(SELECT id FROM deals WHERE account_id = ?) "
                "AND (account_id IS NULL OR account_id <> ?) ORDER BY id DESC LIMIT ?",
                (account_id, account_id, cap),
            )
            records.extend(build(row) for row in rows)
        for row in self._query(
            "SELECT * FROM deals WHERE account_id = ? AND stage LIKE 'closed\\_%' ESCAPE '\\'"
            " ORDER BY updated_at DESC LIMIT ?",
            (account_id, cap),
        ):
            records.append(deal_history(_decoded(row, "fields")))
        records.sort(key=lambda record: record.at)
        return records[-cap:]

    def find_account(self, name: str) -> Account | None:
        """Return the account whose name is `name` (case-insensitive), or None."""
        rows = self._query(
            "SELECT id FROM accounts WHERE lower(name) = lower(?) ORDER BY id LIMIT 1",
            (name.strip(),),
        )
        return self.get_account(rows[0]["id"]) if rows else None

    def similar_lost_deals(self, account_id: str, *, limit: int = 20) -> list[HistoryRecord]:
        """Return lost deals, with a loss reason, of other accounts in the same industry or segment.

        Newest first, at most `limit`. Each record's text names the account, its industry and
        segment, and the loss reason (`fields.loss_reason` or `fields.lost_reason`).

        One indexed query with a limit, whatever the history holds: `deals.lost_at` (when a
        deal was lost, kept only for a lost deal with a loss reason, in the transaction that
        writes the deal) is walked newest first through its index, and at most `limit` rows
        are read.
        """
        if limit <= 0:
            return []
        rows = self._query("SELECT industry, segment FROM accounts WHERE id = ?", (account_id,))
        if not rows:
            return []
        industry, segment = rows[0]["industry"], rows[0]["segment"]
        found = self._query(
            "SELECT d.*, a.name AS account_name, a.industry, a.segment"
            " FROM deals d JOIN accounts a ON a.id = d.account_id"
            " WHERE d.lost_at IS NOT NULL AND d.account_id <> ?"
            " AND (a.industry = ? OR a.segment = ?)"
            " ORDER BY d.lost_at DESC, d.id DESC LIMIT ?",
            (account_id, industry, segment, limit),
        )
        records: list[HistoryRecord] = []
        for row in found:
            deal = _decoded(row, "fields")
            account = {"name": row["account_name"], "industry": row["industry"]}
            account["segment"] = row["segment"]
            record = similar_loss_history(deal, account)
            if record is not None:
                records.append(record)
        return records

    def closed_deal_rows(self) -> list[dict[str, Any]]:
        """Return one flat training row per closed_won / closed_lost deal.

        Each row has exactly the keys of `CLOSED_DEAL_COLUMNS`. Counts are ints,
        `demo_requested` and `webinar_attended` are 0/1, `amount` is a float, `created_at`
        and `closed_at` are ISO strings, `outcome` is `won` or `lost`; missing values are None.
        """
        rows = self._query(
            """
            SELECT d.id AS deal_id, d.stage, d.outcome, d.amount, d.created_at, d.closed_at,
                   d.close_date, a.name AS account_name, a.industry, a.employees, a.territory,
                   a.segment, l.source AS lead_source, l.signals, l.created_at AS lead_created_at,
                   c.title AS contact_title, c.seniority
            FROM deals d
            LEFT JOIN accounts a ON a.id = d.account_id
            LEFT JOIN leads l ON l.id = d.lead_id
            LEFT JOIN contacts c ON c.id = l.contact_id
            WHERE d.stage IN ('closed_won', 'closed_lost')
            ORDER BY d.rowid
            """
        )
        return [closed_deal_row(**_decoded(row, "signals")) for row in rows]

    def get_receipt(self, idempotency_key: str) -> Receipt | None:
        """Return the receipt recorded under `idempotency_key`, or None."""
        rows = self._query("SELECT * FROM receipts WHERE idempotency_key = ?", (idempotency_key,))
        return _receipt(rows[0]) if rows else None

    def list_receipts(self, deal_id: str | None = None) -> list[Receipt]:
        """Return the receipts, oldest first, for one deal or all."""
        if deal_id is None:
            rows = self._query("SELECT * FROM receipts ORDER BY id")
        else:
            rows = self._query("SELECT * FROM receipts WHERE deal_id = ? ORDER BY id", (deal_id,))
        return [_receipt(row) for row in rows]

    def audit_log(self, deal_id: str | None = None) -> list[AuditEntry]:
        """Return the audit trail, oldest first, for one deal or all."""
        if deal_id is None:
            rows = self._query("SELECT entry FROM audit ORDER BY id")
        else:
            rows = self._query("SELECT entry FROM audit WHERE deal_id = ? ORDER BY id", (deal_id,))
        return [AuditEntry.model_validate_json(row["entry"]) for row in rows]

    def audit_blob_references(self) -> set[str]:
        """Return every blob reference the audit trail holds (for `sales-operator gc`).

        Reads only the entries whose stored JSON names a reference, as text: no entry is
        validated, so a long audit trail is read in one pass over its rows.
        """
        from sales_operator.blobs import BLOB_PREFIX, references_in

        rows = self._query("SELECT entry FROM audit WHERE entry LIKE ?", (f"%{BLOB_PREFIX}%",))
        return references_in([row["entry"] for row in rows])

    def recent_edits(self, kind: str, *, batch: int = 100) -> Iterator[AuditEntry]:
        """Yield the audit's `edit` decisions on `kind` actions, newest first.

        Indexed and read in pages of `batch`, so a caller that stops after a few (the
        copilot's `learned_edits`) reads a few, however long the audit log.
        """
        before: int | None = None
        while True:
            if before is None:
                rows = self._query(
                    "SELECT id, entry FROM audit WHERE kind = ? AND decision = 'edit' "
                    "ORDER BY id DESC LIMIT ?",
                    (kind, batch),
                )
            else:
                rows = self._query(
                    "SELECT id, entry FROM audit WHERE kind = ? AND decision = 'edit' "
                    "AND id < ? ORDER BY id DESC LIMIT ?",
                    (kind, before, batch),
                )
            for row in rows:
                yield AuditEntry.model_validate_json(row["entry"])
            if len(rows) < batch:
                return
            before = int(rows[-1]["id"])

    def list_tasks(self, deal_id: str) -> list[dict[str, Any]]:
        """Return the deal's tasks as dicts (id, ref, title, owner_id, due, notes, status, ...)."""
        rows = self._query("SELECT * FROM tasks WHERE deal_id = ? ORDER BY id", (deal_id,))
        return [{**dict(row), "ref": f"crm:task/{row['id']}"} for row in rows]

    def list_notes(self, deal_id: str) -> list[dict[str, Any]]:
        """Return the deal's notes as dicts (id, ref, text, created_at, ...)."""
        rows = self._query("SELECT * FROM notes WHERE deal_id = ? ORDER BY id", (deal_id,))
        return [{**dict(row), "ref": f"crm:note/{row['id']}"} for row in rows]

    def list_activities(self, deal_id: str) -> list[dict[str, Any]]:
        """Return the deal's activities as dicts (id, ref, at, kind, direction, summary, ...)."""
        rows = self._query("SELECT * FROM activities WHERE deal_id = ? ORDER BY id", (deal_id,))
        return [{**dict(row), "ref": f"crm:activity/{row['id']}"} for row in rows]

    def stage_history(self, deal_id: str) -> list[dict[str, Any]]:
        """Return the deal's stage changes, oldest first (from_stage, to_stage, at)."""
        rows = self._query(
            "SELECT from_stage, to_stage, at FROM stage_history WHERE deal_id = ? ORDER BY id",
            (deal_id,),
        )
        return [dict(row) for row in rows]

    # -- write side -----------------------------------------------------------------------

    def upsert_records(
        self,
        *,
        deal: Deal,
        account: Account | None,
        contacts: list[Contact],
        lead: Lead | None,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """Create or update the deal with its account, contacts and lead.

        Values that are None never clear what the CRM already holds; the deal's `fields`
        are merged key by key. A changed stage is recorded in the stage history.

        Returns:
            `deal_id`, `account_id`, `contact_ids`, `lead_id` and `created` (whether the
            deal is new).
        """
        operation = "upsert_records"

        def apply(conn: sqlite3.Connection) -> dict[str, Any]:
            now = iso(self._clock())
            existing = conn.execute("SELECT * FROM deals WHERE id = ?", (deal.id,)).fetchone()
            account_id = account.id if account else (existing["account_id"] if existing else None)
            if account is not None:
                _upsert_account(conn, account)
            for contact in contacts:
                _upsert_contact(conn, contact, account_id)
            if lead is not None:
                known = conn.execute(
                    "SELECT 1 FROM contacts WHERE id = ?", (lead.contact_id,)
                ).fetchone()
                if known is None:
                    raise unknown_lead_contact(lead, adapter=ADAPTER, operation=operation)
                _upsert_lead(conn, lead)
            lead_id = lead.id if lead else (existing["lead_id"] if existing else None)
            created = existing is None
            if existing is None:
                values = new_deal_row(
                    deal,
                    account_id=account_id,
                    lead_id=lead_id,
                    created_at=iso(lead.created_at) if lead else now,
                    closed_at=now if deal.stage.startswith("closed_") else None,
                    updated_at=now,
                )
                _insert_deal(conn, values)
                _record_stage(conn, deal.id, None, deal.stage, now)
            else:
                merged = merged_deal_values(
                    _decoded(existing, "fields"),
                    deal,
                    account_id=account_id,
                    lead_id=lead_id,
                    now=now,
                )
                _update_deal(conn, deal.id, merged)
                if deal.stage != existing["stage"]:
                    _set_stage(conn, deal.id, existing["stage"], deal.stage, now)
            return {
                "deal_id": deal.id,
                "account_id": account_id,
                "contact_ids": [contact.id for contact in contacts],
                "lead_id": lead_id,
                "created": created,
            }

        return self._write(operation, idempotency_key, apply)

    def assign_owner(self, deal_id: str, rep_id: str, *, idempotency_key: str) -> dict[str, Any]:
        """Make `rep_id` the deal's owner.

        Returns:
            `deal_id`, `owner_id` and `previous_owner_id`.

        Raises:
            PermanentAdapterError: for an unknown deal or rep.
        """
        operation = "assign_owner"

        def apply(conn: sqlite3.Connection) -> dict[str, Any]:
            row = self._require_deal(conn, deal_id, operation)
            rep = conn.execute("SELECT data FROM reps WHERE id = ?", (rep_id,)).fetchone()
            if rep is None:
                raise unknown_rep(rep_id, adapter=ADAPTER, operation=operation)
            if row["owner_id"] != rep_id and not str(row["stage"]).startswith("closed_"):
                # the capacity is reserved in this IMMEDIATE transaction: two racing
                # assignments cannot both take a rep's last open slot
                counter = conn.execute(
                    "SELECT open_deals FROM rep_counters WHERE rep_id = ?", (rep_id,)
                ).fetchone()
                load = int(counter["open_deals"]) if counter is not None else 0
                capacity = Rep.model_validate_json(rep["data"]).capacity
                check_capacity(rep_id, capacity, load, adapter=ADAPTER, operation=operation)
            now = iso(self._clock())
            _update_deal(conn, deal_id, {"owner_id": rep_id, "updated_at": now})
            _record_assignment(conn, deal_id, rep_id, now)
            return {"deal_id": deal_id, "owner_id": rep_id, "previous_owner_id": row["owner_id"]}

        return self._write(operation, idempotency_key, apply)

    def update_deal_fields(
        self, deal_id: str, fields: dict[str, Any], *, idempotency_key: str
    ) -> dict[str, Any]:
        """Set deal fields.

        `name`, `amount`, `close_date` and `stage` are columns; any other key is merged into
        the deal's custom `fields`, key by key.

        Returns:
            `deal_id`, `changed` (field to new value) and `previous` (field to old value).

        Raises:
            PermanentAdapterError: for an unknown deal or a malformed value.
        """
        operation = "update_deal_fields"

        def apply(conn: sqlite3.Connection) -> dict[str, Any]:
            row = self._require_deal(conn, deal_id, operation)
            now = iso(self._clock())
            plan = plan_field_update(
                _decoded(row, "fields"), fields, adapter=ADAPTER, operation=operation
            )
            if plan.stage is not None:
                _set_stage(conn, deal_id, row["stage"], plan.stage, now)
            _update_deal(conn, deal_id, {**plan.columns, "fields": plan.fields, "updated_at": now})
            return {"deal_id": deal_id, "changed": plan.changed, "previous": plan.previous}

        return self._write(operation, idempotency_key, apply)

    def change_stage(
        self, deal_id: str, stage: str, *, idempotency_key: str, at: datetime | None = None
    ) -> dict[str, Any]:
        """Move the deal to `stage` and record the change in the stage history.

        Stage names are not checked here (the policy owns them); a `closed_won` or
        `closed_lost` stage also sets the outcome and the close time.

        Returns:
            `deal_id`, `from_stage`, `to_stage` and `changed`.
        """
        operation = "change_stage"

        def apply(conn: sqlite3.Connection) -> dict[str, Any]:
            row = self._require_deal(conn, deal_id, operation)
            stage_name = column_value("stage", stage, adapter=ADAPTER, operation=operation)
            changed = stage_name != row["stage"]
            if changed:
                _set_stage(conn, deal_id, row["stage"], stage_name, iso(at or self._clock()))
            return {
                "deal_id": deal_id,
                "from_stage": row["stage"],
                "to_stage": stage_name,
                "changed": changed,
            }

        return self._write(operation, idempotency_key, apply)

    def create_task(
        self,
        deal_id: str,
        *,
        title: str,
        owner_id: str | None,
        due: date | None,
        notes: str,
        idempotency_key: str,
        created_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Create an open task on the deal (`created_at`: business time; None: now).

        Returns:
            `task_id`, `ref` (`crm:task/<n>`), `deal_id`, `title`, `owner_id` and `due`.
        """
        operation = "create_task"

        def apply(conn: sqlite3.Connection) -> dict[str, Any]:
            row = self._require_deal(conn, deal_id, operation)
            due_text = column_value("close_date", due, adapter=ADAPTER, operation=operation)
            cursor = conn.execute(
                "INSERT INTO tasks (deal_id, account_id, title, owner_id, due, notes, status,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
                (
                    deal_id,
                    row["account_id"],
                    title,
                    owner_id,
                    due_text,
                    notes,
                    iso(created_at or self._clock()),
                ),
            )
            return created_result(
                "task", _inserted(cursor), deal_id, title=title, owner_id=owner_id, due=due_text
            )

        return self._write(operation, idempotency_key, apply)

    def add_note(self, deal_id: str, text: str, *, idempotency_key: str) -> dict[str, Any]:
        """Attach a note to the deal.

        Returns:
            `note_id`, `ref` (`crm:note/<n>`) and `deal_id`.
        """
        operation = "add_note"

        def apply(conn: sqlite3.Connection) -> dict[str, Any]:
            row = self._require_deal(conn, deal_id, operation)
            cursor = conn.execute(
                "INSERT INTO notes (deal_id, account_id, text, created_at) VALUES (?, ?, ?, ?)",
                (deal_id, row["account_id"], text, iso(self._clock())),
            )
            return created_result("note", _inserted(cursor), deal_id)

        return self._write(operation, idempotency_key, apply)

    def log_activity(
        self, deal_id: str, activity: Activity, *, idempotency_key: str
    ) -> dict[str, Any]:
        """Record an activity on the deal.

        Returns:
            `activity_id`, `ref` (`crm:activity/<n>`) and `deal_id`.
        """
        operation = "log_activity"

        def apply(conn: sqlite3.Connection) -> dict[str, Any]:
            row = self._require_deal(conn, deal_id, operation)
            cursor = conn.execute(
                "INSERT INTO activities (account_id, deal_id, at, kind, direction, summary)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    row["account_id"],
                    deal_id,
                    iso(activity.at),
                    activity.kind,
                    activity.direction,
                    activity.summary,
                ),
            )
            return created_result("activity", _inserted(cursor), deal_id)

        return self._write(operation, idempotency_key, apply)

    def record_receipt(self, deal_id: str, receipt: Receipt) -> None:
        """Store a receipt, once per idempotency key.

        A second receipt with the same key is ignored, except that a `done` receipt
        replaces a `failed` one (a retry that succeeded).
        """
        operation = "record_receipt"
        values = (
            deal_id,
            receipt.action_id,
            receipt.kind,
            receipt.status,
            dumps(receipt.result),
            iso(receipt.executed_at),
        )
        try:
            with self._transaction(operation) as conn:
                row = conn.execute(
                    "SELECT status FROM receipts WHERE idempotency_key = ?",
                    (receipt.idempotency_key,),
                ).fetchone()
                if not receipt_supersedes(row["status"] if row else None, receipt.status):
                    return
                if row is None:
                    conn.execute(
                        "INSERT INTO receipts (deal_id, action_id, kind, status, result,"
                        " executed_at, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (*values, receipt.idempotency_key),
                    )
                else:
                    conn.execute(
                        "UPDATE receipts SET deal_id = ?, action_id = ?, kind = ?, status = ?,"
                        " result = ?, executed_at = ? WHERE idempotency_key = ?",
                        (*values, receipt.idempotency_key),
                    )
        except sqlite3.Error as exc:
            raise PermanentAdapterError(
                f"cannot store the receipt: {exc}", adapter=ADAPTER, operation=operation
            ) from exc

    def append_audit(self, deal_id: str, entry: AuditEntry) -> None:
        """Append an entry to the audit log; entries are never changed or deleted."""
        operation = "append_audit"
        try:
            with self._transaction(operation) as conn:
                _insert_audit(conn, deal_id, entry)
        except sqlite3.Error as exc:
            raise PermanentAdapterError(
                f"cannot append to the audit log: {exc}", adapter=ADAPTER, operation=operation
            ) from exc

    def record_decisions(
        self, deal_id: str, request_id: str, entries: list[AuditEntry]
    ) -> list[AuditEntry]:
        """Append a request's decisions unless some are recorded already (first answer wins).

        The check and the insert are one IMMEDIATE transaction, so of two processes answering
        the same request exactly one writes; the other gets the recorded decisions back.
        """
        operation = "record_decisions"
        try:
            with self._transaction(operation) as conn:
                rows = conn.execute(
                    "SELECT entry FROM audit WHERE deal_id = ? AND decision IN "
                    "('approve', 'edit', 'reject') AND json_extract(entry, '$.request_id') = ?"
                    " ORDER BY id",
                    (deal_id, request_id),
                ).fetchall()
                if rows:
                    return [AuditEntry.model_validate_json(r["entry"]) for r in rows]
                for entry in entries:
                    _insert_audit(conn, deal_id, entry)
                if entries and all(e.decision == "reject" for e in entries):
                    _clear_indexed(conn, deal_id, request_id)  # nothing left to run: decided
                return list(entries)
        except sqlite3.OperationalError as exc:
            raise TransientAdapterError(
                f"cannot record the decisions: {exc}", adapter=ADAPTER, operation=operation
            ) from exc
        except sqlite3.Error as exc:
            raise PermanentAdapterError(
                f"cannot record the decisions: {exc}", adapter=ADAPTER, operation=operation
            ) from exc

    # -- the inbox index ----------------------------------------------------------------------

    def index_request(self, deal_id: str, request_id: str) -> str:
        """Note that `request_id` waits for review on `deal_id`; return the entry's token.

        Written by the approval gate before it interrupts, so every pending request is in
        the index; one entry per deal (a newer request replaces the older one). Each write
        gets a fresh token, so a reader that found an entry stale removes only that entry.
        """
        token = uuid.uuid4().hex
        with self._transaction("index_request") as conn:
            conn.execute(
                "INSERT INTO pending_requests (deal_id, request_id, token, indexed_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (deal_id) DO UPDATE SET"
                " request_id = excluded.request_id, token = excluded.token,"
                " indexed_at = excluded.indexed_at",
                (deal_id, request_id, token, iso(self._clock())),
            )
        return token

    def indexed_requests(self, deal_id: str | None = None) -> list[dict[str, str]]:
        """Return the inbox index (`deal_id`, `request_id`, `token`, `indexed_at`), by deal."""
        if deal_id is None:
            rows = self._query("SELECT * FROM pending_requests ORDER BY deal_id")
        else:
            rows = self._query("SELECT * FROM pending_requests WHERE deal_id = ?", (deal_id,))
        return [{k: str(row[k]) for k in row.keys()} for row in rows]

    def unindex_request(self, deal_id: str, token: str) -> bool:
        """Remove the index entry written with `token`; return whether it was still there."""
        with self._transaction("unindex_request") as conn:
            cursor = conn.execute(
                "DELETE FROM pending_requests WHERE deal_id = ? AND token = ?", (deal_id, token)
            )
            return cursor.rowcount > 0

    def clear_request(self, deal_id: str, request_id: str) -> bool:
        """Remove the deal's inbox-index entry if it is for `request_id`; return whether it was.

        Called by the graph itself once a request is decided and nothing of it is left to run
        (the executor, or `record_decisions` when every action was rejected), so plain
        `graph.invoke` leaves no stale entry. An entry for a newer request on the same deal
        stays. Idempotent.
        """
        with self._transaction("clear_request") as conn:
            return _clear_indexed(conn, deal_id, request_id)

    def acquire_lease(self, deal_id: str, holder: str, *, ttl_s: float) -> str | None:
        """Take the deal's lease for `holder`; return None, or the current holder's name.

        A lease past its expiry, or held by a process of this host that no longer runs (a
        crash, SIGKILL), is taken over.
        """
        operation = "acquire_lease"
        now = time.time()
        try:
            with self._transaction(operation) as conn:
                row = conn.execute(
                    "SELECT holder, expires_at FROM deal_leases WHERE deal_id = ?", (deal_id,)
                ).fetchone()
                if row is not None and row["holder"] != holder:
                    if row["expires_at"] > now and holder_alive(row["holder"]):
                        return str(row["holder"])
                conn.execute(
                    "INSERT OR REPLACE INTO deal_leases (deal_id, holder, acquired_at, expires_at)"
                    " VALUES (?, ?, ?, ?)",
                    (deal_id, holder, iso(self._clock()), now + ttl_s),
                )
                return None
        except TransientAdapterError:
            return "(database busy)"
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return "(database busy)"
            raise PermanentAdapterError(
                f"cannot take the lease: {exc}", adapter=ADAPTER, operation=operation
            ) from exc

    def release_lease(self, deal_id: str, holder: str) -> None:
        """Give the deal's lease back, when `holder` holds it."""
        with self._lock:
            self._conn.execute(
                "DELETE FROM deal_leases WHERE deal_id = ? AND holder = ?", (deal_id, holder)
            )

    def lease_held(self, deal_id: str, holder: str) -> bool:
        """Return whether `holder` still holds the deal's lease (not released, not taken over).

        A lease past its `ttl_s` that another writer has taken over is lost; one past its
        `ttl_s` that nobody took is still its holder's (`leases.check_lease` asks).
        """
        rows = self._query("SELECT holder FROM deal_leases WHERE deal_id = ?", (deal_id,))
        return bool(rows) and rows[0]["holder"] == holder

    # -- seeding --------------------------------------------------------------------------

    def seed(
        self,
        sample_crm_json_path: str | Path | None = None,
        closed_deals_csv_path: str | Path | None = None,
    ) -> dict[str, int]:
        """Load the sample CRM and the closed-deal history, if the database is empty.

        Both files default to the bundled ones (`sales_operator/data/sample_crm.json`,
        `sales_operator/data/closed_deals.csv`); a bundled file that is missing is skipped.
        Everything is loaded in one transaction: on any error nothing is stored.

        Args:
            sample_crm_json_path: A file in the `SampleCRM` format.
            closed_deals_csv_path: A CSV with the columns of `CLOSED_DEAL_COLUMNS`; each row
                becomes an account, a contact, a lead and a closed deal.

        Returns:
            Counts of what was loaded (`reps`, `accounts`, `deals`, `closed_deals`, ...);
            all zero when the database already held data.

        Raises:
            DataError: for a missing or malformed file, naming the file, line and column.
        """
        counts = {
            "reps": 0,
            "accounts": 0,
            "contacts": 0,
            "leads": 0,
            "deals": 0,
            "activities": 0,
            "notes": 0,
            "tasks": 0,
            "closed_deals": 0,
        }
        if not self.is_empty():
            return counts
        sample_name, sample_text = _read_source(sample_crm_json_path, "sample_crm.json")
        csv_name, csv_text = _read_source(closed_deals_csv_path, "closed_deals.csv")
        sample = _parse_sample(sample_name, sample_text) if sample_text is not None else None
        csv_rows = _parse_closed_deals(csv_name, csv_text) if csv_text is not None else []
        if sample is not None:
            sample_ids = {deal.id for deal in sample.deals}
            for row in csv_rows:
                if row.deal_id in sample_ids:
                    raise DataError(
                        f"{csv_name}, line {row.line}, column deal_id: deal id {row.deal_id!r} "
                        f"is already used by {sample_name}"
                    )
        try:
            with self._transaction("seed") as conn:
                if not self.is_empty():  # another process seeded in the meantime
                    return counts
                if sample is not None:
                    _load_sample(conn, sample, counts, self._clock)
                _load_closed_deals(conn, csv_rows, counts)
                _rebuild_counters(conn)
        except sqlite3.IntegrityError as exc:
            raise DataError(
                f"the seed data in {sample_name} and {csv_name} is inconsistent: {exc}"
            ) from exc
        counts["closed_deals"] = len(csv_rows)
        logger.info("seeded the CRM at %s: %s", self.path, counts)
        return counts


# ---------------------------------------------------------------------------------------------
# Row conversions and write helpers
# ---------------------------------------------------------------------------------------------


def _decoded(row: sqlite3.Row, column: str) -> dict[str, Any]:
    """Return the row as a dict with its JSON `column` decoded."""
    return {**dict(row), column: json.loads(row[column]) if row[column] else {}}


def _deal(row: sqlite3.Row) -> Deal:
    return deal_model(_decoded(row, "fields"))


def _receipt(row: sqlite3.Row) -> Receipt:
    return Receipt(
        action_id=row["action_id"],
        idempotency_key=row["idempotency_key"],
        kind=row["kind"],
        status=row["status"],
        result=json.loads(row["result"]),
        executed_at=parse_datetime(row["executed_at"]),
    )


def _clear_indexed(conn: Any, deal_id: str, request_id: str) -> bool:
    """Delete the inbox-index entry of `request_id` on `deal_id` inside the open transaction."""
    cursor = conn.execute(
        "DELETE FROM pending_requests WHERE deal_id = ? AND request_id = ?", (deal_id, request_id)
    )
    return bool(cursor.rowcount > 0)


def _insert_audit(conn: sqlite3.Connection, deal_id: str, entry: AuditEntry) -> None:
    conn.execute(
        "INSERT INTO audit (deal_id, at, actor, action_id, kind, decision, entry)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            deal_id,
            iso(entry.at),
            entry.actor,
            entry.action_id,
            entry.kind,
            entry.decision,
            entry.model_dump_json(),
        ),
    )


def _inserted(cursor: sqlite3.Cursor) -> int:
    """Return the id of the row the cursor just inserted."""
    if cursor.lastrowid is None:  # pragma: no cover - an INSERT always sets it
        raise AssertionError("no row was inserted")
    return cursor.lastrowid


def _insert_deal(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
    """Insert a deal row built by `new_deal_row` (and count it in its owner's open deals)."""
    conn.execute(
        f"INSERT INTO deals ({', '.join(DEAL_ROW_COLUMNS)})"
        f" VALUES ({', '.join(':' + column for column in DEAL_ROW_COLUMNS)})",
        {**values, "fields": dumps(values["fields"])},
    )
    if _lost_at({k: values.get(k) for k in _LOST_AT_INPUTS}) is not None:
        _set_lost_at(conn, str(values["id"]))
    if _is_open(values.get("stage")):
        _bump_open(conn, values.get("owner_id"), 1)


def _update_deal(conn: sqlite3.Connection, deal_id: str, values: dict[str, Any]) -> None:
    """Set the given deal columns (`fields`, when given, as a dict).

    A changed owner or stage moves the deal between the owners' open-deal counters in the
    same transaction (`rep_counters`).
    """
    before = None
    if "owner_id" in values or "stage" in values:
        before = conn.execute(
            "SELECT owner_id, stage FROM deals WHERE id = ?", (deal_id,)
        ).fetchone()
    if "fields" in values:
        values = {**values, "fields": dumps(values["fields"])}
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    conn.execute(
        f"UPDATE deals SET {assignments} WHERE id = :deal_id", {**values, "deal_id": deal_id}
    )
    if any(column in values for column in _LOST_AT_INPUTS):
        _set_lost_at(conn, deal_id)
    if before is not None:
        old_owner, old_open = before["owner_id"], _is_open(before["stage"])
        new_owner = values.get("owner_id", old_owner)
        new_open = _is_open(values.get("stage", before["stage"]))
        if (old_owner, old_open) != (new_owner, new_open):
            if old_open:
                _bump_open(conn, old_owner, -1)
            if new_open:
                _bump_open(conn, new_owner, 1)


def _is_open(stage: Any) -> bool:
    return stage is not None and not str(stage).startswith("closed_")


def _ensure_counter(conn: sqlite3.Connection, rep_id: str) -> None:
    conn.execute(
        "INSERT INTO rep_counters (rep_id, open_deals, assigned_total) VALUES (?, 0, 0)"
        " ON CONFLICT (rep_id) DO NOTHING",
        (rep_id,),
    )


def _bump_open(conn: sqlite3.Connection, owner_id: Any, delta: int) -> None:
    """Add `delta` to the owner's open-deal counter (created at 0 when missing)."""
    if not owner_id:
        return
    _ensure_counter(conn, str(owner_id))
    conn.execute(
        "UPDATE rep_counters SET open_deals = open_deals + ? WHERE rep_id = ?",
        (delta, str(owner_id)),
    )


def _record_assignment(conn: sqlite3.Connection, deal_id: str, rep_id: str, at: str) -> None:
    """Log one owner assignment and advance the rep's round-robin counter."""
    cursor = conn.execute(
        "INSERT INTO assignments (deal_id, rep_id, at) VALUES (?, ?, ?)", (deal_id, rep_id, at)
    )
    _ensure_counter(conn, rep_id)
    conn.execute(
        "UPDATE rep_counters SET assigned_total = assigned_total + 1, last_assignment = ?"
        " WHERE rep_id = ?",
        (_inserted(cursor), rep_id),
    )


def _rebuild_counters(conn: sqlite3.Connection) -> None:
    """Recount every owner's open deals and assignments from the tables (repair, migration)."""
    conn.execute("DELETE FROM rep_counters")
    conn.execute(
        "INSERT INTO rep_counters (rep_id, open_deals, assigned_total) SELECT id, 0, 0 FROM reps"
    )
    for row in conn.execute(
        "SELECT owner_id, COUNT(*) AS n FROM deals WHERE owner_id IS NOT NULL "
        "AND stage NOT LIKE 'closed\\_%' ESCAPE '\\' GROUP BY owner_id"
    ).fetchall():
        _bump_open(conn, row["owner_id"], int(row["n"]))
    for row in conn.execute(
        "SELECT rep_id, COUNT(*) AS n, MAX(id) AS last FROM assignments GROUP BY rep_id"
    ).fetchall():
        _ensure_counter(conn, row["rep_id"])
        conn.execute(
            "UPDATE rep_counters SET assigned_total = ?, last_assignment = ? WHERE rep_id = ?",
            (int(row["n"]), int(row["last"]), row["rep_id"]),
        )


def _backfill_assignments(conn: sqlite3.Connection) -> int:
    """Fill an empty `assignments` log from the audit's executed `assign_owner` entries."""
    count = 0
    for row in conn.execute(
        "SELECT deal_id, at, entry FROM audit WHERE kind = 'assign_owner' "
        "AND decision = 'executed' ORDER BY id"
    ).fetchall():
        entry = AuditEntry.model_validate_json(row["entry"])
        rep_id = {**entry.original_args, **(entry.edited_args or {})}.get("rep_id")
        if isinstance(rep_id, str):
            conn.execute(
                "INSERT INTO assignments (deal_id, rep_id, at) VALUES (?, ?, ?)",
                (row["deal_id"], rep_id, row["at"]),
            )
            count += 1
    return count


def _record_stage(
    conn: sqlite3.Connection, deal_id: str, from_stage: str | None, to_stage: str, at: str
) -> None:
    conn.execute(
        "INSERT INTO stage_history (deal_id, from_stage, to_stage, at) VALUES (?, ?, ?, ?)",
        (deal_id, from_stage, to_stage, at),
    )


def _set_stage(
    conn: sqlite3.Connection, deal_id: str, from_stage: str | None, to_stage: str, at: str
) -> None:
    _update_deal(conn, deal_id, stage_values(to_stage, at))
    _record_stage(conn, deal_id, from_stage, to_stage, at)


def _upsert_account(conn: sqlite3.Connection, account: Account, segment: str | None = None) -> None:
    conn.execute(
        """
        INSERT INTO accounts (id, name, domain, industry, employees, territory, country, segment)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET
            name = excluded.name,
            domain = COALESCE(excluded.domain, accounts.domain),
            industry = COALESCE(excluded.industry, accounts.industry),
            employees = COALESCE(excluded.employees, accounts.employees),
            territory = COALESCE(excluded.territory, accounts.territory),
            country = COALESCE(excluded.country, accounts.country),
            segment = COALESCE(excluded.segment, accounts.segment)
        """,
        (
            account.id,
            account.name,
            account.domain,
            account.industry,
            account.employees,
            account.territory,
            account.country,
            segment or segment_from_employees(account.employees),
        ),
    )


_ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (("contacts", "timezone", "TEXT"),)
"""Columns added after schema version 1 shipped; older files get them on open."""


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, column, kind in _ADDED_COLUMNS:
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _has_lost_at(conn: sqlite3.Connection) -> bool:
    return "lost_at" in {row[1] for row in conn.execute("PRAGMA table_info(deals)")}


_LOST_AT_INPUTS = ("stage", "outcome", "fields", "closed_at", "close_date", "created_at")
"""The deal columns `lost_at` is computed from."""


def _lost_at(row: Any) -> str | None:
    """Return when a lost deal with a loss reason was lost (its sort key), else None.

    `row` maps `_LOST_AT_INPUTS` to the deal's columns (`fields` as a dict or its JSON).
    """
    if not (row["outcome"] == "lost" or row["stage"] == "closed_lost"):
        return None
    fields = row["fields"]
    if isinstance(fields, str):
        try:
            fields = json.loads(fields or "{}")
        except ValueError:  # a damaged row of an older file: no reason to read
            return None
    if not isinstance(fields, dict) or loss_reason(fields) is None:
        return None
    when = row["closed_at"] or row["close_date"] or row["created_at"]
    return str(when) if when else None


def _set_lost_at(conn: sqlite3.Connection, deal_id: str) -> None:
    """Recompute the deal's `lost_at` from its stored columns."""
    row = conn.execute(
        f"SELECT {', '.join(_LOST_AT_INPUTS)}, lost_at FROM deals WHERE id = ?", (deal_id,)
    ).fetchone()
    if row is not None and _lost_at(row) != row["lost_at"]:
        conn.execute("UPDATE deals SET lost_at = ? WHERE id = ?", (_lost_at(row), deal_id))


def _backfill_lost_at(conn: sqlite3.Connection) -> None:
    """Fill `lost_at` for the lost deals of a file written before the column existed."""
    rows = conn.execute(
        f"SELECT id, {', '.join(_LOST_AT_INPUTS)} FROM deals"
        " WHERE outcome = 'lost' OR stage = 'closed_lost'"
    ).fetchall()
    for row in rows:
        when = _lost_at(row)
        if when is not None:
            conn.execute("UPDATE deals SET lost_at = ? WHERE id = ?", (when, row["id"]))


def _upsert_contact(
    conn: sqlite3.Connection,
    contact: Contact,
    account_id: str | None,
    seniority: str | None = None,
) -> None:
    conn.execute(
        """
        INSERT INTO contacts (id, account_id, name, email, title, role, seniority, timezone)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET
            timezone = COALESCE(excluded.timezone, contacts.timezone),
            account_id = COALESCE(excluded.account_id, contacts.account_id),
            name = excluded.name,
            email = COALESCE(excluded.email, contacts.email),
            title = COALESCE(excluded.title, contacts.title),
            role = COALESCE(excluded.role, contacts.role),
            seniority = CASE WHEN excluded.title IS NOT NULL THEN excluded.seniority
                             ELSE contacts.seniority END
        """,
        (
            contact.id,
            account_id,
            contact.name,
            contact.email,
            contact.title,
            contact.role,
            seniority or (seniority_from_title(contact.title) if contact.title else None),
            contact.timezone,
        ),
    )


def _upsert_lead(conn: sqlite3.Connection, lead: Lead) -> None:
    conn.execute(
        """
        INSERT INTO leads (id, contact_id, source, created_at, signals) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET
            contact_id = excluded.contact_id,
            source = excluded.source,
            created_at = excluded.created_at,
            signals = excluded.signals
        """,
        (lead.id, lead.contact_id, lead.source, iso(lead.created_at), dumps(lead.signals)),
    )


# ---------------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------------


def moment_text(value: datetime | date) -> str:
    """Return a stored close time: a datetime in canonical UTC ISO form, a date as YYYY-MM-DD."""
    return iso(value) if isinstance(value, datetime) else value.isoformat()


def _bundled(name: str) -> Traversable:
    return resources.files("sales_operator").joinpath("data").joinpath(name)


def _read_source(path: str | Path | None, bundled_name: str) -> tuple[str, str | None]:
    """Return (display name, text) of a given file, or of the bundled one (None if absent)."""
    if path is not None:
        file = Path(path)
        try:
            return str(file), file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise DataError(f"cannot read {file}: {exc}") from exc
    bundled = _bundled(bundled_name)
    if not bundled.is_file():
        logger.warning("the bundled %s is missing; seeding without it", bundled_name)
        return f"sales_operator/data/{bundled_name}", None
    return f"sales_operator/data/{bundled_name}", bundled.read_text(encoding="utf-8-sig")


def _parse_sample(name: str, text: str) -> SampleCRM:
    try:
        return SampleCRM.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()[:5]
        )
        raise DataError(f"{name} is malformed: {problems}") from exc


def _load_sample(
    conn: sqlite3.Connection,
    sample: SampleCRM,
    counts: dict[str, int],
    clock: Callable[[], datetime],
) -> None:
    for rep in sample.reps:
        conn.execute(
            "INSERT INTO reps (id, name, email, role, territory, data) VALUES (?, ?, ?, ?, ?, ?)",
            (rep.id, rep.name, rep.email, rep.role, rep.territory, rep.model_dump_json()),
        )
    for account in sample.accounts:
        _upsert_account(conn, Account(**account.model_dump(exclude={"segment"})), account.segment)
    for contact in sample.contacts:
        _upsert_contact(
            conn,
            Contact(**contact.model_dump(exclude={"account_id", "seniority"})),
            contact.account_id,
            contact.seniority,
        )
    for lead in sample.leads:
        _upsert_lead(conn, lead)
    leads = {lead.id: lead for lead in sample.leads}
    account_of: dict[str, str | None] = {}
    for deal in sample.deals:
        deal_lead = leads.get(deal.lead_id) if deal.lead_id else None
        created = deal.created_at or (deal_lead.created_at if deal_lead else clock())
        closed_at: str | None = None
        if deal.closed_at is not None:
            closed_at = moment_text(deal.closed_at)
        elif deal.stage.startswith("closed_") and deal.close_date:
            closed_at = deal.close_date.isoformat()
        values = new_deal_row(
            deal,
            account_id=deal.account_id,
            lead_id=deal.lead_id,
            created_at=iso(created),
            closed_at=closed_at,
            updated_at=iso(created),
        )
        _insert_deal(conn, values)
        account_of[deal.id] = deal.account_id
    for change in sample.stage_history:
        _record_stage(conn, change.deal_id, change.from_stage, change.to_stage, iso(change.at))
    for activity in sample.activities:
        conn.execute(
            "INSERT INTO activities (account_id, deal_id, at, kind, direction, summary)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                activity.account_id or account_of.get(activity.deal_id or ""),
                activity.deal_id,
                iso(activity.at),
                activity.kind,
                activity.direction,
                activity.summary,
            ),
        )
    for note in sample.notes:
        conn.execute(
            "INSERT INTO notes (deal_id, account_id, text, created_at) VALUES (?, ?, ?, ?)",
            (
                note.deal_id,
                note.account_id or account_of.get(note.deal_id or ""),
                note.text,
                iso(note.at),
            ),
        )
    for task in sample.tasks:
        conn.execute(
            "INSERT INTO tasks (deal_id, account_id, title, owner_id, due, notes, status,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                task.deal_id,
                task.account_id or account_of.get(task.deal_id or ""),
                task.title,
                task.owner_id,
                task.due.isoformat() if task.due else None,
                task.notes,
                task.status,
                iso(task.at),
            ),
        )
    for key, items in (
        ("reps", sample.reps),
        ("accounts", sample.accounts),
        ("contacts", sample.contacts),
        ("leads", sample.leads),
        ("deals", sample.deals),
        ("activities", sample.activities),
        ("notes", sample.notes),
        ("tasks", sample.tasks),
    ):
        counts[key] += len(items)


def _parse_closed_deals(name: str, text: str) -> list[_CsvDeal]:
    """Parse and validate every row of a closed-deals CSV before anything is stored."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [column for column in CLOSED_DEAL_COLUMNS if column not in header]
    if missing:
        raise DataError(f"{name}, line 1: missing column(s) {', '.join(missing)}")
    rows: list[_CsvDeal] = []
    seen: dict[str, int] = {}
    for raw in reader:
        row = _parse_csv_row(name, reader.line_num, raw)
        if row.deal_id in seen:
            raise DataError(
                f"{name}, line {row.line}, column deal_id: duplicate deal id {row.deal_id!r} "
                f"(first on line {seen[row.deal_id]})"
            )
        seen[row.deal_id] = row.line
        rows.append(row)
    return rows


def _parse_csv_row(name: str, line: int, raw: dict[str | Any, str | Any]) -> _CsvDeal:
    """Validate one CSV row; a DataError names the file, the line and the column."""
    if None in raw:
        raise DataError(f"{name}, line {line}: the row has more fields than the header")

    def text_of(col: str) -> str | None:
        value = raw.get(col)
        if value is None:
            return None
        value = str(value).strip()
        return value or None

    column = "deal_id"
    try:
        deal_id = text_of("deal_id")
        if deal_id is None:
            raise ValueError("the deal id is empty")
        column = "account_name"
        account_name = text_of("account_name")
        if account_name is None:
            raise ValueError("the account name is empty")
        column = "employees"
        employees_text = text_of("employees")
        employees = None
        if employees_text is not None:
            number = _as_number(employees_text)
            if number != int(number) or number < 0:
                raise ValueError(f"expected a non-negative whole number, got {employees_text!r}")
            employees = int(number)
        signals: dict[str, float | int | str | bool] = {}
        for column in SIGNAL_COLUMNS:
            value = text_of(column)
            if value is None:
                continue
            if column in BOOL_SIGNALS:
                signals[column] = bool(as_bool_int(value))
                continue
            number = _as_number(value)
            if number < 0:
                raise ValueError(f"expected a non-negative number, got {value!r}")
            if column in INT_SIGNALS:
                if number != int(number):
                    raise ValueError(f"expected a whole number, got {value!r}")
                number = int(number)
            signals[column] = number
        column = "created_at"
        created_text = text_of("created_at")
        if created_text is None:
            raise ValueError("the creation time is empty")
        created_at = _normalise_timestamp(created_text)
        column = "closed_at"
        closed_text = text_of("closed_at")
        if closed_text is None:
            raise ValueError("the close time is empty")
        closed_at = _normalise_timestamp(closed_text)
        column = "outcome"
        outcome = (text_of("outcome") or "").lower()
        if outcome not in {"won", "lost"}:
            raise ValueError(f"expected 'won' or 'lost', got {raw.get('outcome')!r}")
        column = "amount"
        amount_text = text_of("amount")
        amount = None if amount_text is None else float(_as_number(amount_text))
        if amount is not None and amount < 0:
            raise ValueError(f"expected a non-negative amount, got {amount_text!r}")
        column = "seniority"
        title = text_of("contact_title")
        seniority = text_of("seniority") or seniority_from_title(title)
        if seniority not in {"c_level", "vp", "director", "manager", "ic"}:
            raise ValueError(f"expected c_level, vp, director, manager or ic, got {seniority!r}")
        column = "segment"
        segment = text_of("segment") or segment_from_employees(employees)
    except ValueError as exc:
        raise DataError(f"{name}, line {line}, column {column}: {exc}") from exc
    return _CsvDeal(
        line=line,
        deal_id=deal_id,
        account_name=account_name,
        industry=text_of("industry"),
        employees=employees,
        territory=text_of("territory"),
        segment=segment,
        lead_source=text_of("lead_source") or "unknown",
        contact_title=title,
        seniority=seniority,
        signals=signals,
        created_at=created_at,
        closed_at=closed_at,
        outcome="won" if outcome == "won" else "lost",
        amount=amount,
    )


def _load_closed_deals(
    conn: sqlite3.Connection, rows: list[_CsvDeal], counts: dict[str, int]
) -> None:
    """Insert each CSV row as an account, a contact, a lead and a closed deal."""
    if not rows:
        return
    conn.executemany(
        "INSERT INTO accounts (id, name, industry, employees, territory, segment)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (f"A-{r.deal_id}", r.account_name, r.industry, r.employees, r.territory, r.segment)
            for r in rows
        ],
    )
    conn.executemany(
        "INSERT INTO contacts (id, account_id, name, title, seniority) VALUES (?, ?, ?, ?, ?)",
        [
            (
                f"C-{r.deal_id}",
                f"A-{r.deal_id}",
                f"{r.contact_title or 'Contact'} at {r.account_name}",
                r.contact_title,
                r.seniority,
            )
            for r in rows
        ],
    )
    conn.executemany(
        "INSERT INTO leads (id, contact_id, source, created_at, signals) VALUES (?, ?, ?, ?, ?)",
        [
            (
                f"L-{r.deal_id}",
                f"C-{r.deal_id}",
                r.lead_source,
                iso(parse_datetime(r.created_at)),
                dumps(r.signals),
            )
            for r in rows
        ],
    )
    conn.executemany(
        "INSERT INTO deals (id, account_id, lead_id, name, stage, amount, close_date, owner_id,"
        " outcome, fields, created_at, closed_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, '{}', ?, ?, ?)",
        [
            (
                r.deal_id,
                f"A-{r.deal_id}",
                f"L-{r.deal_id}",
                f"{r.account_name} - {r.deal_id}",
                f"closed_{r.outcome}",
                r.amount,
                r.closed_at[:10],
                r.outcome,
                r.created_at,
                r.closed_at,
                r.closed_at,
            )
            for r in rows
        ],
    )
    counts["accounts"] += len(rows)
    counts["contacts"] += len(rows)
    counts["leads"] += len(rows)
    counts["deals"] += len(rows)

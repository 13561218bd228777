"""The CRM, audit log and receipts on PostgreSQL: `SQLiteCRM`'s code and SQL, many workers.

`PostgresCRM` is `SQLiteCRM` on a `PostgresConnection` (`sql_dialect`): the same tables, the
same statements, the same idempotency ledger, so SQL added to the SQLite CRM runs here too.
Write transactions are serialised by one transaction-scoped advisory lock, as SQLite's
`BEGIN IMMEDIATE` serialises them; reads run concurrently.

The per-deal lease is a PostgreSQL session advisory lock (`pg_try_advisory_lock` on a 64-bit
hash of the deal id) held by a connection of this CRM for as long as the worker runs the
deal: when the worker dies, its connection closes and PostgreSQL releases the lock, so no
lease ever outlives its holder and there is no expiry to tune. Within one process, a map of
held deals keeps two threads off the same deal (advisory locks are re-entrant per session).

Needs the `postgres` extra (`pip install "sales-operator[postgres]"`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sales_operator.adapters.sql_dialect import PostgresConnection, redact, schema_lock
from sales_operator.adapters.sqlite_crm import SQLiteCRM
from sales_operator.errors import ConfigurationError

ADAPTER = "postgres_crm"
"""Adapter name used in errors raised here."""


def deal_lock_key(deal_id: str) -> int:
    """Return the signed 64-bit advisory lock key of `deal_id` (BLAKE2b of its UTF-8 bytes)."""
    digest = hashlib.blake2b(deal_id.encode("utf-8"), digest_size=8, person=b"so-lease").digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresCRM(SQLiteCRM):
    """Implement `CRMReader`, `CRM` and `DealLeases` on a PostgreSQL database.

    Args:
        dsn: A libpq connection string or URL (`postgresql://user:pass@host:5432/db`); add
            `options=-csearch_path=<schema>` to keep the tables in a schema of their own.
        clock: Returns "now" for records the CRM timestamps itself.
        timeout: Seconds to wait for a lock (and to connect) before a retryable error.
        **options: Any other option of `SQLiteCRM`'s constructor.

    Raises:
        ConfigurationError: when psycopg is missing or the database cannot be reached.
    """

    def __init__(
        self,
        dsn: str,
        *,
        clock: Callable[[], datetime] | None = None,
        timeout: float = 10.0,
        **options: Any,
    ) -> None:
        self.dsn = dsn
        """The connection string (the password is kept out of `path` and errors)."""
        self._timeout = timeout
        self._lease_conn: PostgresConnection | None = None
        self._held: dict[str, str] = {}
        self._lease_lock = threading.Lock()
        super().__init__(redact(dsn), clock=clock, timeout=timeout, **options)

    def _open(self, timeout: float) -> Any:
        return _connect(self.dsn, timeout)

    def _create_schema(self) -> None:
        # CREATE ... IF NOT EXISTS races between sessions on PostgreSQL: one at a time
        with self._lock, schema_lock(self._conn.raw):
            super()._create_schema()

    @classmethod
    def open_seeded(cls, path: Any, **kwargs: Any) -> PostgresCRM:
        """Open the CRM at the DSN `path` and seed it with the bundled data if empty."""
        crm = cls(str(path), **kwargs)
        crm.seed()
        return crm

    def close(self) -> None:
        """Close the connections (releasing every lease this CRM holds)."""
        with self._lease_lock:
            if self._lease_conn is not None:
                self._lease_conn.close()
                self._lease_conn = None
            self._held.clear()
        super().close()

    def __enter__(self) -> PostgresCRM:
        return self

    # -- the per-deal lease: a session advisory lock ------------------------------------------

    def acquire_lease(self, deal_id: str, holder: str, *, ttl_s: float) -> str | None:
        """Take the deal's advisory lock for `holder`; return None, or who holds it.

        `ttl_s` is not needed: the lock ends with the holder's connection.
        """
        with self._lease_lock:
            current = self._held.get(deal_id)
            if current is not None:
                return None if current == holder else current
            conn = self._leases()
            try:
                row = conn.raw.execute(
                    "SELECT pg_try_advisory_lock(%s)", (deal_lock_key(deal_id),)
                ).fetchone()
            except _psycopg_error():  # the session ended since the last check: a new one
                self._drop_leases()
                conn = self._leases()
                row = conn.raw.execute(
                    "SELECT pg_try_advisory_lock(%s)", (deal_lock_key(deal_id),)
                ).fetchone()
            if not row or not row[0]:
                return self._other_holder(conn, deal_id)
            self._held[deal_id] = holder
            return None

    def release_lease(self, deal_id: str, holder: str) -> None:
        """Release the deal's advisory lock, when `holder` holds it."""
        with self._lease_lock:
            if self._held.get(deal_id) != holder:
                return
            del self._held[deal_id]
            if self._lease_conn is not None:
                try:
                    self._lease_conn.raw.execute(
                        "SELECT pg_advisory_unlock(%s)", (deal_lock_key(deal_id),)
                    )
                except _psycopg_error():
                    self._drop_leases()  # the session is gone, and its locks with it

    def lease_held(self, deal_id: str, holder: str) -> bool:
        """Return whether `holder` still holds the deal's advisory lock, asking the server.

        The lock lives as long as the lease connection's session: if the session ended (a
        server restart, a failover, an idle timeout, `pg_terminate_backend`), PostgreSQL
        released it and another worker may hold it now. Then this returns False, and the dead
        connection is dropped with every lease it held, so the next `acquire_lease` opens a
        new one.
        """
        with self._lease_lock:
            if self._held.get(deal_id) != holder or self._lease_conn is None:
                return False
            classid, objid = _lock_ids(deal_lock_key(deal_id))
            try:
                row = self._lease_conn.raw.execute(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                    " AND pid = pg_backend_pid() AND granted AND objsubid = 1"
                    " AND classid = %s::oid AND objid = %s::oid)",
                    (classid, objid),
                ).fetchone()
            except _psycopg_error():
                self._drop_leases()
                return False
            if not row or not row[0]:
                del self._held[deal_id]
                return False
            return True

    def _leases(self) -> PostgresConnection:
        if self._lease_conn is not None and self._lease_conn.raw.broken:
            self._drop_leases()  # a dropped session holds no lock: start again
        if self._lease_conn is None:
            self._lease_conn = _connect(self.dsn, self._timeout)
        return self._lease_conn

    def _drop_leases(self) -> None:
        """Forget a lease connection whose session ended, and the leases it held."""
        if self._lease_conn is not None:
            try:
                self._lease_conn.close()
            except _psycopg_error():
                pass
        self._lease_conn = None
        self._held.clear()

    @staticmethod
    def _other_holder(conn: PostgresConnection, deal_id: str) -> str:
        row = conn.raw.execute(
            "SELECT a.pid, a.client_addr, a.application_name FROM pg_locks l"
            " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
            " AND l.granted AND l.objsubid = 1 AND l.classid = %s::oid AND l.objid = %s::oid",
            _lock_ids(deal_lock_key(deal_id)),
        ).fetchone()
        if row is None:
            return "another PostgreSQL session"
        return f"PostgreSQL session pid {row[0]} ({row[1] or 'local'})"


def _lock_ids(key: int) -> tuple[int, int]:
    """Return `pg_locks`' `(classid, objid)` of a one-key (bigint) advisory lock."""
    return (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF


def _psycopg_error() -> type[Exception]:
    """Return `psycopg.Error` (the driver is imported only when a PostgresCRM exists)."""
    import psycopg

    error: type[Exception] = psycopg.Error
    return error


def _connect(dsn: str, timeout: float) -> PostgresConnection:
    try:
        return PostgresConnection(dsn, timeout=timeout)
    except ImportError as exc:
        raise ConfigurationError(
            'PostgresCRM needs psycopg: pip install "sales-operator[postgres]"'
        ) from exc
    except Exception as exc:
        raise ConfigurationError(f"cannot open the CRM database {redact(dsn)}: {exc}") from exc

"""PostgreSQL for many workers: the checkpointer and the database URL setting.

`Deps.postgres(database_url, workdir)` (or `SALES_OPERATOR_DATABASE_URL` with
`Deps.from_env` / `Deps.from_workspace`) keeps the CRM, the audit log, the receipts and the
per-deal leases in `PostgresCRM` and the checkpoints in LangGraph's `PostgresSaver`, with
the state's models registered with its serializer as for the SQLite saver (`serde.py`).
Needs the `postgres` extra.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sales_operator.errors import ConfigurationError

DATABASE_URL_ENV = "SALES_OPERATOR_DATABASE_URL"
"""The environment variable that selects PostgreSQL (a libpq URL or connection string)."""


_NEEDS_EXTRA = (
    'the PostgreSQL checkpointer needs the postgres extra: pip install "sales-operator[postgres]"'
)


def database_url_from_env() -> str | None:
    """Return `SALES_OPERATOR_DATABASE_URL`, or None when unset or empty."""
    value = os.environ.get(DATABASE_URL_ENV, "").strip()
    return value or None


def postgres_checkpointer(database_url: str) -> Any:
    """Return LangGraph's `PostgresSaver` on `database_url`, set up, with our serializer.

    The saver owns one autocommit connection (it serialises its own use of it across
    LangGraph's worker threads). Creating its tables is done under an advisory lock, so
    many workers may start at once.

    Raises:
        ConfigurationError: when the `postgres` extra is missing or the server is unreachable.
    """
    from sales_operator.adapters.sql_dialect import redact, schema_lock

    try:
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
    except ImportError as exc:
        raise ConfigurationError(_NEEDS_EXTRA) from exc
    from sales_operator.serde import make_serializer

    try:
        conn = psycopg.connect(
            database_url, autocommit=True, prepare_threshold=0, row_factory=dict_row
        )
    except psycopg.Error as exc:
        raise ConfigurationError(
            f"cannot open the checkpoint database {redact(database_url)}: {exc}"
        ) from exc
    saver = PostgresSaver(conn, serde=make_serializer())
    with schema_lock(conn):
        saver.setup()
    return saver


@asynccontextmanager
async def async_postgres_checkpointer(database_url: str | None = None) -> AsyncIterator[Any]:
    """Yield LangGraph's `AsyncPostgresSaver` on `database_url`, set up, with our serializer.

    For `ainvoke`/`astream` and for the LangGraph server (`graphs/checkpointer.py`, named by
    `langgraph.postgres.json` under `checkpointer.path`); the connection closes on exit.

    Args:
        database_url: The database; default `SALES_OPERATOR_DATABASE_URL`.

    Raises:
        ConfigurationError: when no URL is given or set, or the `postgres` extra is missing.
    """
    url = database_url or database_url_from_env()
    if not url:
        raise ConfigurationError(
            f"no PostgreSQL database: pass database_url or set {DATABASE_URL_ENV}"
        )
    try:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg import AsyncConnection
        from psycopg.rows import dict_row, tuple_row
    except ImportError as exc:
        raise ConfigurationError(_NEEDS_EXTRA) from exc
    from sales_operator.adapters.sql_dialect import SCHEMA_LOCK_KEY
    from sales_operator.serde import make_serializer

    conn = await AsyncConnection.connect(
        url, autocommit=True, prepare_threshold=0, row_factory=dict_row
    )
    async with conn:
        saver = AsyncPostgresSaver(conn, serde=make_serializer())
        while True:  # polled, as `schema_lock`: the migrations create indexes concurrently
            async with conn.cursor(row_factory=tuple_row) as cur:
                await cur.execute("SELECT pg_try_advisory_lock(%s, %s)", SCHEMA_LOCK_KEY)
                row = await cur.fetchone()
            if row and row[0]:
                break
            await asyncio.sleep(0.05)
        try:
            await saver.setup()
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s, %s)", SCHEMA_LOCK_KEY)
        yield saver

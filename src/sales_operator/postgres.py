"""PostgreSQL for many workers: the checkpointer and the database URL setting.

`Deps.postgres(database_url, workdir)` (or `SALES_OPERATOR_DATABASE_URL` with
`Deps.from_env` / `Deps.from_workspace`) keeps the CRM, the audit log, the receipts and the
per-deal leases in `PostgresCRM` and the checkpoints in LangGraph's `PostgresSaver`, with
the state's models registered with its serializer as for the SQLite saver (`serde.py`).
Needs the `postgres` extra.
"""

from __future__ import annotations

import os
from typing import Any

from sales_operator.errors import ConfigurationError

DATABASE_URL_ENV = "SALES_OPERATOR_DATABASE_URL"
"""The environment variable that selects PostgreSQL (a libpq URL or connection string)."""


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
        raise ConfigurationError(
            'the PostgreSQL checkpointer needs the postgres extra: pip install "sales-operator[postgres]"'
        ) from exc
    from sales_operator.serde import make_serializer

    try:
        conn = psycopg.connect(
            database_url, autocommit=True, prepare_threshold=0, row_factory=dict_row
        )
    except psycopg.Error as exc:
        raise ConfigurationError(
            f"cannot open the checkpoint database {redact(database_url)}: {exc}"
        ) from exc
    saver = PostgresSaver(conn, serde=make_serializer())  # type: ignore[arg-type]
    with schema_lock(conn):
        saver.setup()
    return saver

"""LangGraph server entry point: the operator's checkpoints in PostgreSQL.

`langgraph.postgres.json` names this under `checkpointer.path`, so the server keeps the
checkpoints in the database of `SALES_OPERATOR_DATABASE_URL` (the same one as the CRM, the
audit log and the per-deal leases; see docs/deploy.md) instead of its own store. The saver
uses our serializer, so the state's models round-trip.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sales_operator.postgres import async_postgres_checkpointer
from sales_operator.serde import register_models_with_server

register_models_with_server()


@asynccontextmanager
async def checkpointer() -> AsyncIterator[Any]:
    """Yield the `AsyncPostgresSaver` of `SALES_OPERATOR_DATABASE_URL` for the server."""
    async with async_postgres_checkpointer() as saver:
        yield saver

"""Checkpoint serialisation: our models are registered with LangGraph's msgpack allowlist.

Without registration, a model stored in a checkpoint comes back as a `dict` (or is refused)
when `LANGGRAPH_STRICT_MSGPACK=true`. `make_serializer()` allows exactly the state's models.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from sales_operator.state import STATE_MODELS


def allowed_msgpack_modules() -> list[tuple[str, str]]:
    """Return `(module, class name)` for every model that may sit in a checkpoint."""
    return [(m.__module__, m.__name__) for m in STATE_MODELS]


def make_serializer() -> JsonPlusSerializer:
    """Return a serializer that round-trips the state's models, and nothing unexpected."""
    return JsonPlusSerializer(allowed_msgpack_modules=allowed_msgpack_modules())


def sqlite_checkpointer(path: str | Path) -> SqliteSaver:
    """Return LangGraph's SQLite checkpointer on `path`, with our serializer.

    The connection may be used from LangGraph's worker threads.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    saver = SqliteSaver(conn, serde=make_serializer())
    saver.setup()
    return saver

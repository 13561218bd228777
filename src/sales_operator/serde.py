"""Checkpoint serialisation: our models are registered with LangGraph's msgpack allowlist.

Without registration, a model stored in a checkpoint comes back as a `dict` (or is refused)
when `LANGGRAPH_STRICT_MSGPACK=true`. `make_serializer()` allows exactly the state's models.
"""

from __future__ import annotations

import copy
import sqlite3
import zlib
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.base import maybe_add_typed_methods
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from sales_operator.state import STATE_MODELS


def allowed_msgpack_modules() -> list[tuple[str, str]]:
    """Return `(module, class name)` for every model that may sit in a checkpoint."""
    return [(m.__module__, m.__name__) for m in STATE_MODELS]


COMPRESS_MIN_BYTES = 1024
"""Packed values at least this long are stored zlib-compressed (`msgpack+zlib`); below it
zlib saves little (the deal's small channels: a score, an assignment, a list of events)."""

_ZLIB = "msgpack+zlib"


class PackedSerializer(JsonPlusSerializer):
    """LangGraph's msgpack serializer, storing large packed values zlib-compressed.

    A checkpoint stores the whole deal state; compressed (level 1, well under a millisecond
    for a deal's state) it takes about a fifth of the bytes. The type tag becomes
    `msgpack+zlib`, LangGraph's own convention for a wrapped codec (its encrypted serializer
    writes `msgpack+aes`); values stored before, or below `COMPRESS_MIN_BYTES`, stay plain
    `msgpack` and load as before. A saver on a plain serializer cannot read the compressed
    rows: open our stores with `sqlite_checkpointer()` or any checkpointer passed through
    `build_operator()` (which registers this serializer).
    """

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """Pack `obj`; compress the bytes when they are long."""
        kind, data = super().dumps_typed(obj)
        if kind == "msgpack" and len(data) >= COMPRESS_MIN_BYTES:
            return _ZLIB, zlib.compress(data, 1)
        return kind, data

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        """Unpack a value stored by `dumps_typed` (compressed or not)."""
        kind, raw = data
        if kind == _ZLIB:
            return super().loads_typed(("msgpack", zlib.decompress(raw)))
        return super().loads_typed(data)


def make_serializer() -> JsonPlusSerializer:
    """Return a serializer that round-trips the state's models, and nothing unexpected."""
    return PackedSerializer(allowed_msgpack_modules=allowed_msgpack_modules())


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


def register_models(checkpointer: Any) -> Any:
    """Return `checkpointer` with the state's models registered with its serializer.

    A checkpointer on LangGraph's default (permissive) serializer gets a shallow clone that
    shares its storage and uses `make_serializer()`, so our models round-trip without
    warnings and keep working under `LANGGRAPH_STRICT_MSGPACK=true`. A checkpointer with an
    explicit allowlist gets ours merged in; any other serializer (encryption, a custom one)
    is left as it is.
    """
    if not isinstance(checkpointer, BaseCheckpointSaver):
        return checkpointer
    serde = checkpointer.serde
    if isinstance(serde, JsonPlusSerializer) and serde._allowed_msgpack_modules is True:
        clone = copy.copy(checkpointer)
        clone.serde = maybe_add_typed_methods(make_serializer())
        return clone
    return checkpointer.with_allowlist(allowed_msgpack_modules())


def register_models_with_server() -> None:
    """Register the state's models with every LangGraph serializer in this process.

    The LangGraph server (`langgraph dev`, the API server) builds its own checkpoint
    serializer, which our code never sees, and warns "Deserializing unregistered type" for
    each of our models (strict mode would refuse them). The server entry points in
    `graphs/` call this once at import: our models join LangGraph's set of types that are
    always safe to rebuild, so they round-trip with no warning, strict mode included.
    `langgraph.json` lists the same models under `checkpointer.serde.allowed_msgpack_modules`
    for servers that read that setting. Idempotent.
    """
    from langgraph.checkpoint.serde import _msgpack

    ours = frozenset(allowed_msgpack_modules())
    if not ours <= _msgpack.SAFE_MSGPACK_TYPES:
        _msgpack.SAFE_MSGPACK_TYPES = _msgpack.SAFE_MSGPACK_TYPES | ours

"""Find the blob references a checkpointer holds by reading its stored rows once.

`runner.collect_blobs` (`sales-operator gc`) needs every `blob:sha256:` reference that any
checkpoint, pending write or checkpoint metadata holds. Asking the saver (`list(None)`)
rebuilds every state of every thread as pydantic models and then walks them: about 4 ms a
checkpoint, so a minute at 1,000 deals (12,000 checkpoints). This module reads the saver's
own tables instead, one pass over each, and looks for references in the stored bytes:

- a value stored as `msgpack` (or JSON) holds each string as its UTF-8 bytes, so a
  reference inside any string, at any depth, is a byte run `blob:sha256:<64 hex>`;
- `msgpack+zstd` and `msgpack+zlib` values are decompressed first (no model is rebuilt);
- any other stored type (one this module does not know) is loaded through the saver's
  serializer and walked with `blobs.references_in`, as before, so nothing is missed.

Supported: LangGraph's `SqliteSaver` (read through a read-only connection of its own, so a
long scan never holds the saver's lock) and `PostgresSaver` (rows streamed). Any other saver
returns None and the caller falls back to `list(None)`.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from sales_operator.blobs import BLOB_PREFIX, references_in

__all__ = ["checkpoint_references", "rebuilt_references"]

_REF = re.compile(rb"blob:sha256:([0-9a-f]{64})")
_NEEDLE = BLOB_PREFIX.encode()
_RAW = frozenset({"msgpack", "json", "bytes", "bytearray"})
_SKIP = frozenset({"null", "empty"})
_local = threading.local()  # zstd decompressors are not safe to share between threads


def _unzstd(data: bytes) -> bytes:
    codec = getattr(_local, "zstd", None)
    if codec is None:
        import zstandard

        codec = _local.zstd = zstandard.ZstdDecompressor()
    out: bytes = codec.decompress(data)
    return out


def _scan(serde: Any, kind: str | None, data: Any, found: set[str]) -> None:
    """Add the references in one stored value (`kind` as the saver wrote it) to `found`."""
    if data is None or kind in _SKIP:
        return
    raw = bytes(data) if isinstance(data, memoryview | bytearray) else data
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if kind == "msgpack+zstd":
        raw = _unzstd(raw)
    elif kind == "msgpack+zlib":
        raw = zlib.decompress(raw)
    elif kind is not None and kind not in _RAW:
        references_in(serde.loads_typed((kind, raw)), found)  # a type we cannot read raw
        return
    if _NEEDLE in raw:
        found.update(BLOB_PREFIX + m.decode() for m in _REF.findall(raw))


def checkpoint_references(checkpointer: Any, found: set[str]) -> int | None:
    """Add every blob reference stored by `checkpointer` to `found`; return its checkpoints.

    Reads each stored checkpoint, its metadata and every pending write once, without
    rebuilding any state. Returns the number of checkpoints read, or None when
    `checkpointer` is not a saver whose tables this module reads (use `list(None)`).
    """
    rows = _rows(checkpointer)
    if rows is None:
        return None
    serde = checkpointer.serde
    checkpoints = 0
    for is_checkpoint, kind, data in rows:
        checkpoints += is_checkpoint
        _scan(serde, kind, data, found)
    return checkpoints


def rebuilt_references(checkpointer: Any, found: set[str]) -> int:
    """Add the references of every checkpoint rebuilt through `list(None)`; return how many.

    The generic path, for any saver: each checkpoint's values, metadata and pending writes
    are loaded as objects and walked (`blobs.references_in`).
    """
    checkpoints = 0
    for item in checkpointer.list(None):
        checkpoints += 1
        references_in(item.checkpoint.get("channel_values"), found)
        references_in(item.metadata, found)
        references_in(list(item.pending_writes or []), found)
    return checkpoints


Row = tuple[bool, "str | None", Any]
"""(whether the row is a checkpoint, the stored type, the stored bytes or text)."""


def _rows(checkpointer: Any) -> Iterator[Row] | None:
    from langgraph.checkpoint.sqlite import SqliteSaver

    if isinstance(checkpointer, SqliteSaver):
        return _sqlite_rows(checkpointer)
    try:
        from langgraph.checkpoint.postgres import PostgresSaver
    except ImportError:  # the postgres extra is not installed
        return None
    if isinstance(checkpointer, PostgresSaver):
        return _postgres_rows(checkpointer)
    return None


_SQLITE_QUERIES = (
    "SELECT 1, type, checkpoint FROM checkpoints",
    "SELECT 0, NULL, metadata FROM checkpoints",
    "SELECT 0, type, value FROM writes",
)


def _sqlite_rows(saver: Any) -> Iterator[Row]:
    with saver.lock:
        saver.setup()
        files = saver.conn.execute("PRAGMA database_list").fetchall()
    path = next((f for _, name, f in files if name == "main"), "")
    conn = _read_only(path) if path else None
    if conn is None:  # in memory, or not openable read-only: the saver's own connection
        with saver.cursor(transaction=False) as cur:
            for query in _SQLITE_QUERIES:
                yield from ((bool(c), k, d) for c, k, d in cur.execute(query).fetchall())
        return
    try:
        for query in _SQLITE_QUERIES:  # one read transaction: one snapshot for all three
            yield from ((bool(c), k, d) for c, k, d in conn.execute(query))
        conn.rollback()
    finally:
        conn.close()


def _read_only(path: str) -> sqlite3.Connection | None:
    """Open `path` read-only in a read transaction, or None when SQLite cannot."""
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, check_same_thread=False)
        conn.execute("BEGIN")
        conn.execute("SELECT 1 FROM checkpoints LIMIT 1").fetchall()
    except sqlite3.Error:
        if conn is not None:
            conn.close()
        return None
    return conn


_POSTGRES_QUERIES = (
    "SELECT 1 AS c, NULL AS type, checkpoint::text AS data FROM checkpoints",
    "SELECT 0 AS c, NULL AS type, metadata::text AS data FROM checkpoints",
    "SELECT 0 AS c, type, blob AS data FROM checkpoint_blobs",
    "SELECT 0 AS c, type, blob AS data FROM checkpoint_writes",
)


def _postgres_rows(saver: Any) -> Iterator[Row]:
    with saver._cursor() as cur:
        for query in _POSTGRES_QUERIES:
            yield from _dict_rows(cur.stream(query))


def _dict_rows(rows: Iterable[Any]) -> Iterator[Row]:
    for row in rows:
        if isinstance(row, dict):
            yield bool(row["c"]), row["type"], row["data"]
        else:
            yield bool(row[0]), row[1], row[2]

"""Checkpoint serialisation: our models are registered with LangGraph's msgpack allowlist.

Without registration, a model stored in a checkpoint comes back as a `dict` (or is refused)
when `LANGGRAPH_STRICT_MSGPACK=true`. `make_serializer()` allows exactly the state's models,
packs them on a short path in LangGraph's own msgpack format, and stores large values
zstd-compressed.
"""

from __future__ import annotations

import copy
import os
import sqlite3
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import ormsgpack
import zstandard
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde import jsonplus
from langgraph.checkpoint.serde.base import maybe_add_typed_methods
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from pydantic import BaseModel

from sales_operator.sealed import Sealable, keep_packed, packed_form, seal
from sales_operator.state import STATE_MODELS


def allowed_msgpack_modules() -> list[tuple[str, str]]:
    """Return `(module, class name)` for every model that may sit in a checkpoint."""
    return [(m.__module__, m.__name__) for m in STATE_MODELS]


COMPRESS_MIN_BYTES = 1024
"""Packed values at least this long are stored zstd-compressed (`msgpack+zstd`); below it
compression saves little (the deal's small channels: a score, an assignment, a list of events)."""

ZSTD_LEVEL = 3
"""zstd level for stored values. On a deal's state (58 KiB packed) level 3 gives 11.2 KiB in
about 0.13 ms and reads back in 0.03 ms, where zlib level 1 gave 12.9 KiB in 0.35 ms and
0.16 ms (same machine, CPU time)."""

_ZSTD = "msgpack+zstd"
_ZLIB = "msgpack+zlib"  # rows written before zstd: still read

# LangGraph's msgpack wire format (`langgraph.checkpoint.serde.jsonplus`): the codes of its
# ext types and its packing options. The fast codec below writes exactly these bytes.
_EXT_POS_ARGS = jsonplus.EXT_CONSTRUCTOR_POS_ARGS
_EXT_METHOD = jsonplus.EXT_METHOD_SINGLE_ARG
_EXT_PYDANTIC = jsonplus.EXT_PYDANTIC_V2
_PACK_OPTIONS: int = jsonplus._option
_UNPACK_OPTIONS = ormsgpack.OPT_NON_STR_KEYS
_MODEL_NAMES: dict[type[BaseModel], tuple[str, str]] = {
    m: (m.__module__, m.__name__) for m in STATE_MODELS
}
_MODELS_BY_NAME: dict[tuple[str, str], type[BaseModel]] = {v: k for k, v in _MODEL_NAMES.items()}


def _fast_default(obj: Any) -> Any:
    """Pack what msgpack cannot: the state's models and datetimes on a short path.

    The bytes are LangGraph's own (`jsonplus._msgpack_default`): a model is its python-mode
    `model_dump()` under the pydantic ext type, a datetime its ISO text for `fromisoformat`,
    a date its `(year, month, day)`. Only the lookup is shorter (an exact type, not a chain
    of `hasattr`/`isinstance` tests); anything else goes to LangGraph's own function.
    """
    kind = type(obj)
    if kind is datetime:
        payload: tuple[Any, ...] = ("datetime", "datetime", obj.isoformat(), "fromisoformat")
        return ormsgpack.Ext(_EXT_METHOD, ormsgpack.packb(payload))
    name = _MODEL_NAMES.get(kind)
    if name is not None:
        return ormsgpack.Ext(_EXT_PYDANTIC, _packed_model(obj, name))
    if kind is date:
        return ormsgpack.Ext(
            _EXT_POS_ARGS, ormsgpack.packb(("datetime", "date", (obj.year, obj.month, obj.day)))
        )
    return jsonplus._msgpack_default(obj)


def _pack(obj: Any) -> bytes:
    return ormsgpack.packb(obj, default=_fast_default, option=_PACK_OPTIONS)


PACKED_CACHE = True
"""Seal state models when they are packed, reuse their packed bytes and share loaded objects
(`_packed_model`, `_LoadedCache`). False packs and validates every object every time (the
benchmarks compare both in one run); objects sealed before stay read-only."""


def _packed_model(obj: BaseModel, name: tuple[str, str]) -> bytes:
    """Return the pydantic ext payload of a state model, packed once per object.

    A model of the state (not `DealState` itself) is sealed the first time it is packed:
    it becomes read-only, all the way down (`sales_operator.sealed`), and keeps its packed
    bytes, which every later checkpoint holding the same object reuses. The bytes also go
    into the cache of loaded objects, so a checkpoint read back in this process gives the
    same object, not a new one to validate.
    """
    if PACKED_CACHE and isinstance(obj, Sealable):
        data = packed_form(obj)
        if data is not None:
            return data
        # dumped before it is sealed: pydantic dumps plain lists and dicts much faster than
        # the read-only ones (a copy of a sealed object gets plain ones: `Sealable.__copy__`)
        data = _pack((name[0], name[1], obj.model_dump(), "model_validate_json"))
        if seal(obj):
            keep_packed(obj, data)
            _LOADED.put(data, obj)
        return data
    return _pack((name[0], name[1], obj.model_dump(), "model_validate_json"))


LOADED_CACHE_BYTES = 4 * 2**20
"""Packed bytes of the loaded-objects cache at most (least recently used dropped first)."""


class _LoadedCache:
    """Packed bytes of a sealed state model -> that model, least recently used dropped first.

    Only read-only (sealed) objects go in, so handing the same one to every load of the
    same bytes, in any thread and any graph of the process, is safe. Bounded by the packed
    bytes it holds (`LOADED_CACHE_BYTES`), not by the number of deals.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._items: OrderedDict[bytes, BaseModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, data: bytes) -> BaseModel | None:
        with self._lock:
            obj = self._items.get(data)
            if obj is not None:
                self._items.move_to_end(data)
            return obj

    def put(self, data: bytes, obj: BaseModel) -> None:
        if len(data) > self.max_bytes:
            return
        with self._lock:
            if data in self._items:  # the newest object for these bytes: an equal one
                self._items[data] = obj
                self._items.move_to_end(data)
                return
            self._items[data] = obj
            self.size += len(data)
            while self.size > self.max_bytes:
                old, _ = self._items.popitem(last=False)
                self.size -= len(old)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._items)


_LOADED = _LoadedCache(LOADED_CACHE_BYTES)


def _fast_ext_hook(fallback: Callable[[int, bytes], Any]) -> Callable[[int, bytes], Any]:
    """Return an unpacking hook that rebuilds the state's models and datetimes directly.

    A state model is validated from its dumped fields (`model_validate`, as LangGraph's hook
    does through the constructor, with the same `model_construct` fallback); a datetime or a
    date is built from its ISO text or its parts. Every other ext value, and any payload of
    another shape, goes to `fallback` (LangGraph's hook, with its allowlist and warnings).
    """

    def hook(code: int, data: bytes) -> Any:
        if code == _EXT_PYDANTIC and PACKED_CACHE:
            loaded = _LOADED.get(data)
            if loaded is not None:
                return loaded
        if code == _EXT_PYDANTIC or code == _EXT_METHOD or code == _EXT_POS_ARGS:
            tup = ormsgpack.unpackb(data, ext_hook=hook, option=_UNPACK_OPTIONS)
            if isinstance(tup, list) and len(tup) >= 3:
                if code == _EXT_PYDANTIC:
                    cls = _MODELS_BY_NAME.get((tup[0], tup[1]))
                    if cls is not None and isinstance(tup[2], dict):
                        try:
                            obj = cls.model_validate(tup[2])
                        except Exception:  # as LangGraph's hook: keep what was stored
                            return cls.model_construct(**tup[2])
                        if PACKED_CACHE and isinstance(obj, Sealable) and seal(obj):
                            _LOADED.put(data, obj)
                        return obj
                elif code == _EXT_METHOD:
                    if tup[:2] == ["datetime", "datetime"] and tup[3:] == ["fromisoformat"]:
                        return datetime.fromisoformat(tup[2])
                elif tup[:2] == ["datetime", "date"] and len(tup[2]) == 3:
                    return date(*tup[2])
        return fallback(code, data)

    return hook


class PackedSerializer(JsonPlusSerializer):
    """LangGraph's msgpack serializer, faster on the state's models, compressing large values.

    The bytes are LangGraph's own msgpack format, so rows written before load as they are
    and any LangGraph serializer reads the uncompressed rows; what changes is the speed. The
    state's models (`STATE_MODELS`), datetimes and dates are packed and rebuilt on a short
    path (`_fast_default`, `_fast_ext_hook`) instead of LangGraph's generic one, which tries
    a chain of type tests per value and imports each class by name per value: a deal's
    state packs in about a fifth less CPU time and loads in about a tenth less (the rest is
    pydantic's own dumping and validation). On top of that, a state model is packed once:
    the first pack seals it (read-only, `sales_operator.sealed`) and keeps its bytes for every
    later checkpoint, and loading those bytes back in this process gives the same object
    (`_packed_model`, `_LoadedCache`; `PACKED_CACHE` turns both off).

    A checkpoint stores the whole deal state; zstd-compressed (`ZSTD_LEVEL`, a fraction of a
    millisecond for a deal's state) it takes about a fifth of the bytes. The type tag becomes
    `msgpack+zstd`, LangGraph's own convention for a wrapped codec (its encrypted serializer
    writes `msgpack+aes`); values below `COMPRESS_MIN_BYTES` stay plain `msgpack`. Rows
    written before load as they are: plain `msgpack`, and `msgpack+zlib` (the codec before
    zstd). A saver on a plain serializer cannot read the compressed
    rows: open our stores with `sqlite_checkpointer()` or any checkpointer passed through
    `build_operator()` (which registers this serializer).
    """

    _hook: Callable[[int, bytes], Any] | None = None
    _hook_fallback: Callable[[int, bytes], Any] | None = None

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """Pack `obj`; compress the bytes when they are long."""
        if obj is None or isinstance(obj, bytes | bytearray):
            return super().dumps_typed(obj)
        try:
            kind, data = "msgpack", _pack(obj)
        except ormsgpack.MsgpackEncodeError:
            kind, data = super().dumps_typed(obj)  # LangGraph's fallbacks and errors
        if kind == "msgpack" and len(data) >= COMPRESS_MIN_BYTES:
            return _ZSTD, _compressor().compress(data)
        return kind, data

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        """Unpack a value stored by `dumps_typed` (compressed or not), or by LangGraph."""
        kind, raw = data
        if kind == _ZSTD:
            kind, raw = "msgpack", _decompressor().decompress(raw)
        elif kind == _ZLIB:
            kind, raw = "msgpack", zlib.decompress(raw)
        if kind == "msgpack":
            return ormsgpack.unpackb(raw, ext_hook=self._ext_hook(), option=_UNPACK_OPTIONS)
        return super().loads_typed((kind, raw))

    def _ext_hook(self) -> Callable[[int, bytes], Any]:
        # Built over the current LangGraph hook: `with_msgpack_allowlist` (which LangGraph
        # calls when it compiles a graph) copies the serializer and replaces that hook.
        fallback = self._unpack_ext_hook
        if self._hook is None or self._hook_fallback is not fallback:
            self._hook, self._hook_fallback = _fast_ext_hook(fallback), fallback
        return self._hook


_codecs = threading.local()  # zstd (de)compressors are not safe to share between threads


def _compressor() -> zstandard.ZstdCompressor:
    c: zstandard.ZstdCompressor | None = getattr(_codecs, "c", None)
    if c is None:
        c = _codecs.c = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return c


def _decompressor() -> zstandard.ZstdDecompressor:
    d: zstandard.ZstdDecompressor | None = getattr(_codecs, "d", None)
    if d is None:
        d = _codecs.d = zstandard.ZstdDecompressor()
    return d


def make_serializer() -> JsonPlusSerializer:
    """Return a serializer that round-trips the state's models, and nothing unexpected."""
    return PackedSerializer(allowed_msgpack_modules=allowed_msgpack_modules())


DecisionSync = Literal["FULL", "NORMAL"]
"""SQLite's `synchronous` settings a decision run's checkpoint writes may use."""

DECISION_SYNC: DecisionSync = "NORMAL"
"""How a decision run (a resume at the gate, a recovery) commits its checkpoints on SQLite.

"NORMAL" (in WAL mode): each commit is in the write-ahead log when it returns, so a killed
process loses nothing, but it is not flushed to the disk on its own; the next commit of an
event's run (always "FULL") or SQLite's own checkpoint flushes it. Only a crash of the
machine itself can lose such writes, and then the thread goes back to an earlier checkpoint
of the same decision run, as if the process had been killed there: the CRM, which syncs
every commit, still holds the decisions and the receipts, so `pending_request` reports a
recovery and `recover_deal` finishes it without running anything twice (the state a kill at
that point leaves, which `make chaos` exercises). An event's run (pattern work) keeps
"FULL": its checkpoint is the only record that the event was handled. "FULL" here makes
decision runs sync every commit too (five per resume: about 2.5 ms each on this machine's
disk)."""


_INTERRUPT_CHANNEL = "__interrupt__"  # LangGraph's (private) channel of a task's interrupts


class OperatorSqliteSaver(SqliteSaver):
    """LangGraph's `SqliteSaver`, with a second, unflushed connection for the operator's runs.

    `decision_saver` writes to the same file through its own connection, set to
    `DECISION_SYNC`; `sales_operator.durability` lends it to the runs that resume at the
    gate or recover the executor, and to event runs, which end with one `flush()` (so an
    event's checkpoint and its interrupt cost one disk sync, not one per commit). Reads see
    both connections' commits (WAL).
    """

    decision_saver: SqliteSaver | None = None
    """The saver the operator's runs write through; None when they use this one."""

    wal_path: Path | None = None
    """The database's write-ahead log, which `flush()` syncs; None without a second saver."""

    def flush(self) -> None:
        """Make every commit made so far, through either connection, durable on the disk.

        In WAL mode every commit is appended to the one write-ahead log (SQLite folds it
        into the database only after syncing it, and syncs the database then), so syncing
        that file makes all of them durable, as a "FULL" commit of the last one would.
        Does nothing when this saver has no second connection (every commit is "FULL").

        Raises:
            OSError: when the disk refuses the sync (the writes may not be durable).
        """
        if self.wal_path is None:
            return
        try:
            fd = os.open(self.wal_path, os.O_RDONLY)
        except FileNotFoundError:  # no log: nothing was written since it was folded in
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def latest_interrupts(self, thread_id: str) -> list[Any]:
        """Return the interrupts pending on a thread's latest root checkpoint (values only).

        Reads the checkpoint's `__interrupt__` writes and leaves the checkpoint itself (the
        whole state) unread: the cheap way to see which request a thread waits on. An empty
        list when the thread has no checkpoint or its latest one has no interrupt.
        """
        with self.cursor(transaction=False) as cur:
            cur.execute(
                "SELECT type, value FROM writes WHERE thread_id = ? AND checkpoint_ns = ''"
                " AND channel = ? AND checkpoint_id = (SELECT MAX(checkpoint_id)"
                " FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '')",
                (thread_id, _INTERRUPT_CHANNEL, thread_id),
            )
            rows = cur.fetchall()
        found: list[Any] = []
        for kind, value in rows:
            loaded = self.serde.loads_typed((kind, value))
            for item in loaded if isinstance(loaded, list | tuple) else [loaded]:
                found.append(getattr(item, "value", item))
        return found


def sqlite_checkpointer(
    path: str | Path, *, decision_sync: DecisionSync | None = None
) -> SqliteSaver:
    """Return LangGraph's SQLite checkpointer on `path`, with our serializer.

    The connection may be used from LangGraph's worker threads.

    Args:
        path: The database file (created with its folder when missing).
        decision_sync: SQLite's `synchronous` for the operator's runs' checkpoint writes
            (`DECISION_SYNC` when None): decision runs are not flushed on their own, event
            runs once, at their end (`OperatorSqliteSaver.flush`); "FULL" keeps a single
            connection that flushes every commit.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    saver = OperatorSqliteSaver(conn, serde=make_serializer())
    saver.setup()
    sync = decision_sync or DECISION_SYNC
    if sync != "FULL":
        side = sqlite3.connect(str(path), check_same_thread=False)
        side.execute(f"PRAGMA synchronous={'NORMAL' if sync == 'NORMAL' else 'FULL'}")
        decision = SqliteSaver(side, serde=saver.serde)
        decision.is_setup = True  # same file, set up above
        saver.decision_saver = decision
        saver.wal_path = Path(path).resolve().with_name(Path(path).name + "-wal")
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

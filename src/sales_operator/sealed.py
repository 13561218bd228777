"""Read-only state objects once they are in a checkpoint, so their packed bytes can be reused.

The checkpointer packs a deal's state at every checkpoint, and most of it does not change
between checkpoints: a call's insights, a brief, a score, the events, most proposed actions.
When the serializer first packs one of the state's models it *seals* it: the model and every
model, list and dict inside it become read-only, and its packed bytes are kept with it
(`packed_form`), so every later checkpoint that holds the same object writes those bytes
without dumping it again. A sealed object can never serialise stale bytes: assigning one of
its fields raises `ReadOnlyStateError`, and so does changing a list or a dict inside it
(they are `FrozenList` and `FrozenDict`, subclasses of `list` and `dict` that refuse change).
To change a sealed object, make a changed copy (`model.model_copy(update={...})`): a copy is
not sealed and packs afresh; nodes return new values anyway (see `state.py`).

An object holding anything else than the state's models, lists, dicts, tuples and immutable
scalars (str, numbers, datetimes, UUIDs, ...) is not sealed and is packed every time.

Deep copies (`copy.deepcopy`, `model_copy(deep=True)`) and unpickled objects are plain,
changeable objects. Not guarded: code that goes around the models' attribute assignment on
purpose (`object.__setattr__`, writing to `__dict__`); and a change made in place by another
thread while the object is first packed (it is dumped, then sealed): under LangGraph's
`durability="async"` a checkpoint is written while the next node runs, so a node that
changed the previous step's objects in place could race it (the operator's nodes never do;
they return new values, and their runs use "exit" or "sync").
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any, NoReturn, Self
from uuid import UUID

from pydantic import BaseModel

from sales_operator.errors import ReadOnlyStateError

_SEALED: dict[int, tuple[weakref.ref[BaseModel], bytes | None]] = {}
"""id of a sealed model -> (a weak reference that drops the entry, its packed bytes or None
for a model sealed inside another one)."""

_SCALARS: tuple[type, ...] = (str, int, float, bool, bytes, date, datetime, time, timedelta)
_SCALARS += (Decimal, UUID, Enum, PurePath, type(None))


def _refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise ReadOnlyStateError(
        "this list or dict belongs to a deal-state object stored in a checkpoint and is "
        "read-only; build a new one and make a changed copy of the object "
        "(model_copy(update={...}))"
    )


class FrozenList(list[Any]):
    """A `list` that refuses every change (`ReadOnlyStateError`); copies are plain lists."""

    __slots__ = ()
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        from copy import deepcopy

        return [deepcopy(x, memo) for x in self]

    def __reduce__(self) -> tuple[type[list[Any]], tuple[list[Any]]]:
        return list, (list(self),)


class FrozenDict(dict[Any, Any]):
    """A `dict` that refuses every change (`ReadOnlyStateError`); copies are plain dicts."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __copy__(self) -> dict[Any, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[Any, Any]:
        from copy import deepcopy

        return {deepcopy(k, memo): deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self) -> tuple[type[dict[Any, Any]], tuple[dict[Any, Any]]]:
        return dict, (dict(self),)


class Sealable(BaseModel):
    """A model that refuses assignment to its fields once it is sealed (`seal`)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if id(self) in _SEALED:
            refuse_assignment(self, name)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if id(self) in _SEALED:
            refuse_assignment(self, name)
        super().__delattr__(name)

    def __copy__(self) -> Self:
        """Return a shallow copy, not sealed, with plain lists and dicts of its own.

        `model_copy(update=...)` copies through here: the copy can be changed like any new
        object; models inside it stay shared, and read-only when they were.
        """
        copied = super().__copy__()
        fields = copied.__dict__
        for name, value in fields.items():
            kind = type(value)
            if kind is FrozenList or kind is FrozenDict:
                fields[name] = _thaw(value)
        return copied


def _thaw(value: Any) -> Any:
    """Return `value` with every FrozenList and FrozenDict in it, not in its models, plain."""
    kind = type(value)
    if kind is FrozenList:
        return [_thaw(x) for x in value]
    if kind is FrozenDict:
        return {k: _thaw(v) for k, v in value.items()}
    if kind is tuple:
        return tuple(_thaw(x) for x in value)
    return value


_UNSEALABLE = object()


_PLAIN: set[type] = {str, int, float, bool, bytes, type(None), date, datetime, time, timedelta}
_PLAIN |= {Decimal, UUID, FrozenList, FrozenDict}
"""Exact types that need no walk: immutable scalars, and containers already read-only (a
FrozenList or FrozenDict only ever holds read-only values)."""

_MODEL_KINDS: set[type] = set()
"""Exact `Sealable` classes met so far (an exact-type lookup is faster than `isinstance` on
pydantic's metaclass)."""


def _frozen(value: Any, models: list[tuple[BaseModel, dict[str, Any]]]) -> Any:
    """Return `value` read-only (`_UNSEALABLE` when it cannot be); queue its models' changes.

    The hot loop of sealing: a value of a type in `_PLAIN` is returned before any call.
    """
    kind = type(value)
    if kind is list or kind is tuple:
        items = []
        for x in value:
            if type(x) not in _PLAIN:
                x = _frozen(x, models)
                if x is _UNSEALABLE:
                    return x
            items.append(x)
        return FrozenList(items) if kind is list else tuple(items)
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(item) not in _PLAIN:
                item = _frozen(item, models)
                if item is _UNSEALABLE:
                    return item
            if type(key) not in _PLAIN and not isinstance(key, _SCALARS):
                return _UNSEALABLE
            out[key] = item
        return FrozenDict(out)
    if kind not in _MODEL_KINDS and isinstance(value, Sealable):
        _MODEL_KINDS.add(kind)
    if kind in _MODEL_KINDS:
        if id(value) in _SEALED:
            return value
        if value.__pydantic_extra__:
            return _UNSEALABLE
        fields: dict[str, Any] = {}
        for name, item in value.__dict__.items():
            if type(item) not in _PLAIN:
                frozen = _frozen(item, models)
                if frozen is _UNSEALABLE:
                    return frozen
                if frozen is not item:
                    fields[name] = frozen
        models.append((value, fields))
        return value
    if kind in _PLAIN or isinstance(value, _SCALARS):
        return value
    return _UNSEALABLE  # a set, a foreign object: it could change behind the packed bytes


def seal(model: Sealable) -> bool:
    """Make `model` read-only, all the way down; return False when it cannot be.

    It cannot be when it holds something else than the state's models, lists, dicts, tuples
    and immutable scalars (see the module's docstring); it is then left as it was.
    """
    if id(model) in _SEALED:
        return True
    models: list[tuple[BaseModel, dict[str, Any]]] = []
    if _frozen(model, models) is _UNSEALABLE:
        return False
    for inner, fields in models:
        inner.__dict__.update(fields)
        key = id(inner)
        _SEALED.setdefault(key, (weakref.ref(inner, _forget(key)), None))
    return True


def keep_packed(model: Sealable, packed: bytes) -> None:
    """Keep `packed`, the bytes packing the sealed `model` gave, as its packed form."""
    entry = _SEALED.get(id(model))
    if entry is None:
        raise ValueError(f"{type(model).__name__} is not sealed: seal it before packing it")
    _SEALED[id(model)] = (entry[0], packed)


def _forget(key: int) -> Callable[[Any], None]:
    def drop(_ref: Any) -> None:
        _SEALED.pop(key, None)

    return drop


def is_sealed(model: BaseModel) -> bool:
    """Return True when `model` is read-only (it, or an object holding it, was packed)."""
    return id(model) in _SEALED


def packed_form(model: BaseModel) -> bytes | None:
    """Return the packed bytes kept with a sealed `model`, or None."""
    entry = _SEALED.get(id(model))
    return None if entry is None else entry[1]


def sealed_count() -> int:
    """Return how many sealed objects are alive in this process (for tests and benches)."""
    return len(_SEALED)


def refuse_assignment(model: BaseModel, name: str) -> NoReturn:
    """Raise the error for an assignment to a field of a sealed `model`."""
    raise ReadOnlyStateError(
        f"{type(model).__name__}.{name} cannot be assigned: this object is part of a deal "
        "state stored in a checkpoint and is read-only; make a changed copy instead "
        f"(model_copy(update={{{name!r}: ...}}))"
    )


__all__ = [
    "FrozenDict",
    "FrozenList",
    "Sealable",
    "is_sealed",
    "keep_packed",
    "packed_form",
    "refuse_assignment",
    "seal",
    "sealed_count",
]

"""Input limits: sizes, nesting, dates and transcript folders, checked before anything is stored.

The limits live in the policy (`limits:`, `policy.LimitsPolicy`) with defaults: 64 KB per
string field, 1 MB per event payload (an inline transcript not counted), 5 MB or 50,000 turns
per transcript, nesting depth 20, dates within 1970-2100, and `transcript_path` only inside
the configured folders. An input over one raises `LimitError` (an `InputError`) naming the
limit, the place and the value, instead of a `MemoryError`, `RecursionError`, `OverflowError`
or `UnicodeDecodeError` somewhere later.

Every walk here is iterative, so a deeply nested input cannot exhaust the stack on the way
in.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sales_operator.errors import EventError, LimitError, TranscriptError
from sales_operator.policy import LimitsPolicy

__all__ = [
    "DEFAULT_LIMITS",
    "allowed_transcript_path",
    "check_dates",
    "check_limits",
    "check_transcript",
    "load_json",
]

DEFAULT_LIMITS = LimitsPolicy()
"""The limits when no policy is given."""

_ISO_DATE = re.compile(
    r"([+-]?\d{4,})-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
"""A whole ISO-8601 date or date-time (a string that only starts like one is text)."""
_TEXT_KEYS = frozenset({"transcript"})
"""Keys whose string value is a transcript: held to the transcript limit, not the field one."""


def _path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _utf8_size(text: str, where: str, path: tuple[Any, ...]) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as err:  # a lone surrogate, e.g. from a JSON "\ud800" escape
        raise EventError(
            f"{where}: {_path(path)} is not valid Unicode (a lone surrogate at character "
            f"{err.start}); nothing was stored"
        ) from err


def _check_number(item: Any, where: str, path: tuple[Any, ...]) -> None:
    """Refuse numbers no store can hold: NaN, infinities, integers beyond 64 bits."""
    if isinstance(item, float) and not math.isfinite(item):
        raise EventError(f"{where}: {_path(path)} is {item}, not a finite number")
    if isinstance(item, int) and not -(2**63) <= item < 2**63:
        raise EventError(f"{where}: {_path(path)} is out of range for a 64-bit integer")


def _exceeded(limits: LimitsPolicy, name: str, value: object, message: str) -> LimitError:
    return LimitError(message, limit=name, value=value, maximum=getattr(limits, name))


def _year_ok(year: int, limits: LimitsPolicy, where: str, raw: Any) -> None:
    if not limits.min_year <= year <= limits.max_year:
        raise LimitError(
            f"{where}: {raw!s} is outside the years {limits.min_year}-{limits.max_year}",
            limit="max_year" if year > limits.max_year else "min_year",
            value=year,
            maximum=limits.max_year if year > limits.max_year else limits.min_year,
        )


def check_limits(value: Any, limits: LimitsPolicy | None = None, *, where: str = "input") -> None:
    """Check nesting depth, field sizes, total size and dates of JSON-like `value`.

    Strings under a `transcript` key are held to `max_transcript_bytes` and not counted in
    the total; every other string to `max_field_bytes`. A string that starts like an ISO date
    (`9999-12-31`), and every `date`/`datetime`, must fall within the limits' years.

    Raises:
        LimitError: naming the limit, where in `value` it was exceeded, and by how much.
    """
    limits = limits or DEFAULT_LIMITS
    total = 0
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 0, ())]
    while stack:
        item, depth, path = stack.pop()
        if depth > limits.max_depth:
            raise _exceeded(
                limits,
                "max_depth",
                depth,
                f"{where}: nested deeper than {limits.max_depth} levels at {_path(path)}",
            )
        if isinstance(item, dict):
            total += 2
            for key, sub in item.items():
                key_text = str(key)
                total += _utf8_size(key_text, where, path) + 4
                if len(key_text) > 1024:
                    raise LimitError(
                        f"{where}: a key at {_path(path)} is {len(key_text)} characters long",
                        limit="max_field_bytes",
                        value=len(key_text),
                        maximum=1024,
                    )
                if key_text in _TEXT_KEYS and isinstance(sub, str):
                    size = _utf8_size(sub, where, (*path, key))
                    if size > limits.max_transcript_bytes:
                        raise _exceeded(
                            limits,
                            "max_transcript_bytes",
                            size,
                            f"{where}: {_path((*path, key))} is {size} bytes; transcripts may "
                            f"be at most {limits.max_transcript_bytes}",
                        )
                    continue
                stack.append((sub, depth + 1, (*path, key)))
        elif isinstance(item, list | tuple):
            total += 2 + len(item)
            stack.extend((sub, depth + 1, (*path, i)) for i, sub in enumerate(item))
        elif isinstance(item, str):
            size = _utf8_size(item, where, path)
            total += size + 2
            if size > limits.max_field_bytes:
                raise _exceeded(
                    limits,
                    "max_field_bytes",
                    size,
                    f"{where}: {_path(path)} is {size} bytes; a field may be at most "
                    f"{limits.max_field_bytes}",
                )
            match = _ISO_DATE.fullmatch(item) if len(item) <= 40 else None
            if match:
                _year_ok(int(match.group(1)), limits, f"{where}: {_path(path)}", item[:32])
        elif isinstance(item, date):  # datetime is a date
            _year_ok(item.year, limits, f"{where}: {_path(path)}", item.isoformat())
            total += 32
        else:
            total += 8
            _check_number(item, where, path)
        if total > limits.max_payload_bytes:
            raise _exceeded(
                limits,
                "max_payload_bytes",
                total,
                f"{where}: larger than {limits.max_payload_bytes} bytes",
            )


def check_dates(value: Any, limits: LimitsPolicy | None = None, *, where: str = "input") -> None:
    """Check that every `date` and `datetime` in `value` falls within the limits' years.

    Raises:
        LimitError: for the first one outside them.
    """
    limits = limits or DEFAULT_LIMITS
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, (*path, k)) for k, v in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((v, (*path, i)) for i, v in enumerate(item))
        elif isinstance(item, datetime | date):
            _year_ok(item.year, limits, f"{where}: {_path(path)}", item.isoformat())


def check_transcript(
    *, size: int | None = None, turns: int | None = None, limits: LimitsPolicy | None, name: str
) -> None:
    """Check a transcript's size in bytes and its number of turns.

    Raises:
        LimitError: naming the transcript and the limit.
    """
    limits = limits or DEFAULT_LIMITS
    if size is not None and size > limits.max_transcript_bytes:
        raise _exceeded(
            limits,
            "max_transcript_bytes",
            size,
            f"{name}: {size} bytes; transcripts may be at most {limits.max_transcript_bytes}",
        )
    if turns is not None and turns > limits.max_transcript_turns:
        raise _exceeded(
            limits,
            "max_transcript_turns",
            turns,
            f"{name}: {turns} turns; transcripts may have at most {limits.max_transcript_turns}",
        )


def _bundled_data() -> Path:
    return Path(str(resources.files("sales_operator").joinpath("data"))).resolve()


def allowed_transcript_path(path: Path, limits: LimitsPolicy | None = None) -> Path:
    """Return `path` resolved, when it lies inside a folder `transcript_path` may read.

    The allowed folders are the policy's `limits.transcript_dirs` (relative ones taken from
    the current working directory) and the bundled sample data. Links are resolved first, so
    a link inside an allowed folder that points outside it is refused.

    Raises:
        TranscriptError: when the file lies outside every allowed folder.
    """
    limits = limits or DEFAULT_LIMITS
    real = path.expanduser().resolve()
    roots = [Path(d).expanduser().resolve() for d in limits.transcript_dirs]
    roots.append(_bundled_data())
    if any(real == root or real.is_relative_to(root) for root in roots):
        return real
    raise TranscriptError(
        f"transcript_path {str(path)!r} is outside the folders transcripts may be read from "
        f"({', '.join(str(r) for r in roots)}); add its folder to the policy's "
        "limits.transcript_dirs"
    )


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def _json_depth(text: str) -> int:
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRINGS.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def load_json(data: bytes | str, limits: LimitsPolicy | None = None, *, name: str) -> Any:
    """Parse a JSON document (an event file) within the limits.

    UTF-8 (with or without a byte-order mark) only; the size, the nesting depth (measured
    before parsing) and then every field are checked.

    Raises:
        EventError: for text that is not UTF-8 or not JSON.
        LimitError: for a document over a limit.
    """
    limits = limits or DEFAULT_LIMITS
    if isinstance(data, bytes):
        cap = limits.max_payload_bytes + limits.max_transcript_bytes + 64 * 1024
        if len(data) > cap:
            raise LimitError(
                f"{name}: {len(data)} bytes; an event file may be at most {cap}",
                limit="max_payload_bytes",
                value=len(data),
                maximum=cap,
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise EventError(
                f"{name}: not UTF-8 (line {line}, byte offset {err.start}: {err.reason}); "
                "save it as UTF-8"
            ) from err
    else:
        text = data
    depth = _json_depth(text)
    if depth > limits.max_depth:
        raise _exceeded(
            limits,
            "max_depth",
            depth,
            f"{name}: nested {depth} levels deep; at most {limits.max_depth}",
        )
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise EventError(f"{name}: not valid JSON: {err}") from err
    check_limits(value, limits, where=name)
    return value

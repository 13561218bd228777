"""Checks of names and values against the policy's feature spec.

A misspelled signal key (`pagesvisited`) or CSV column would otherwise be read as a blank and
score as "nothing known". These helpers name the closest known names (`difflib`), so the
error says what was probably meant:

- `check_signals()` checks a lead's event signals (`lead_created`'s `lead.signals`) against
  the signals the scorer reads and the policy lists (`scoring.features`), and their types;
- `closest_hint()` words the "did you mean" part of a `DataError` about CSV columns.
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sales_operator.errors import EventError
from sales_operator.policy import Policy, ScoringFeature, default_policy

SIGNAL_KEYS: dict[str, str] = {
    "pages_visited": "numeric",
    "pricing_page_visits": "numeric",
    "emails_opened": "numeric",
    "demo_requested": "boolean",
    "webinar_attended": "boolean",
    "days_to_first_touch": "numeric",
    "seniority": "categorical",
}
"""The lead signals the scorer reads (`model.feature_row`) and the kind of value each takes."""


def closest_names(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Return up to `n` known names closest to `name` (case and `_`/space insensitive)."""
    options = list(dict.fromkeys(known))
    folded = {_fold(k): k for k in options}
    hits = difflib.get_close_matches(_fold(name), list(folded), n=n, cutoff=0.6)
    return [folded[h] for h in hits]


def _fold(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def closest_hint(names: Sequence[str], known: Iterable[str]) -> str:
    """Return " (did you mean 'x' for 'y'?)" for the names that have a close known one."""
    options = list(known)
    parts = []
    for name in names:
        hits = closest_names(name, options)
        if hits:
            parts.append(f"{' or '.join(repr(h) for h in hits)} for {name!r}")
    return f" (did you mean {'; '.join(parts)}?)" if parts else ""


@functools.cache
def _bundled_features() -> tuple[ScoringFeature, ...]:
    """Return the bundled policy's feature spec, parsed once (parsing it costs ~0.1 s)."""
    return tuple(default_policy().scoring.features)


def signal_spec(policy: Policy | None = None) -> dict[str, str]:
    """Return the signal keys a lead may carry and their kinds, per the policy's features.

    A signal counts when the scorer reads it (`SIGNAL_KEYS`) and the policy's feature spec
    lists it (or the policy lists no features, so the bundled defaults apply); the kind is
    the policy's when it declares one.
    """
    features = policy.scoring.features if policy is not None else _bundled_features()
    if not features:
        return dict(SIGNAL_KEYS)
    declared = {f.column: f.kind for f in features}
    out: dict[str, str] = {}
    for key, kind in SIGNAL_KEYS.items():
        if key in declared:
            out[key] = "boolean" if kind == "boolean" else declared[key]
    return out


def check_signals(signals: Mapping[str, Any], policy: Policy | None = None) -> None:
    """Check a lead's signals: every key known to the policy's feature spec, every value typed.

    Numeric signals take a number (not a bool, not text), yes/no signals a bool or 0/1, and
    categorical ones text. A blank value (None) is allowed: it means "not recorded".

    Raises:
        EventError: listing every unknown key with the closest known names, and every value
            of the wrong type.
    """
    spec = signal_spec(policy)
    problems = []
    for key, value in signals.items():
        kind = spec.get(key)
        if kind is None:
            hits = closest_names(key, spec)
            hint = f"did you mean {' or '.join(repr(h) for h in hits)}? " if hits else ""
            problems.append(f"unknown signal {key!r} ({hint}the known signals are {sorted(spec)})")
            continue
        if value is None:
            continue
        problem = _type_problem(kind, value)
        if problem:
            problems.append(f"signal {key!r} {problem}, got {value!r}")
    if problems:
        raise EventError(f"lead_created payload: lead.signals: {'; '.join(problems)}")


def _type_problem(kind: str, value: Any) -> str:
    if kind == "boolean":
        if isinstance(value, bool) or (
            isinstance(value, int | float) and not isinstance(value, bool) and value in (0, 1)
        ):
            return ""
        return "must be true/false (or 0/1)"
    if kind in ("numeric", "date"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if math.isnan(value) or math.isinf(value) or value < 0:
            return "must be a finite number, zero or more"
        return ""
    if not isinstance(value, str):
        return "must be text"
    return ""

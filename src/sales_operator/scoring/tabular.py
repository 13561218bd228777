"""Train a calibrated, explained conversion model on any table of CRM history.

`train_tabular()` reads rows of raw values (CSV strings or CRM values) with a feature spec
from the RevOps policy (`scoring.features`: firmographic, behavioural, engagement and source
columns; numeric, categorical, tag-list, date and yes/no kinds), or infers one from the
columns when the spec is empty. It then

- refuses features known only after the outcome (`scoring.post_outcome_columns`), and any
  feature that alone separates won from lost with ROC AUC >= `scoring.leakage_auc` on the
  training rows unless the spec marks it `allow_leaky: true` (`LeakageError`);
- splits the rows in time when `scoring.time_column` is there (else stratified at random):
  48 % trees, 12 % early stopping, 20 % calibration, 20 % test;
- trains XGBoost with early stopping and `scale_pos_weight` against the class imbalance;
- calibrates on the calibration slice, which the trees never saw (isotonic regression, or
  Platt scaling on small slices: `scoring.calibration`);
- reports ROC AUC, Brier score and expected calibration error on the test slice in a
  `ModelCard`, next to the transparent rules model.

Below the data gate (`scoring.min_won` won or `scoring.min_lost` lost rows) the result is
the rules model from the policy, and the card and every score say so.

Each score carries a band, its percentile among the calibration slice's scores, and the top
positive and negative factors from XGBoost's exact TreeSHAP (`pred_contribs`), turned into
percentage points that add up to the gap from the average lead and named in a rep's words.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from sales_operator.errors import DataError, LeakageError
from sales_operator.policy import Policy, ScoringFeature, ScoringPolicy
from sales_operator.progress import training_callback
from sales_operator.scoring.drift import reference_bins
from sales_operator.scoring.features import closest_hint
from sales_operator.state import ScoreFactor

if TYPE_CHECKING:  # xgboost (and the scikit-learn and scipy it loads) loads on first use
    import xgboost as xgb

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FeatureKind = Literal["numeric", "categorical", "tags", "date", "boolean"]

_M = TypeVar("_M", bound=BaseModel)

SPLIT = (0.6, 0.2, 0.2)
"""Shares of the (time-ordered or shuffled) rows for training, calibration and testing."""

VALIDATION_SHARE = 0.2
"""Share of the (latest) training rows held out for early stopping."""

XGB_PARAMS: dict[str, Any] = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "tree_method": "hist",
    "max_depth": 2,
    "eta": 0.05,
    "subsample": 0.85,
    "colsample_bytree": 0.85,
    "min_child_weight": 2.0,
    "lambda": 2.0,
    "seed": 7,
    "nthread": 1,
}
"""Booster parameters; `max_depth` rises to `DEEP_MAX_DEPTH` from `DEEP_ROWS` training rows,
and `scale_pos_weight` and the monotone constraints are added per run."""

DEEP_ROWS = 2000
"""Training rows from which trees may grow deeper (enough data for interactions)."""

DEEP_MAX_DEPTH = 4
"""`max_depth` from `DEEP_ROWS` training rows."""

MAX_ROUNDS = 600
"""Most boosting rounds."""

EARLY_STOPPING_ROUNDS = 50
"""Rounds without improvement on the validation slice before training stops."""

ECE_BINS = 10
"""Equal-width probability bins for the expected calibration error."""

MIN_FACTOR_POINTS = 0.05
"""Factors smaller than this (in percentage points) are left out."""

SMALL_BATCH = 1000
"""Batches below this many rows are converted for XGBoost on one thread."""

MEMO_LIMIT = 100_000
"""Raw values a categorical feature remembers the column of, across batches, at most."""

_TRUE = {"true", "yes", "y", "t", "1", "1.0"}
_FALSE = {"false", "no", "n", "f", "0", "0.0"}
_POSITIVE = {"won", "closed_won", "1", "1.0", "true", "yes", "y", "converted"}
_NEGATIVE = {"lost", "closed_lost", "0", "0.0", "false", "no", "n"}
_YES_NO_WORDS = (_TRUE | _FALSE) - {"1", "0", "1.0", "0.0"}
_EPOCH = date(1970, 1, 1)
OTHER = "other"
"""The shared column of categories too rare to get their own."""

MISSING_LEVEL = "(missing)"
"""The indicator column (`column=(missing)`) of a feature the training rows leave blank."""

BACKGROUND_ROWS = 100
"""Training rows kept with the model to average over a value it never saw missing."""


class ScoreResult(BaseModel):
    """One score: a probability, its band, its percentile and the factors behind it."""

    model_config = ConfigDict(extra="forbid")

    probability: float = Field(ge=0.0, le=1.0)
    """Calibrated probability that the deal is won (the lead converts)."""
    band: Literal["A", "B", "C", "D"]
    """Band per `policy.scoring.bands`."""
    factors: list[ScoreFactor] = Field(default_factory=list)
    """Top positive factors (largest first), then top negative factors (largest first)."""
    engine: str
    """`xgboost` or `rules`."""
    model_version: str
    """The version of the model that scored."""
    note: str = ""
    """Anything a reader must know about the engine (for the rules model: why it scored)."""
    percentile: float | None = None
    """Share (0-100) of the calibration slice's leads that scored at or below this one."""
    id: str | None = None
    """The row's id (`id_column`), when the model knows one."""


# --------------------------------------------------------------------------- values


def is_missing(value: Any, missing: frozenset[str] = frozenset()) -> bool:
    """Return True for None, NaN, a blank string or one of the `missing` placeholders."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        text = value.strip()
        return not text or text.casefold() in missing
    return False


def to_number(value: Any) -> float:
    """Return `value` as a float (yes/true as 1, no/false as 0).

    Raises:
        ValueError: when it is not a number.
    """
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime | date):
        return float(_days(value))
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _TRUE:
            return 1.0
        if text in _FALSE:
            return 0.0
        return float(text.replace(",", "")) if _numberish(text) else float(text)
    raise ValueError(f"not a number: {value!r}")


def _numberish(text: str) -> bool:
    return bool(text) and text.replace(",", "").replace(".", "", 1).lstrip("+-").isdigit()


def _days(value: date | datetime) -> int:
    d = value.date() if isinstance(value, datetime) else value
    return (d - _EPOCH).days


def to_datetime(value: Any) -> datetime:
    """Return `value` as an aware datetime (UTC when it has no zone).

    Raises:
        ValueError: when it is not an ISO date or datetime.
    """
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        result = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    else:
        raise ValueError(f"not a date: {value!r}")
    return result if result.tzinfo else result.replace(tzinfo=UTC)


_WHOLE_NUMBER_TEXT = re.compile(r"([+-]?\d+)\.0*")
"""A whole number written as a float ("5.0", "5."): how a CSV spells a float column's 5."""


def _category(value: Any) -> str:
    """Return the category a raw cell names: trimmed, casefolded, whole numbers as integers.

    A whole-number float reads the same whichever file it came from: 5.0 from Parquet (or
    JSON), "5.0" from a CSV a float column was written to, and "5" are all "5". So a model
    trained on one format scores the other alike, and a model saved before this rule still
    finds its categories (`_canonical_positions`).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().casefold()
    whole = _WHOLE_NUMBER_TEXT.fullmatch(text)
    if whole is None:
        return text
    number = whole.group(1)  # str(int(...)) by hand: no digit limit on a hostile cell
    digits = number.lstrip("+-").lstrip("0") or "0"
    return "-" + digits if number.startswith("-") and digits != "0" else digits


def _canonical_positions(values: Sequence[str]) -> dict[str, int]:
    """Map each learned category, read as `_category` reads a cell now, to its column."""
    positions: dict[str, int] = {}
    for i, value in enumerate(values):
        positions.setdefault(_category(value), i)
    return positions


def parse_target(value: Any, where: str, column: str) -> float:
    """Return 1.0 for a won/converted target and 0.0 for a lost one.

    Raises:
        DataError: naming `where` and the column when the value is missing or unknown.
    """
    if is_missing(value):
        raise DataError(f"{where}: target column {column!r} is empty")
    text = _category(value)
    if text in _POSITIVE:
        return 1.0
    if text in _NEGATIVE:
        return 0.0
    raise DataError(
        f"{where}: target column {column!r} must be won/lost, 1/0 or yes/no, got {value!r}"
    )


# --------------------------------------------------------------------------- encoding


@dataclass
class FittedFeature:
    """One feature and the encoded columns learned for it from the training rows."""

    spec: ScoringFeature
    """The feature as the policy (or inference) declares it."""
    values: tuple[str, ...] = ()
    """Known categories or tags, one column each (categorical and tags kinds)."""
    has_other: bool = False
    """Whether rare categories share an `other` column."""
    has_missing: bool = False
    """Whether the training rows leave it blank: then missing is a state the model learns,
    through an explicit `column=(missing)` indicator column."""
    _memo: dict[Any, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        """Return the column name."""
        return self.spec.column

    @property
    def kind(self) -> FeatureKind:
        """Return the feature kind."""
        return self.spec.kind

    @property
    def columns(self) -> list[str]:
        """Return the encoded column names (`column` or `column=value`)."""
        if self.kind in ("categorical", "tags"):
            cols = [f"{self.name}={v}" for v in self.values]
            if self.has_other:
                cols.append(f"{self.name}={OTHER}")
        else:
            cols = [self.name]
        if self.has_missing:
            cols.append(f"{self.name}={MISSING_LEVEL}")
        return cols

    @property
    def learned_missing(self) -> bool:
        """Return whether the model learned what a blank means (else it averages over it)."""
        return self.has_missing or self.kind == "tags"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description."""
        return {
            "spec": self.spec.model_dump(),
            "values": list(self.values),
            "has_other": self.has_other,
            "has_missing": self.has_missing,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FittedFeature:
        """Rebuild a feature saved with `to_dict`."""
        return cls(
            spec=ScoringFeature.model_validate(data["spec"]),
            values=tuple(data["values"]),
            has_other=bool(data["has_other"]),
            has_missing=bool(data.get("has_missing", False)),
        )


class Encoder:
    """Turns rows of raw values into the model's float matrix."""

    def __init__(self, features: Sequence[FittedFeature], missing: Sequence[str] = ()) -> None:
        """Wrap fitted features; `missing` are the placeholders read as unknown."""
        self.features = list(features)
        """The fitted features, in column order."""
        self.missing = frozenset(m.strip().casefold() for m in missing)
        """Placeholder values read as unknown (casefolded)."""
        self.columns: list[str] = [c for f in self.features for c in f.columns]
        """Encoded column names."""
        self.column_features: list[str] = [f.name for f in self.features for _ in f.columns]
        """The feature each encoded column belongs to."""
        self.offsets: list[int] = []
        """Index of each feature's first encoded column."""
        start = 0
        for f in self.features:
            self.offsets.append(start)
            start += len(f.columns)
        self.feature_matrix = np.zeros((len(self.columns) + 1, len(self.features) + 1))
        """Maps per-column contributions (plus bias) to per-feature ones (plus bias)."""
        for j, name in enumerate(self.column_features):
            self.feature_matrix[j, self.names.index(name)] = 1.0
        self.feature_matrix[-1, -1] = 1.0

    @property
    def names(self) -> list[str]:
        """Return the feature (input column) names."""
        return [f.name for f in self.features]

    def encode(self, rows: Sequence[Mapping[str, Any]]) -> FloatArray:
        """Encode rows into a float matrix (NaN for a missing number).

        Raises:
            DataError: naming the row and column of a value that does not fit its kind.
        """
        return self.encode_with_mask(rows)[0]

    def encode_with_mask(
        self, rows: Sequence[Mapping[str, Any]]
    ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """Encode rows and return which features each row leaves blank (`(rows, features)`).

        A feature the training rows left blank gets 1 in its `column=(missing)` indicator.

        Raises:
            DataError: naming the row and column of a value that does not fit its kind.
        """
        matrix = np.zeros((len(rows), len(self.columns)), dtype=np.float64)
        mask = np.zeros((len(rows), len(self.features)), dtype=np.bool_)
        for k, (f, start) in enumerate(zip(self.features, self.offsets, strict=True)):
            raw = [r.get(f.name) for r in rows]
            mask[:, k] = self._blank(f, raw)
            if f.has_missing:
                matrix[:, start + len(f.columns) - 1] = mask[:, k]
            if f.kind in ("numeric", "boolean", "date"):
                matrix[:, start] = self._scalars(f, raw)
            elif f.kind == "categorical":
                index = self._category_index(f, raw)
                hit = index >= 0
                matrix[np.nonzero(hit)[0], start + index[hit]] = 1.0
            else:
                self._tags(f, raw, matrix, start)
        return matrix, mask

    def _blank(self, f: FittedFeature, raw: list[Any]) -> npt.NDArray[np.bool_]:
        if f.kind == "tags":
            return np.array(
                [not split_tags(v, f.spec.tag_separator, self.missing) for v in raw],
                dtype=np.bool_,
            )
        missing = self.missing
        out = np.empty(len(raw), dtype=np.bool_)
        return _memoised(raw, lambda v: is_missing(v, missing), {}, out)

    def known_counts(self, mask: npt.NDArray[np.bool_]) -> IntArray:
        """Return how many features each row of a blank mask (`encode_with_mask`) knows."""
        return np.asarray((~mask).sum(axis=1), dtype=np.int64)

    def _scalars(self, f: FittedFeature, raw: list[Any]) -> FloatArray:
        out = np.empty(len(raw), dtype=np.float64)
        memo: dict[Any, float] = {}
        for i, value in enumerate(raw):
            key = value if isinstance(value, str | int | float | type(None)) else None
            if key is not None and key in memo:
                out[i] = memo[key]
                continue
            out[i] = self._scalar(f, value, i)
            if key is not None:
                memo[key] = out[i]
        return out

    def _scalar(self, f: FittedFeature, value: Any, i: int) -> float:
        if is_missing(value, self.missing):
            return math.nan
        try:
            if f.kind == "date":
                return float(_days(to_datetime(value)))
            number = to_number(value)
        except (TypeError, ValueError) as err:
            what = {"numeric": "numeric", "boolean": "yes/no", "date": "an ISO date"}[f.kind]
            raise _bad(i, f.name, f"must be {what}, got {value!r}") from err
        if f.kind == "boolean" and number not in (0.0, 1.0):
            raise _bad(i, f.name, f"must be yes/no, got {value!r}")
        if math.isinf(number):
            raise _bad(i, f.name, f"must be finite, got {value!r}")
        return number

    def _category_index(self, f: FittedFeature, raw: list[Any]) -> IntArray:
        memo = f._memo
        if len(memo) > len(f.values) + MEMO_LIMIT:
            memo.clear()  # many distinct raw values (free text): stay flat over a long batch
        if not memo:
            memo.update(_canonical_positions(f.values))
        other = len(f.values) if f.has_other else -1
        missing = self.missing

        def index(value: Any) -> int:
            return -1 if is_missing(value, missing) else memo.get(_category(value), other)

        return _memoised(raw, index, memo, np.empty(len(raw), dtype=np.int64))

    def _tags(self, f: FittedFeature, raw: list[Any], matrix: FloatArray, start: int) -> None:
        position = _canonical_positions(f.values)
        for i, value in enumerate(raw):
            for tag in split_tags(value, f.spec.tag_separator, self.missing):
                j = position.get(tag)
                if j is None and f.has_other:
                    j = len(f.values)
                if j is not None:
                    matrix[i, start + j] = 1.0

    def monotone_constraints(self) -> str:
        """Return the XGBoost monotone-constraint tuple for the encoded columns."""
        signs = []
        for f in self.features:
            sign = f.spec.monotone if f.kind in ("numeric", "boolean", "date") else 0
            signs.extend([sign] * (len(f.columns) - int(f.has_missing)))
            if f.has_missing:
                signs.append(0)  # the missing indicator: no direction
        return "(" + ",".join(str(s) for s in signs) + ")"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description."""
        return {"features": [f.to_dict() for f in self.features], "missing": sorted(self.missing)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Encoder:
        """Rebuild an encoder saved with `to_dict`."""
        return cls([FittedFeature.from_dict(f) for f in data["features"]], data["missing"])


def _bad(row: int, column: str, what: str) -> DataError:
    """Return the error for a value of `column` in `row` that does not fit its kind."""
    return DataError(f"row {row}: column {column!r} {what}", row=row, column=column)


_A = TypeVar("_A", bound=np.ndarray)


def _memoised(raw: list[Any], fn: Callable[[Any], Any], memo: dict[Any, Any], out: _A) -> _A:
    """Fill `out[i]` with `fn(raw[i])`, computing each hashable value once (kept in `memo`)."""
    for i, value in enumerate(raw):
        try:
            out[i] = memo[value]
            continue
        except (KeyError, TypeError):
            pass
        out[i] = result = fn(value)
        try:
            memo[value] = result
        except TypeError:
            pass
    return out


def split_tags(value: Any, separator: str, missing: frozenset[str] = frozenset()) -> list[str]:
    """Split a tag cell ("a; b") or a list into casefolded tags."""
    if is_missing(value, missing):
        return []
    items = value if isinstance(value, list | tuple | set) else str(value).split(separator)
    return [t for t in (_category(x) for x in items) if t and t not in missing]


def fit_feature(
    spec: ScoringFeature, rows: Sequence[Mapping[str, Any]], missing: frozenset[str]
) -> FittedFeature:
    """Learn a feature's categories (or tags) from the training rows."""
    blank = spec.kind != "tags" and any(is_missing(r.get(spec.column), missing) for r in rows)
    if spec.kind not in ("categorical", "tags"):
        return FittedFeature(spec=spec, has_missing=blank)
    counts: Counter[str] = Counter()
    for r in rows:
        value = r.get(spec.column)
        if spec.kind == "tags":
            counts.update(set(split_tags(value, spec.tag_separator, missing)))
        elif not is_missing(value, missing):
            counts[_category(value)] += 1
    kept = tuple(sorted(v for v, n in counts.items() if n >= spec.min_count and v != OTHER))
    rare = any(n < spec.min_count for n in counts.values()) or OTHER in counts
    return FittedFeature(
        spec=spec, values=kept, has_other=rare and spec.kind == "categorical", has_missing=blank
    )


def infer_features(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    missing: frozenset[str] = frozenset(),
    min_count: int = 10,
) -> list[ScoringFeature]:
    """Infer a feature spec: numeric when every non-blank value parses, else categorical.

    Args:
        rows: The training rows.
        columns: The columns to describe (id, target and excluded columns already removed).
        missing: Placeholder values read as unknown.
        min_count: Categories seen fewer times share the `other` column.
    """
    out = []
    for column in columns:
        numeric = True
        seen = False
        for r in rows:
            value = r.get(column)
            if is_missing(value, missing):
                continue
            seen = True
            try:
                to_number(value)
            except (TypeError, ValueError):
                numeric = False
                break
        kind: FeatureKind = "numeric" if numeric and seen else "categorical"
        if kind == "numeric" and _all_yes_no(rows, column, missing):
            kind = "boolean"
        out.append(ScoringFeature(column=column, kind=kind, min_count=min_count))
    return out


def _all_yes_no(rows: Sequence[Mapping[str, Any]], column: str, missing: frozenset[str]) -> bool:
    """Return whether every known value is a bool or a yes/no word (not a 0/1 number)."""
    for r in rows:
        value = r.get(column)
        if is_missing(value, missing) or isinstance(value, bool):
            continue
        if not isinstance(value, str) or value.strip().casefold() not in _YES_NO_WORDS:
            return False
    return True


# --------------------------------------------------------------------------- metrics


def roc_auc(labels: FloatArray, scores: FloatArray) -> float | None:
    """Return the ROC AUC (ties counted half), or None when only one class is present."""
    labels = np.asarray(labels, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    # Average ranks of tied groups, vectorised.
    starts = np.r_[0, np.nonzero(np.diff(sorted_scores))[0] + 1]
    ends = np.r_[starts[1:], len(scores)]
    avg = (starts + ends - 1) / 2.0 + 1.0
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.repeat(avg, ends - starts)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def brier(labels: FloatArray, probs: FloatArray) -> float:
    """Return the Brier score (mean squared error of the probabilities)."""
    return float(np.mean((np.asarray(probs) - np.asarray(labels)) ** 2))


def expected_calibration_error(
    labels: FloatArray, probs: FloatArray, bins: int = ECE_BINS
) -> float:
    """Return the expected calibration error over `bins` equal-width bins of [0, 1]."""
    labels, probs = np.asarray(labels, dtype=np.float64), np.asarray(probs, dtype=np.float64)
    if not len(probs):
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(probs, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.mean() * abs(float(probs[mask].mean()) - float(labels[mask].mean()))
    return float(total)


def sigmoid(z: Any) -> Any:
    """Return the logistic function of `z` (element-wise)."""
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def fit_platt(
    margins: FloatArray, labels: FloatArray, iterations: int = 100
) -> tuple[float, float]:
    """Fit Platt scaling `p = sigmoid(a * margin + b)` by Newton's method.

    Uses Platt's smoothed targets, so a calibration slice with few (or one) classes still
    gives finite parameters.
    """
    n_pos = float(labels.sum())
    n_neg = float(len(labels) - n_pos)
    target = np.where(labels == 1, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    ridge = 1e-6

    def loss(a: float, b: float) -> float:
        z = a * margins + b
        return float(np.sum(np.logaddexp(0.0, z) - target * z) + ridge * (a * a + b * b))

    a, b = 1.0, 0.0
    current = loss(a, b)
    for _ in range(iterations):
        p = sigmoid(a * margins + b)
        w = p * (1.0 - p)
        g = np.array(
            [np.sum((p - target) * margins) + 2 * ridge * a, np.sum(p - target) + 2 * ridge * b]
        )
        h = np.array(
            [
                [np.sum(w * margins * margins) + 2 * ridge, np.sum(w * margins)],
                [np.sum(w * margins), np.sum(w) + 2 * ridge],
            ]
        )
        try:
            step = np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            break
        scale = 1.0
        while scale > 1e-8:
            na, nb = a - scale * float(step[0]), b - scale * float(step[1])
            new = loss(na, nb)
            if new <= current:
                break
            scale /= 2.0
        else:
            break
        converged = abs(current - new) < 1e-10
        a, b, current = na, nb, new
        if converged:
            break
    return a, b


def fit_isotonic(margins: FloatArray, labels: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Fit isotonic regression of the labels on the margins (pool adjacent violators).

    Returns:
        The knots `(x, y)`: block centres and their rates, non-decreasing in both;
        `np.interp(margin, x, y)` gives the calibrated probability.
    """
    order = np.argsort(margins, kind="mergesort")
    xs, ys = np.asarray(margins)[order], np.asarray(labels, dtype=np.float64)[order]
    # Start with one block per distinct margin.
    starts = np.r_[0, np.nonzero(np.diff(xs))[0] + 1]
    sums = np.add.reduceat(ys, starts)
    xsum = np.add.reduceat(xs, starts)
    counts = np.diff(np.r_[starts, len(xs)]).astype(np.float64)
    blocks: list[list[float]] = []  # [label sum, margin sum, count]
    for s, x, n in zip(sums, xsum, counts, strict=True):
        blocks.append([float(s), float(x), float(n)])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][2] >= blocks[-1][0] / blocks[-1][2]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2] + last[2]]
    x_out = np.array([b[1] / b[2] for b in blocks])
    y_out = np.array([b[0] / b[2] for b in blocks])
    return x_out, y_out


ISOTONIC_FLOOR = 0.01
"""Isotonic probabilities stay within [1 %, 99 %]."""


class Calibrator(BaseModel):
    """Maps the booster's raw log-odds to calibrated probabilities."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["platt", "isotonic"]
    """Platt scaling or isotonic regression."""
    a: float = 1.0
    """Platt slope."""
    b: float = 0.0
    """Platt intercept."""
    x: list[float] = Field(default_factory=list)
    """Isotonic knots: margins."""
    y: list[float] = Field(default_factory=list)
    """Isotonic knots: probabilities."""
    rows: int = 0
    """Rows it was fitted on."""

    def __call__(self, margins: FloatArray) -> FloatArray:
        """Return calibrated probabilities for raw margins."""
        m = np.asarray(margins, dtype=np.float64)
        if self.method == "platt":
            return np.asarray(sigmoid(self.a * m + self.b), dtype=np.float64)
        return np.asarray(np.interp(m, self.x, self.y), dtype=np.float64)

    @classmethod
    def fit(
        cls, margins: FloatArray, labels: FloatArray, method: Literal["platt", "isotonic"]
    ) -> Calibrator:
        """Fit a calibrator of the given method on held-out margins and labels."""
        if method == "platt":
            a, b = fit_platt(margins, labels)
            return cls(method="platt", a=a, b=b, rows=len(labels))
        x, y = fit_isotonic(margins, labels)
        # Keep probabilities off 0 and 1: the end blocks of an isotonic fit are a handful of
        # rows, not certainty, so no lead is shown as 0 % or 100 %.
        eps = max(ISOTONIC_FLOOR, 1.0 / (len(labels) + 2.0))
        y = np.clip(y, eps, 1.0 - eps)
        return cls(method="isotonic", x=x.tolist(), y=y.tolist(), rows=len(labels))


# --------------------------------------------------------------------------- model card


class Window(BaseModel):
    """One slice of the training data."""

    rows: int
    """Rows in the slice."""
    positives: int
    """Won (converted) rows in it."""
    start: str | None = None
    """Earliest `time_column` value (ISO date) when the split is in time."""
    end: str | None = None
    """Latest `time_column` value (ISO date) when the split is in time."""


class LeakageReport(BaseModel):
    """What the leakage guard checked and what it found."""

    post_outcome_columns: list[str] = Field(default_factory=list)
    """The policy's list of columns known only after the outcome."""
    present_and_excluded: list[str] = Field(default_factory=list)
    """Post-outcome columns in the data that were kept out of the features."""
    probe_threshold: float = 0.97
    """A feature whose own ROC AUC reaches this is suspected of leaking."""
    probe_auc: dict[str, float] = Field(default_factory=dict)
    """Each feature's own ROC AUC on the training rows (direction-free: max(auc, 1-auc))."""
    suspected: list[str] = Field(default_factory=list)
    """Features at or above the threshold that the spec allowed (`allow_leaky`)."""


class ModelCard(BaseModel):
    """What a model was trained on, how well it does, and what it uses."""

    model_config = ConfigDict(extra="forbid")

    version: str
    """Registry version (`v0001`) or, before registration, `xgb-<fingerprint>`."""
    fingerprint: str
    """Hash of the training data, features and parameters."""
    engine: Literal["xgboost", "rules"]
    """What scores: XGBoost, or the rules model below the data gate."""
    note: str = ""
    """Why the rules model scores, when it does."""
    scored_by: str = ""
    """Which model scores and why (the data gate, the counts, the rules it kept)."""
    trained_at: str
    """When it was trained (UTC, ISO)."""
    target: str
    """The outcome column."""
    id_column: str | None = None
    """The row id column."""
    time_column: str | None = None
    """The column that orders the split, when it was used."""
    split: Literal["time", "stratified", "none"] = "none"
    """How the rows were split."""
    data_window: dict[str, str | None] = Field(default_factory=dict)
    """`start` and `end` of the time column over all rows (empty without one)."""
    rows: dict[str, int] = Field(default_factory=dict)
    """`total`, `positives`, `negatives`, `train`, `validation`, `calibration`, `test`."""
    slices: dict[str, Window] = Field(default_factory=dict)
    """Each slice's size, positives and time window."""
    metrics: dict[str, float | None] = Field(default_factory=dict)
    """Test-slice `roc_auc`, `brier`, `ece`, `brier_uncalibrated`, `base_rate`,
    `rules_roc_auc`, and `test_rows`."""
    features: list[dict[str, Any]] = Field(default_factory=list)
    """Each feature: `column`, `kind`, `group`, `label`, `encoded_columns`."""
    excluded: list[str] = Field(default_factory=list)
    """Columns kept out on request (`exclude`, `scoring.exclude_features`)."""
    leakage: LeakageReport = Field(default_factory=LeakageReport)
    """Leakage checks."""
    calibration: dict[str, Any] = Field(default_factory=dict)
    """`method`, `rows` and what it was fitted on."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Booster parameters."""
    best_iteration: int | None = None
    """Last boosting round kept (early stopping)."""
    parent: str | None = None
    """The version this one was recalibrated from."""
    outcomes_seen: int = 0
    """Outcomes learned from closed deals when this version was made (registry use)."""

    def __getitem__(self, key: str) -> Any:
        """Return one field as JSON data (dict-style access, as the card once was a dict)."""
        if key not in type(self).model_fields:
            raise KeyError(key)
        return self.model_dump(mode="json")[key]

    def get(self, key: str, default: Any = None) -> Any:
        """Return one field as JSON data, or `default` when the card has no such field."""
        try:
            return self[key]
        except KeyError:
            return default


# --------------------------------------------------------------------------- words


Describer = Callable[[str, Any, float], str | None]
"""Optional hook naming a feature value in words; None falls back to the generic wording."""


def _fmt_number(value: float) -> str:
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def describe_value(f: FittedFeature, value: Any, points: float, missing: frozenset[str]) -> str:
    """Name a feature value in words from its label ("Total Time Spent on Website is 674").

    A label with `{value}` is formatted with the value ("visited {value} pages"); a yes/no
    feature with a label reads as the label or "not <label>".
    """
    label = f.spec.label or f.name
    if is_missing(value, missing) and f.kind != "tags":
        return f"no {label} recorded"
    if "{value}" in label:
        return label.format(value=str(value).strip())
    if f.kind == "boolean":
        try:
            yes = bool(to_number(value))
        except (TypeError, ValueError):
            return f"{label} is {value}"
        if f.spec.label:
            return label if yes else f"not {label}"
        return f"{label} is {'yes' if yes else 'no'}"
    if f.kind == "numeric":
        try:
            return f"{label} is {_fmt_number(to_number(value))}"
        except (TypeError, ValueError):
            return f"{label} is {value}"
    if f.kind == "tags":
        tags = split_tags(value, f.spec.tag_separator, missing)
        return f"{label} include {', '.join(tags)}" if tags else f"no {label}"
    if f.kind == "date":
        try:
            return f"{label} on {to_datetime(value).date().isoformat()}"
        except (TypeError, ValueError):
            return f"{label} {value}"
    return f"{label} is {str(value).strip()}"


# --------------------------------------------------------------------------- the model


def _scoring(spec: ScoringPolicy | Policy) -> ScoringPolicy:
    return spec.scoring if isinstance(spec, Policy) else spec


def band_of(probability: float, scoring: ScoringPolicy) -> Literal["A", "B", "C", "D"]:
    """Return the first band of A, B, C whose lower bound `probability` reaches, else D."""
    band: Literal["A", "B", "C"]
    for band in ("A", "B", "C"):
        bound = scoring.bands.get(band)
        if bound is not None and probability >= bound:
            return band
    return "D"


TOP_BAND_MARGIN = 0.01
"""How far below the top band's bound a lead that knows too little is held."""


def _top_bound(scoring: ScoringPolicy) -> float | None:
    """Return the lower bound of the highest band the policy defines (A, else B, else C)."""
    for band in ("A", "B", "C"):
        bound = scoring.bands.get(band)
        if bound is not None:
            return float(bound)
    return None


@dataclass
class Evaluation:
    """Probabilities of a batch, with each feature's points and what each row knows."""

    probs: FloatArray
    """Calibrated probabilities (after the thin-evidence adjustment)."""
    points: FloatArray | None
    """Percentage points per feature (rows, features); None when not asked for."""
    known: list[int]
    """How many features each row knows."""
    known_of: list[str]
    """The features counted."""
    needed: int
    """`scoring.min_known_features`."""


class TrainedModel:
    """A calibrated XGBoost model (or the rules model) with explanations and a model card."""

    def __init__(
        self,
        *,
        card: ModelCard,
        scoring: ScoringPolicy,
        encoder: Encoder | None = None,
        booster: xgb.Booster | None = None,
        calibrator: Calibrator | None = None,
        reference: Sequence[float] | FloatArray = (),
        drift_reference: Mapping[str, Any] | None = None,
        describer: Describer | None = None,
        background: FloatArray | Sequence[Sequence[float]] | None = None,
    ) -> None:
        """Assemble a model; use `train_tabular` or `load` rather than calling this."""
        self.card = card
        """The model card."""
        self.scoring = scoring
        """The scoring policy it was trained with (bands, factor count, rules)."""
        self.encoder = encoder
        """Inputs and their encoding (None for the rules model)."""
        self.booster = booster
        """The booster, cut at the best iteration (None for the rules model)."""
        self.calibrator = calibrator
        """Margin-to-probability map fitted on the calibration slice."""
        self.reference = np.sort(np.asarray(reference, dtype=np.float64))
        """Calibrated probabilities of the calibration slice, for percentiles."""
        self.drift_reference: dict[str, Any] = dict(drift_reference or {})
        """Per-feature bins and shares of the training window, for `drift.psi_report`."""
        self.describer = describer
        """Optional domain wording for factors (the CRM's `describe_factor`)."""
        self.background = (
            np.asarray(background, dtype=np.float64)
            if background is not None and len(background)
            else np.empty((0, len(encoder.columns) if encoder is not None else 0))
        )
        """Encoded training rows: a value the model never saw blank is averaged over them."""
        self.splits: dict[str, list[int]] = {}
        """Indices (into the training rows) of the `train`, `validation`, `calibration` and
        `test` slices; set by `train_tabular`, empty for a loaded model."""
        self._rules: Any = None
        self._bias_p: float | None = None
        self._average_p: float | None = None

    # -- the Scorer protocol -------------------------------------------------------------

    @property
    def version(self) -> str:
        """Return the model version recorded with every score."""
        return self.card.version

    @property
    def engine(self) -> str:
        """Return `xgboost` or `rules`."""
        return self.card.engine

    @property
    def note(self) -> str:
        """Return why the rules model scores (empty for XGBoost)."""
        return self.card.note

    @property
    def metrics(self) -> dict[str, Any]:
        """Return the test-slice metrics of the card."""
        return dict(self.card.metrics)

    @property
    def rules(self) -> Any:
        """Return the policy's transparent points model (`model.RulesScorer`)."""
        if self._rules is None:
            from sales_operator.scoring.model import RulesScorer

            self._rules = RulesScorer(
                Policy(scoring=self.scoring), note=self.card.note if self.is_rules else ""
            )
            if self.is_rules:
                # Scores carry this model's version, as `version` says they do.
                self._rules.version = self.card.version
                self._rules.metrics = {
                    "won": self.card.rows.get("positives", 0),
                    "lost": self.card.rows.get("negatives", 0),
                }
        return self._rules

    @property
    def is_rules(self) -> bool:
        """Return True when the rules model scores (below the data gate)."""
        return self.card.engine == "rules"

    def predict(self, row: Mapping[str, Any]) -> ScoreResult:
        """Score one row (the `Scorer` protocol the scoring pattern uses)."""
        return self.score([row])[0]

    # -- batch ------------------------------------------------------------------------------

    def _dmatrix(self, x: FloatArray) -> xgb.DMatrix:
        import xgboost as xgb

        assert self.encoder is not None
        # Threads cost more than they save on a small batch (a single lead: ~4 ms vs 0.6 ms).
        threads = 1 if len(x) < SMALL_BATCH else None
        return xgb.DMatrix(x, missing=np.nan, feature_names=self.encoder.columns, nthread=threads)

    def margins(self, rows: Sequence[Mapping[str, Any]]) -> FloatArray:
        """Return the booster's raw log-odds for each row."""
        if self.booster is None or self.encoder is None:
            raise DataError("the rules model has no margins")
        d = self._dmatrix(self.encoder.encode(rows))
        return np.asarray(self.booster.predict(d, output_margin=True), dtype=np.float64)

    def predict_proba(self, rows: Sequence[Mapping[str, Any]]) -> FloatArray:
        """Return calibrated probabilities for many rows.

        Raises:
            DataError: naming the row and column of a value that does not fit its kind.
        """
        if self.is_rules:
            return np.array([self.rules.predict(dict(r)).probability for r in rows])
        return self._evaluate(rows, explain=False).probs

    def contributions(self, row: Mapping[str, Any]) -> dict[str, float]:
        """Return each feature's raw log-odds contribution, plus `bias`; they sum to the margin."""
        if self.booster is None or self.encoder is None:
            raise DataError("the rules model has no contributions")
        d = self._dmatrix(self.encoder.encode([row]))
        contribs = np.asarray(self.booster.predict(d, pred_contribs=True))[0]
        per = contribs @ self.encoder.feature_matrix
        out = {name: float(v) for name, v in zip(self.encoder.names, per[:-1], strict=True)}
        out["bias"] = float(per[-1])
        return out

    def percentile(self, probs: FloatArray) -> FloatArray:
        """Return each probability's percentile among the calibration slice's scores."""
        if not len(self.reference):
            return np.full(len(probs), np.nan)
        ranks = np.searchsorted(self.reference, probs, side="right")
        return np.round(100.0 * ranks / len(self.reference), 1)

    def base_probability(self) -> float:
        """Return the calibrated probability of the average lead (the booster's bias)."""
        if self._bias_p is None:
            assert self.booster is not None and self.calibrator is not None
            assert self.encoder is not None
            empty = np.full((1, len(self.encoder.columns)), np.nan)
            bias = float(
                np.asarray(self.booster.predict(self._dmatrix(empty), pred_contribs=True))[0, -1]
            )
            self._bias_p = float(self.calibrator(np.array([bias]))[0])
        return self._bias_p

    def _evaluate(self, rows: Sequence[Mapping[str, Any]], *, explain: bool) -> Evaluation:
        """Score rows with what is known about them, and (`explain`) each feature's points.

        A feature the training rows always had (so the model never learned what a blank
        means) is averaged over the kept training rows (`background`) when a row leaves it
        blank: the row's probability is the mean over them, its TreeSHAP contributions the
        mean contributions, and that feature gets no points of its own. A feature the
        training rows left blank has a learned `(missing)` state and keeps its points.
        Rows knowing fewer than `scoring.min_known_features` features are drawn toward the
        average lead in proportion and kept below the top band.
        """
        enc, booster, calibrator = self.encoder, self.booster, self.calibrator
        assert enc is not None and booster is not None and calibrator is not None
        x, mask = enc.encode_with_mask(rows)
        n, n_features = mask.shape
        learned = np.array([f.learned_missing for f in enc.features], dtype=np.bool_)
        averaged = mask & ~learned
        d = self._dmatrix(x)
        per: FloatArray | None = None
        if explain:
            contribs = np.asarray(booster.predict(d, pred_contribs=True), dtype=np.float64)
            per = contribs @ enc.feature_matrix
            margin = per.sum(axis=1)
        else:
            margin = np.asarray(booster.predict(d, output_margin=True), dtype=np.float64)
        probs = np.asarray(calibrator(margin), dtype=np.float64)
        need: IntArray = (
            np.nonzero(averaged.any(axis=1))[0]
            if len(self.background)
            else np.empty(0, dtype=np.int64)
        )
        if len(need):
            col_feature = np.repeat(np.arange(n_features), [len(f.columns) for f in enc.features])
            bg = self.background
            n_bg, n_cols = bg.shape
            chunk = max(1, 2_000_000 // (n_bg * max(1, n_cols)))
            for start in range(0, len(need), chunk):
                idx = need[start : start + chunk]
                fill = averaged[idx][:, col_feature]
                rep = np.where(fill[:, None, :], bg[None, :, :], x[idx][:, None, :])
                rep = rep.reshape(-1, n_cols)
                dr = self._dmatrix(rep)
                if per is not None:
                    c = np.asarray(booster.predict(dr, pred_contribs=True), dtype=np.float64)
                    c = c @ enc.feature_matrix
                    m = c.sum(axis=1)
                    per[idx] = c.reshape(len(idx), n_bg, -1).mean(axis=1)
                else:
                    m = np.asarray(booster.predict(dr, output_margin=True), dtype=np.float64)
                probs[idx] = calibrator(m).reshape(len(idx), n_bg).mean(axis=1)
        known = enc.known_counts(mask)
        # A model with fewer features than the minimum asks for all of them, no more.
        needed = min(self.scoring.min_known_features, n_features)
        weight = np.ones(n) if needed <= 0 else np.minimum(1.0, known / float(needed))
        p0 = self.base_probability()
        average = self.average_probability()
        raw = probs
        probs = average + weight * (raw - average)
        top = _top_bound(self.scoring)
        if top is not None:
            thin = known < needed
            probs = np.where(thin & (probs >= top), max(0.0, top - TOP_BAND_MARGIN), probs)
        points = None
        if per is not None:
            bias = per[:, -1]
            gap = per.sum(axis=1) - bias
            safe = np.abs(gap) > 1e-9
            h = 1e-3
            m_all = per.sum(axis=1)
            local = (calibrator(m_all + h) - calibrator(m_all - h)) / (2 * h)
            slope = np.where(safe, (raw - p0) / np.where(safe, gap, 1.0), local)
            points = np.round(per[:, :-1] * (slope * weight)[:, None] * 100.0, 2)
            points[averaged] = 0.0
        return Evaluation(
            probs=probs, points=points, known=known.tolist(), known_of=enc.names, needed=needed
        )

    def average_probability(self) -> float:
        """Return the mean probability over the kept training rows (the model's base rate).

        A lead that knows nothing scores this; without kept rows (a model saved before they
        were kept) it is `base_probability()`.
        """
        if self._average_p is None:
            if not len(self.background):
                self._average_p = self.base_probability()
            else:
                assert self.booster is not None and self.calibrator is not None
                m = self.booster.predict(self._dmatrix(self.background), output_margin=True)
                self._average_p = float(np.mean(self.calibrator(np.asarray(m))))
        return self._average_p

    def score(self, rows: Sequence[Mapping[str, Any]]) -> list[ScoreResult]:
        """Score rows: probability, band, percentile and the top factors in points.

        Each factor's points are its TreeSHAP log-odds contribution times the secant slope
        of the calibration map between the average lead and this one, so all features'
        points add up to the gap between this probability and the average one.

        Raises:
            DataError: naming the row and column of a value that does not fit its kind.
        """
        id_col = self.card.id_column
        ids = [None if id_col is None else _id(r.get(id_col)) for r in rows]
        if self.is_rules:
            out = []
            for row, row_id in zip(rows, ids, strict=True):
                result = self.rules.predict(dict(row))
                out.append(result.model_copy(update={"id": row_id}))
            return out
        ev = self._evaluate(rows, explain=True)
        probs, points = ev.probs, ev.points
        assert points is not None
        pct = self.percentile(probs)
        k = min(self.scoring.top_factors, points.shape[1])
        order = np.argsort(-points, axis=1, kind="stable")
        top_pos, top_neg = order[:, :k], order[:, ::-1][:, :k]
        pos_pts = np.take_along_axis(points, top_pos, axis=1)
        neg_pts = np.take_along_axis(points, top_neg, axis=1)
        pos_idx = np.where(pos_pts >= MIN_FACTOR_POINTS, top_pos, -1).tolist()
        neg_idx = np.where(neg_pts <= -MIN_FACTOR_POINTS, top_neg, -1).tolist()
        pos_list, neg_list = pos_pts.tolist(), neg_pts.tolist()
        probs_list = probs.tolist()
        pct_list = [None if math.isnan(v) else v for v in pct.tolist()]
        results = []
        bands = self.scoring
        labels: dict[Any, str] = {}
        factor = self._factor
        version = self.card.version
        for i, row in enumerate(rows):
            factors = [
                factor(j, row, v, labels)
                for j, v in zip(pos_idx[i], pos_list[i], strict=True)
                if j >= 0
            ]
            factors.extend(
                factor(j, row, v, labels)
                for j, v in zip(neg_idx[i], neg_list[i], strict=True)
                if j >= 0
            )
            p = probs_list[i]
            note = ""
            if ev.known[i] < ev.needed:
                note = (
                    f"only {ev.known[i]} of {len(ev.known_of)} features known (fewer than "
                    f"{ev.needed}): the score is drawn toward the average lead and kept out of "
                    "the top band"
                )
            results.append(
                _construct(
                    ScoreResult,
                    {
                        "probability": p,
                        "band": band_of(p, bands),
                        "factors": factors,
                        "engine": "xgboost",
                        "model_version": version,
                        "note": note,
                        "percentile": pct_list[i],
                        "id": ids[i],
                    },
                )
            )
        return results

    def _factor(
        self, j: int, row: Mapping[str, Any], points: float, cache: dict[Any, str]
    ) -> ScoreFactor:
        assert self.encoder is not None
        f = self.encoder.features[j]
        name = f.spec.column
        value = row.get(name)
        try:
            key: Any = (j, value, points < 0)
            label = cache.get(key)
        except TypeError:  # an unhashable value (a list of tags)
            key, label = None, None
        if label is None:
            if self.describer is not None and not f.spec.label:
                label = self.describer(name, value, points)
            if label is None:
                label = describe_value(f, value, points, self.encoder.missing)
            if key is not None:
                cache[key] = label
        return _construct(ScoreFactor, {"feature": name, "label": label, "points": points})

    # -- persistence --------------------------------------------------------------------------

    def save(self, folder: str | Path) -> Path:
        """Write `model.ubj`, `card.json` and `model.json` (encoder, calibrator) to `folder`."""
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        if self.booster is not None:
            self.booster.save_model(str(path / "model.ubj"))
        state = {
            "scoring": self.scoring.model_dump(mode="json"),
            "encoder": self.encoder.to_dict() if self.encoder is not None else None,
            "calibrator": self.calibrator.model_dump() if self.calibrator is not None else None,
            "reference": [float(p) for p in self.reference],
            "drift_reference": self.drift_reference,
            "describer": _describer_path(self.describer),
            "background": [
                [None if math.isnan(v) else v for v in r] for r in self.background.tolist()
            ],
        }
        (path / "model.json").write_text(json.dumps(state) + "\n", "utf-8")
        (path / "card.json").write_text(self.card.model_dump_json(indent=2) + "\n", "utf-8")
        return path

    @classmethod
    def load(cls, folder: str | Path, *, describer: Describer | None = None) -> TrainedModel:
        """Load a model written by `save`.

        Raises:
            DataError: naming the folder when a file is missing or unreadable.
        """
        import xgboost as xgb

        path = Path(folder)
        try:
            card = ModelCard.model_validate_json((path / "card.json").read_text("utf-8"))
            state = json.loads((path / "model.json").read_text("utf-8"))
            booster = None
            if card.engine == "xgboost":
                booster = xgb.Booster()
                booster.load_model(str(path / "model.ubj"))
            return cls(
                card=card,
                scoring=ScoringPolicy.model_validate(state["scoring"]),
                encoder=Encoder.from_dict(state["encoder"]) if state["encoder"] else None,
                booster=booster,
                calibrator=Calibrator.model_validate(state["calibrator"])
                if state["calibrator"]
                else None,
                reference=state.get("reference", []),
                drift_reference=state.get("drift_reference", {}),
                describer=describer or _import_describer(state.get("describer")),
                background=np.array(state.get("background") or [], dtype=np.float64),
            )
        except (OSError, ValueError, KeyError, TypeError, xgb.core.XGBoostError) as err:
            raise DataError(f"cannot load the scoring model in {path}: {err}") from err

    def with_calibrator(self, calibrator: Calibrator, *, note: str = "") -> TrainedModel:
        """Return a copy scored through another calibrator (same trees), parented to this one."""
        card = self.card.model_copy(
            update={
                "parent": self.card.version,
                "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "calibration": {**self.card.calibration, **calibration_summary(calibrator, note)},
            }
        )
        return TrainedModel(
            card=card,
            scoring=self.scoring,
            encoder=self.encoder,
            booster=self.booster,
            calibrator=calibrator,
            reference=self.reference,
            drift_reference=self.drift_reference,
            describer=self.describer,
            background=self.background,
        )


def calibration_summary(calibrator: Calibrator, fitted_on: str) -> dict[str, Any]:
    """Return the card's description of a calibrator."""
    out: dict[str, Any] = {"method": calibrator.method, "rows": calibrator.rows}
    if fitted_on:
        out["fitted_on"] = fitted_on
    if calibrator.method == "platt":
        out.update(a=calibrator.a, b=calibrator.b)
    else:
        out["knots"] = len(calibrator.x)
    return out


def _describer_path(describer: Describer | None) -> str | None:
    """Return `module:name` of a module-level describer (saved with the model), else None."""
    if describer is None:
        return None
    module, name = getattr(describer, "__module__", None), getattr(describer, "__qualname__", "")
    if not module or not name or "<" in name or "." in name:
        return None
    return f"{module}:{name}"


def _import_describer(path: Any) -> Describer | None:
    # Only this library's own wording is imported back: a model file never names code to run.
    if not isinstance(path, str) or ":" not in path or not path.startswith("sales_operator."):
        return None
    import importlib

    module, name = path.split(":", 1)
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None
    return found if callable(found) else None


def _construct(cls: type[_M], values: dict[str, Any]) -> _M:
    """Build a pydantic model from values already known to be valid, without validation.

    What `model_construct` does for a model with no extras and no private attributes, minus
    its per-call bookkeeping: batch scoring builds tens of thousands of these.
    """
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def _id(value: Any) -> str | None:
    return None if value is None else str(value).strip()


# --------------------------------------------------------------------------- training


def _norm(name: str) -> str:
    return " ".join(name.split())


def _columns_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows[:1000]:
        for k in r:
            seen.setdefault(str(k), None)
    return list(seen)


def _check_rows(rows: Sequence[Mapping[str, Any]], target: str) -> list[str]:
    if not rows:
        raise DataError("no rows to train on: the training set is empty")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise DataError(
                f"row {i}: expected a mapping of column to value, got {type(row).__name__}"
            )
    columns = _columns_of(rows)
    if target not in columns:
        raise DataError(
            f"no target column {target!r}{closest_hint([target], columns)}; "
            f"the columns are {columns}"
        )
    return columns


def _order_key(value: Any, where: str, column: str) -> datetime:
    try:
        return to_datetime(value)
    except (TypeError, ValueError) as err:
        raise DataError(f"{where}: column {column!r} is missing or not a date: {value!r}") from err


def _leakage_guard(
    features: Sequence[ScoringFeature],
    scoring: ScoringPolicy,
    columns: Sequence[str],
    explicit: bool,
) -> LeakageReport:
    post = {_norm(c): c for c in scoring.post_outcome_columns}
    leaking = [f.column for f in features if _norm(f.column) in post]
    if leaking:
        how = (
            "remove them from scoring.features"
            if explicit
            else "pass them to exclude (--exclude "
            + " --exclude ".join(f"'{c}'" for c in leaking)
            + ")"
        )
        raise LeakageError(
            f"refusing to train on {leaking}: the policy lists them in "
            f"scoring.post_outcome_columns (known only after the outcome, so the model would "
            f"learn the answer, not the signal); {how}",
            columns=leaking,
        )
    used = {_norm(f.column) for f in features}
    present = [c for c in columns if _norm(c) in post and _norm(c) not in used]
    return LeakageReport(
        post_outcome_columns=list(scoring.post_outcome_columns),
        present_and_excluded=present,
        probe_threshold=scoring.leakage_auc,
    )


ID_WORDS = frozenset({"id", "uuid", "guid", "number"})
"""A column whose name ends in one of these words ("Prospect ID", "Lead Number") is an id."""

ID_MIN_ROWS = 20
"""Rows from which a column with a distinct value in every row counts as an identifier."""


def id_reason(
    column: str, kind: str, values: Sequence[Any], missing: frozenset[str] = frozenset()
) -> str | None:
    """Say why a column looks like an identifier (its name, or a value unique per row).

    A categorical column with a distinct value in (nearly) every row, or a numeric one of
    distinct whole numbers packed in a range barely wider than the row count (a running
    number), is one; a measured number (minutes, employees) spread wider is not.
    """
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", column)
    if words and words[-1].casefold() in ID_WORDS:
        return f"its name ends in {words[-1]!r}"
    if kind in ("tags", "boolean", "date") or len(values) < ID_MIN_ROWS:
        return None
    known = [v for v in values if not is_missing(v, missing)]
    if len(known) < 0.95 * len(values):
        return None
    if kind == "categorical":
        distinct = len({_category(v) for v in known})
    else:
        try:
            numbers = [to_number(v) for v in known]
        except (TypeError, ValueError):
            return None
        if not all(float(v).is_integer() for v in numbers):
            return None
        if max(numbers) - min(numbers) + 1 > 2 * len(numbers):
            return None
        distinct = len(set(numbers))
    if distinct == len(known):
        return f"each of its {len(known)} values is unique to one row"
    return None


def check_identifiers(
    rows: Sequence[Mapping[str, Any]],
    features: Sequence[ScoringFeature],
    missing: frozenset[str] = frozenset(),
) -> None:
    """Refuse features that look like row identifiers, at any data size.

    Raises:
        LeakageError: naming each such column, why it looks like an id, and what to do.
    """
    found = []
    for f in features:
        why = id_reason(f.column, f.kind, [r.get(f.column) for r in rows], missing)
        if why is not None:
            found.append((f.column, why))
    if found:
        detail = "; ".join(f"{c!r} ({why})" for c, why in found)
        names = [c for c, _ in found]
        if len(names) == 1:
            how = f"Pass --id {names[0]!r} if it is the row id, or --exclude {names[0]!r}"
        else:
            rest = " ".join(f"--exclude {c!r}" for c in names[1:])
            how = (
                f"Pass --id {names[0]!r} if it is the row id (one column) and {rest}, or "
                "--exclude each of them"
            )
        raise LeakageError(
            f"refusing to train on identifier column(s) {detail}: an id names the row, it "
            f"does not describe the lead, so the model would memorise rows. {how} (or leave "
            "them out of scoring.features)",
            columns=names,
        )


def _fmt_auc(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _rules_model(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    scoring: ScoringPolicy,
    won: int,
    lost: int,
    features: Sequence[ScoringFeature],
    report: LeakageReport,
    base: Mapping[str, Any],
    describer: Describer | None,
) -> TrainedModel:
    """Return the points model below the data gate, with only the rules whose columns exist.

    Raises:
        DataError: naming the gate, the counts and what to do when no rule's column exists.
    """
    col_set = set(columns)
    kept = [r for r in scoring.rules if str(r.get("feature")) in col_set]
    dropped = sorted({str(r.get("feature")) for r in scoring.rules} - col_set)
    gate = (
        f"{won} won and {lost} lost rows, below the data gate of {scoring.min_won} won and "
        f"{scoring.min_lost} lost"
    )
    if not kept:
        named = sorted({str(r.get("feature")) for r in scoring.rules})
        raise DataError(
            f"cannot train: {gate}, too few for XGBoost, and the points model that scores "
            f"below the gate has no rule on these columns (its rules use {named or 'none'}). "
            f"Collect at least {scoring.min_won} won and {scoring.min_lost} lost rows, or "
            "write scoring.rules for your own columns (e.g. {feature: "
            f"{features[0].column!r}, op: '==', value: ..., points: 20}}) in a policy file "
            "and pass it with --policy"
        )
    note = (
        f"rules model: {won} won and {lost} lost closed deals, below the data gate of "
        f"{scoring.min_won} won and {scoring.min_lost} lost; XGBoost trains once there are enough"
    )
    if dropped:
        note += f"; rules on columns the data lacks were left out: {dropped}"
    used = sorted({str(r.get("feature")) for r in kept})
    scored_by = (
        f"the rules model scores: {gate}, too few for XGBoost; it uses {len(kept)} of the "
        f"policy's {len(scoring.rules)} points rules (on {used})"
        + (f"; rules on absent columns {dropped} left out" if dropped else "")
    )
    kept_scoring = scoring.model_copy(update={"rules": kept})
    fp = _fingerprint(rows, columns, {"rules": kept, "base": scoring.rules_base_points})
    card = ModelCard(
        version=f"rules-{fp}",
        fingerprint=fp,
        engine="rules",
        note=note,
        scored_by=scored_by,
        rows={"total": len(rows), "positives": won, "negatives": lost},
        features=[{"column": f.column, "kind": f.kind} for f in features],
        leakage=report,
        **base,
    )
    return TrainedModel(card=card, scoring=kept_scoring, describer=describer)


def _probe(encoder: Encoder, x: FloatArray, y: FloatArray, report: LeakageReport) -> LeakageReport:
    aucs: dict[str, float] = {}
    for f, start in zip(encoder.features, encoder.offsets, strict=True):
        block = x[:, start : start + len(f.columns)]
        if f.kind in ("numeric", "boolean", "date"):
            values = block[:, 0].copy()
            nan = np.isnan(values)
            if nan.all():
                continue
            # Missing values as their own group below every value.
            values[nan] = np.nanmin(values) - 1.0
            score = values
        elif f.kind == "tags":
            # Each tag on its own: a tag set is nearly unique per row, so its combined rate
            # would look like a perfect predictor on any data.
            tag_aucs = [roc_auc(y, block[:, j]) for j in range(block.shape[1])]
            found = [max(a, 1.0 - a) for a in tag_aucs if a is not None]
            if found:
                aucs[f.name] = round(max(found), 4)
            continue
        else:
            # The category's conversion rate measured on the other folds, so that a category
            # seen once cannot predict its own row.
            _, inverse = np.unique(block, axis=0, return_inverse=True)
            score = _out_of_fold_rate(inverse.ravel(), y)
        auc = roc_auc(y, score)
        if auc is not None:
            aucs[f.name] = round(max(auc, 1.0 - auc), 4)
    return report.model_copy(update={"probe_auc": aucs})


def _out_of_fold_rate(groups: IntArray, y: FloatArray, folds: int = 5) -> FloatArray:
    """Return each row's group's positive rate over the rows of the other folds (smoothed)."""
    n = len(y)
    fold = np.random.default_rng(0).permutation(n) % folds
    prior = float(y.mean()) if n else 0.0
    size = int(groups.max()) + 1 if n else 0
    total_n = np.bincount(groups, minlength=size).astype(np.float64)
    total_y = np.bincount(groups, weights=y, minlength=size)
    out = np.empty(n, dtype=np.float64)
    for k in range(folds):
        mask = fold == k
        in_n = np.bincount(groups[mask], minlength=size)
        in_y = np.bincount(groups[mask], weights=y[mask], minlength=size)
        other_n = total_n - in_n
        other_y = total_y - in_y
        g = groups[mask]
        out[mask] = (other_y[g] + prior) / (other_n[g] + 1.0)
    return out


def _window(y: FloatArray, times: list[datetime] | None, idx: IntArray) -> Window:
    start = end = None
    if times is not None and len(idx):
        ts = [times[i] for i in idx]
        start, end = min(ts).date().isoformat(), max(ts).date().isoformat()
    return Window(rows=len(idx), positives=int(y[idx].sum()), start=start, end=end)


def _split(
    n: int, y: FloatArray, times: list[datetime] | None, seed: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Return index arrays: trees, early stopping, calibration, test."""
    if times is not None:
        order = np.array(sorted(range(n), key=lambda i: (times[i], i)), dtype=np.int64)
        n_train = int(round(n * SPLIT[0]))
        n_cal = int(round(n * SPLIT[1]))
        n_val = max(1, int(round(n_train * VALIDATION_SHARE)))
        n_fit = n_train - n_val
        return (
            order[:n_fit],
            order[n_fit:n_train],
            order[n_train : n_train + n_cal],
            order[n_train + n_cal :],
        )
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[], [], [], []]
    for cls in (0.0, 1.0):
        idx = np.nonzero(y == cls)[0]
        idx = idx[rng.permutation(len(idx))]
        m = len(idx)
        n_train = int(round(m * SPLIT[0]))
        n_cal = int(round(m * SPLIT[1]))
        n_val = max(1, int(round(n_train * VALIDATION_SHARE)))
        cuts = [0, n_train - n_val, n_train, n_train + n_cal, m]
        for k in range(4):
            parts[k].extend(idx[cuts[k] : cuts[k + 1]].tolist())
    return tuple(np.array(sorted(p), dtype=np.int64) for p in parts)  # type: ignore[return-value]


def _fingerprint(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], extra: Mapping[str, Any]
) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(extra, sort_keys=True, default=str).encode())
    for r in rows:
        h.update(json.dumps([str(r.get(c)) for c in columns]).encode())
    return h.hexdigest()[:8]


def train_tabular(
    rows: Sequence[Mapping[str, Any]],
    spec: ScoringPolicy | Policy,
    *,
    target: str,
    id_column: str | None = None,
    exclude: Sequence[str] = (),
    seed: int = 0,
    describer: Describer | None = None,
) -> TrainedModel:
    """Train a calibrated, explained conversion model on rows of CRM history.

    Args:
        rows: One mapping per lead or closed deal: column to raw value (CSV strings are fine).
        spec: The scoring policy (or the whole policy): features, leakage list, time
            column, data gate, calibration, bands.
        target: The outcome column (won/lost, 1/0, yes/no).
        id_column: The row id column (never a feature; reported with each score).
        exclude: Columns never to use (added to `scoring.exclude_features`).
        seed: Seed of the stratified split when there is no time column.
        describer: Optional domain wording for factors without a policy label.

    Returns:
        A `TrainedModel`; its engine is `rules` (with a note saying why) below the data gate.

    Raises:
        DataError: for no rows, a missing target column or value, an unknown feature or
            excluded column, a value that does not fit its kind, or an unparseable time.
        LeakageError: when a feature is a post-outcome column or alone separates the
            classes with ROC AUC >= `scoring.leakage_auc` without `allow_leaky`.
    """
    scoring = _scoring(spec)
    columns = _check_rows(rows, target)
    col_set = set(columns)
    missing = frozenset(m.strip().casefold() for m in scoring.missing_values)
    excluded = [*exclude, *scoring.exclude_features]
    unknown = [c for c in exclude if c not in col_set]
    if unknown:
        raise DataError(
            f"cannot exclude unknown column(s) {unknown}{closest_hint(unknown, columns)}; "
            f"the columns are {columns}"
        )
    if id_column is not None and id_column not in col_set:
        raise DataError(f"no id column {id_column!r}; the columns are {columns}")

    y = np.array(
        [parse_target(r.get(target), f"row {i}", target) for i, r in enumerate(rows)],
        dtype=np.float64,
    )
    time_column = scoring.time_column if scoring.time_column in col_set else None
    times = None
    if time_column is not None:
        times = [
            _order_key(r.get(time_column), f"row {i}", time_column) for i, r in enumerate(rows)
        ]

    skip = {_norm(c) for c in excluded}
    explicit = bool(scoring.features)
    if explicit:
        features = [f for f in scoring.features if _norm(f.column) not in skip]
        absent = [f.column for f in features if f.column not in col_set]
        if absent:
            raise DataError(
                f"scoring.features name column(s) {absent} that the data lacks"
                f"{closest_hint(absent, columns)}; the columns are {columns}"
            )
        features = [f for f in features if f.column != id_column]
    else:
        reserved = {target, id_column, time_column}
        candidates = [c for c in columns if c not in reserved and _norm(c) not in skip]
        features = infer_features(rows, candidates, missing)
    if not features:
        raise DataError("no features left to train on after the exclusions")
    report = _leakage_guard(features, scoring, columns, explicit)

    won = int(y.sum())
    lost = len(y) - won
    if not won or not lost:
        have = "won (positive)" if won else "lost (negative)"
        raise DataError(
            f"target column {target!r} has one class only: all {len(y)} rows are {have}; "
            "a model needs both won and lost rows"
        )
    trained_at = datetime.now(UTC).isoformat(timespec="seconds")
    data_window: dict[str, str | None] = {}
    if times is not None:
        data_window = {
            "column": time_column,
            "start": min(times).date().isoformat(),
            "end": max(times).date().isoformat(),
        }
    base = {
        "target": target,
        "id_column": id_column,
        "time_column": time_column,
        "data_window": data_window,
        "excluded": excluded,
        "trained_at": trained_at,
    }
    below = won < scoring.min_won or lost < scoring.min_lost
    if below:
        fit = np.arange(len(rows), dtype=np.int64)
    else:
        fit, val, cal, test = _split(len(rows), y, times, seed)
    # The identifier check and the leakage probe run at every data size.
    check_identifiers(rows, features, missing)
    fit_rows = [rows[i] for i in fit.tolist()]
    fitted = [fit_feature(f, fit_rows, missing) for f in features]
    encoder = Encoder(fitted, scoring.missing_values)
    x = encoder.encode(rows)
    report = _probe(encoder, x[fit], y[fit], report)
    allowed = {f.column for f in features if f.allow_leaky}
    suspects = sorted(
        (n for n, a in report.probe_auc.items() if a >= scoring.leakage_auc),
        key=lambda n: -report.probe_auc[n],
    )
    refused = [n for n in suspects if n not in allowed]
    if refused:
        detail = ", ".join(f"{n!r} (ROC AUC {report.probe_auc[n]:.3f})" for n in refused)
        raise LeakageError(
            f"refusing to train: {detail} alone separate(s) won from lost almost perfectly "
            f"on the training rows (threshold {scoring.leakage_auc}), which usually means the "
            "value is filled in after the outcome (or is an id); exclude it, or declare it in "
            "scoring.features with allow_leaky: true if it is truly known before the outcome",
            columns=refused,
        )
    if below:
        report = report.model_copy(update={"suspected": [n for n in suspects if n in allowed]})
        return _rules_model(rows, columns, scoring, won, lost, features, report, base, describer)
    report = report.model_copy(update={"suspected": [n for n in suspects if n in allowed]})

    params = dict(XGB_PARAMS)
    params["seed"] = XGB_PARAMS["seed"] + seed
    if len(fit) >= DEEP_ROWS:
        params["max_depth"] = DEEP_MAX_DEPTH
    y_fit = y[fit]
    pos = float(y_fit.sum())
    params["scale_pos_weight"] = (len(y_fit) - pos) / pos if pos else 1.0
    params["monotone_constraints"] = encoder.monotone_constraints()
    names = encoder.columns
    import xgboost as xgb

    d_fit = xgb.DMatrix(x[fit], label=y_fit, missing=np.nan, feature_names=names)
    d_val = xgb.DMatrix(x[val], label=y[val], missing=np.nan, feature_names=names)
    booster = xgb.train(
        params,
        d_fit,
        num_boost_round=MAX_ROUNDS,
        evals=[(d_val, "validation")],
        early_stopping_rounds=EARLY_STOPPING_ROUNDS,
        verbose_eval=False,
        callbacks=[training_callback(MAX_ROUNDS)],  # progress: stream_mode="custom"
    )
    best = int(getattr(booster, "best_iteration", MAX_ROUNDS - 1))
    booster = booster[: best + 1]

    def margins(idx: IntArray) -> FloatArray:
        d = xgb.DMatrix(x[idx], missing=np.nan, feature_names=names)
        return np.asarray(booster.predict(d, output_margin=True), dtype=np.float64)

    method: Literal["platt", "isotonic"]
    if scoring.calibration == "auto":
        method = "isotonic" if len(cal) >= scoring.isotonic_min_rows else "platt"
    else:
        method = scoring.calibration
    cal_margins = margins(cal)
    calibrator = Calibrator.fit(cal_margins, y[cal], method)
    test_margins = margins(test)
    test_probs = calibrator(test_margins)
    raw_probs = np.asarray(sigmoid(test_margins), dtype=np.float64)
    y_test = y[test]
    from sales_operator.scoring.model import RulesScorer

    rules = RulesScorer(Policy(scoring=scoring))
    rules_probs = np.array([rules.predict(dict(rows[i])).probability for i in test])
    metrics: dict[str, float | None] = {
        "roc_auc": roc_auc(y_test, test_probs),
        "brier": brier(y_test, test_probs),
        "ece": expected_calibration_error(y_test, test_probs),
        "brier_uncalibrated": brier(y_test, raw_probs),
        "ece_uncalibrated": expected_calibration_error(y_test, raw_probs),
        "base_rate": float(y_test.mean()) if len(test) else None,
        "rules_roc_auc": roc_auc(y_test, rules_probs),
        "test_rows": float(len(test)),
    }
    fp_cols = [*encoder.names, target] + ([time_column] if time_column else [])
    fp = _fingerprint(rows, fp_cols, {"params": params, "encoder": encoder.to_dict(), "seed": seed})
    auc, rules_auc = metrics["roc_auc"], metrics["rules_roc_auc"]
    scored_by = (
        f"XGBoost scores: {won} won and {lost} lost rows reach the data gate of "
        f"{scoring.min_won} won and {scoring.min_lost} lost; on the {len(test)} held-out "
        f"test rows its ROC AUC is {_fmt_auc(auc)} against the rules model's "
        f"{_fmt_auc(rules_auc)}"
    )
    card = ModelCard(
        version=f"xgb-{fp}",
        fingerprint=fp,
        engine="xgboost",
        scored_by=scored_by,
        split="time" if times is not None else "stratified",
        rows={
            "total": len(y),
            "positives": won,
            "negatives": lost,
            "train": len(fit),
            "validation": len(val),
            "calibration": len(cal),
            "test": len(test),
        },
        slices={
            "train": _window(y, times, fit),
            "validation": _window(y, times, val),
            "calibration": _window(y, times, cal),
            "test": _window(y, times, test),
        },
        metrics=metrics,
        features=[
            {
                "column": f.name,
                "kind": f.kind,
                "group": f.spec.group,
                "label": f.spec.label,
                "encoded_columns": len(f.columns),
            }
            for f in fitted
        ],
        leakage=report,
        calibration=calibration_summary(calibrator, "calibration slice (not seen by the trees)"),
        params=params,
        best_iteration=best,
        **base,
    )
    model = TrainedModel(
        card=card,
        scoring=scoring,
        encoder=encoder,
        booster=booster,
        calibrator=calibrator,
        reference=calibrator(cal_margins),
        drift_reference=reference_bins(encoder, x[np.r_[fit, val]]),
        describer=describer,
        background=x[np.sort(np.random.default_rng(seed).permutation(fit)[:BACKGROUND_ROWS])],
    )
    model.splits = {
        "train": fit.tolist(),
        "validation": val.tolist(),
        "calibration": cal.tolist(),
        "test": test.tolist(),
    }
    return model

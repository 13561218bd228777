"""The lead-conversion model: XGBoost on closed deals, or a transparent points model.

`train_scorer()` trains a gradient-boosted model on the CRM's closed deals, split in time
(train, calibration and test slices ordered by `closed_at`), with early stopping on the last
part of the training slice, `scale_pos_weight` against the won/lost imbalance, and Platt
scaling fitted on the calibration slice so that the probabilities mean what they say. Each
score is explained by the booster's own per-feature contributions (`pred_contribs`), turned
into percentage points and described in words a rep understands.

Below the data gate (`policy.scoring.min_won` / `min_lost`) the `RulesScorer` scores instead:
the points model written in the policy, with every rule that fired as a factor.

`load_or_train_scorer()` keeps trained models under `<model_dir>/<version>/` (`model.json`
and `model_card.json`) and loads the newest one on the next start.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import xgboost as xgb
from pydantic import BaseModel, ConfigDict, Field

from sales_operator.adapters.base import CRMReader
from sales_operator.errors import DataError, PolicyError
from sales_operator.policy import Policy, RoutingPolicy
from sales_operator.state import DealState, ScoreFactor
from sales_operator.vocabulary import segment_from_employees, seniority_from_title

FloatArray = npt.NDArray[np.float64]

CATEGORICAL_FEATURES: tuple[str, ...] = (
    "industry",
    "territory",
    "segment",
    "lead_source",
    "seniority",
)
"""Categorical model inputs, one-hot encoded."""

NUMERIC_FEATURES: tuple[str, ...] = (
    "employees",
    "pages_visited",
    "pricing_page_visits",
    "emails_opened",
    "demo_requested",
    "webinar_attended",
    "days_to_first_touch",
)
"""Numeric model inputs (flags as 0/1); a missing value is passed to XGBoost as missing."""

REQUIRED_COLUMNS: tuple[str, ...] = (
    *CATEGORICAL_FEATURES,
    *NUMERIC_FEATURES,
    "closed_at",
    "outcome",
)
"""Columns every closed-deal row must have to be trained on."""

MONOTONE: dict[str, int] = {
    "pricing_page_visits": 1,
    "demo_requested": 1,
    "days_to_first_touch": -1,
}
"""Directions the model is held to, so its explanations never contradict sales sense."""

SENIORITY_LEVELS: tuple[str, ...] = ("c_level", "vp", "director", "manager", "ic")
"""Seniority values, most senior first."""

SPLIT = (0.6, 0.2, 0.2)
"""Shares of the time-ordered rows used for training, calibration and testing."""

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
"""Booster parameters (`scale_pos_weight` and the monotone constraints are added per run)."""

MAX_ROUNDS = 600
"""Most boosting rounds."""

EARLY_STOPPING_ROUNDS = 50
"""Rounds without improvement on the validation slice before training stops."""

_BANDS: tuple[Literal["A", "B", "C"], ...] = ("A", "B", "C")


class ScoreResult(BaseModel):
    """One score: a probability, its band and the factors behind it."""

    model_config = ConfigDict(extra="forbid")

    probability: float = Field(ge=0.0, le=1.0)
    """Calibrated probability that the deal is won."""
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


# --------------------------------------------------------------------------- features


title_to_seniority = seniority_from_title
"""Map a job title to `c_level`, `vp`, `director`, `manager` or `ic` (see `vocabulary`)."""


def segment_for(employees: int | float | None, routing: RoutingPolicy) -> str | None:
    """Return the segment whose head-count range in the routing policy holds `employees`."""
    return segment_from_employees(employees, routing.segments)


def feature_row(state: DealState, at: datetime, *, policy: Policy | None = None) -> dict[str, Any]:
    """Build the scorer's feature row for the deal from its lead, account and contact.

    Args:
        state: The deal state (lead signals, account, the lead's contact title).
        at: When the score is computed; until the first outbound touch is logged the lead
            counts as touched at once (`days_to_first_touch` 0 at lead time).
        policy: Gives the segments; the default routing segments when None.
    """
    routing = policy.routing if policy is not None else RoutingPolicy()
    lead, account = state.lead, state.account
    signals: dict[str, Any] = dict(lead.signals) if lead is not None else {}
    contact = None
    if lead is not None:
        contact = next((c for c in state.contacts if c.id == lead.contact_id), None)
    title = contact.title if contact is not None else None
    employees = account.employees if account is not None else None
    row: dict[str, Any] = {
        "account_name": account.name if account is not None else None,
        "industry": account.industry if account is not None else None,
        "employees": employees,
        "territory": account.territory if account is not None else None,
        "segment": segment_for(employees, routing),
        "lead_source": lead.source if lead is not None else None,
        "contact_title": title,
        "seniority": title_to_seniority(title) if title else signals.get("seniority"),
    }
    for name in NUMERIC_FEATURES:
        if name in ("employees", "days_to_first_touch"):
            continue
        value = signals.get(name)
        row[name] = int(value) if isinstance(value, bool) else value
    if "days_to_first_touch" in signals:
        row["days_to_first_touch"] = signals["days_to_first_touch"]
    elif lead is not None:
        touches = [
            a.at for a in state.activities if a.direction == "outbound" and a.at >= lead.created_at
        ]
        first = min(touches) if touches else at
        row["days_to_first_touch"] = max(0, (first - lead.created_at).days)
    else:
        row["days_to_first_touch"] = 0
    return row


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


_TRUE = {"true", "yes", "y", "t"}
_FALSE = {"false", "no", "n", "f"}


def _to_number(value: Any) -> float:
    """Return `value` as a float (NaN when missing); raise ValueError when it is not a number."""
    if _is_missing(value):
        return math.nan
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _TRUE:
            return 1.0
        if text in _FALSE:
            return 0.0
        return float(text)
    raise ValueError(f"not a number: {value!r}")


def _to_category(value: Any) -> str | None:
    return None if _is_missing(value) else str(value).strip().casefold()


@dataclass(frozen=True)
class FeatureSpec:
    """The model's inputs and the encoding of each into numeric columns."""

    categorical: dict[str, tuple[str, ...]]
    """Categorical feature to its known values (one column each; unseen values are all-zero)."""
    numeric: tuple[str, ...]
    """Numeric features, one column each."""

    @classmethod
    def fit(cls, rows: Sequence[dict[str, Any]], exclude: Sequence[str] = ()) -> FeatureSpec:
        """Learn the categorical vocabularies from training rows, leaving out `exclude`."""
        skip = set(exclude)
        vocab: dict[str, tuple[str, ...]] = {}
        for name in CATEGORICAL_FEATURES:
            if name in skip:
                continue
            seen = {_to_category(r.get(name)) for r in rows}
            vocab[name] = tuple(sorted(v for v in seen if v is not None))
        numeric = tuple(n for n in NUMERIC_FEATURES if n not in skip)
        return cls(categorical=vocab, numeric=numeric)

    @property
    def features(self) -> list[str]:
        """Return the feature names, numeric first."""
        return [*self.numeric, *self.categorical]

    @property
    def columns(self) -> list[str]:
        """Return the encoded column names (`feature` or `feature=value`)."""
        cols = list(self.numeric)
        for name, values in self.categorical.items():
            cols.extend(f"{name}={v}" for v in values)
        return cols

    @property
    def column_features(self) -> list[str]:
        """Return the feature each encoded column belongs to."""
        feats = list(self.numeric)
        for name, values in self.categorical.items():
            feats.extend(name for _ in values)
        return feats

    def encode(self, rows: Sequence[dict[str, Any]]) -> FloatArray:
        """Encode rows into a float matrix (NaN for missing numbers).

        Raises:
            DataError: naming the row index and column of a value that is not a number.
        """
        matrix = np.zeros((len(rows), len(self.columns)), dtype=np.float64)
        offsets: dict[str, dict[str, int]] = {}
        start = len(self.numeric)
        for name, values in self.categorical.items():
            offsets[name] = {v: start + i for i, v in enumerate(values)}
            start += len(values)
        for i, row in enumerate(rows):
            for j, name in enumerate(self.numeric):
                try:
                    matrix[i, j] = _to_number(row.get(name))
                except (TypeError, ValueError) as err:
                    raise DataError(
                        f"row {i}: column {name!r} must be numeric, got {row.get(name)!r}"
                    ) from err
            for name, index in offsets.items():
                value = _to_category(row.get(name))
                if value is not None and value in index:
                    matrix[i, index[value]] = 1.0
        return matrix

    def monotone_constraints(self) -> str:
        """Return the XGBoost monotone-constraint tuple for the encoded columns."""
        return "(" + ",".join(str(MONOTONE.get(c, 0)) for c in self.columns) + ")"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description."""
        return {
            "numeric": list(self.numeric),
            "categorical": {k: list(v) for k, v in self.categorical.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        """Rebuild a spec saved with `to_dict`."""
        return cls(
            categorical={k: tuple(v) for k, v in data["categorical"].items()},
            numeric=tuple(data["numeric"]),
        )


# --------------------------------------------------------------------------- words


_SOURCE_WORDS = {
    "demo_request": "came in through a demo request",
    "webinar": "came in through a webinar",
    "content_download": "came in through a content download",
    "referral": "came in through a referral",
    "outbound": "came from outbound prospecting",
    "trade_show": "came from a trade show",
}
_SENIORITY_WORDS = {
    "c_level": "C-level contact",
    "vp": "VP-level contact",
    "director": "director-level contact",
    "manager": "manager-level contact",
    "ic": "individual-contributor contact",
}
_SEGMENT_WORDS = {
    "smb": "small business",
    "mid_market": "mid-market company",
    "enterprise": "enterprise account",
}


def _times(n: int, one: str, many: str) -> str:
    return one if n == 1 else many.format(n=n)


def describe_factor(feature: str, value: Any, points: float = 0.0) -> str:
    """Describe one feature value in a rep's words ("visited the pricing page 2 times").

    A count that pulls the score down (`points` < 0) reads as "only": "opened only 3 emails".
    """
    only = "only " if points < 0 else ""
    if _is_missing(value):
        return f"{feature.replace('_', ' ')} unknown"
    if feature in NUMERIC_FEATURES:
        try:
            n = int(round(_to_number(value)))
        except (TypeError, ValueError):
            return f"{feature.replace('_', ' ')}: {value}"
        if feature == "employees":
            return f"{n:,} employees"
        if feature == "pages_visited":
            if not n:
                return "visited no pages"
            return _times(n, f"visited {only}1 page", f"visited {only}{{n}} pages")
        if feature == "pricing_page_visits":
            if n == 0:
                return "never visited the pricing page"
            return _times(n, "visited the pricing page once", "visited the pricing page {n} times")
        if feature == "emails_opened":
            if not n:
                return "opened no emails"
            return _times(n, f"opened {only}1 email", f"opened {only}{{n}} emails")
        if feature == "demo_requested":
            return "requested a demo" if n else "did not request a demo"
        if feature == "webinar_attended":
            return "attended a webinar" if n else "has not attended a webinar"
        if feature == "days_to_first_touch":
            return (
                "first touch the same day"
                if n == 0
                else _times(n, "first touch after 1 day", "first touch after {n} days")
            )
    text = str(value).strip()
    key = text.casefold()
    if feature == "lead_source":
        return _SOURCE_WORDS.get(key, f"lead source {text}")
    if feature == "seniority":
        return _SENIORITY_WORDS.get(key, f"seniority {text}")
    if feature == "segment":
        return _SEGMENT_WORDS.get(key, f"segment {text}")
    if feature == "industry":
        return f"{text} industry"
    if feature == "territory":
        return f"territory {text}"
    return f"{feature.replace('_', ' ')}: {text}"


def band_for(probability: float, policy: Policy) -> Literal["A", "B", "C", "D"]:
    """Return the band of `probability`: the first of A, B, C whose lower bound it reaches."""
    for band in _BANDS:
        bound = policy.scoring.bands.get(band)
        if bound is not None and probability >= bound:
            return band
    return "D"


def _top_factors(factors: list[ScoreFactor], n: int) -> list[ScoreFactor]:
    pos = sorted((f for f in factors if f.points >= 0.05), key=lambda f: (-f.points, f.feature))
    neg = sorted((f for f in factors if f.points <= -0.05), key=lambda f: (f.points, f.feature))
    return pos[:n] + neg[:n]


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class _Parsed:
    rows: list[dict[str, Any]]
    labels: FloatArray
    closed: list[datetime]


def _to_datetime(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        try:
            result = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as err:
            raise DataError(f"{where} is not an ISO date: {value!r}") from err
    else:
        raise DataError(f"{where} is missing or not a date: {value!r}")
    return result if result.tzinfo else result.replace(tzinfo=UTC)


_WON = {"won", "closed_won", "1", "true"}
_LOST = {"lost", "closed_lost", "0", "false"}


def _parse_rows(rows: Sequence[dict[str, Any]]) -> _Parsed:
    if not rows:
        raise DataError("no closed deals to train on: the training set is empty")
    labels = np.zeros(len(rows), dtype=np.float64)
    closed: list[datetime] = []
    clean: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise DataError(
                f"row {i}: expected a mapping of column to value, got {type(row).__name__}"
            )
        missing = [c for c in REQUIRED_COLUMNS if c not in row]
        if missing:
            raise DataError(f"row {i}: missing column(s) {missing}")
        outcome = str(row["outcome"]).strip().casefold()
        if outcome in _WON:
            labels[i] = 1.0
        elif outcome not in _LOST:
            raise DataError(
                f"row {i}: column 'outcome' must be 'won' or 'lost', got {row['outcome']!r}"
            )
        closed.append(_to_datetime(row["closed_at"], f"row {i}: column 'closed_at'"))
        for name in NUMERIC_FEATURES:
            try:
                _to_number(row[name])
            except (TypeError, ValueError) as err:
                raise DataError(
                    f"row {i}: column {name!r} must be numeric, got {row[name]!r}"
                ) from err
        clean.append(row)
    return _Parsed(rows=clean, labels=labels, closed=closed)


# --------------------------------------------------------------------------- metrics


def roc_auc(labels: FloatArray, scores: FloatArray) -> float | None:
    """Return the ROC AUC (ties counted half), or None when only one class is present."""
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def brier(labels: FloatArray, probs: FloatArray) -> float:
    """Return the Brier score (mean squared error of the probabilities)."""
    return float(np.mean((probs - labels) ** 2))


def _sigmoid(z: Any) -> Any:
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
        p = _sigmoid(a * margins + b)
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


# --------------------------------------------------------------------------- scorers


class XGBScorer:
    """A calibrated XGBoost model with per-score explanations."""

    engine = "xgboost"
    """The engine name recorded with every score."""

    def __init__(
        self,
        booster: xgb.Booster,
        spec: FeatureSpec,
        calibration: tuple[float, float],
        card: dict[str, Any],
        policy: Policy,
    ) -> None:
        """Wrap a trained booster with its feature spec, Platt parameters and model card."""
        self.booster = booster
        """The trained booster (cut at the best iteration)."""
        self.spec = spec
        """Inputs and their encoding."""
        self.calibration = calibration
        """Platt parameters `(a, b)`: probability = sigmoid(a * margin + b)."""
        self.card = card
        """The model card (data window, row counts, metrics, features)."""
        self.policy = policy
        """Gives bands and the number of factors kept."""
        self.version: str = str(card["version"])
        """Model version recorded with every score."""
        self.metrics: dict[str, Any] = dict(card.get("metrics", {}))
        """Metrics on the test slice: `roc_auc`, `brier`, and the rules baseline's AUC."""
        self.note = ""
        """Nothing to add for a trained model."""

    def _matrix(self, rows: Sequence[dict[str, Any]]) -> xgb.DMatrix:
        return xgb.DMatrix(self.spec.encode(rows), missing=np.nan, feature_names=self.spec.columns)

    def margins(self, rows: Sequence[dict[str, Any]]) -> FloatArray:
        """Return the booster's raw log-odds for each row."""
        return np.asarray(
            self.booster.predict(self._matrix(rows), output_margin=True), dtype=np.float64
        )

    def predict_proba(self, rows: Sequence[dict[str, Any]]) -> FloatArray:
        """Return calibrated probabilities for many rows."""
        a, b = self.calibration
        return np.asarray(_sigmoid(a * self.margins(rows) + b), dtype=np.float64)

    def contributions(self, row: dict[str, Any]) -> dict[str, float]:
        """Return each feature's raw log-odds contribution, plus `bias`; they sum to the margin."""
        contribs = self.booster.predict(self._matrix([row]), pred_contribs=True)[0]
        out: dict[str, float] = {}
        for feature, value in zip(self.spec.column_features, contribs[:-1], strict=True):
            out[feature] = out.get(feature, 0.0) + float(value)
        out["bias"] = float(contribs[-1])
        return out

    def predict(self, row: dict[str, Any]) -> ScoreResult:
        """Score one feature row, with its top factors in percentage points.

        Each factor's points are its calibrated log-odds contribution scaled by the secant
        slope of the sigmoid between the average lead and this one, so the points of all
        features add up to the gap between this probability and the average one.

        Raises:
            DataError: when a numeric feature of `row` is not a number.
        """
        a, b = self.calibration
        contribs = self.contributions(row)
        bias = contribs.pop("bias")
        base_logit = a * bias + b
        logit = base_logit + a * sum(contribs.values())
        p, p0 = float(_sigmoid(logit)), float(_sigmoid(base_logit))
        slope = (p - p0) / (logit - base_logit) if abs(logit - base_logit) > 1e-9 else p * (1 - p)
        factors = []
        for name, value in contribs.items():
            points = round(a * value * slope * 100.0, 2)
            factors.append(
                ScoreFactor(
                    feature=name, label=describe_factor(name, row.get(name), points), points=points
                )
            )
        return ScoreResult(
            probability=p,
            band=band_for(p, self.policy),
            factors=_top_factors(factors, self.policy.scoring.top_factors),
            engine=self.engine,
            model_version=self.version,
        )

    def save(self, model_dir: Path) -> Path:
        """Write `model.json` and `model_card.json` under `model_dir/<version>/`; return it."""
        folder = Path(model_dir) / self.version
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / "model.json"))
        (folder / "model_card.json").write_text(json.dumps(self.card, indent=2) + "\n", "utf-8")
        return folder

    @classmethod
    def load(cls, folder: Path, policy: Policy) -> XGBScorer:
        """Load a model saved with `save`.

        Raises:
            DataError: when the folder lacks a file or the card is not valid.
        """
        card_path, model_path = folder / "model_card.json", folder / "model.json"
        try:
            card = json.loads(card_path.read_text("utf-8"))
            spec = FeatureSpec.from_dict(card["features"])
            a, b = card["calibration"]["a"], card["calibration"]["b"]
            booster = xgb.Booster()
            booster.load_model(str(model_path))
        except (OSError, ValueError, KeyError, TypeError, xgb.core.XGBoostError) as err:
            raise DataError(f"cannot load the scoring model in {folder}: {err}") from err
        return cls(booster, spec, (float(a), float(b)), card, policy)


_OPS = ("==", "!=", ">", ">=", "<", "<=", "in", "not_in")


class RulesScorer:
    """The transparent points model from `policy.scoring.rules`, used below the data gate.

    Every lead starts at `rules_base_points`; each rule that holds adds its points; the
    probability is points / 100, clipped to [0, 1].
    """

    engine = "rules"
    """The engine name recorded with every score."""

    def __init__(
        self, policy: Policy, *, note: str = "", counts: dict[str, int] | None = None
    ) -> None:
        """Build the points model from the policy.

        Raises:
            PolicyError: naming the rule that has an unknown operator or lacks a key.
        """
        for i, rule in enumerate(policy.scoring.rules):
            missing = [k for k in ("feature", "op", "value", "points") if k not in rule]
            if missing:
                raise PolicyError(f"scoring.rules[{i}]: missing key(s) {missing}")
            if rule["op"] not in _OPS:
                raise PolicyError(
                    f"scoring.rules[{i}]: unknown op {rule['op']!r}; use one of {list(_OPS)}"
                )
        self.policy = policy
        """The policy holding the rules."""
        digest = hashlib.sha256(
            json.dumps(
                [policy.scoring.rules, policy.scoring.rules_base_points],
                sort_keys=True,
                default=str,
            ).encode()
        ).hexdigest()[:8]
        self.version: str = f"rules-{digest}"
        """Model version: a hash of the rules."""
        self.note = note
        """Why the rules model scores (the data gate), in words."""
        self.metrics: dict[str, Any] = dict(counts or {})
        """Closed-deal counts seen at training time (no test metrics: nothing was trained)."""

    @staticmethod
    def _holds(rule: dict[str, Any], value: Any) -> bool:
        op, target = rule["op"], rule["value"]
        if op in ("in", "not_in"):
            options = target if isinstance(target, list | tuple | set) else [target]
            inside = _to_category(value) in {_to_category(o) for o in options}
            return inside if op == "in" else not inside
        if _is_missing(value):
            return False
        try:
            left, right = _to_number(value), _to_number(target)
        except (TypeError, ValueError):
            left_s, right_s = _to_category(value), _to_category(target)
            if op == "==":
                return left_s == right_s
            if op == "!=":
                return left_s != right_s
            return False
        if math.isnan(left):
            return False
        return {
            "==": left == right,
            "!=": left != right,
            ">": left > right,
            ">=": left >= right,
            "<": left < right,
            "<=": left <= right,
        }[op]

    def predict(self, row: dict[str, Any]) -> ScoreResult:
        """Score one feature row with the points model; each rule that held is a factor."""
        points = float(self.policy.scoring.rules_base_points)
        factors: list[ScoreFactor] = []
        for rule in self.policy.scoring.rules:
            feature = str(rule["feature"])
            if self._holds(rule, row.get(feature)):
                points += float(rule["points"])
                factors.append(
                    ScoreFactor(
                        feature=feature,
                        label=describe_factor(feature, row.get(feature)),
                        points=float(rule["points"]),
                    )
                )
        p = min(1.0, max(0.0, points / 100.0))
        return ScoreResult(
            probability=p,
            band=band_for(p, self.policy),
            factors=_top_factors(factors, self.policy.scoring.top_factors),
            engine=self.engine,
            model_version=self.version,
            note=self.note,
        )


def _iso(d: datetime) -> str:
    return d.date().isoformat()


def _fingerprint(parsed: _Parsed, spec: FeatureSpec, params: dict[str, Any]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(params, sort_keys=True, default=str).encode())
    h.update(json.dumps(spec.to_dict(), sort_keys=True).encode())
    for row, label, closed in zip(parsed.rows, parsed.labels, parsed.closed, strict=True):
        values = [str(row.get(c)) for c in (*CATEGORICAL_FEATURES, *NUMERIC_FEATURES)]
        h.update(json.dumps([values, float(label), closed.isoformat()]).encode())
    return h.hexdigest()[:8]


def train_scorer(rows: list[dict[str, Any]], policy: Policy) -> XGBScorer | RulesScorer:
    """Train the conversion model on closed deals, or fall back to the rules model.

    Rows are ordered by `closed_at` and split into training (60 %, its latest fifth held
    out for early stopping), calibration (20 %) and test (20 %) slices, so the model is
    always judged on deals that closed after the ones it learned from.

    Args:
        rows: One dict per closed deal with the columns of `closed_deals.csv` (values may be
            strings, as a CRM returns them).
        policy: Gives the data gate, excluded features, bands and factor count.

    Returns:
        An `XGBScorer`, or a `RulesScorer` (engine `rules`, with a note saying why) when
        there are fewer than `min_won` won or `min_lost` lost deals.

    Raises:
        DataError: for no rows, a row missing a column, a non-numeric value in a numeric
            column or a bad outcome or date, naming the row index.
    """
    parsed = _parse_rows(rows)
    won = int(parsed.labels.sum())
    lost = len(parsed.labels) - won
    gate = policy.scoring
    if won < gate.min_won or lost < gate.min_lost:
        note = (
            f"rules model: {won} won and {lost} lost closed deals, below the data gate of "
            f"{gate.min_won} won and {gate.min_lost} lost; XGBoost trains once there are enough"
        )
        return RulesScorer(policy, note=note, counts={"won": won, "lost": lost})

    order = sorted(range(len(parsed.rows)), key=lambda i: (parsed.closed[i], i))
    rows_sorted = [parsed.rows[i] for i in order]
    y = parsed.labels[order]
    closed = [parsed.closed[i] for i in order]
    n = len(rows_sorted)
    n_train = int(round(n * SPLIT[0]))
    n_cal = int(round(n * SPLIT[1]))
    n_val = max(1, int(round(n_train * VALIDATION_SHARE)))
    n_fit = n_train - n_val
    fit, val = slice(0, n_fit), slice(n_fit, n_train)
    cal, test = slice(n_train, n_train + n_cal), slice(n_train + n_cal, n)

    spec = FeatureSpec.fit(rows_sorted[fit], exclude=gate.exclude_features)
    x = spec.encode(rows_sorted)
    y_fit = y[fit]
    pos = float(y_fit.sum())
    params = dict(XGB_PARAMS)
    params["scale_pos_weight"] = (len(y_fit) - pos) / pos if pos else 1.0
    params["monotone_constraints"] = spec.monotone_constraints()
    d_fit = xgb.DMatrix(x[fit], label=y_fit, missing=np.nan, feature_names=spec.columns)
    d_val = xgb.DMatrix(x[val], label=y[val], missing=np.nan, feature_names=spec.columns)
    booster = xgb.train(
        params,
        d_fit,
        num_boost_round=MAX_ROUNDS,
        evals=[(d_val, "validation")],
        early_stopping_rounds=EARLY_STOPPING_ROUNDS,
        verbose_eval=False,
    )
    best = int(getattr(booster, "best_iteration", MAX_ROUNDS - 1))
    booster = booster[: best + 1]

    def margins(part: slice) -> FloatArray:
        d = xgb.DMatrix(x[part], missing=np.nan, feature_names=spec.columns)
        return np.asarray(booster.predict(d, output_margin=True), dtype=np.float64)

    a, b = fit_platt(margins(cal), y[cal])
    test_probs = np.asarray(_sigmoid(a * margins(test) + b), dtype=np.float64)
    rules = RulesScorer(policy)
    rules_probs = np.array([rules.predict(r).probability for r in rows_sorted[test]])
    auc = roc_auc(y[test], test_probs)
    rules_auc = roc_auc(y[test], rules_probs)

    def window(part: slice) -> dict[str, Any]:
        dates = closed[part]
        return {
            "rows": len(dates),
            "won": int(y[part].sum()),
            "closed_from": _iso(dates[0]) if dates else None,
            "closed_to": _iso(dates[-1]) if dates else None,
        }

    fingerprint = _fingerprint(parsed, spec, params)
    version = f"xgb-{closed[-1]:%Y%m%d}-{fingerprint}"
    card: dict[str, Any] = {
        "version": version,
        "engine": "xgboost",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_window": {"closed_from": _iso(closed[0]), "closed_to": _iso(closed[-1])},
        "rows": {
            "total": n,
            "won": won,
            "lost": lost,
            "train": n_fit,
            "validation": n_train - n_fit,
            "calibration": n_cal,
            "test": n - n_train - n_cal,
        },
        "slices": {
            "train": window(fit),
            "validation": window(val),
            "calibration": window(cal),
            "test": window(test),
        },
        "metrics": {
            "roc_auc": auc,
            "brier": brier(y[test], test_probs),
            "base_rate": float(y[test].mean()),
            "rules_roc_auc": rules_auc,
            "test_rows": n - n_train - n_cal,
        },
        "features": spec.to_dict(),
        "excluded_features": list(gate.exclude_features),
        "calibration": {"method": "platt", "a": a, "b": b, "fitted_on": "calibration slice"},
        "params": params,
        "best_iteration": best,
    }
    return XGBScorer(booster, spec, (a, b), card, policy)


def _expected_features(policy: Policy) -> tuple[set[str], set[str]]:
    skip = set(policy.scoring.exclude_features)
    return (
        {n for n in NUMERIC_FEATURES if n not in skip},
        {n for n in CATEGORICAL_FEATURES if n not in skip},
    )


def _newest_saved(model_dir: Path, policy: Policy) -> Path | None:
    if not model_dir.is_dir():
        return None
    numeric, categorical = _expected_features(policy)
    found: list[tuple[str, str, Path]] = []
    for folder in model_dir.iterdir():
        card_path = folder / "model_card.json"
        if not (card_path.is_file() and (folder / "model.json").is_file()):
            continue
        try:
            card = json.loads(card_path.read_text("utf-8"))
            feats = card["features"]
            same = set(feats["numeric"]) == numeric and set(feats["categorical"]) == categorical
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if same and card.get("engine") == "xgboost":
            found.append((str(card.get("trained_at", "")), folder.name, folder))
    return max(found)[2] if found else None


def load_or_train_scorer(
    crm: CRMReader, policy: Policy, model_dir: Path
) -> XGBScorer | RulesScorer:
    """Load the newest saved model under `model_dir`, or train one on the CRM's closed deals.

    A saved model counts only when it was trained on the features the policy asks for
    (`exclude_features` unchanged). A newly trained XGBoost model is saved under
    `model_dir/<version>/` (`model.json`, `model_card.json`); the rules model is not saved,
    it is rebuilt from the policy each time.

    Raises:
        DataError: when the closed deals cannot be trained on, or a saved model is unreadable.
    """
    model_dir = Path(model_dir)
    newest = _newest_saved(model_dir, policy)
    if newest is not None:
        return XGBScorer.load(newest, policy)
    scorer = train_scorer(crm.closed_deal_rows(), policy)
    if isinstance(scorer, XGBScorer):
        scorer.save(model_dir)
    return scorer


def read_closed_deals_csv(path: Path | None = None) -> list[dict[str, Any]]:
    """Read `closed_deals.csv` (the bundled one by default) into rows of strings."""
    import csv
    from importlib import resources

    if path is None:
        text = (
            resources.files("sales_operator").joinpath("data/closed_deals.csv").read_text("utf-8")
        )
    else:
        text = Path(path).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))

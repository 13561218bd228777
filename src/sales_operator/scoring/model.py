"""The CRM's conversion model: the tabular trainer on closed deals, or a transparent points model.

`train_scorer()` is `tabular.train_tabular()` on the CRM's closed deals with the policy's
feature spec (`scoring.features`), ordered in time by `scoring.time_column` (`closed_at`):
XGBoost with early stopping and `scale_pos_weight`, calibrated on deals the trees never saw,
each score explained by TreeSHAP (`pred_contribs`) in a rep's words ("visited the pricing
page 2 times"). `XGBScorer` is `tabular.TrainedModel`.

Below the data gate (`policy.scoring.min_won` / `min_lost`) the `RulesScorer` scores instead:
the points model written in the policy, with every rule that fired as a factor.

`load_or_train_scorer()` keeps trained models in a `registry.ModelRegistry` (`v0001`,
`v0002`, ... with `model.ubj` and `card.json`) and returns a `registry.RegistryScorer` that
learns from closed deals (recalibrates, retrains) and can roll back.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from sales_operator.adapters.base import CRMReader
from sales_operator.errors import DataError, PolicyError
from sales_operator.policy import Policy, RoutingPolicy, ScoringFeature, ScoringPolicy
from sales_operator.scoring.tabular import (
    MIN_FACTOR_POINTS,
    ScoreResult,
    TrainedModel,
    band_of,
    brier,
    expected_calibration_error,
    fit_platt,
    roc_auc,
    to_number,
    train_tabular,
)
from sales_operator.scoring.tabular import (
    is_missing as _is_missing,
)
from sales_operator.state import DealState, ScoreFactor
from sales_operator.vocabulary import segment_from_employees, seniority_from_title

if TYPE_CHECKING:
    from sales_operator.scoring.registry import RegistryScorer

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "CATEGORICAL_FEATURES",
    "NUMERIC_FEATURES",
    "REQUIRED_COLUMNS",
    "RulesScorer",
    "ScoreResult",
    "XGBScorer",
    "band_for",
    "brier",
    "describe_factor",
    "expected_calibration_error",
    "feature_row",
    "fit_platt",
    "load_or_train_scorer",
    "read_closed_deals_csv",
    "roc_auc",
    "segment_for",
    "title_to_seniority",
    "train_scorer",
]

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
"""Columns every closed-deal row must have to be trained on (with the bundled policy)."""

MONOTONE: dict[str, int] = {
    "pricing_page_visits": 1,
    "demo_requested": 1,
    "days_to_first_touch": -1,
}
"""Directions the bundled policy holds the model to (`monotone` in `scoring.features`)."""

SENIORITY_LEVELS: tuple[str, ...] = ("c_level", "vp", "director", "manager", "ic")
"""Seniority values, most senior first."""


XGBScorer = TrainedModel
"""The trained conversion model (`tabular.TrainedModel`), under its historical name."""


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


def _to_number(value: Any) -> float:
    """Return `value` as a float (NaN when missing); raise ValueError when it is not a number."""
    return math.nan if _is_missing(value) else to_number(value)


def _to_category(value: Any) -> str | None:
    return None if _is_missing(value) else str(value).strip().casefold()


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
        return f"no {feature.replace('_', ' ')} recorded"
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


def band_for(probability: float, policy: Policy | ScoringPolicy) -> Literal["A", "B", "C", "D"]:
    """Return the band of `probability`: the first of A, B, C whose lower bound it reaches."""
    return band_of(probability, policy.scoring if isinstance(policy, Policy) else policy)


def _top_factors(factors: list[ScoreFactor], n: int) -> list[ScoreFactor]:
    pos = sorted(
        (f for f in factors if f.points >= MIN_FACTOR_POINTS), key=lambda f: (-f.points, f.feature)
    )
    neg = sorted(
        (f for f in factors if f.points <= -MIN_FACTOR_POINTS), key=lambda f: (f.points, f.feature)
    )
    return pos[:n] + neg[:n]


_OPS = ("==", "!=", ">", ">=", "<", "<=", "in", "not_in")
_WON = ("won", "closed_won", "1", "true")


class RulesScorer:
    """The transparent points model from `policy.scoring.rules`, used below the data gate.

    Every lead starts at `rules_base_points`; each rule that holds adds its points; the
    probability is points / 100, clipped to [0, 1].
    """

    engine = "rules"
    """The engine name recorded with every score."""

    def __init__(
        self,
        policy: Policy | ScoringPolicy,
        *,
        note: str = "",
        counts: dict[str, int] | None = None,
    ) -> None:
        """Build the points model from the policy.

        Raises:
            PolicyError: naming the rule that has an unknown operator or lacks a key.
        """
        if isinstance(policy, ScoringPolicy):
            policy = Policy(scoring=policy)
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
            if _is_missing(value) and not inside:
                return False  # a blank matches only a rule that names it (`in: [null]`)
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

    def predict(self, row: Mapping[str, Any]) -> ScoreResult:
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


# --------------------------------------------------------------------------- training


def describe_crm_factor(feature: str, value: Any, points: float) -> str | None:
    """Name a closed-deal feature in a rep's words; None for a column it does not know."""
    if feature in NUMERIC_FEATURES or feature in CATEGORICAL_FEATURES:
        return describe_factor(feature, value, points)
    return None


_CRM_GROUPS = {
    "employees": "firmographic",
    "industry": "firmographic",
    "territory": "firmographic",
    "segment": "firmographic",
    "seniority": "firmographic",
    "lead_source": "source",
    "pages_visited": "behavioural",
    "pricing_page_visits": "behavioural",
    "demo_requested": "behavioural",
    "emails_opened": "engagement",
    "webinar_attended": "engagement",
    "days_to_first_touch": "engagement",
}


def crm_policy(policy: Policy) -> Policy:
    """Return the policy with the closed-deal defaults filled in where its scoring leaves gaps.

    A policy without `scoring.features` gets the bundled feature list (the columns of
    `closed_deals.csv`, with their monotone directions), `closed_at` as the time column, and
    `amount`, `stage` and `closed_at` as post-outcome columns.
    """
    scoring = policy.scoring
    if scoring.features:
        return policy
    features = [
        ScoringFeature(
            column=name,
            kind="numeric" if name in NUMERIC_FEATURES else "categorical",
            group=_CRM_GROUPS.get(name, "other"),
            monotone=MONOTONE.get(name, 0),
        )
        for name in (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES)
    ]
    post = scoring.post_outcome_columns or ["amount", "stage", "closed_at"]
    filled = scoring.model_copy(
        update={
            "features": features,
            "time_column": scoring.time_column or "closed_at",
            "post_outcome_columns": post,
        }
    )
    return policy.model_copy(update={"scoring": filled})


def _required(policy: Policy) -> list[str]:
    scoring = policy.scoring
    skip = set(scoring.exclude_features)
    if scoring.features:
        cols = [f.column for f in scoring.features if f.column not in skip]
    else:
        cols = [c for c in (*CATEGORICAL_FEATURES, *NUMERIC_FEATURES) if c not in skip]
    return [*cols, *([scoring.time_column] if scoring.time_column else []), "outcome"]


def _validate_rows(rows: Sequence[Mapping[str, Any]], policy: Policy) -> None:
    """Check what `train_tabular` does not check below the data gate.

    Every row must have the required columns, a won/lost outcome and numbers in the numeric
    columns (the trainer checks the time column, and the numbers only when XGBoost trains).
    """
    if not rows:
        raise DataError("no closed deals to train on: the training set is empty")
    required = _required(policy)
    numeric = {
        f.column for f in policy.scoring.features if f.kind in ("numeric", "boolean")
    } or set(NUMERIC_FEATURES)
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise DataError(
                f"row {i}: expected a mapping of column to value, got {type(row).__name__}"
            )
        missing = [c for c in required if c not in row]
        if missing:
            from sales_operator.scoring.features import closest_hint

            raise DataError(
                f"row {i}: missing column(s) {missing}{closest_hint(missing, map(str, row))}"
            )
        outcome = str(row["outcome"]).strip().casefold()
        if outcome not in ("won", "lost", "closed_won", "closed_lost", "1", "0", "true", "false"):
            raise DataError(
                f"row {i}: column 'outcome' must be 'won' or 'lost', got {row['outcome']!r}"
            )
        for name in numeric:
            if name in row:
                try:
                    _to_number(row[name])
                except (TypeError, ValueError) as err:
                    raise DataError(
                        f"row {i}: column {name!r} must be numeric, got {row[name]!r}"
                    ) from err


def train_scorer(rows: Sequence[Mapping[str, Any]], policy: Policy) -> TrainedModel | RulesScorer:
    """Train the conversion model on closed deals, or fall back to the rules model.

    Runs `tabular.train_tabular` with the policy's feature spec: rows ordered by
    `scoring.time_column` (`closed_at`) and split into trees (48 %), early stopping (12 %),
    calibration (20 %) and test (20 %) slices, so the model is always judged on deals that
    closed after the ones it learned from.

    Args:
        rows: One mapping per closed deal with the columns of `closed_deals.csv` (values may
            be strings, as a CRM returns them).
        policy: Gives the features, the data gate, excluded features, bands and factor count.

    Returns:
        A `TrainedModel` (`XGBScorer`), or a `RulesScorer` (engine `rules`, with a note saying
        why) when there are fewer than `min_won` won or `min_lost` lost deals.

    Raises:
        DataError: for no rows, a row missing a column, a non-numeric value in a numeric
            column or a bad outcome or date, naming the row index.
        LeakageError: when a feature is known only after the outcome.
    """
    policy = crm_policy(policy)
    _validate_rows(rows, policy)
    won = sum(1 for r in rows if str(r["outcome"]).strip().casefold() in _WON)
    if not won or won == len(rows):
        # One class only: nothing to learn from yet, so the points model scores.
        note = (
            f"rules model: {won} won and {len(rows) - won} lost closed deals, below the data "
            f"gate of {policy.scoring.min_won} won and {policy.scoring.min_lost} lost; "
            "XGBoost trains once there are enough"
        )
        return RulesScorer(policy, note=note, counts={"won": won, "lost": len(rows) - won})
    id_column = "deal_id" if all("deal_id" in r for r in rows) else None
    model = train_tabular(
        rows, policy, target="outcome", id_column=id_column, describer=describe_crm_factor
    )
    if model.is_rules:
        counts = {"won": model.card.rows["positives"], "lost": model.card.rows["negatives"]}
        kept = policy.model_copy(update={"scoring": model.scoring})
        return RulesScorer(kept, note=model.note, counts=counts)
    return model


def load_or_train_scorer(crm: CRMReader, policy: Policy, model_dir: Path) -> RegistryScorer:
    """Load the current model of the registry in `model_dir`, or train one on closed deals.

    A saved model counts only when it was trained on the features the policy asks for
    (`scoring.features` and `exclude_features` unchanged). A newly trained XGBoost model is
    registered as the next version (`v0001`, ...) and promoted; the rules model is not
    saved, it is rebuilt from the policy each time.

    Returns:
        A `RegistryScorer`: scores with the current model, learns from closed deals, rolls back.

    Raises:
        DataError: when the closed deals cannot be trained on, or a saved model is unreadable.
    """
    from sales_operator.scoring.registry import ModelRegistry, RegistryScorer

    policy = crm_policy(policy)
    registry = ModelRegistry(Path(model_dir), describer=describe_crm_factor)
    model = registry.load_compatible(policy)
    if model is None:
        rows = crm.closed_deal_rows()
        if not rows:  # a new workspace has no history yet: the policy's rules model scores
            note = "no closed deals in the CRM yet: the policy's rules score until some are"
            return RegistryScorer(registry, policy, RulesScorer(policy, note=note, counts={}))
        trained = train_scorer(rows, policy)
        if isinstance(trained, TrainedModel):
            model = registry.register(trained)
        else:
            return RegistryScorer(registry, policy, trained)
    return RegistryScorer(registry, policy, model)


def read_closed_deals_csv(path: Path | None = None) -> list[dict[str, Any]]:
    """Read `closed_deals.csv` (the bundled one by default) into rows of strings."""
    import csv
    import io
    from importlib import resources

    if path is None:
        text = (
            resources.files("sales_operator").joinpath("data/closed_deals.csv").read_text("utf-8")
        )
    else:
        text = Path(path).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))

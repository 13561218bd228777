"""The RevOps policy: the knobs a RevOps lead owns, in one YAML file.

Scoring inputs, routing rules, risk thresholds, trackers and the approval policy live here,
not in code. `load_policy()` reads and validates a file; `default_policy()` returns the
bundled one (`sales_operator/data/policy.yaml`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sales_operator.errors import PolicyError
from sales_operator.state import ACTION_KINDS


def _default_bands() -> dict[Literal["A", "B", "C"], float]:
    return {"A": 0.7, "B": 0.5, "C": 0.3}


def _all_decisions() -> list[Literal["approve", "edit", "reject"]]:
    return ["approve", "edit", "reject"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompanyPolicy(_Section):
    """Who we are, as the drafts sign it."""

    name: str = "Orbital Freight"
    """The selling company."""
    product: str = "Orbital Dispatch"
    """The product sold."""
    currency: str = "USD"
    """Currency of deal amounts."""
    rep_email_domains: list[str] = Field(default_factory=lambda: ["orbitalfreight.com"])
    """Email domains of our own people; speakers with these addresses are on the rep side."""


class ScoringFeature(_Section):
    """One model input: a column of the training data and how to read it."""

    column: str
    """The column (CSV header or CRM row key)."""
    kind: Literal["numeric", "categorical", "tags", "date", "boolean"] = "categorical"
    """How the value is encoded: a number, one category, a list of tags (split on
    `tag_separator`, one 0/1 column per tag), a date (days since 1970-01-01) or a yes/no."""
    group: Literal["firmographic", "behavioural", "engagement", "source", "other"] = "other"
    """What kind of signal it is (reported in the model card)."""
    label: str = ""
    """How a rep would name it ("visited the pricing page"); the column name when empty."""
    monotone: Literal[-1, 0, 1] = 0
    """Hold the model to a direction: 1 more is never worse, -1 more is never better."""
    tag_separator: str = ";"
    """Separator of the tags in one cell (`kind: tags`)."""
    min_count: int = Field(default=1, ge=1)
    """Categories or tags seen fewer times in training share one `other` column."""
    allow_leaky: bool = False
    """Keep the feature even when it alone separates won from lost almost perfectly."""


class ScoringPolicy(_Section):
    """How leads and deals are scored."""

    min_won: int = 30
    """Fewest won deals before the XGBoost model is trusted; below it the rules model scores."""
    min_lost: int = 30
    """Fewest lost deals before the XGBoost model is trusted."""
    bands: dict[Literal["A", "B", "C"], float] = Field(default_factory=lambda: _default_bands())
    """Lower probability bound of each band; below `C` is band `D`."""
    top_factors: int = 3
    """How many positive and negative factors to keep with each score."""
    exclude_features: list[str] = Field(default_factory=list)
    """Features never to train on (known only after the outcome)."""
    rules: list[dict[str, Any]] = Field(default_factory=list)
    """The transparent points model used below the data gate: `{feature, op, value, points}`."""
    rules_base_points: float = 15.0
    """Points every lead starts with in the rules model (out of 100)."""
    features: list[ScoringFeature] = Field(default_factory=list)
    """The model's inputs; empty means infer them from the training columns."""
    post_outcome_columns: list[str] = Field(default_factory=list)
    """Columns known only after the outcome: training on any of them is refused."""
    time_column: str | None = None
    """When each row's outcome was known; orders the train/calibration/test split."""
    calibration: Literal["auto", "isotonic", "platt"] = "auto"
    """How probabilities are calibrated; `auto` is isotonic from `isotonic_min_rows`
    calibration rows, Platt below."""
    isotonic_min_rows: int = Field(default=1000, ge=10)
    """Fewest calibration rows for `calibration: auto` to pick isotonic regression."""
    missing_values: list[str] = Field(default_factory=list)
    """Cell values that mean "unknown" (besides blanks), e.g. `Select`."""
    leakage_auc: float = Field(default=0.97, gt=0.5, le=1.0)
    """A feature whose own ROC AUC on the training rows reaches this is refused as
    suspected leakage unless it says `allow_leaky: true`."""
    recalibrate_after: int = Field(default=20, ge=1)
    """New closed deals since the current model before it is recalibrated."""
    retrain_after: int = Field(default=100, ge=1)
    """New closed deals since the current model before it is retrained."""
    retrain_every_days: int = Field(default=30, ge=1)
    """Days after which a scheduled refresh retrains the model."""
    drift_psi: float = Field(default=0.25, gt=0.0)
    """Population stability index above which a feature's mix counts as shifted."""
    drift_min_rows: int = Field(default=100, ge=5)
    """Closed deals learned since the current model before their mix is compared with its
    training window; a shifted feature then retrains the model at once."""


class RoutingRule(_Section):
    """Send leads that match `when` to one of `reps`."""

    name: str
    """Rule name, recorded with the assignment."""
    when: dict[str, Any] = Field(default_factory=dict)
    """Conditions: `territory`, `segment`, `min_band`, `source` (a value or a list)."""
    reps: list[str] = Field(default_factory=list)
    """Rep ids eligible under this rule; empty means every rep whose territory and segment fit."""


class RoutingPolicy(_Section):
    """Who handles which lead."""

    segments: dict[str, tuple[int, int | None]] = Field(
        default_factory=lambda: {
            "smb": (0, 199),
            "mid_market": (200, 999),
            "enterprise": (1000, None),
        }
    )
    """Segment name to the head-count range (inclusive; `null` for no upper bound)."""
    rules: list[RoutingRule] = Field(default_factory=list)
    """Rules, first match wins."""
    fallback_queue: str = "queue-inbound"
    """Rep id of the queue that takes leads no rule places, so none is ever unassigned."""
    notify: Literal["slack", "email", "none"] = "slack"
    """How the assigned rep hears about a new lead."""
    strategy: Literal["least_loaded", "round_robin"] = "least_loaded"
    """How a rule picks among its available reps: `least_loaded` (fewest open deals per unit
    of `Rep.weight`) or `round_robin` (fewest recent assignments per unit of weight, so a rep
    of weight 2 gets two leads for every one of a rep of weight 1)."""
    round_robin_window: int = 50
    """How many of the latest assignments `round_robin` counts."""
    working_days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4]
    )
    """Weekdays reps work (0 is Monday), in each rep's own time zone."""
    after_hours: Literal["hold", "next_rule", "ignore"] = "hold"
    """A lead arriving when no candidate of a rule is working: `hold` assigns it to the best
    candidate and holds the notification until that rep's day starts; `next_rule` tries the
    next rules (and finally the fallback queue); `ignore` disregards working hours."""


class RiskPolicy(_Section):
    """When a deal is at risk."""

    inactivity_days: int = 7
    """Days without activity before the deal counts as quiet."""
    close_date_window_days: int = 14
    """A close date this near, with the deal not yet in a late stage, is a warning."""
    late_stages: list[str] = Field(default_factory=lambda: ["negotiation", "closed_won"])
    """Stages counted as late for the close-date rule."""
    penalties: dict[str, float] = Field(
        default_factory=lambda: {
            "inactivity": 0.55,
            "close_date_near": 0.38,
            "no_next_step": 0.15,
            "single_threaded": 0.10,
            "close_date_slip": 0.30,
            "stage_stall": 0.25,
            "pricing_not_discussed": 0.20,
        }
    )
    """Log-odds taken off the model probability for each warning (the bundled policy's values)."""
    at_risk_below: float = 0.6
    """A deal whose probability falls below this with any warning is flagged at risk."""
    close_date_slip_days: int = 7
    """A close date pushed out by this many days or more, in all, is a `close_date_slip`."""
    stage_stall_days: dict[str, int] = Field(
        default_factory=lambda: {
            "new": 7,
            "qualified": 14,
            "discovery": 21,
            "proposal": 21,
            "negotiation": 14,
        }
    )
    """Stage to the most days a deal may sit in it before a `stage_stall` warning."""
    pricing_by_stages: list[str] = Field(default_factory=lambda: ["proposal", "negotiation"])
    """Stages by which pricing must have come up (a `pricing_not_discussed` warning)."""
    pricing_tracker: str = "pricing"
    """The call tracker (in `meetings.keyword_trackers`) that marks a pricing discussion."""


class KeywordTracker(_Section):
    """A keyword tracker with options: who must say it, and whether word forms count."""

    keywords: list[str] = Field(min_length=1)
    """Words or phrases that fire the tracker (whole words, case-insensitive)."""
    said_by: Literal["rep", "customer", "anyone"] = "anyone"
    """Whose sentences count; a speaker the mapping cannot place counts only for `anyone`."""
    word_forms: bool = True
    """Match inflected forms too (price: prices, priced, pricing)."""


class ConceptTracker(_Section):
    """A concept ("smart") tracker: a topic described in words, found by the language model."""

    description: str = Field(min_length=1)
    """What the tracker looks for, in words, for the language model."""
    said_by: Literal["rep", "customer", "anyone"] = "anyone"
    """Whose sentences count."""
    cues: list[str] = Field(default_factory=list)
    """Phrases the offline engine matches (with word forms) when no model is configured;
    without cues the tracker is skipped offline."""


def _default_fillers() -> list[str]:
    return ["um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm"]


class CompetitorDetection(_Section):
    """How vendors not on the `competitors` list are found (`meetings.vendors`)."""

    lexicon: Literal["auto", "on", "off"] = "auto"
    """Whether the bundled vendor lexicon (CRM, sales-tech and conversation-intelligence
    vendors) is matched: `auto` uses it only when `competitors` is empty."""
    categories: list[str] = Field(default_factory=list)
    """Lexicon categories used (empty: all): `crm`, `sales_engagement`,
    `conversation_intelligence`, `revenue_intelligence`."""
    vendors: list[str] = Field(default_factory=list)
    """More vendor names, matched with the lexicon."""
    not_competitors: list[str] = Field(default_factory=list)
    """Vendors never reported (partners, systems we integrate with)."""
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    """Mentions found by context or lexicon below this confidence are not reported."""


class MeetingPolicy(_Section):
    """Trackers and extraction settings for calls."""

    competitors: list[str] = Field(default_factory=lambda: ["FleetPilot", "RouteMax", "ShipSmart"])
    """Competitor names tracked on every call."""
    competitor_detection: CompetitorDetection = Field(default_factory=CompetitorDetection)
    """Finding vendors that are not on the list (context cues, the vendor lexicon)."""
    keyword_trackers: dict[str, list[str]] = Field(default_factory=dict)
    """Tracker name to the keywords that fire it (said by anyone)."""
    word_forms: bool = False
    """Whether `keyword_trackers` also match inflected forms (the bundled policy: yes)."""
    trackers: dict[str, KeywordTracker] = Field(default_factory=dict)
    """Keyword trackers with options (`said_by`, `word_forms`), by name."""
    concept_trackers: dict[str, ConceptTracker] = Field(default_factory=dict)
    """Concept tracker name to its description (a string) or settings."""
    filler_words: list[str] = Field(default_factory=_default_fillers)
    """Filler words and phrases counted per speaker."""

    @field_validator("concept_trackers", mode="before")
    @classmethod
    def _concept_shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"description": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _unique_tracker_names(self) -> MeetingPolicy:
        names = [*self.keyword_trackers, *self.trackers, *self.concept_trackers]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(
                f"tracker name(s) {twice} defined more than once across keyword_trackers, "
                "trackers and concept_trackers"
            )
        return self


class ActionReview(_Section):
    """Who reviews one action kind and what they may decide."""

    reviewer: Literal["rep", "manager"] = "rep"
    """Who reviews it."""
    allowed_decisions: list[Literal["approve", "edit", "reject"]] = Field(
        default_factory=lambda: _all_decisions()
    )
    """Decisions the reviewer may make."""


class ApprovalPolicy(_Section):
    """The approval policy for every action kind."""

    actions: dict[str, ActionReview] = Field(
        default_factory=lambda: {kind: ActionReview() for kind in ACTION_KINDS}
    )
    """Action kind to its review settings; a kind missing here cannot be approved."""

    @model_validator(mode="after")
    def _known_kinds(self) -> ApprovalPolicy:
        unknown = sorted(set(self.actions) - set(ACTION_KINDS))
        if unknown:
            raise ValueError(
                f"unknown action kind(s) {unknown}; known kinds are {list(ACTION_KINDS)}"
            )
        return self


class Policy(_Section):
    """The whole RevOps policy."""

    company: CompanyPolicy = Field(default_factory=CompanyPolicy)
    """Who we are."""
    stages: list[str] = Field(
        default_factory=lambda: [
            "new",
            "qualified",
            "discovery",
            "proposal",
            "negotiation",
            "closed_won",
            "closed_lost",
        ]
    )
    """Pipeline stages in order."""
    scoring: ScoringPolicy = Field(default_factory=ScoringPolicy)
    """Scoring settings."""
    routing: RoutingPolicy = Field(default_factory=RoutingPolicy)
    """Routing rules."""
    risk: RiskPolicy = Field(default_factory=RiskPolicy)
    """Deal-risk thresholds."""
    meetings: MeetingPolicy = Field(default_factory=MeetingPolicy)
    """Call trackers."""
    approval: ApprovalPolicy = Field(default_factory=ApprovalPolicy)
    """Who approves what."""


def _format_validation(err: ValidationError) -> str:
    parts = []
    for item in err.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_policy(data: Any, *, source: str = "<policy>") -> Policy:
    """Validate policy data already loaded from YAML or JSON.

    Raises:
        PolicyError: naming the file and every field that is wrong.
    """
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a policy must be a mapping, got {type(data).__name__}")
    try:
        return Policy.model_validate(data)
    except ValidationError as err:
        raise PolicyError(f"{source}: {_format_validation(err)}") from err


def load_policy(path: str | Path) -> Policy:
    """Read and validate a RevOps policy file (YAML or JSON).

    Raises:
        PolicyError: when the file is missing, is not YAML, or has a wrong field.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise PolicyError(f"policy file not found: {p}") from err
    except UnicodeDecodeError as err:
        raise PolicyError(f"{p}: not UTF-8 text") from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise PolicyError(f"{p}: not valid YAML: {err}") from err
    return parse_policy(data, source=str(p))


def default_policy_text() -> str:
    """Return the bundled policy file's text."""
    return resources.files("sales_operator").joinpath("data/policy.yaml").read_text("utf-8")


def default_policy() -> Policy:
    """Return the bundled RevOps policy."""
    return parse_policy(yaml.safe_load(default_policy_text()), source="bundled policy.yaml")

"""The RevOps policy: the knobs a RevOps lead owns, in one YAML file.

Scoring inputs, routing rules, risk thresholds, trackers and the approval policy live here,
not in code. `load_policy()` reads and validates a file; `default_policy()` returns the
bundled one (`sales_operator/data/policy.yaml`).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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
        }
    )
    """Log-odds taken off the model probability for each warning (the bundled policy's values)."""
    at_risk_below: float = 0.6
    """A deal whose probability falls below this with any warning is flagged at risk."""


class MeetingPolicy(_Section):
    """Trackers and extraction settings for calls."""

    competitors: list[str] = Field(default_factory=lambda: ["FleetPilot", "RouteMax", "ShipSmart"])
    """Competitor names tracked on every call."""
    keyword_trackers: dict[str, list[str]] = Field(default_factory=dict)
    """Tracker name to the keywords that fire it."""


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

"""The RevOps policy: the knobs a RevOps lead owns, in one YAML file.

Scoring inputs, routing rules, risk thresholds, trackers and the approval policy live here,
not in code. `load_policy()` reads and validates a file; `default_policy()` returns the
bundled one (`sales_operator/data/policy.yaml`).
"""

from __future__ import annotations

from collections.abc import Sequence
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
    min_known_features: int = Field(default=3, ge=0)
    """A lead with fewer known features than this is drawn toward the average lead (in
    proportion to what is known) and never placed in the top band."""

    @model_validator(mode="after")
    def _ordered_bands(self) -> ScoringPolicy:
        check_bands(self.bands)
        return self


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

    @model_validator(mode="after")
    def _thresholds_in_range(self) -> RiskPolicy:
        check_risk_thresholds(self)
        return self


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


class VendorEntry(_Section):
    """A vendor the policy adds to the lexicon, with its products and other spellings."""

    name: str = Field(min_length=1)
    """The vendor as usually written (the name reported)."""
    aliases: list[str] = Field(default_factory=list)
    """Product names and other spellings reported under `name` ("Workforce Now" for ADP)."""
    common_aliases: list[str] = Field(default_factory=list)
    """Aliases that are everyday words: matched only capitalised and with a context cue."""


class CompetitorDetection(_Section):
    """How vendors not on the `competitors` list are found (`meetings.vendors`)."""

    lexicon: Literal["auto", "on", "off"] = "auto"
    """Whether the bundled vendor lexicon (CRM, sales-tech and conversation-intelligence
    vendors) is matched: `auto` uses it fully when `competitors` is empty; with a list, only
    the listed competitors' categories (or `categories`), and a name counts only with a
    buying or usage context in its sentence."""
    categories: list[str] = Field(default_factory=list)
    """Lexicon categories used (empty: the four sales-tech ones): `crm`, `sales_engagement`,
    `conversation_intelligence`, `revenue_intelligence`; on request also `payroll_hr`,
    `data_protection`, `field_service`, `fleet_routing`, `e_signature`, `procurement`,
    `observability`, `help_desk`, `cpq`, `data_warehouse`, `surveys`
    (`meetings.vendors.ALL_CATEGORIES`)."""
    vendors: list[str | VendorEntry] = Field(default_factory=list)
    """More vendors, matched with the lexicon: a name, or `{name, aliases, common_aliases}`."""
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


class ProductProfile(_Section):
    """What the seller sells, so research ranks and keeps what is relevant to it."""

    name: str = "Orbital Dispatch"
    """The product."""
    what_we_sell: str = (
        "Dispatch and route-optimisation software for freight, delivery and field fleets."
    )
    """One sentence on what the product is."""
    problems: list[str] = Field(
        default_factory=lambda: [
            "manual dispatch and planning on spreadsheets",
            "late deliveries and missed delivery windows",
            "rising fuel, freight and transportation costs",
            "driver shortages and labour costs",
            "poor visibility of shipments, trucks and fleet",
            "supply chain disruption and capacity constraints",
        ]
    )
    """The problems it solves, in the buyer's words."""
    buyer_roles: list[str] = Field(
        default_factory=lambda: [
            "VP Operations",
            "Head of Logistics",
            "Director of Transportation",
            "Supply Chain Director",
            "Fleet Manager",
            "Dispatch Manager",
            "Chief Operating Officer",
        ]
    )
    """The roles that buy or use it."""
    keywords: list[str] = Field(
        default_factory=lambda: [
            "logistics", "delivery", "dispatch", "route", "routing", "fleet", "freight",
            "shipping", "transportation", "trucking", "supply chain", "distribution",
            "warehouse", "carrier", "fuel", "driver", "automation", "operations",
            "expansion", "acquisition", "network",
        ]
    )  # fmt: skip
    """Words that mark a passage as relevant to the product."""

    def terms(self) -> list[str]:
        """Return every word of the profile (name, pitch, problems, roles, keywords)."""
        text = " ".join([self.what_we_sell, *self.problems, *self.buyer_roles, *self.keywords])
        return text.split()


class ResearchPolicy(_Section):
    """Account research: where documents are, what we sell, how much a brief holds."""

    documents_dir: str | None = None
    """Folder of account documents (txt, md, html); None: the bundled documents."""
    product_profile: ProductProfile = Field(default_factory=ProductProfile)
    """What we sell (ranks passages, decides which claims a customer email may reuse)."""
    claims_per_section: int = Field(default=3, ge=1, le=10)
    """Most claims kept per section."""
    recent_changes_claims: int = Field(default=5, ge=1, le=15)
    """Most claims kept in `recent_changes` (one per source)."""
    max_words: int = Field(default=600, ge=100)
    """Most words of the markdown brief (about four minutes of reading)."""
    reflection_rounds: int = Field(default=1, ge=0, le=5)
    """Model engine: rounds that fill empty sections from retrieval (0: none)."""
    passages_per_section: int = Field(default=8, ge=1, le=50)
    """Passages retrieved per section (what the model sees)."""
    max_document_bytes: int = Field(default=5_000_000, ge=1000)
    """Larger documents are skipped with a warning."""
    history_months: int = Field(default=12, ge=1)
    """Dated documents older than this many months before the as-of date are not read."""
    web_results: int = Field(default=5, ge=1, le=20)
    """Results read per web query."""
    web_cache_dir: str | None = None
    """Folder of the on-disk web-search cache; None: no cache."""


class ActionReview(_Section):
    """Who reviews one action kind and what they may decide."""

    reviewer: Literal["rep", "manager"] = "rep"
    """Who reviews it."""
    allowed_decisions: list[Literal["approve", "edit", "reject"]] = Field(
        default_factory=lambda: _all_decisions()
    )
    """Decisions the reviewer may make."""

    @field_validator("allowed_decisions")
    @classmethod
    def _reject_allowed(
        cls, value: list[Literal["approve", "edit", "reject"]]
    ) -> list[Literal["approve", "edit", "reject"]]:
        check_allowed_decisions(value)
        return value


class ApprovalPolicy(_Section):
    """The approval policy for every action kind."""

    actions: dict[str, ActionReview] = Field(
        default_factory=lambda: {kind: ActionReview() for kind in ACTION_KINDS}
    )
    """Action kind to its review settings; a kind missing here cannot be approved."""
    # -- review UIs (sales_operator.review_ui) --
    reject_message_required: list[str] = Field(
        default_factory=lambda: ["send_email", "send_invite"]
    )
    """Action kinds (customer-facing ones) whose rejection must say why, in `message`."""
    interrupt_format: Literal["langchain", "agent_inbox"] = "langchain"
    """Shape of the approval interrupt: LangChain's HITL request (`action_requests`,
    `review_configs`) or Agent Inbox's list of `HumanInterrupt`s. Both accept either answer."""

    @model_validator(mode="after")
    def _known_message_kinds(self) -> ApprovalPolicy:
        unknown = sorted(set(self.reject_message_required) - set(ACTION_KINDS))
        if unknown:
            raise ValueError(
                f"reject_message_required names unknown action kind(s) {unknown}; known kinds "
                f"are {list(ACTION_KINDS)}"
            )
        return self

    @model_validator(mode="after")
    def _known_kinds(self) -> ApprovalPolicy:
        unknown = sorted(set(self.actions) - set(ACTION_KINDS))
        if unknown:
            raise ValueError(
                f"unknown action kind(s) {unknown}; known kinds are {list(ACTION_KINDS)}"
            )
        return self


# --- input limits and argument contracts (issue 11, items 6, 8 and 9) -------------------


def check_bands(bands: dict[Literal["A", "B", "C"], float]) -> None:
    """Refuse score bands outside [0, 1] or out of order (A above B above C).

    Raises:
        ValueError: naming the bands that are wrong.
    """
    outside = {k: v for k, v in bands.items() if not 0.0 <= v <= 1.0}
    if outside:
        raise ValueError(f"band bounds must lie within [0, 1], got {outside}")
    present = [b for b in ("A", "B", "C") if b in bands]
    for upper, lower in zip(present, present[1:], strict=False):
        if bands[upper] <= bands[lower]:
            raise ValueError(
                f"bands must be ordered A > B > C; {upper} = {bands[upper]} is not above "
                f"{lower} = {bands[lower]}"
            )


def check_risk_thresholds(risk: RiskPolicy) -> None:
    """Refuse risk thresholds out of range.

    Raises:
        ValueError: naming the threshold and its range.
    """
    if not 0.0 <= risk.at_risk_below <= 1.0:
        raise ValueError(f"at_risk_below must lie within [0, 1], got {risk.at_risk_below}")
    counts = {
        "inactivity_days": risk.inactivity_days,
        "close_date_window_days": risk.close_date_window_days,
        "close_date_slip_days": risk.close_date_slip_days,
        **{f"stage_stall_days.{k}": v for k, v in risk.stage_stall_days.items()},
    }
    bad = {k: v for k, v in counts.items() if not 1 <= v <= 3650}
    if bad:
        raise ValueError(f"day counts must lie within [1, 3650], got {bad}")
    bad_penalties = {k: v for k, v in risk.penalties.items() if not 0.0 <= v <= 10.0}
    if bad_penalties:
        raise ValueError(f"penalties are log-odds within [0, 10], got {bad_penalties}")


def check_allowed_decisions(value: Sequence[str]) -> None:
    """Refuse an empty decision list, or one without `reject` (a reviewer must be able to say no).

    Raises:
        ValueError: naming what is missing.
    """
    if not value:
        raise ValueError("allowed_decisions must not be empty; include at least reject")
    if "reject" not in value:
        raise ValueError(f"allowed_decisions must include reject, got {value}")


class LimitsPolicy(_Section):
    """Input limits: an input over one is refused with a `LimitError` before anything is stored."""

    max_field_bytes: int = Field(default=64 * 1024, ge=1)
    """Largest string field of an event (UTF-8 bytes); transcripts have their own limit."""
    max_payload_bytes: int = Field(default=1024 * 1024, ge=1)
    """Largest event payload, as JSON, not counting an inline transcript."""
    max_transcript_bytes: int = Field(default=5 * 1024 * 1024, ge=1)
    """Largest transcript (inline or a file), in bytes."""
    max_transcript_turns: int = Field(default=50_000, ge=1)
    """Most speaker turns in one transcript."""
    max_depth: int = Field(default=20, ge=1, le=200)
    """Deepest nesting of objects and lists in an event or a JSON file."""
    min_year: int = Field(default=1970, ge=1)
    """Earliest year of any date or time in an event."""
    max_year: int = Field(default=2100, le=9998)
    """Latest year of any date or time in an event."""
    transcript_dirs: list[str] = Field(default_factory=lambda: ["."])
    """Folders `transcript_path` may read from (a relative folder is taken from the current
    working directory); the bundled sample transcripts are always allowed. Empty: none but
    the bundled ones."""
    blob_min_bytes: int = Field(default=4096, ge=0)
    """Transcripts at least this long are kept in the blob folder, by reference."""

    @model_validator(mode="after")
    def _years_ordered(self) -> LimitsPolicy:
        if self.min_year >= self.max_year:
            raise ValueError(f"min_year {self.min_year} must be below max_year {self.max_year}")
        return self


class ContractPolicy(_Section):
    """What proposed and edited actions may do (their argument contracts)."""

    internal_domains: list[str] = Field(default_factory=list)
    """Email domains counted as ours besides `company.rep_email_domains`; anyone there may be
    addressed."""
    protected_fields: list[str] = Field(
        default_factory=lambda: ["stage", "owner_id", "outcome", "id", "deal_id"]
    )
    """Deal fields `update_crm` may never set (`change_stage` and `assign_owner` do)."""
    slack_mentions: bool = False
    """Let Slack text carry `<!channel>`, `<!here>` and `<!everyone>` (escaped when false)."""


class CalendarPolicy(_Section):
    """How due dates said on calls are placed on the calendar (issue 9, `meetings.dates`)."""

    week_start: int = Field(default=0, ge=0, le=6)
    """The first day of the week, 0 = Monday ... 6 = Sunday; the working week is the five
    days from it ("next week", "end of the week", business days)."""
    time_zone: str = "UTC"
    """IANA time zone the call date is taken in (`meetings.dates.local_date`)."""
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    """The month the fiscal year starts in ("end of Q1", "end of the fiscal year")."""

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from err
        return value


# --- copilot drafts (issue 10) ----------------------------------------------------------


class CollateralItem(_Section):
    """One piece of collateral a draft may attach (a file) or link to (a URL)."""

    name: str = Field(min_length=1)
    """What the customer calls it ("security pack")."""
    keywords: list[str] = Field(default_factory=list)
    """Words that, in a promise or a request on a call, ask for this item."""
    file: str | None = None
    """File in `copilot.collateral_folder`, attached as a MIME part."""
    url: str | None = None
    """Public address, linked in the body."""

    @model_validator(mode="after")
    def _file_or_url(self) -> CollateralItem:
        if not self.file and not self.url:
            raise ValueError(f"collateral {self.name!r} needs a file or a url")
        return self


class CopilotPolicy(_Section):
    """How customer drafts are written: length limits, time zones, collateral."""

    max_body_words: int = Field(default=500, ge=50)
    """Most words in a customer email body (signature included)."""
    max_subject_chars: int = Field(default=78, ge=20)
    """Most characters in a subject line."""
    contact_working_hours: tuple[int, int] = (9, 17)
    """Working hours of customer contacts, local to their time zone."""
    meeting_hour: int = Field(default=10, ge=0, le=23)
    """Preferred start hour of a proposed call, in the recipient's time zone."""
    timezones: dict[str, str] = Field(default_factory=dict)
    """Default IANA time zone by account country (`US`) or territory (`NA-West`), used when
    a contact has no time zone in the CRM."""
    collateral_folder: str | None = None
    """Folder of the collateral files (None: the bundled `data/collateral`)."""
    collateral: list[CollateralItem] = Field(default_factory=list)
    """Materials a draft may attach or link."""

    @field_validator("timezones")
    @classmethod
    def _known_zones(cls, value: dict[str, str]) -> dict[str, str]:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        for key, name in value.items():
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as err:
                raise ValueError(f"unknown time zone {name!r} for {key!r}") from err
        return value


class SpeedToLeadPolicy(_Section):
    """How a new lead reaches its rep: a first, fast request before research and drafting."""

    enabled: bool = True
    """True (the default): a `lead_created` event asks first about the routing actions only
    (assign the owner, tell the rep), right after scoring and routing; once that request is
    decided and run, the account research and the first-touch drafts follow in a second
    request. False: one request with everything, after research and drafting."""


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
    limits: LimitsPolicy = Field(default_factory=LimitsPolicy)
    """Input limits (sizes, nesting, dates, transcript folders)."""
    contracts: ContractPolicy = Field(default_factory=ContractPolicy)
    """Argument contracts of the actions (recipients, protected fields, Slack mentions)."""
    calendar: CalendarPolicy = Field(default_factory=CalendarPolicy)
    """Week start, time zone and fiscal year for due dates said on calls."""
    copilot: CopilotPolicy = Field(default_factory=CopilotPolicy)
    """How customer drafts are written."""
    research: ResearchPolicy = Field(default_factory=ResearchPolicy)
    """Account research and the product profile."""
    speed_to_lead: SpeedToLeadPolicy = Field(default_factory=SpeedToLeadPolicy)
    """A new lead's first request (owner, rep notice) before research and drafting."""


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

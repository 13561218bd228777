"""The deal state shared by every pattern of the operator graph.

One `DealState` lives on one LangGraph thread (`thread_id` = the deal id) for the deal's
whole life. Each pattern writes its own part (the score, the brief, the meeting insights,
the proposed actions); only the top-level `approval_gate` and `execute_actions` nodes write
the decisions and the actions' statuses.

The state is kept small, because every checkpoint stores it whole: the audit trail and the
receipts live in the CRM only (`crm.audit_log(deal_id)`, `crm.list_receipts(deal_id)`, or
`runner.deal_audit`/`runner.deal_receipts`), and the state holds their ids (each proposed
action's `id` and `idempotency_key`, with its final `status`); the latest call is the last
of `meetings`, not a second copy; a long transcript is a `blob:sha256:` reference.

The state carries no reducers: the graph runs its nodes one after another, and every node
returns the complete new value of the keys it changes. That keeps compiled pattern subgraphs
from handing an accumulated list back to the parent, where a reducer would append it twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)
from typing_extensions import TypedDict

from sales_operator.sealed import Sealable

IsoDate = Annotated[date, PlainSerializer(date.isoformat, return_type=str)]
"""A date that dumps as an ISO string, also in python mode. Checkpoints store a model's
`model_dump()`; the LangGraph server reads checkpoints back as JSON, where a bare `date`
would come back as a `[year, month, day]` list that fails validation (HTTP 400 from
`/threads/{id}/state`). As a string it stays a date: validation parses it again."""

Day = IsoDate
"""`IsoDate` under another name, for fields that are themselves called `date`."""

EventType = Literal[
    "lead_created", "meeting_completed", "activity_logged", "pipeline_review", "deal_closed"
]
"""The business events the operator reacts to; each is one `invoke` on the deal's thread."""

EVENT_TYPES: tuple[str, ...] = (
    "lead_created",
    "meeting_completed",
    "activity_logged",
    "pipeline_review",
    "deal_closed",
)

PatternName = Literal[
    "scoring_routing", "meeting_intelligence", "generative_research", "workflow_copilot"
]
"""The four pattern subgraphs, in the order the graph runs them."""

PATTERN_ORDER: tuple[PatternName, ...] = (
    "scoring_routing",
    "meeting_intelligence",
    "generative_research",
    "workflow_copilot",
)

ActionKind = Literal[
    "assign_owner",
    "update_crm",
    "change_stage",
    "create_task",
    "log_note",
    "send_email",
    "post_slack",
    "send_invite",
]
"""Every side effect the executor knows how to perform."""

ACTION_KINDS: tuple[str, ...] = (
    "assign_owner",
    "update_crm",
    "change_stage",
    "create_task",
    "log_note",
    "send_email",
    "post_slack",
    "send_invite",
)


class _Model(Sealable):
    # Sealable: read-only once the checkpointer has packed it (`sales_operator.sealed`)
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Event(_Model):
    """One business event, the graph's input."""

    type: EventType
    """What happened: `lead_created`, `meeting_completed`, `activity_logged`,
    `pipeline_review` or `deal_closed`."""
    at: datetime
    """When it happened (ISO-8601; a time without an offset is read as UTC)."""
    payload: dict[str, Any] = Field(default_factory=dict)
    """Event-specific data, validated by the event's payload model in `events.py`."""

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        from datetime import UTC

        return value if value.tzinfo else value.replace(tzinfo=UTC)


class Account(_Model):
    """The company the deal is with."""

    id: str
    """CRM account id."""
    name: str
    """Company name."""
    domain: str | None = None
    """Web domain, used for research."""
    industry: str | None = None
    """Industry label."""
    employees: int | None = None
    """Head count."""
    territory: str | None = None
    """Sales territory (for example `NA-East`), used by routing."""
    country: str | None = None
    """Country of the headquarters."""


class Contact(_Model):
    """A person on the customer side."""

    id: str
    """CRM contact id."""
    name: str
    """Full name."""
    email: str | None = None
    """Email address."""
    title: str | None = None
    """Job title."""
    role: str | None = None
    """Buying role when known (champion, economic buyer, ...)."""
    timezone: str | None = None
    """IANA time zone (`America/Chicago`), when the CRM has one; drafts write times in it."""


class Lead(_Model):
    """The inbound lead that opened the deal, with the signals the scorer reads."""

    id: str
    """CRM lead id."""
    contact_id: str
    """The contact who filled the form."""
    source: str
    """Where the lead came from (`demo_request`, `webinar`, `content_download`, ...)."""
    created_at: datetime
    """Arrival time, the start of the speed-to-lead timer."""
    signals: dict[str, float | int | str | bool] = Field(default_factory=dict)
    """Behavioural and engagement signals (pages visited, pricing page visits, ...)."""


class Deal(_Model):
    """The opportunity itself."""

    id: str
    """CRM deal id, also the LangGraph thread id."""
    name: str
    """Deal name."""
    stage: str = "new"
    """Pipeline stage, one of the policy's stages."""
    amount: float | None = None
    """Expected value in the policy's currency."""
    close_date: IsoDate | None = None
    """Expected close date."""
    owner_id: str | None = None
    """Id of the rep who owns the deal."""
    outcome: Literal["won", "lost"] | None = None
    """Set when the deal closes."""
    fields: dict[str, Any] = Field(default_factory=dict)
    """Further CRM fields (next step, pains, competitors, ...), as filled by approved updates."""


class Activity(_Model):
    """An email, call, meeting or reply on the deal."""

    at: datetime
    """When it happened."""
    kind: str
    """`email`, `call`, `meeting`, `reply`, `note`, ..."""
    direction: Literal["inbound", "outbound", "internal"] = "outbound"
    """Who started it, seen from the seller."""
    summary: str = ""
    """One line on what happened."""


class ScoreFactor(_Model):
    """One reason a score is what it is."""

    feature: str
    """The model feature."""
    label: str
    """The factor in words a rep understands ("visited pricing page twice")."""
    points: float
    """Its contribution in percentage points (positive raises the score)."""


class LeadScore(_Model):
    """A conversion probability with its explanation."""

    probability: float = Field(ge=0.0, le=1.0)
    """Calibrated probability that the deal is won."""
    band: Literal["A", "B", "C", "D"]
    """Score band used by routing (A is best)."""
    factors: list[ScoreFactor] = Field(default_factory=list)
    """Top positive and negative factors."""
    model_version: str
    """Version of the model that produced the score."""
    engine: str
    """What produced it: `xgboost` or `rules` (the points model below the data gate)."""
    scored_at: datetime
    """When it was computed."""
    reason: str = ""
    """Why the score was (re)computed, and what changed since the previous one."""


class ScorePoint(_Model):
    """One entry of the score history."""

    at: datetime
    """When the score was computed."""
    probability: float
    """The probability then."""
    event: str
    """The event that triggered it."""
    reason: str = ""
    """What changed."""
    previous_probability: float | None = None
    """The probability of the point before this one (None for the first point)."""
    changes: list[ScoreFactor] = Field(default_factory=list)
    """What moved the probability since the previous point, in whole percentage points that
    add up to the change of the rounded percentages (`-13` for "9 days without activity")."""


class Assignment(_Model):
    """Who handles the deal, and why."""

    rep_id: str
    """Assigned rep (or queue) id."""
    rep_name: str
    """Display name."""
    rule: str
    """The routing rule that matched."""
    reason: str
    """Why, in words."""
    assigned_at: datetime
    """When the decision was made."""
    fallback: bool = False
    """True when no rule matched and the fallback queue took the lead."""
    arrived_at: datetime | None = None
    """When the lead arrived: the start of the speed-to-lead timer."""
    notify_at: datetime | None = None
    """When the rep should be told: `assigned_at`, or the start of the rep's working day when
    the lead came in out of hours and was held."""
    held_until: datetime | None = None
    """Set when the lead arrived out of the rep's working hours and waits for the rep's day."""
    routed_wall_at: datetime | None = None
    """Wall-clock time the router ran. The notice's wall-clock send time minus this is the
    real wait (approval included), added to `notify_at` on the business clock, so that a
    replay of past events times the notice as a live run would."""
    notified_at: datetime | None = None
    """When the rep was actually told (set once the notification is sent), on the business
    clock: `notify_at` plus the real wait from routing to the sent notice."""
    speed_to_lead_seconds: float | None = None
    """Seconds from `arrived_at` to `notified_at`, once the rep has been told."""


class DealChange(_Model):
    """One change of a tracked deal field (stage or close date), in business time."""

    field: Literal["stage", "close_date"]
    """The field that changed."""
    old: str | None = None
    """The value before (ISO date for the close date); None when the deal was created."""
    new: str | None = None
    """The value after."""
    at: datetime
    """When it changed (the time of the event whose actions changed it)."""
    source: str = ""
    """Where the change was seen: `lead_created`, `action:<id>` or `crm`."""


BRIEF_SECTIONS: tuple[str, ...] = (
    "overview",
    "recent_changes",
    "stakeholders",
    "priorities",
    "objections",
    "questions",
)
"""The sections of a pre-call brief, in reading order."""

SourceKind = Literal["document", "crm", "web"]
"""Where a brief's source came from: a local document (a filing), a CRM record, a web page."""


class Citation(_Model):
    """A verbatim quote from one source that supports a claim."""

    source: str
    """Id of the `BriefSource` quoted (`S1`, `S2`, ...)."""
    quote: str
    """Words found verbatim in that source (after normalising whitespace and quote marks)."""


class BriefClaim(_Model):
    """One statement of the account brief, a complete sentence."""

    text: str
    """The claim."""
    date: Day | None = None
    """When what it says happened or was reported, where the source gives a date."""
    citations: list[Citation] = Field(min_length=1)
    """The quotes that support it; never empty, each verified in its source."""


class BriefSection(_Model):
    """One section of the brief (`overview`, `recent_changes`, ... see `BRIEF_SECTIONS`)."""

    name: str
    """Section name."""
    claims: list[BriefClaim] = Field(default_factory=list)
    """Its verified claims, most useful first (empty: nothing was found for it)."""


class BriefSource(_Model):
    """A source the brief cites."""

    id: str
    """Short id used in citations (`S1`, `S2`, ...)."""
    kind: SourceKind
    """`document` (a local file, a filing), `crm` (a CRM record) or `web` (a page)."""
    title: str
    """Document title, CRM record name or page title."""
    location: str
    """File path, CRM reference (`crm:activity/12`) or URL."""
    date: Day | None = None
    """The source's date (from the file name or text, the record, the page), when known."""


class AccountBrief(_Model):
    """What a rep must know before touching the account, in sections of cited claims."""

    def _repr_html_(self) -> str:  # notebooks (sales_operator.display)
        from sales_operator.display import brief_html

        return brief_html(self)

    account: str
    """The account's name."""
    account_id: str = ""
    """The CRM account id (empty for a brief on an account outside the CRM)."""
    as_of: IsoDate
    """Nothing dated after this day was read."""
    engine: str
    """What wrote it: `offline:extractive` or `llm:<model>` (plus any source failure)."""
    headline: str = ""
    """One line: the text of the brief's first verified claim (empty when there is none)."""
    sections: list[BriefSection] = Field(default_factory=list)
    """The sections, in `BRIEF_SECTIONS` order for a pre-call brief."""
    sources: list[BriefSource] = Field(default_factory=list)
    """Every source cited, and only those."""
    dropped: dict[str, int] = Field(default_factory=dict)
    """Claims dropped before the brief was kept, counted by reason."""
    purpose: Literal["prep", "cs_handoff"] = "prep"
    """A pre-call brief, or the customer-success handoff brief after a won deal."""
    written_at: datetime | None = None
    """When it was written."""
    searches: int = 0
    """Web searches run for it (cached answers not counted)."""
    missing: list[str] = Field(default_factory=list)
    """What could not be found or read (a folder, a file, a failed search), in words."""

    @property
    def claims(self) -> list[BriefClaim]:
        """Every claim, section by section."""
        return [claim for section in self.sections for claim in section.claims]

    def section(self, name: str) -> BriefSection | None:
        """Return the section called `name`, or None."""
        return next((s for s in self.sections if s.name == name), None)

    def source(self, source_id: str) -> BriefSource | None:
        """Return the source with id `source_id`, or None."""
        return next((s for s in self.sources if s.id == source_id), None)


class Quote(_Model):
    """A span of the transcript."""

    speaker: str
    """Who said it."""
    text: str
    """What was said."""
    start: float | None = None
    """Seconds from the start of the call, when known."""


class Insight(_Model):
    """A pain, objection, risk or buying trigger heard on the call."""

    kind: Literal["pain", "objection", "risk", "trigger"]
    """What it is."""
    text: str
    """The insight in one line."""
    quote: Quote
    """The evidence."""


class TrackerHit(_Model):
    """A tracker match (keyword or competitor)."""

    tracker: str
    """Tracker name (for a competitor: the competitor's name)."""
    kind: Literal["keyword", "competitor", "concept"] = "keyword"
    """Tracker type."""
    quote: Quote
    """Where it was heard."""
    keyword: str | None = None
    """The keyword (or competitor name) that matched, as written in the policy."""
    side: Literal["rep", "customer", "unknown"] | None = None
    """The side of the speaker, when the speaker mapping ran."""
    engine: str | None = None
    """For a concept tracker: what found it (`llm:<model>` or `offline:<how>`)."""
    confidence: float | None = None
    """For a competitor: how sure the detection is, 0..1 (1.0 for the policy's list)."""
    matched_by: str | None = None
    """For a competitor: `policy` (the list), `context:<cue>`, `lexicon`,
    `lexicon+context`, `lower-case` (speech-to-text output) or `llm:<model>`."""


class Commitment(_Model):
    """A next step somebody committed to."""

    owner: str
    """Who committed."""
    side: Literal["rep", "customer", "unknown"] = "unknown"
    """Which side the owner is on."""
    text: str
    """What they committed to."""
    due: IsoDate | None = None
    """Due date resolved against the call date."""
    quote: Quote
    """The evidence."""
    title: str | None = None
    """A short imperative title for a task ("Loop in CRO", "Send ROI model")."""
    due_phrase: str | None = None
    """The due date as said on the call ("by Friday", "next Tuesday"), when one was said."""
    due_precision: Literal["day", "week", "month", "quarter"] | None = None
    """How precise `due` is ("next week": week; "in Q1": quarter), when there is one."""
    due_event: str | None = None
    """The event the due date waits on ("after the board meeting"), kept unresolved."""


class Monologue(_Model):
    """The longest uninterrupted stretch of one speaker."""

    speaker: str
    """Who spoke."""
    seconds: float | None = None
    """How long, when the transcript has timestamps."""
    words: int = 0
    """How many words."""
    start: float | None = None
    """When it started, in seconds from the start of the call, when known."""
    quote: str = ""
    """Its first words (" ..." when it goes on)."""


class SpeakerMetrics(_Model):
    """The conversation metrics of one speaker."""

    side: Literal["rep", "customer", "unknown"] = "unknown"
    """Which side the speaker sits on."""
    share: float = 0.0
    """Share of talk (of time or of words, as the metrics' `basis` says)."""
    words: int = 0
    """Words spoken."""
    seconds: float | None = None
    """Seconds spoken, when the transcript has timestamps."""
    turns: int = 0
    """Turns taken."""
    questions: int = 0
    """Questions asked."""
    fillers: dict[str, int] = Field(default_factory=dict)
    """Filler word to how often the speaker said it."""


class ConversationMetrics(_Model):
    """The deterministic conversation metrics of a call, beyond the talk ratios."""

    basis: Literal["time", "words"] = "words"
    """What the talk shares measure: speaking time when every turn is timed, else words."""
    duration_s: float | None = None
    """From the first turn's start to the last turn's end, when timed."""
    speakers: dict[str, SpeakerMetrics] = Field(default_factory=dict)
    """Speaker label to their metrics."""
    longest_monologue: Monologue | None = None
    """The longest stretch of one speaker (by time when timed, else by words)."""
    switches: int = 0
    """How often the speaker changed."""
    interactivity: float | None = None
    """Speaker switches per minute, when timed."""
    patience_s: float | None = None
    """Mean pause in seconds before a rep answers a customer (needs turn end times)."""
    question_rate: dict[str, float] = Field(default_factory=dict)
    """Side to questions per 100 words that side spoke."""
    question_rate_per_min: dict[str, float] = Field(default_factory=dict)
    """Side to questions per minute of call, when timed."""
    filler_words: list[str] = Field(default_factory=list)
    """The filler words counted."""


class MeddpiccCriterion(_Model):
    """One MEDDPICC criterion of a call: whether the call evidenced it, and where."""

    key: str
    """`metrics`, `economic_buyer`, `decision_criteria`, `decision_process`,
    `paper_process`, `identify_pain`, `champion` or `competition`."""
    name: str
    """Display name ("Economic buyer")."""
    evidenced: bool = False
    """Whether something said on the call answers the criterion."""
    quotes: list[Quote] = Field(default_factory=list)
    """The evidence (at most three sentences)."""
    note: str = ""
    """One line on what the evidence shows, or what is missing."""


class ActionItem(_Model):
    """A follow-up task from a call, derived from one commitment."""

    owner: str
    """Who committed (the speaker label)."""
    side: Literal["rep", "customer", "unknown"] = "unknown"
    """Which side the owner is on."""
    title: str
    """A short imperative title ("Send ROI model and pricing proposal")."""
    due: IsoDate | None = None
    """Due date resolved against the call date."""
    text: str = ""
    """The full commitment."""


class KeyPoint(_Model):
    """One key point of a call's summary, under a topic."""

    topic: str
    """The topic ("Pains", "Competitors", or a word the meeting keeps coming back to)."""
    text: str
    """The point in one line."""
    quote: Quote | None = None
    """The sentence it rests on, when it is one sentence of the transcript."""


class MeetingSummary(_Model):
    """A content summary of a call: a brief, key points by topic, next steps."""

    brief: str = ""
    """Two to four sentences on what was discussed and decided."""
    brief_quotes: list[Quote] = Field(default_factory=list)
    """The transcript sentences the offline brief is made of (empty for a model's brief)."""
    key_points: list[KeyPoint] = Field(default_factory=list)
    """Key points grouped by topic."""
    next_steps: list[ActionItem] = Field(default_factory=list)
    """Next steps with owners and due dates (the call's action items)."""
    engine: str = ""
    """What wrote the brief: `offline:central-sentences` or `llm:<model>`."""


class CallInfo(_Model):
    """A call's metadata (kept out of the summary)."""

    call_id: str
    """Identifier of the call."""
    date: Day
    """Date of the call."""
    source: str | None = None
    """Where the transcript came from (a file name), when known."""
    format: str | None = None
    """The transcript format it was read as (`plain`, `vtt`, `json`, ...)."""
    duration_s: float | None = None
    """Length of the call in seconds (timestamps only)."""
    speakers: int = 0
    """How many speaker labels the transcript has."""
    words: int = 0
    """How many words were spoken."""


class SpeakerMapping(_Model):
    """How one speaker label was mapped to a person and a side."""

    name: str
    """The speaker label as written in the transcript."""
    participant: str | None = None
    """The matched person's full name, when one matched."""
    email: str | None = None
    """The matched person's email, when known."""
    side: Literal["rep", "customer", "unknown"] = "unknown"
    """The side."""
    mapped_by: str = "none"
    """How: `email`, `email_domain`, `full_name`, `first_name`, `two_party_rest`, ..."""
    confidence: float = 0.0
    """How sure the mapping is, 0..1."""
    reason: str = ""
    """Why, in words."""


class MeetingDecision(_Model):
    """A decision reached on the call ("we'll go with the rubber case"), with its quote."""

    text: str
    """What was decided, in one short line."""
    quote: Quote
    """The sentence that states it: verbatim, with its speaker and time."""


class MeetingInsights(_Model):
    """What happened on a call and what happens next."""

    def _repr_html_(self) -> str:  # notebooks (sales_operator.display)
        from sales_operator.display import insights_html

        return insights_html(self)

    call_id: str
    """Identifier of the call."""
    call_date: IsoDate
    """Date of the call; due dates are resolved against it."""
    talk_ratio: dict[str, float] = Field(default_factory=dict)
    """Speaker name to share of words spoken (or of time where timestamps exist)."""
    side_ratio: dict[str, float] = Field(default_factory=dict)
    """`rep` / `customer` / `unknown` to share."""
    longest_monologue_s: float | None = None
    """Longest uninterrupted stretch of one speaker, in seconds (timestamps only)."""
    questions: dict[str, int] = Field(default_factory=dict)
    """Questions asked per side."""
    competitors: list[TrackerHit] = Field(default_factory=list)
    """Competitor mentions."""
    trackers: list[TrackerHit] = Field(default_factory=list)
    """Other tracker hits."""
    pains: list[Insight] = Field(default_factory=list)
    """Customer pains."""
    objections: list[Insight] = Field(default_factory=list)
    """Objections raised."""
    risks: list[Insight] = Field(default_factory=list)
    """Risks heard on the call."""
    triggers: list[Insight] = Field(default_factory=list)
    """Buying triggers heard on the call (growth, a new leader, a deadline, ...)."""
    speakers: dict[str, str] = Field(default_factory=dict)
    """Speaker label to side (`rep`, `customer` or `unknown`)."""
    commitments: list[Commitment] = Field(default_factory=list)
    """Next-step commitments."""
    summary: str = ""
    """The content summary: a brief, key points by topic and next steps (see
    `summary_detail`); the call's metadata is in `call`."""
    highlights: str = ""
    """What was said, in the call's own most central sentences (`summarize_meeting`), one per
    line with the speaker; always written offline, whatever engine wrote `summary`."""
    crm_notes: dict[str, str] = Field(default_factory=dict)
    """CRM field name to value, ready for an `update_crm` action."""
    engine: str
    """What produced the text parts: `offline:extractive` or `llm:<model>`."""
    metrics: ConversationMetrics | None = None
    """Per-speaker metrics, the longest monologue, interactivity, patience, fillers."""
    concept_engine: str | None = None
    """What ran the concept trackers (`llm:<model>`, `offline:cues`, or
    `offline:skipped (no model)`); None when the policy has none."""
    meddpicc: list[MeddpiccCriterion] = Field(default_factory=list)
    """MEDDPICC coverage: one entry per criterion, in MEDDPICC order (empty: not assessed)."""
    meddpicc_engine: str | None = None
    """What assessed MEDDPICC (`llm:<model>` or `offline:meddpicc-cues`)."""
    action_items: list[ActionItem] = Field(default_factory=list)
    """Follow-up tasks, one per commitment, earliest due first (undated last)."""
    summary_detail: MeetingSummary | None = None
    """`summary` in parts: the brief, key points by topic and next steps."""
    call: CallInfo | None = None
    """The call's metadata: date, source, format, duration."""
    participants: list[SpeakerMapping] = Field(default_factory=list)
    """Every speaker label with its side and how it was mapped."""
    ungrounded: dict[str, int] = Field(default_factory=dict)
    """Model-path items dropped because their quote is not in the transcript, by kind
    (`pains`, `commitments`, ...); empty when nothing was dropped."""
    decisions: list[MeetingDecision] = Field(default_factory=list)
    """Decisions reached on the call, each with its verbatim quote, speaker and time."""


class RiskWarning(_Model):
    """A reason to worry about the deal, with its evidence."""

    code: str
    """Machine name (`inactivity`, `close_date_near`, ...)."""
    severity: Literal["low", "medium", "high"]
    """How much it matters."""
    message: str
    """The warning in words."""
    evidence: str
    """The facts behind it."""
    raised_at: datetime
    """When it was raised."""


class Decision(_Model):
    """A reviewer's decision on one proposed action."""

    type: Literal["approve", "edit", "reject"]
    """The decision."""
    reviewer: str
    """Who decided."""
    at: datetime
    """When."""
    edited_args: dict[str, Any] | None = None
    """The arguments to run instead, for `edit`."""
    message: str | None = None
    """The reason, for `reject` (or a note)."""


ActionStatus = Literal["pending", "approved", "rejected", "executed", "failed", "retryable"]


class ProposedAction(_Model):
    """A side effect a pattern proposes; nothing runs until the gate approves it."""

    id: str
    """Unique id within the deal."""
    kind: str
    """One of `ACTION_KINDS`; the gate refuses any other."""
    args: dict[str, Any]
    """Arguments for the executor."""
    description: str
    """What it does, for the reviewer."""
    proposed_by: PatternName
    """The pattern that proposed it."""
    event_id: str
    """The event that led to it."""
    idempotency_key: str
    """Stable key: the executor performs an action with a given key at most once."""
    status: ActionStatus = "pending"
    """Where it is in its life."""
    decision: Decision | None = None
    """The reviewer's decision, once made."""


class Receipt(_Model):
    """Proof that an approved action was executed."""

    action_id: str
    """The action."""
    idempotency_key: str
    """Its idempotency key."""
    kind: str
    """The action kind."""
    status: Literal["done", "failed", "retryable"]
    """Outcome; `retryable` is a transient failure that recovery runs again."""
    result: dict[str, Any] = Field(default_factory=dict)
    """What the adapter returned (file path, CRM id, message ts, ...)."""
    executed_at: datetime
    """When it ran."""


class AuditEntry(_Model):
    """One line of the append-only audit trail."""

    at: datetime
    """When."""
    actor: str
    """Who (a reviewer, or `system`)."""
    action_id: str
    """The action concerned."""
    kind: str
    """The action kind."""
    decision: str
    """`approve`, `edit`, `reject`, `executed`, `failed`, `skipped_duplicate`."""
    original_args: dict[str, Any] = Field(default_factory=dict)
    """The arguments as proposed."""
    edited_args: dict[str, Any] | None = None
    """The arguments after an edit."""
    result: dict[str, Any] | None = None
    """The execution result."""
    message: str | None = None
    """A reviewer's message or an error."""
    request_id: str | None = None
    """The approval request a decision answers (the event id of the gate's run)."""
    request_version: str | None = None
    """Digest of the request's actions and arguments when the decision was made."""
    idempotency_key: str | None = None
    """The action's idempotency key, recorded with its decision (the executor uses this one)."""


def _fold_latest_meeting(data: Mapping[str, Any], meetings: list[Any]) -> dict[str, Any]:
    """Return `data` with its `meeting` moved to the end of `meetings` (one copy per call)."""
    out = {k: v for k, v in data.items() if k != "meeting"}
    latest = data["meeting"]
    if latest is None:
        return out

    def call_id(m: Any) -> Any:
        return m.get("call_id") if isinstance(m, dict) else m.call_id

    out["meetings"] = [*(m for m in meetings if call_id(m) != call_id(latest)), latest]
    return out


class DealState(BaseModel):
    """Everything the operator knows about one deal, carried from event to event.

    Not here, by design: the audit trail and the receipts (in the CRM, by the actions' ids
    and idempotency keys). Older checkpoints that still carry `audit`, `receipts` or
    `meeting` load: the first two are ignored, `meeting` joins `meetings`.
    """

    def _repr_html_(self) -> str:  # notebooks (sales_operator.display)
        from sales_operator.display import deal_state_html

        return deal_state_html(self)

    model_config = ConfigDict(extra="ignore")

    event: Event | None = None
    """The event being handled now."""
    event_id: str = ""
    """Id of the current event (`<deal>:<n>:<type>`), used in idempotency keys."""
    plan: list[PatternName] = Field(default_factory=list)
    """The patterns this event runs, in order."""
    deferred: list[PatternName] = Field(default_factory=list)
    """Patterns of this event held back until its first request is decided and run (a new
    lead's research and drafting under `speed_to_lead`); empty otherwise."""
    deal_id: str = ""
    """The deal id (= thread id)."""
    deal: Deal | None = None
    """The opportunity."""
    lead: Lead | None = None
    """The lead that opened it."""
    account: Account | None = None
    """The company."""
    contacts: list[Contact] = Field(default_factory=list)
    """People on the customer side."""
    events: list[Event] = Field(default_factory=list)
    """Every event handled on this thread, oldest first."""
    activities: list[Activity] = Field(default_factory=list)
    """Emails, calls and replies logged on the deal."""
    transcript: str | None = None
    """The latest call transcript, as received; a long one as its `blob:sha256:` reference
    into the blob folder (`Deps.blobs`), so the checkpoints do not copy it."""
    score: LeadScore | None = None
    """The current score (written by Scoring+Routing only)."""
    score_history: list[ScorePoint] = Field(default_factory=list)
    """Every score the deal had."""
    assignment: Assignment | None = None
    """Who handles the deal."""
    brief: AccountBrief | None = None
    """The account brief (written by Generative Research only)."""
    handoff: AccountBrief | None = None
    """The customer-success handoff brief after a won deal."""
    meetings: list[MeetingInsights] = Field(default_factory=list)
    """Every analysed call, oldest first (written by Meeting Intelligence only); the latest
    is `meeting`."""
    risks: list[RiskWarning] = Field(default_factory=list)
    """Current risk warnings."""
    proposed_actions: list[ProposedAction] = Field(default_factory=list)
    """Every action proposed on the thread, with its status and decision."""
    engines: dict[str, str] = Field(default_factory=dict)
    """Step name to the engine that produced its latest output."""
    deal_changes: list[DealChange] = Field(default_factory=list)
    """Stage and close-date changes, oldest first (kept by Scoring+Routing for the risk rules)."""

    @model_validator(mode="before")
    @classmethod
    def _latest_meeting_into_meetings(cls, data: Any) -> Any:
        """Accept `meeting=` (older checkpoints, callers): it is the latest of `meetings`."""
        if not isinstance(data, dict) or "meeting" not in data:
            return data
        return _fold_latest_meeting(data, data.get("meetings") or [])

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Return a copy; `update={"meeting": m}` makes `m` the latest of `meetings`."""
        if update and "meeting" in update:
            update = _fold_latest_meeting(update, update.get("meetings", self.meetings))
        return super().model_copy(update=update, deep=deep)

    @property
    def meeting(self) -> MeetingInsights | None:
        """Insights from the latest call: the last of `meetings` (kept once, not twice)."""
        return self.meetings[-1] if self.meetings else None

    @meeting.setter
    def meeting(self, value: MeetingInsights | None) -> None:
        self.meetings = _fold_latest_meeting({"meeting": value}, self.meetings).get(
            "meetings", self.meetings
        )


class InputState(TypedDict):
    """What a caller sends: one event."""

    event: dict[str, Any] | Event


class DealUpdate(TypedDict, total=False):
    """A partial update returned by a node."""

    event: Event | None
    event_id: str
    plan: list[PatternName]
    deferred: list[PatternName]
    deal_id: str
    deal: Deal | None
    lead: Lead | None
    account: Account | None
    contacts: list[Contact]
    events: list[Event]
    activities: list[Activity]
    transcript: str | None
    score: LeadScore | None
    score_history: list[ScorePoint]
    assignment: Assignment | None
    brief: AccountBrief | None
    handoff: AccountBrief | None
    meetings: list[MeetingInsights]
    risks: list[RiskWarning]
    proposed_actions: list[ProposedAction]
    engines: dict[str, str]
    deal_changes: list[DealChange]


STATE_MODELS: tuple[type[BaseModel], ...] = (
    Event,
    Account,
    Contact,
    Lead,
    Deal,
    Activity,
    ScoreFactor,
    LeadScore,
    ScorePoint,
    Assignment,
    DealChange,
    Citation,
    BriefClaim,
    BriefSection,
    BriefSource,
    AccountBrief,
    Quote,
    Insight,
    TrackerHit,
    Commitment,
    Monologue,
    SpeakerMetrics,
    ConversationMetrics,
    MeddpiccCriterion,
    ActionItem,
    KeyPoint,
    MeetingSummary,
    CallInfo,
    SpeakerMapping,
    MeetingDecision,
    MeetingInsights,
    RiskWarning,
    Decision,
    ProposedAction,
    Receipt,
    AuditEntry,
    DealState,
)
"""Every model that can sit in a checkpoint; registered with the serializer."""

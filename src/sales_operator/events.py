"""Business events: their payloads, validation, and the `ingest_event` node.

The graph's input is `{"event": {"type": ..., "at": ISO-8601 time, "payload": {...}}}`.
`validate_event()` validates it completely (payload, transcript, signals; `send_event()` calls
it before anything is recorded); `ingest_event` validates it again inside the graph, folds the
facts it carries into the state and decides which patterns run (`plan`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from typing_extensions import TypedDict

from sales_operator.adapters.base import CRMReader
from sales_operator.blobs import BlobStore, blob_ref_of, externalize_payload
from sales_operator.errors import EventError
from sales_operator.limits import check_dates, check_limits
from sales_operator.policy import LimitsPolicy
from sales_operator.state import (
    EVENT_TYPES,
    Account,
    Activity,
    Contact,
    Deal,
    DealState,
    DealUpdate,
    Event,
    Lead,
    PatternName,
)


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LeadCreated(_Payload):
    """Payload of `lead_created`: a form fill or other inbound lead."""

    deal: Deal
    """The opportunity opened for the lead (its id is the thread id)."""
    account: Account
    """The company."""
    contacts: list[Contact] = Field(min_length=1)
    """The people; the lead's contact among them."""
    lead: Lead
    """The lead with its signals."""

    @model_validator(mode="after")
    def _contact_known(self) -> LeadCreated:
        if self.lead.contact_id not in {c.id for c in self.contacts}:
            raise ValueError(
                f"lead.contact_id {self.lead.contact_id!r} is not among the contacts "
                f"{[c.id for c in self.contacts]}"
            )
        return self


class MeetingCompleted(_Payload):
    """Payload of `meeting_completed`: a call with its transcript."""

    deal_id: str | None = None
    """The deal this event is about (checked against the thread's deal)."""
    call_id: str
    """Identifier of the call."""
    transcript: str | None = None
    """The transcript text (speaker-labelled)."""
    transcript_path: str | None = None
    """Or a path to a transcript file."""
    transcript_ref: str | None = None
    """Or a `blob:sha256:` reference to it in the blob folder (`ingest_event` moves a long
    inline transcript there, so the checkpoints hold the reference only)."""
    call_date: date | None = None
    """Date of the call (default: the event's date)."""
    format: str | None = None
    """Transcript format when it cannot be detected."""
    attendees: list[str] = Field(default_factory=list)
    """Attendee emails from the calendar, when known."""

    @model_validator(mode="after")
    def _has_transcript(self) -> MeetingCompleted:
        if not self.transcript and not self.transcript_path and not self.transcript_ref:
            raise ValueError("needs `transcript` (text) or `transcript_path`")
        return self


class ActivityLogged(_Payload):
    """Payload of `activity_logged`: an email, call or reply."""

    deal_id: str | None = None
    """The deal this event is about (checked against the thread's deal)."""
    kind: str
    """`email`, `call`, `reply`, `meeting`, ..."""
    direction: Literal["inbound", "outbound", "internal"] = "inbound"
    """Who started it."""
    summary: str = ""
    """One line on what happened."""


class PipelineReview(_Payload):
    """Payload of `pipeline_review`: a scheduled tick."""

    deal_id: str | None = None
    """The deal this event is about (checked against the thread's deal)."""
    note: str = ""
    """Optional note from whoever scheduled it."""


class DealClosed(_Payload):
    """Payload of `deal_closed`."""

    deal_id: str | None = None
    """The deal this event is about (checked against the thread's deal)."""
    outcome: Literal["won", "lost"]
    """Won or lost."""
    amount: float | None = None
    """Final amount (won deals)."""
    reason: str | None = None
    """Loss (or win) reason."""
    call_id: str | None = None
    """The last call, if its transcript comes with the event."""
    transcript: str | None = None
    """The last call's transcript."""
    transcript_path: str | None = None
    """Or its path."""
    transcript_ref: str | None = None
    """Or a `blob:sha256:` reference to it in the blob folder."""


PAYLOADS: dict[str, type[_Payload]] = {
    "lead_created": LeadCreated,
    "meeting_completed": MeetingCompleted,
    "activity_logged": ActivityLogged,
    "pipeline_review": PipelineReview,
    "deal_closed": DealClosed,
}

PLANS: dict[str, tuple[PatternName, ...]] = {
    "lead_created": ("scoring_routing", "generative_research", "workflow_copilot"),
    "meeting_completed": ("meeting_intelligence", "workflow_copilot"),
    "activity_logged": ("scoring_routing", "workflow_copilot"),
    "pipeline_review": ("scoring_routing", "workflow_copilot"),
    "deal_closed": (
        "scoring_routing",
        "meeting_intelligence",
        "generative_research",
        "workflow_copilot",
    ),
}
"""The patterns each event runs, in order."""

FIRST_REQUEST_PLANS: dict[str, tuple[PatternName, ...]] = {"lead_created": ("scoring_routing",)}
"""Under `speed_to_lead`, the patterns an event runs before its first, fast request; the
rest of its plan waits in `DealState.deferred` until that request is decided and run."""

FIRST_REQUEST_NODE = "notify_owner"
"""The graph node that proposes a new lead's routing actions for its first request."""

CONTINUE_NODE = "continue_event"
"""The graph node that releases an event's deferred patterns once its first request is
decided and executed."""


def _problems(err: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in err.errors()
    )


def parse_event(raw: Any, limits: LimitsPolicy | None = None) -> tuple[Event, _Payload]:
    """Validate an event and its payload.

    Args:
        raw: The event, `{"type", "at", "payload"}`.
        limits: The policy's input limits (`policy.limits`); the defaults when None.

    Raises:
        EventError: naming the event type and every wrong field.
        LimitError: for an event over an input limit (size, nesting, years).
    """
    if isinstance(raw, Event):
        raw = raw.model_dump()
    if not isinstance(raw, dict):
        raise EventError(f"an event must be an object, got {type(raw).__name__}")
    check_limits(raw, limits, where="event")  # before any recursive validation
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        raise EventError(f"unknown event type {kind!r}; expected one of {list(EVENT_TYPES)}")
    try:
        event = Event.model_validate(raw)
    except ValidationError as err:
        raise EventError(f"{kind} event: {_problems(err)}") from err
    try:
        payload = PAYLOADS[kind].model_validate(event.payload)
    except ValidationError as err:
        raise EventError(f"{kind} payload: {_problems(err)}") from err
    check_dates([event.at, payload.model_dump()], limits, where=f"{kind} event")
    if isinstance(payload, LeadCreated):
        from sales_operator.scoring.features import check_signals

        check_signals(payload.lead.signals)  # unknown keys (closest names) and types
    return event, payload


def validate_event(raw: Any, limits: LimitsPolicy | None = None) -> tuple[Event, _Payload]:
    """Validate an event completely before anything is recorded.

    Beyond `parse_event()`: a transcript (text or `transcript_path`) must be readable and
    parse, and the lead's scoring signals must be numbers. `limits` are the policy's input
    limits (the defaults when None).

    Raises:
        EventError: for a malformed event or payload, or a non-numeric signal.
        TranscriptError: for a transcript that cannot be read or parsed.
    """
    event, payload = parse_event(raw, limits)
    if isinstance(payload, LeadCreated):
        _check_signals(payload.lead.signals)
    if isinstance(payload, MeetingCompleted | DealClosed) and (
        payload.transcript or payload.transcript_path
    ):
        from sales_operator.patterns.meetings import load_event_transcript

        load_event_transcript(event.payload, call_id=str(payload.call_id or "call"))
    return event, payload


def _check_signals(signals: dict[str, Any]) -> None:
    import math

    from sales_operator.scoring.model import NUMERIC_FEATURES

    for name in NUMERIC_FEATURES:
        value = signals.get(name)
        if value is None or isinstance(value, bool):
            continue
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise EventError(
                f"lead_created payload: lead.signals.{name} must be a number, got {value!r}"
            )


def event_id_for(deal_id: str, event: Event) -> str:
    """Return a stable id for `event` on `deal_id`: the same event always gets the same id.

    An inline transcript counts by its blob reference, so an event keeps its id once
    `ingest_event` has moved the transcript to the blob folder.
    """
    payload = event.payload
    if isinstance(payload.get("transcript"), str):
        payload = {k: v for k, v in payload.items() if k != "transcript"}
        payload["transcript_ref"] = blob_ref_of(event.payload["transcript"])
    digest = hashlib.sha256(
        json.dumps(
            [event.type, event.at.isoformat(), payload], sort_keys=True, default=str
        ).encode()
    ).hexdigest()[:12]
    return f"{deal_id}:{event.type}:{digest}"


RawState = TypedDict(  # type: ignore[misc]
    "RawState", {name: Any for name in DealState.model_fields}, total=False
)
"""The state as stored, unvalidated: `ingest_event` reads it so a bad event fails in our code."""


def check_event_fits(current: DealState, event: Event, payload: _Payload) -> tuple[str, bool]:
    """Check that an event fits the thread's deal; return the deal id and whether it repeats.

    Raises:
        EventError: for a second lead on a thread, an event before the lead, or a payload
            naming another deal.
    """
    if isinstance(payload, LeadCreated):
        deal_id = payload.deal.id
        if current.deal is not None and not _seen(current, deal_id, event):
            raise EventError(
                f"lead_created: this thread already holds deal {current.deal_id!r}; "
                "one thread per deal"
            )
    else:
        deal_id = current.deal_id
        if current.deal is None:
            raise EventError(f"{event.type}: no deal on this thread yet; send lead_created first")
    claimed = getattr(payload, "deal_id", None)
    if claimed is not None and claimed != deal_id:
        raise EventError(
            f"{event.type}: payload.deal_id {claimed!r} is not this thread's deal {deal_id!r}"
        )
    seen = _seen(current, deal_id, event)
    if current.deferred and not seen:
        waiting = current.events[-1].type if current.events else "the last event"
        raise EventError(
            f"{event.type}: deal {deal_id!r} waits on the first request of its {waiting} "
            f"event (its {', '.join(current.deferred)} run once that request is decided); "
            "decide it, then send this event again"
        )
    return deal_id, seen


def _seen(current: DealState, deal_id: str, event: Event) -> bool:
    eid = event_id_for(deal_id, event)
    return any(event_id_for(deal_id, e) == eid for e in current.events)


def make_ingest(
    crm: CRMReader,
    *,
    limits: LimitsPolicy | None = None,
    blobs: BlobStore | None = None,
    speed_to_lead: bool = False,
) -> Callable[[Any, RunnableConfig], DealUpdate]:
    """Return the `ingest_event` node, reading existing records from `crm`.

    With `blobs`, a long inline transcript is moved to the blob folder and the state keeps
    its reference (`transcript_ref`). With `speed_to_lead`, an event listed in
    `FIRST_REQUEST_PLANS` runs only those patterns before its first request and defers the
    rest of its plan (`split_plan`).
    """
    min_bytes = (limits or LimitsPolicy()).blob_min_bytes

    def ingest_event(state: RawState, config: RunnableConfig) -> DealUpdate:
        """Validate the event, fold its facts into the state and plan the patterns it needs."""
        event, payload = validate_event(state.get("event"), limits)
        stored = externalize_payload(event.payload, blobs, min_bytes=min_bytes)
        if stored is not event.payload:
            event = event.model_copy(update={"payload": stored})
        current = _current_state(state)
        deal_id, repeated = check_event_fits(current, event, payload)
        if repeated:
            # The same event again (a webhook retry included): nothing runs twice.
            return _unchanged(current, event)
        eid = event_id_for(deal_id, event)
        update: DealUpdate = {
            "event": event,
            "event_id": eid,
            "deal_id": deal_id,
            "events": [*current.events, event],
            "plan": list(PLANS[event.type]),
        }
        if isinstance(payload, LeadCreated):
            known = {c.id: c for c in crm.list_contacts(payload.account.id)}
            known.update({c.id: c for c in payload.contacts})
            update["deal"] = payload.deal
            update["account"] = payload.account
            update["contacts"] = list(known.values())
            update["lead"] = payload.lead
            update["activities"] = [
                Activity(
                    at=payload.lead.created_at,
                    kind="form_fill",
                    direction="inbound",
                    summary=f"Lead from {payload.lead.source}",
                )
            ]
        elif isinstance(payload, ActivityLogged):
            update["activities"] = [
                *current.activities,
                Activity(
                    at=event.at,
                    kind=payload.kind,
                    direction=payload.direction,
                    summary=payload.summary,
                ),
            ]
        elif isinstance(payload, DealClosed):
            assert current.deal is not None
            changes: dict[str, Any] = {"outcome": payload.outcome}
            if payload.amount is not None:
                changes["amount"] = payload.amount
            update["deal"] = current.deal.model_copy(update=changes)
            plan = list(PLANS["deal_closed"])
            if not (payload.transcript or payload.transcript_path or payload.transcript_ref):
                plan.remove("meeting_intelligence")
            if payload.outcome != "won":
                plan.remove("generative_research")
            update["plan"] = plan
        update["plan"], update["deferred"] = split_plan(
            event.type, update["plan"], speed_to_lead=speed_to_lead
        )
        return update

    return ingest_event


def split_plan(
    kind: str, plan: list[PatternName], *, speed_to_lead: bool
) -> tuple[list[PatternName], list[PatternName]]:
    """Return an event's plan split into (patterns before its first request, deferred ones).

    Without `speed_to_lead`, or for an event with no first request, nothing is deferred.
    """
    first = FIRST_REQUEST_PLANS.get(kind) if speed_to_lead else None
    if first is None:
        return plan, []
    return [p for p in plan if p in first], [p for p in plan if p not in first]


def _unchanged(current: DealState, event: Event) -> DealUpdate:
    """Return the update for an event already handled: the thread stays as it was."""
    return {"event": current.events[-1] if current.events else event, "plan": []}


def _current_state(state: Any) -> DealState:
    values = {k: v for k, v in dict(state).items() if k != "event"}
    return DealState.model_validate(values)

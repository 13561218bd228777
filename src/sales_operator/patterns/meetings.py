"""Meeting Intelligence: a call transcript in, metrics, trackers, pains and commitments out.

```text
START ─► analyze_call ─► END
         (meeting_completed; deal_closed with a transcript)
```

The event payload carries `call_id` and either `transcript` (the text) or `transcript_path`
(a file; a relative path that does not exist from the working directory is looked up in the
bundled `sales_operator/data/`), and optionally `call_date` (ISO date; default: the event's
date) and `format` (`auto`, `plain`, `vtt`, `srt`, `json`), and `attendees` (the calendar
invite's attendees, `"Name <email>"` or bare emails). Speakers are placed on the rep or the
customer side from the CRM reps, the deal's contacts, the attendees and the policy's rep
email domains (`meetings.speakers`); a speaker none of them places stays `unknown`.

The node writes `meeting`, appends it to `meetings` (replacing an earlier analysis of the
same call), keeps the transcript text in `transcript`, records the engine under
`engines["meeting_intelligence"]`, and logs the call as a `meeting` activity so that the
risk rules count it as engagement. It proposes nothing: the Workflow Copilot turns the
insights into actions.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from sales_operator.blobs import BlobStore
from sales_operator.context import Context
from sales_operator.deps import PatternDeps
from sales_operator.errors import EventError, TranscriptError
from sales_operator.limits import allowed_transcript_path, check_transcript
from sales_operator.llm import LLM
from sales_operator.meetings import analyze as meeting_analysis
from sales_operator.meetings.speakers import participants
from sales_operator.meetings.trackers import CONCEPT_STEP
from sales_operator.meetings.transcript import Transcript, decode_transcript, parse_transcript
from sales_operator.policy import LimitsPolicy
from sales_operator.progress import report_progress
from sales_operator.state import Activity, DealState, MeetingInsights

__all__ = ["STEP", "activity_summary", "build", "load_event_transcript"]

STEP = "meeting_intelligence"
"""The key under which the engine is recorded in `DealState.engines`."""


def _resolve_path(raw: str) -> Path:
    path = Path(raw).expanduser()
    if path.is_file() or path.is_absolute():
        return path
    bundled = Path(str(resources.files("sales_operator").joinpath("data", raw)))
    return bundled if bundled.is_file() else path


def load_event_transcript(
    payload: dict[str, Any],
    *,
    call_id: str,
    limits: LimitsPolicy | None = None,
    blobs: BlobStore | None = None,
) -> tuple[str, Transcript]:
    """Return the transcript text of an event payload, and the parsed transcript.

    Args:
        payload: The event payload.
        call_id: The call, for error messages.
        limits: The policy's input limits (transcript size and turns, the folders
            `transcript_path` may read); the defaults when None.
        blobs: The blob folder a `transcript_ref` points into.

    Raises:
        EventError: when the payload has neither `transcript` nor `transcript_path`, or
            a value of the wrong type.
        TranscriptError: when the file is missing, outside the allowed folders, or the
            transcript is malformed.
        LimitError: when the transcript is over the size or turn limit.
    """
    text, transcript = _load_event_transcript(payload, call_id=call_id, limits=limits, blobs=blobs)
    check_transcript(turns=len(transcript.turns), limits=limits, name=transcript.name)
    return text, transcript


def _load_event_transcript(
    payload: dict[str, Any], *, call_id: str, limits: LimitsPolicy | None, blobs: BlobStore | None
) -> tuple[str, Transcript]:
    fmt = payload.get("format") or "auto"
    if not isinstance(fmt, str):
        raise EventError(f"payload 'format' must be a string, got {type(fmt).__name__}")
    text = payload.get("transcript")
    ref = payload.get("transcript_ref")
    if text is None and ref is not None:
        if blobs is None:
            raise EventError("payload 'transcript_ref' needs a blob folder (Deps.blobs)")
        text = blobs.get(ref)
    if text is not None:
        if not isinstance(text, str):
            raise EventError(
                f"payload 'transcript' must be the transcript text, got {type(text).__name__}"
            )
        name = f"transcript of {call_id}"
        check_transcript(size=len(text.encode("utf-8", "surrogatepass")), limits=limits, name=name)
        return text, _parse(text, name=name, format=fmt)
    raw_path = payload.get("transcript_path")
    if raw_path is None:
        raise EventError(
            "the event payload needs 'transcript' (the text) or 'transcript_path' (a file)"
        )
    if not isinstance(raw_path, str | Path):
        raise EventError(f"payload 'transcript_path' must be a path, got {type(raw_path).__name__}")
    path = allowed_transcript_path(_resolve_path(str(raw_path)), limits)
    try:
        check_transcript(size=path.stat().st_size, limits=limits, name=str(path))
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise TranscriptError(f"transcript file not found: {path}") from err
    except OSError as err:
        raise TranscriptError(f"cannot read transcript {path}: {err}") from err
    text = decode_transcript(data, name=str(path))
    return text, _parse(text, name=str(path), format=fmt)


def _parse(text: str, *, name: str, format: str) -> Transcript:
    try:
        return parse_transcript(text, name=name, format=format)
    except RecursionError as err:  # a deeply nested JSON transcript
        raise TranscriptError(f"{name}: nested too deeply to read") from err


def _call_date(payload: dict[str, Any], default: date) -> date:
    raw = payload.get("call_date")
    if raw is None or raw == "":
        return default
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError as err:
        raise EventError(f"payload 'call_date' must be an ISO date, got {raw!r}") from err


def activity_summary(insights: MeetingInsights) -> str:
    """Return the one-line activity summary of an analysed call."""
    competitors = list(dict.fromkeys(h.tracker for h in insights.competitors))
    parts = [
        f"{len(insights.pains)} pain{'s' if len(insights.pains) != 1 else ''}",
        f"competitors: {', '.join(competitors)}" if competitors else "no competitor mentioned",
        f"{len(insights.commitments)} commitment{'s' if len(insights.commitments) != 1 else ''}",
    ]
    line = f"Call {insights.call_id} analysed: " + "; ".join(parts)
    next_step = insights.crm_notes.get("next_step")
    if next_step:
        due = insights.crm_notes.get("next_step_date")
        line += f"; next step: {next_step}" + (f" by {due}" if due else "")
    return line


def build(deps: PatternDeps) -> StateGraph[Any, Any, Any, Any]:
    """Return the Meeting Intelligence subgraph (uncompiled).

    Args:
        deps: Read-only dependencies: the policy (trackers), the CRM reader (rep names)
            and the language engine.
    """

    def analyze_call(state: DealState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Analyse the call transcript carried by a `meeting_completed` (or `deal_closed`) event."""
        event = state.event
        if event is None or event.type not in ("meeting_completed", "deal_closed"):
            return {}
        payload = event.payload
        has_transcript = any(
            payload.get(k) is not None for k in ("transcript", "transcript_path", "transcript_ref")
        )
        if event.type == "deal_closed" and not has_transcript:
            return {}
        call_id = str(payload.get("call_id") or f"{state.event_id or state.deal_id}:call")
        limits = deps.policy.limits
        report_progress("meeting_analysis", 0, 2, "reading the transcript")
        text, transcript = load_event_transcript(
            payload, call_id=call_id, limits=limits, blobs=deps.blobs
        )
        kept = text  # the state keeps a reference to a long transcript, not the text
        if deps.blobs is not None and len(text.encode("utf-8")) >= limits.blob_min_bytes:
            kept = deps.blobs.put(text)
        call_date = _call_date(payload, event.at.date())
        attendees = payload.get("attendees") or []
        if not isinstance(attendees, list) or not all(isinstance(a, str) for a in attendees):
            raise EventError("payload 'attendees' must be a list of 'Name <email>' strings")
        people = participants(
            contacts=state.contacts,
            reps=deps.crm.list_reps(),
            attendees=attendees,
            rep_email_domains=deps.policy.company.rep_email_domains,
        )
        context = getattr(runtime, "context", None)
        llm = LLM(None) if isinstance(context, Context) and context.offline else deps.llm
        report_progress("meeting_analysis", 1, 2, "analysing the call")
        insights = meeting_analysis.analyze_call(
            transcript,
            call_id=call_id,
            call_date=call_date,
            rep_names=(),
            customer_names=(),
            policy=deps.policy,
            llm=llm,
            people=people,
            account_names=[state.account.name] if state.account else (),
            account_domains=[state.account.domain]
            if state.account and state.account.domain
            else (),
        )
        report_progress("meeting_analysis", 2, 2, "call analysed")
        meetings = [m for m in state.meetings if m.call_id != call_id]
        activity = Activity(
            at=event.at, kind="meeting", direction="outbound", summary=activity_summary(insights)
        )
        activities = list(state.activities)
        if activity not in activities:
            activities.append(activity)
        return {
            "meetings": [*meetings, insights],  # the latest is `state.meeting`
            "transcript": kept,
            "activities": activities,
            "engines": {
                **state.engines,
                STEP: insights.engine,
                **({CONCEPT_STEP: insights.concept_engine} if insights.concept_engine else {}),
            },
        }

    builder: StateGraph[Any, Any, Any, Any] = StateGraph(DealState, context_schema=Context)
    builder.add_node("analyze_call", analyze_call)
    builder.add_edge(START, "analyze_call")
    builder.add_edge("analyze_call", END)
    return builder

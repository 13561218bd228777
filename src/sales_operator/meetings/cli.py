"""`sales-operator` subcommands of the meetings area (registered by `sales_operator.cli`).

```text
sales-operator analyze-call PATH [--call-date DATE] [--format json|markdown]
                            [--rep NAME] [--customer NAME] [--attendee "Name <email>"]
                            [--account ACCOUNT_ID] [--call-id ID]
                            [--transcript-format FMT] [--speaker NAME]
```

PATH is a transcript (WebVTT, SRT, JSON segments, or plain `Name: text` lines) or a call
recording (.wav, .mp3, .m4a, .flac, .ogg, .webm; needs the `audio` extra). Speakers are placed
on the rep or the customer side from `--rep`, `--customer`, `--attendee` (the domain of an
email decides: the policy's `company.rep_email_domains` are ours) and, with
`--account`, the account's contacts and the reps in the CRM of `--workdir`. A speaker none
of these places stays `unknown`. The call date is `--call-date`, else the date the
transcript states, else today.

The JSON report's top-level keys: `metrics` (with `talk_ratio`: speaker to share of time
spoken, or of words when the transcript has no timestamps; `basis` says which), `trackers`
(every hit with its quote, speaker and timestamp; competitors with `confidence` and
`matched_by`), `extractions` (pains, objections, risks, triggers, commitments, each with its
quote; `ungrounded` counts model items dropped for a quote not in the transcript),
`summary` (the content summary: brief, key points, next steps), `summary_detail` (the same
in parts), `crm_notes`, `highlights`, `participants` (each speaker's side and how it was
mapped) and `call` (date, source, format, duration).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sales_operator.errors import ConfigurationError, InputError, TranscriptError
from sales_operator.meetings.transcript import FORMATS, Transcript, format_timestamp

__all__ = [
    "AUDIO_SUFFIXES",
    "add_commands",
    "cmd_analyze_call",
    "load_call",
    "render_markdown",
    "report",
]

AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".m4a", ".flac", ".ogg", ".webm", ".mp4"})
"""File suffixes read as call recordings (transcribed with the `audio` extra)."""

_NOT_TRANSCRIPTS = frozenset({".pdf", ".doc", ".docx", ".odt", ".rtf", ".zip", ".xlsx", ".pptx"})

_METRIC_FIELDS = ("talk_ratio", "side_ratio", "longest_monologue_s", "questions")
_NOT_EXTRACTIONS = {
    *_METRIC_FIELDS,
    "call_id",
    "call_date",
    "competitors",
    "trackers",
    "metrics",
    "concept_engine",
    "speakers",
    "summary",
    "crm_notes",
    "engine",
    "summary_detail",
    "call",
    "participants",
    "highlights",
}


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the `sales-operator` parser.

    Args:
        sub: The parser's subparsers action.
        common: The parent parser with `--workdir`, `--policy`, `--offline`, `--reviewer`.
    """
    p = sub.add_parser(
        "analyze-call",
        parents=[common],
        help="analyse one call transcript or recording: metrics, trackers, extractions",
        description=__doc__.split("\n\n", 1)[0] if __doc__ else None,
    )
    p.add_argument("path", help="transcript (.vtt, .srt, .json, .txt) or recording (.wav, ...)")
    p.add_argument("--call-date", help="ISO date of the call (default: the transcript's, or today)")
    p.add_argument("--format", choices=["json", "markdown"], default="json", help="report format")
    p.add_argument(
        "--transcript-format",
        choices=["auto", *FORMATS],
        default="auto",
        help="how to read the transcript (default: detect)",
    )
    p.add_argument("--call-id", help="identifier of the call (default: the file name)")
    p.add_argument("--rep", action="append", default=[], help="one of our reps on the call")
    p.add_argument("--customer", action="append", default=[], help="a customer on the call")
    p.add_argument(
        "--attendee",
        action="append",
        default=[],
        help="a calendar attendee, 'Name <email>' (the email's domain decides the side)",
    )
    p.add_argument("--account", help="account id: its contacts and the CRM's reps are participants")
    p.add_argument(
        "--speaker",
        action="append",
        default=[],
        help="recordings only: speaker names in order (left channel first)",
    )
    p.set_defaults(func=cmd_analyze_call)


def load_call(
    path: str | Path, *, transcript_format: str = "auto", speakers: list[str] | None = None
) -> Transcript:
    """Read a transcript file, or transcribe a recording.

    Raises:
        TranscriptError: when the file is missing, empty, undecodable, malformed, or of an
            unknown format.
        ConfigurationError: for a recording, when the `audio` extra is not installed.
    """
    from sales_operator.meetings.transcript import read_transcript

    p = Path(path)
    if not p.is_file():
        raise TranscriptError(f"transcript file not found: {p}")
    suffix = p.suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        try:
            from sales_operator.meetings.audio import transcribe_audio
        except ImportError as err:
            raise ConfigurationError(
                f"{p}: transcribing a recording needs the audio extra "
                f"(pip install 'sales-operator[audio]'): {err}"
            ) from err
        return transcribe_audio(p, speakers=speakers or None)
    if suffix in _NOT_TRANSCRIPTS:
        raise TranscriptError(
            f"{p}: unknown transcript format {suffix!r}; use WebVTT (.vtt), SRT (.srt), JSON "
            "segments (.json), plain 'Name: text' lines (.txt), or a recording (.wav, .mp3, "
            ".m4a, .flac, .ogg)"
        )
    if p.stat().st_size == 0:
        raise TranscriptError(f"{p}: the transcript is empty (0 bytes)")
    return read_transcript(p, format=transcript_format, allow_unlabelled=True)


def _call_date(raw: str | None, transcript: Transcript, time_zone: str = "UTC") -> date:
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError as err:
            raise InputError(
                f"--call-date must be an ISO date such as 2026-11-04, got {raw!r}"
            ) from err
    from sales_operator.meetings.dates import local_date  # i9a: the policy's time zone

    return transcript.local_call_date(time_zone) or local_date(datetime.now(UTC), time_zone)


def _llm(args: argparse.Namespace) -> Any:
    from sales_operator.llm import LLM, load_chat_model, model_spec_from_env

    spec = None if getattr(args, "offline", False) else model_spec_from_env()
    return LLM(load_chat_model(spec), name=spec) if spec else LLM(None)


def _people(
    args: argparse.Namespace, policy: Any, account_names: list[str] | None = None
) -> list[Any]:
    from sales_operator.meetings.speakers import participants

    contacts: list[Any] = []
    reps: list[Any] = []
    if args.account:
        from sales_operator.adapters.sqlite_crm import SQLiteCRM

        where = Path(args.workdir) / "crm.sqlite"
        if not where.is_file() and not getattr(args, "sample", False):
            raise InputError(f"--account {args.account}: {where} holds no CRM (see `init`)")
        crm = SQLiteCRM.open_seeded(where) if getattr(args, "sample", False) else SQLiteCRM(where)
        try:
            account_id = args.account
            account = crm.get_account(account_id)
            if account is None:
                raise InputError(f"--account {account_id}: no such account in {where}")
            if account_names is not None:
                account_names.append(account.name)  # the customer is never a competitor
                if account.domain:  # and names its people (speaker sides)
                    account_names.append(account.domain)
            contacts = crm.list_contacts(account_id)
            reps = crm.list_reps()
        finally:
            crm.close()
    return participants(
        contacts=contacts,
        reps=reps,
        attendees=args.attendee,
        rep_names=args.rep,
        customer_names=args.customer,
        rep_email_domains=policy.company.rep_email_domains,
    )


def _hit(h: Any) -> dict[str, Any]:
    start = h.quote.start
    return {
        "tracker": h.tracker,
        "kind": h.kind,
        "keyword": h.keyword,
        "speaker": h.quote.speaker,
        "side": h.side,
        "timestamp": start,
        "time": format_timestamp(start) if start is not None else None,
        "quote": h.quote.text,
        **({"engine": h.engine} if h.engine else {}),
        **({"confidence": h.confidence} if h.confidence is not None else {}),
        **({"matched_by": h.matched_by} if h.matched_by else {}),
    }


def report(
    insights: Any, transcript: Transcript, matches: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return the JSON report of an analysed call.

    Keys: `metrics`, `trackers`, `extractions` (with `ungrounded`: model items dropped
    because their quote is not in the transcript), `summary` (the content summary as text),
    `summary_detail` (its brief, key points by topic and next steps), `crm_notes`,
    `highlights`, `participants` (every speaker: name, side, how it was mapped) and `call`
    (date, source, duration, format).

    Args:
        insights: The `MeetingInsights` of `analyze_call`.
        transcript: The transcript it was made from.
        matches: Speaker label to `SpeakerMatch`, to say who each speaker is.
    """
    data = insights.model_dump(mode="json")
    detail = data.get("metrics") or {}
    speakers = detail.pop("speakers", {}) or {}
    for label, entry in speakers.items():
        m = (matches or {}).get(label)
        entry["participant"] = m.participant.name if m and m.participant else None
        entry["matched_by"] = m.reason if m else None
    metrics: dict[str, Any] = {
        "call": {
            "call_id": insights.call_id,
            "call_date": insights.call_date.isoformat(),
            "source": transcript.name,
            "format": transcript.format,
            "turns": len(transcript.turns),
            "timed": transcript.timed,
        },
        **{k: data[k] for k in _METRIC_FIELDS},
        **detail,
        "speakers": speakers,
    }
    trackers = [_hit(h) for h in insights.competitors] + [_hit(h) for h in insights.trackers]
    trackers.sort(key=lambda h: (h["timestamp"] is None, h["timestamp"] or 0.0))
    extractions: dict[str, Any] = {"engine": insights.engine}
    extractions.update({k: v for k, v in data.items() if k not in _NOT_EXTRACTIONS})
    if insights.concept_engine:
        metrics["engines"] = {"concept_trackers": insights.concept_engine}
    extractions.setdefault("ungrounded", data.get("ungrounded") or {})
    call = data.get("call") or {}
    return {
        "metrics": metrics,
        "trackers": trackers,
        "extractions": extractions,
        "summary": insights.summary,
        "summary_detail": data.get("summary_detail"),
        "crm_notes": insights.crm_notes,
        "highlights": insights.highlights,
        "participants": data.get("participants") or [],
        "call": {
            "call_id": insights.call_id,
            "date": insights.call_date.isoformat(),
            "source": call.get("source") or transcript.name,
            "format": call.get("format") or transcript.format,
            "duration_s": call.get("duration_s"),
            "speakers": call.get("speakers", len(transcript.speakers)),
            "words": call.get("words"),
            "turns": len(transcript.turns),
            "timed": transcript.timed,
        },
    }


def _pct(value: float) -> str:
    return f"{round(value * 100)} %"


def _when(seconds: float | None) -> str:
    return f"[{format_timestamp(seconds)}] " if seconds is not None else ""


def render_markdown(data: dict[str, Any]) -> str:
    """Return the report of `report` as a readable Markdown document."""
    m = data["metrics"]
    call = m["call"]
    basis = "speaking time" if m["basis"] == "time" else "words (no timestamps)"
    out = [f"# Call {call['call_id']} ({call['call_date']})", ""]
    out.append(f"Source: `{call['source']}` ({call['format']}, {call['turns']} turns)")
    out += ["", "## Talk", "", f"Talk ratio by {basis}:", ""]
    out += ["| speaker | side | share | words | questions | fillers |", "|---|---|---|---|---|---|"]
    for label, s in m["speakers"].items():
        fillers = ", ".join(f"{w} {n}" for w, n in s["fillers"].items()) or "-"
        out.append(
            f"| {label} | {s['side']} | {_pct(s['share'])} | {s['words']} | {s['questions']} "
            f"| {fillers} |"
        )
    sides = ", ".join(f"{k} {_pct(v)}" for k, v in m["side_ratio"].items())
    out += ["", f"- By side: {sides}"]
    mono = m.get("longest_monologue")
    if mono:
        size = (
            f"{mono['seconds']:.0f} s" if mono["seconds"] is not None else f"{mono['words']} words"
        )
        out.append(
            f"- Longest monologue: {mono['speaker']}, {size}, {_when(mono['start'])}"
            f'"{mono["quote"]}"'
        )
    if m.get("interactivity") is not None:
        out.append(f"- Interactivity: {m['interactivity']} speaker switches per minute")
    if m.get("patience_s") is not None:
        out.append(f"- Patience: {m['patience_s']} s mean pause before the rep answers")
    qs = ", ".join(
        f"{side} {n} ({m['question_rate'].get(side, 0)} per 100 words)"
        for side, n in m["questions"].items()
    )
    out.append(f"- Questions: {qs}")
    out += ["", "## Trackers", ""]
    if data["trackers"]:
        for h in data["trackers"]:
            out.append(
                f"- **{h['tracker']}** ({h['kind']}) {_when(h['timestamp'])}{h['speaker']}: "
                f'"{h["quote"]}"'
            )
    else:
        out.append("No tracker fired.")
    ex = data["extractions"]
    out += ["", f"## Extractions ({ex['engine']})"]
    for key in ("pains", "objections", "risks", "triggers", "decisions"):
        items = ex.get(key) or []
        if not items:
            continue
        out += ["", f"### {key.capitalize()}", ""]
        for item in items:
            q = item["quote"]
            out.append(
                f'- {item["text"]}  \n  {_when(q.get("start"))}{q["speaker"]}: "{q["text"]}"'
            )
    commitments = ex.get("commitments") or []
    if commitments:
        out += ["", "### Commitments", ""]
        for c in commitments:
            due = c.get("due") or "no date"
            out.append(
                f'- {c["owner"]} ({c["side"]}): {c["text"]}, due {due}  \n  "{c["quote"]["text"]}"'
            )
    out += ["", "## Summary", "", data["summary"] or "(none)"]
    highlights = data.get("highlights") or ex.get("highlights")
    if highlights:
        out += ["", "## Highlights", "", *(f"- {line}" for line in highlights.splitlines())]
    out += ["", "## CRM notes", ""]
    out += [f"- **{k}**: {v}" for k, v in data["crm_notes"].items()]
    return "\n".join(out) + "\n"


def cmd_analyze_call(args: argparse.Namespace) -> int:
    """Analyse one call and print the report."""
    from sales_operator.meetings.analyze import analyze_call
    from sales_operator.meetings.speakers import map_speakers
    from sales_operator.policy import default_policy, load_policy

    policy = load_policy(args.policy) if args.policy else default_policy()
    transcript = load_call(
        args.path, transcript_format=args.transcript_format, speakers=args.speaker
    )
    account_names: list[str] = []
    people = _people(args, policy, account_names)
    names = [n for n in account_names if " " in n or "." not in n]
    insights = analyze_call(
        transcript,
        call_id=args.call_id or Path(args.path).stem,
        call_date=_call_date(args.call_date, transcript, policy.calendar.time_zone),
        rep_names=(),
        customer_names=(),
        policy=policy,
        llm=_llm(args),
        people=people,
        account_names=names,
        account_domains=[n for n in account_names if n not in names],
    )
    matches = map_speakers(
        transcript.speakers,
        people,
        rep_email_domains=policy.company.rep_email_domains,
        transcript=transcript,  # i9a: the same placement analyze_call makes
        own_names=(policy.company.name, policy.company.product),
        account_names=account_names,
    )
    data = report(insights, transcript, matches)
    if "customer" not in insights.speakers.values():
        sys.stderr.write(
            "note: no speaker was placed on the customer side, so pains, objections and "
            "MEDDPICC evidence are not extracted; name the participants with --rep, "
            "--customer or --attendee 'Name <email>'\n"
        )
    if args.format == "markdown":
        sys.stdout.write(render_markdown(data))
    else:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return 0

"""Speaker-labelled call transcripts: plain text, WebVTT, SRT, JSON and vendor exports.

Formats (`FORMATS`), detected automatically:

* `plain`: `Name: text` lines, optionally timestamped (also lowercase, unpunctuated
  speech-to-text output such as `speaker 1: so um we looked at it`);
* `vtt` and `srt`: cues (Zoom: numbered cues with `Name:`; Teams: UUID cue ids, `<v Name>`
  voice tags, NOTE blocks);
* `json`: a list of `{speaker, start, end, text}` segments, or `{"segments": [...]}`;
* `gong`: Gong's transcript JSON (`callTranscripts` or `transcript` monologues of
  `sentences`, times in milliseconds); speaker names and sides from `parties`
  (`speakerId`, `name`, `affiliation`: Internal is ours) when the file has them;
* `fireflies`: a Fireflies transcript (`sentences` with `speaker_name`, `start_time`,
  `end_time`; `date` in epoch milliseconds), bare or as GraphQL `data.transcript`;
* `chorus`: a Chorus conversation (`data.attributes.recording.utterances` of `snippet`,
  `snippet_time`, `speaker_name`/`speaker_id`, `speaker_type`; see `meetings.chorus`);
* `otter`: Otter's text export, a `Name  0:05` line (two spaces), then the text;
* `headed`: other speaker-and-time header lines (`Name (00:05)`, `Name - 00:05`), then the
  text;
* `meet`: Google Meet's transcript text (title, `Attendees`, `Transcript`, timestamp lines,
  `Name: text` lines); the attendees are `Transcript.attendees`.

Text that fits none is an error listing the formats tried; a file read as one format that
yields no speaker turns is an error naming that format.

`parse_transcript(text)` detects the format and returns a `Transcript`, a list of turns
(speaker, text, start, end). `read_transcript(path)` reads a file first, decoding UTF-8,
UTF-8 with a BOM or UTF-16 with a BOM.

The plain form is one turn per `Name: text` line, with an optional timestamp in front:

```text
[00:01:23] Sam Rivera: Thanks for making the time today.
00:01:30 Dana Whitfield: Happy to.
(1:35) Sam: A line without a label continues the turn above it.
```

In a timestamped transcript, only timestamped lines open turns; every other line continues
the turn above it, so a colon inside a sentence ("Agenda: ...") is never read as a speaker.

WebVTT and SRT cues carry their speaker as a `<v Name>` voice tag or a `Name:` prefix. Cues
without any label are refused by default; with `allow_unlabelled=True` they become turns of
the speaker `UNLABELLED` ("Unknown speaker"), which the speaker mapping never places.

Timestamps are checked: a turn that ends before it starts, starts before the turn above it,
or overlaps the turn above it by more than `OVERLAP_TOLERANCE_S` (cues of one block excepted)
is an error naming the line (for JSON: the segment).

The call date is read when the transcript states it: a JSON object's `date`, `call_date` or
`recorded_at` key, or a `Date: 2026-11-04` line in a WebVTT header or NOTE block or at the
top of a plain transcript. It is `Transcript.call_date`, None otherwise.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from sales_operator.errors import TranscriptError
from sales_operator.meetings.chorus import chorus_recording, parse_chorus

__all__ = [
    "FORMATS",
    "OVERLAP_TOLERANCE_S",
    "UNLABELLED",
    "Transcript",
    "TranscriptFormat",
    "Turn",
    "decode_transcript",
    "detect_format",
    "format_timestamp",
    "parse_transcript",
    "read_transcript",
]

TranscriptFormat = Literal[
    "plain", "vtt", "srt", "json", "otter", "headed", "meet", "gong", "fireflies", "chorus"
]
"""The transcript formats `parse_transcript` reads (see the module notes)."""

FORMATS: tuple[str, ...] = (
    "plain",
    "vtt",
    "srt",
    "json",
    "otter",
    "headed",
    "meet",
    "gong",
    "fireflies",
    "chorus",
)

_TRIED = (
    "WebVTT (Zoom, Teams: a 'WEBVTT' first line)",
    "SRT (numbered cues)",
    "JSON (segments, Gong, Fireflies, Chorus)",
    "Otter text ('Name  0:05' lines, then the text)",
    "speaker-and-time headers ('Name (00:05)', 'Name - 00:05')",
    "Google Meet text (timestamp lines, 'Name: text' lines)",
    "plain 'Name: text' lines (optionally timestamped)",
)
"""What automatic detection tries, in order (named in the unknown-format error)."""

UNLABELLED = "Unknown speaker"
"""The speaker of cue text without a label, when unlabelled cues are allowed."""

OVERLAP_TOLERANCE_S = 0.5
"""How far (seconds) a turn may start before the previous one ends (rounding in exports)."""


@dataclass(frozen=True)
class Turn:
    """One speaker's uninterrupted contribution."""

    speaker: str
    """Who spoke, as labelled in the transcript."""
    text: str
    """What they said (continuation lines joined with a space)."""
    start: float | None = None
    """Seconds from the start of the call, when the transcript has timestamps."""
    end: float | None = None
    """Seconds from the start when the turn ended, when the transcript says so."""
    line: int = 0
    """1-based line number (for JSON: 1-based segment number) the turn starts on."""


@dataclass(frozen=True)
class Transcript:
    """A parsed transcript: the turns in order, with where they came from."""

    turns: tuple[Turn, ...]
    """The turns, in the order spoken."""
    format: TranscriptFormat
    """The format the text was read as."""
    name: str = "<transcript>"
    """Where the text came from (a file name), used in error messages."""
    call_date: date | None = None
    """The date of the call, when the transcript states it."""
    sides: dict[str, str] = field(default_factory=dict, compare=False)
    """Sides the export itself states, label to `rep` or `customer` (Gong's `affiliation`:
    Internal is ours, External the customer's); empty for most formats."""
    attendees: tuple[str, ...] = ()
    """Attendee names the export lists (Google Meet's 'Attendees' block)."""
    started_at: datetime | None = None
    """When the call started, when the export states the moment (Gong, Fireflies); aware."""
    speakers: tuple[str, ...] = field(init=False)
    """Every speaker, in order of first appearance."""

    def __post_init__(self) -> None:
        seen: dict[str, None] = {}
        for turn in self.turns:
            seen.setdefault(turn.speaker, None)
        object.__setattr__(self, "speakers", tuple(seen))

    @property
    def timed(self) -> bool:
        """Whether every turn has a start time."""
        return bool(self.turns) and all(t.start is not None for t in self.turns)

    def local_call_date(self, time_zone: str = "UTC") -> date | None:
        """Return the call date in `time_zone` (from `started_at` when known, else `call_date`).

        Raises:
            InputError: when `time_zone` is not an IANA time zone name.
        """
        from sales_operator.meetings.dates import local_date

        if self.started_at is not None:
            return local_date(self.started_at, time_zone)
        return self.call_date

    def render(self) -> str:
        """Return the transcript as plain `[hh:mm:ss] Speaker: text` lines."""
        lines = []
        for turn in self.turns:
            stamp = f"[{format_timestamp(turn.start)}] " if turn.start is not None else ""
            lines.append(f"{stamp}{turn.speaker}: {turn.text}")
        return "\n".join(lines)


def format_timestamp(seconds: float, *, millis: bool = False) -> str:
    """Return `seconds` as `hh:mm:ss` (or `hh:mm:ss.mmm` with `millis`)."""
    if millis:
        whole = int(seconds)
        ms = int(round((seconds - whole) * 1000))
        if ms == 1000:
            whole, ms = whole + 1, 0
        return f"{format_timestamp(whole)}.{ms:03d}"
    total = int(round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


# --- decoding -------------------------------------------------------------------------------


def decode_transcript(data: bytes, *, name: str = "<transcript>") -> str:
    """Decode transcript bytes: UTF-8, UTF-8 with a BOM, or UTF-16 with a BOM.

    Raises:
        TranscriptError: for any other encoding, naming the line and byte that fail.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, body = "utf-8", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, body = "utf-16", data
    else:
        encoding, body = "utf-8", data
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as err:
        line = body[: err.start].count(b"\n") + 1 if encoding == "utf-8" else None
        where = f"line {line}, " if line is not None else ""
        raise TranscriptError(
            f"{name}: cannot decode as {encoding.upper()} ({where}byte offset {err.start}: "
            f"{err.reason}); save the transcript as UTF-8, or as UTF-16 with a byte-order mark"
        ) from err


def read_transcript(
    path: str | Path, *, format: str = "auto", allow_unlabelled: bool = False
) -> Transcript:
    """Read and parse a transcript file.

    Args:
        path: The file.
        format: `auto` (detect) or one of `FORMATS`.
        allow_unlabelled: Accept WebVTT/SRT cues without a speaker label (speaker
            `UNLABELLED`) instead of refusing them.

    Raises:
        TranscriptError: when the file is missing, cannot be decoded, or is malformed.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError as err:
        raise TranscriptError(f"transcript file not found: {p}") from err
    except OSError as err:
        raise TranscriptError(f"cannot read transcript {p}: {err}") from err
    return parse_transcript(
        decode_transcript(data, name=str(p)),
        name=str(p),
        format=format,
        allow_unlabelled=allow_unlabelled,
    )


# --- detection ------------------------------------------------------------------------------

_CUE_TIMING = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*"
    r"(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})(?:\s+.*)?$"
)


def detect_format(text: str) -> TranscriptFormat:
    """Return the format `text` is in.

    Raises:
        TranscriptError: when the text is empty, or is cue-based (`-->` timings) without
            being WebVTT or SRT, or is JSON of the wrong shape.
    """
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise TranscriptError("the transcript is empty")
    if stripped.startswith("WEBVTT"):
        return "vtt"
    if stripped[0] in "{[":
        try:
            json.loads(stripped)
        except json.JSONDecodeError:
            if stripped[0] == "{":
                return "json"  # the JSON parser names the error
        else:
            return "json"
    lines = [ln.strip() for ln in stripped.splitlines()]
    if lines[0].isdigit() and len(lines) > 1 and _CUE_TIMING.match(lines[1]):
        return "srt"
    for number, ln in enumerate(lines, start=1):
        if _CUE_TIMING.match(ln):
            raise TranscriptError(
                f"unknown transcript format: line {number} is a cue timing ('-->'), but the "
                "text is neither WebVTT (it does not start with 'WEBVTT') nor SRT (it does "
                "not start with a cue number)"
            )
    return _detect_text(lines)


def _detect_text(lines: list[str]) -> TranscriptFormat:
    """Tell the speaker-and-time text exports from plain `Name: text` lines."""
    content = [ln for ln in lines if ln and _meta_date(ln) is None][:400]
    headers = [ln for ln in content if _HEADER_LINE.match(ln)]
    labelled = [ln for ln in content if _PLAIN_LINE.match(ln)]
    if headers and len(headers) >= len(labelled):
        return "otter" if all(_OTTER_LINE.match(h) for h in headers) else "headed"
    stamps = [ln for ln in content if _STAMP_LINE.match(ln)]
    if labelled and (stamps or any(ln.lower() in ("transcript", "attendees") for ln in content)):
        if not any(_stamp(m) is not None for ln in labelled if (m := _PLAIN_LINE.match(ln))):
            return "meet"
    return "plain"


def parse_transcript(
    text: str,
    *,
    name: str = "<transcript>",
    format: str = "auto",
    allow_unlabelled: bool = False,
) -> Transcript:
    """Parse a speaker-labelled transcript.

    Args:
        text: The transcript text.
        name: Where it came from, for error messages.
        format: `auto` (detect) or one of `FORMATS`.
        allow_unlabelled: Accept WebVTT/SRT cues without a speaker label (speaker
            `UNLABELLED`) instead of refusing them.

    Raises:
        TranscriptError: naming the line when the text is empty, has no speaker labels,
            has a timestamp going backwards or overlapping the turn above, or is in an
            unknown format.
    """
    if format not in ("auto", *FORMATS):
        raise TranscriptError(
            f"{name}: unknown transcript format {format!r}; use one of auto, {', '.join(FORMATS)}"
        )
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise TranscriptError(f"{name}: the transcript is empty")
    try:
        fmt: str = detect_format(text) if format == "auto" else format
    except TranscriptError as err:
        raise TranscriptError(f"{name}: {err}") from None
    call_date: date | None = None
    sides: dict[str, str] = {}
    attendees: tuple[str, ...] = ()
    started_at: datetime | None = None
    if fmt in ("json", "gong", "fireflies", "chorus"):
        turns, stated, fmt, sides = _parse_json(text, name)
        started_at = _instant(stated)
        call_date = stated if isinstance(stated, date) else _iso_or_epoch(stated)
    elif fmt in ("otter", "headed"):
        turns, call_date = _parse_headed(text, name, fmt)
    elif fmt == "meet":
        turns, attendees = _parse_meet(text, name)
        call_date = _meet_date(text.splitlines())
    elif fmt == "vtt":
        turns = _parse_cues(text, name, vtt=True, allow_unlabelled=allow_unlabelled)
        call_date = _vtt_date(text)
    elif fmt == "srt":
        turns = _parse_cues(text, name, vtt=False, allow_unlabelled=allow_unlabelled)
    else:
        turns, call_date = _parse_plain(text, name, detected=format == "auto")
    if not turns:
        raise TranscriptError(
            f"{name}: read as {fmt}, but it yields no speakers (no turn has both a speaker "
            "and text)"
        )
    _check_order(
        turns, name, unit="segment" if fmt in ("json", "gong", "fireflies", "chorus") else "line"
    )
    return Transcript(
        turns=tuple(turns),
        format=fmt,  # type: ignore[arg-type]
        name=name,
        call_date=call_date,
        sides=sides,
        attendees=attendees,
        started_at=started_at,
    )


# --- shared helpers -------------------------------------------------------------------------

_TS = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_SPEAKER = r"[^\W\d_][\w.'’&()\-]*(?:[ \t]+[\w.'’&()\-]+){0,3}"
_PLAIN_LINE = re.compile(
    rf"^\s*(?:(?:\[(?P<ts1>{_TS})\]|\((?P<ts2>{_TS})\)|(?P<ts3>{_TS}))[ \t]*(?:[-–—][ \t]*)?)?"
    rf"(?P<speaker>{_SPEAKER})[ \t]*:(?:[ \t]+(?P<text>.*)|[ \t]*$)"
)
_OTTER_LINE = re.compile(rf"^(?P<speaker>\S.*?\S|\S)[ \t]{{2,}}(?P<ts>{_TS})\s*$")
_HEADER_LINE = re.compile(
    rf"^(?P<speaker>[^\W\d_][^:]*?)(?:[ \t]{{2,}}|[ \t]*[\[(](?=[\d:.,]+[\])]\s*$)|"
    rf"[ \t]+[-–—|][ \t]+)(?P<ts>{_TS})[\])]?\s*$"
)
_TITLE_LINE = re.compile(r"^(?!.*:\s).{1,120}$")
_STAMP_LINE = re.compile(rf"^\s*[\[(]?(?P<ts>{_TS})[\])]?\s*$")
_PLAIN_STAMP_ONLY = re.compile(rf"^\s*(?:\[(?P<ts1>{_TS})\]|\((?P<ts2>{_TS})\)|(?P<ts3>{_TS}))")
_SPEAKER_PREFIX = re.compile(rf"^\s*(?P<speaker>{_SPEAKER})[ \t]*:[ \t]+(?P<text>\S.*)$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?[ \t]+(?P<speaker>[^>]+)>(?P<text>.*?)(?:</v>|$)")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    value = 0.0
    for part in parts:
        value = value * 60 + float(part)
    return value


def _stamp(m: re.Match[str]) -> float | None:
    raw = m.group("ts1") or m.group("ts2") or m.group("ts3")
    return _seconds(raw) if raw else None


def _clean_speaker(speaker: str) -> str:
    return " ".join(speaker.split())


_META_DATE = re.compile(
    r"^\s*(?:call[ _-]?date|date|recorded(?:[ _-](?:at|on))?)\s*[:=]\s*"
    r"(?P<date>\d{4}-\d{2}-\d{2})(?:[T ][\d:.+\-Z]*)?\s*$",
    re.IGNORECASE,
)


def _meta_date(line: str) -> date | None:
    """Return the date of a `Date: 2026-11-04` metadata line, or None."""
    m = _META_DATE.match(line)
    if m is None:
        return None
    try:
        return date.fromisoformat(m.group("date"))
    except ValueError:
        return None


def _check_order(turns: list[Turn], name: str, *, unit: str) -> None:
    previous: Turn | None = None
    for turn in turns:
        if turn.start is None:
            continue
        if turn.end is not None and turn.end < turn.start:
            raise TranscriptError(
                f"{name}: {unit} {turn.line}: the turn ends ({format_timestamp(turn.end)}) "
                f"before it starts ({format_timestamp(turn.start)})"
            )
        if previous is not None and previous.start is not None and turn.start < previous.start:
            raise TranscriptError(
                f"{name}: {unit} {turn.line}: timestamp {format_timestamp(turn.start)} goes "
                f"backwards (the turn on {unit} {previous.line} starts at "
                f"{format_timestamp(previous.start)})"
            )
        if (
            previous is not None
            and previous.end is not None
            and previous.line != turn.line
            and turn.start < previous.end - OVERLAP_TOLERANCE_S
        ):
            raise TranscriptError(
                f"{name}: {unit} {turn.line}: the turn starts at "
                f"{format_timestamp(turn.start, millis=True)}, overlapping the turn on {unit} "
                f"{previous.line} (which ends at {format_timestamp(previous.end, millis=True)}); "
                "fix or merge the overlapping timestamps"
            )
        previous = turn


# --- plain ----------------------------------------------------------------------------------


def _parse_plain(text: str, name: str, *, detected: bool = False) -> tuple[list[Turn], date | None]:
    lines = text.splitlines()
    call_date: date | None = None
    header = 0  # leading metadata lines ("Date: 2026-11-04") and blank lines
    for raw in lines:
        if raw.strip() and (found := _meta_date(raw)) is None:
            break
        if raw.strip():
            call_date = call_date or found
        header += 1
    first_label = next(
        (
            (i, m)
            for i, ln in enumerate(lines, start=1)
            if i > header and (m := _PLAIN_LINE.match(ln))
        ),
        None,
    )
    if first_label is None:
        tried = f"unknown transcript format: tried {'; '.join(_TRIED)}. " if detected else ""
        raise TranscriptError(
            f"{name}: {tried}no speaker labels found; every turn must start with 'Name:' "
            "(optionally after a timestamp such as '[00:01:23]')"
        )
    timed = _stamp(first_label[1]) is not None
    turns: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip() or number <= header:
            continue
        m = _PLAIN_LINE.match(raw)
        opens = m is not None and (not timed or _stamp(m) is not None)
        if m is not None and opens:
            turns.append(
                {
                    "speaker": _clean_speaker(m.group("speaker")),
                    "text": (m.group("text") or "").strip(),
                    "start": _stamp(m),
                    "line": number,
                }
            )
            continue
        if timed and _PLAIN_STAMP_ONLY.match(raw):
            raise TranscriptError(
                f"{name}: line {number}: a timestamp without a speaker label "
                f"({raw.strip()[:60]!r}); write it as '[hh:mm:ss] Name: text'"
            )
        if not turns:
            raise TranscriptError(
                f"{name}: line {number}: text before the first speaker label "
                f"({raw.strip()[:60]!r}); every turn must start with 'Name:'"
            )
        previous = turns[-1]
        previous["text"] = f"{previous['text']} {raw.strip()}".strip()
    return [
        Turn(speaker=t["speaker"], text=t["text"], start=t["start"], line=t["line"])
        for t in turns
        if t["text"]
    ], call_date


# --- speaker-and-time headers (Otter and the like), Google Meet ----------------------------


def _parse_headed(text: str, name: str, fmt: str) -> tuple[list[Turn], date | None]:
    """Read 'Name  0:05' (Otter) or 'Name (00:05)' header lines, each followed by its text."""
    pattern = _OTTER_LINE if fmt == "otter" else _HEADER_LINE
    call_date: date | None = None
    turns: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        m = pattern.match(line)
        if m is not None:
            turns.append(
                {
                    "speaker": _clean_speaker(m.group("speaker")),
                    "text": "",
                    "start": _seconds(m.group("ts")),
                    "line": number,
                }
            )
            continue
        if not turns:
            found = _meta_date(line)
            if found is not None or _TITLE_LINE.match(line):
                call_date = call_date or found
                continue  # a title or date line above the first speaker
            raise TranscriptError(
                f"{name}: line {number}: text before the first speaker line "
                f"({line[:60]!r}); read as {fmt}, each turn starts with "
                + ("'Name  0:05'" if fmt == "otter" else "'Name (00:05)'")
            )
        turns[-1]["text"] = f"{turns[-1]['text']} {line}".strip()
    return [
        Turn(speaker=t["speaker"], text=t["text"], start=t["start"], line=t["line"])
        for t in turns
        if t["text"]
    ], call_date


_DATE_IN_LINE = re.compile(r"\b(\d{4})[-/](\d{2})[-/](\d{2})\b")


def _meet_date(lines: list[str]) -> date | None:
    """Return the date a Google Meet title line states ("Sync (2026-11-04 15:00 GMT+1)")."""
    for line in lines[:3]:
        m = _DATE_IN_LINE.search(line)
        if m is not None:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def _parse_meet(text: str, name: str) -> tuple[list[Turn], tuple[str, ...]]:
    """Read a Google Meet transcript: a title, 'Attendees', 'Transcript', timestamp lines."""
    lines = text.splitlines()
    attendees: list[str] = []
    start_at = 0
    lowered = [ln.strip().lower() for ln in lines]
    if "transcript" in lowered:
        start_at = lowered.index("transcript") + 1
        if "attendees" in lowered[:start_at]:
            block = lines[lowered.index("attendees") + 1 : start_at - 1]
            attendees = [a.strip() for ln in block for a in ln.split(",") if a.strip()]
    clock: float | None = None
    turns: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, start=1):
        if number <= start_at or not raw.strip():
            continue
        stamp = _STAMP_LINE.match(raw)
        if stamp is not None:
            clock = _seconds(stamp.group("ts"))
            continue
        m = _PLAIN_LINE.match(raw)
        if m is not None and _stamp(m) is None:
            turns.append(
                {
                    "speaker": _clean_speaker(m.group("speaker")),
                    "text": (m.group("text") or "").strip(),
                    "start": clock,
                    "line": number,
                }
            )
            continue
        if raw.strip().lower().startswith(("meeting ended", "transcription ended")):
            continue
        if not turns:
            if number <= start_at + 3 or start_at == 0:
                continue  # the title line(s) above the first turn
            raise TranscriptError(
                f"{name}: line {number}: text before the first speaker label "
                f"({raw.strip()[:60]!r}); read as Google Meet text"
            )
        turns[-1]["text"] = f"{turns[-1]['text']} {raw.strip()}".strip()
    return [
        Turn(speaker=t["speaker"], text=t["text"], start=t["start"], line=t["line"])
        for t in turns
        if t["text"]
    ], tuple(attendees)


# --- WebVTT and SRT -------------------------------------------------------------------------


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Split cue text into blocks of non-blank lines, with the first line's number."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip():
            if not current:
                start = number
            current.append(raw.rstrip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _cue_lines(lines: list[str], *, vtt: bool) -> list[tuple[str | None, str]]:
    """Return (speaker or None, text) for each spoken line of one cue."""
    out: list[tuple[str | None, str]] = []
    for raw in lines:
        voices = list(_VOICE.finditer(raw)) if vtt else []
        if voices:
            for v in voices:
                spoken = " ".join(_TAG.sub("", v.group("text")).split())
                if spoken:
                    out.append((_clean_speaker(v.group("speaker")), spoken))
            continue
        plain = " ".join(_TAG.sub("", raw).split())
        if not plain:
            continue
        m = _SPEAKER_PREFIX.match(plain)
        if m:
            out.append((_clean_speaker(m.group("speaker")), m.group("text").strip()))
        else:
            out.append((None, plain))
    return out


def _vtt_date(text: str) -> date | None:
    """Return the date a WebVTT header or NOTE block states, or None."""
    for index, (_, lines) in enumerate(_blocks(text)):
        head = lines[0].strip()
        if index == 0 or head.startswith("NOTE"):
            for ln in lines:
                found = _meta_date(ln.removeprefix("NOTE").strip())
                if found is not None:
                    return found
    return None


def _parse_cues(text: str, name: str, *, vtt: bool, allow_unlabelled: bool = False) -> list[Turn]:
    kind = "WebVTT" if vtt else "SRT"
    blocks = _blocks(text)
    if vtt:
        if not blocks or not blocks[0][1][0].lstrip("\ufeff").startswith("WEBVTT"):
            raise TranscriptError(f"{name}: line 1: a WebVTT file must start with 'WEBVTT'")
        blocks = blocks[1:]
    turns: list[dict[str, Any]] = []
    labelled = False
    orphan: int | None = None
    for number, lines in blocks:
        head = lines[0].strip()
        if vtt and head.split(" ", 1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        timing_at = next((i for i, ln in enumerate(lines[:2]) if _CUE_TIMING.match(ln)), None)
        if timing_at is None:
            raise TranscriptError(
                f"{name}: line {number}: expected a {kind} cue timing "
                f"('00:00:01{'.' if vtt else ','}000 --> 00:00:04{'.' if vtt else ','}000'), "
                f"got {head[:60]!r}"
            )
        if not vtt and (timing_at != 1 or not head.isdigit()):
            raise TranscriptError(
                f"{name}: line {number}: an SRT cue must start with its number, got {head[:60]!r}"
            )
        timing = _CUE_TIMING.match(lines[timing_at])
        assert timing is not None
        start, end = _seconds(timing.group("start")), _seconds(timing.group("end"))
        cue_line = number + timing_at
        for speaker, spoken in _cue_lines(lines[timing_at + 1 :], vtt=vtt):
            if (
                speaker is None
                and allow_unlabelled
                and (
                    not turns
                    or (turns[-1]["speaker"] == UNLABELLED and turns[-1]["line"] != cue_line)
                )
            ):
                speaker = UNLABELLED  # each unlabelled cue is a turn; after a label, continues
            if speaker is None:
                if not turns:
                    orphan = orphan or number + timing_at + 1  # reported below
                    continue
                previous = turns[-1]
                previous["text"] = f"{previous['text']} {spoken}"
                previous["end"] = max(previous["end"], end)
                continue
            labelled = True
            turns.append(
                {"speaker": speaker, "text": spoken, "start": start, "end": end, "line": cue_line}
            )
    if not labelled and not (allow_unlabelled and turns):
        hint = "'<v Name>' voice tags or 'Name:' prefixes" if vtt else "'Name:' prefixes"
        raise TranscriptError(
            f"{name}: no speaker labels found in the {kind} cues; use {hint}, or read it "
            "with allow_unlabelled=True to keep the speakers unknown"
        )
    if orphan is not None:
        raise TranscriptError(
            f"{name}: line {orphan}: cue text before the first speaker label; label it "
            "with '<v Name>' or 'Name:'"
        )
    return [Turn(**t) for t in turns]


# --- JSON -----------------------------------------------------------------------------------


def _parse_json(text: str, name: str) -> tuple[list[Turn], Any, str, dict[str, str]]:
    """Return (turns, the call's date or start as stated, format, export-stated sides)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise TranscriptError(
            f"{name}: line {err.lineno}, column {err.colno}: not valid JSON ({err.msg})"
        ) from err
    gong = _gong_call(data, name)
    if gong is not None:
        turns, started, fmt, sides = _parse_gong(gong, data, name)
        return turns, started, fmt, sides
    chorus = chorus_recording(data)
    if chorus is not None:
        found, started, sides = parse_chorus(*chorus, name)
        return [Turn(**t) for t in found], started, "chorus", sides
    fireflies = _fireflies_transcript(data)
    if fireflies is not None:
        turns = _parse_fireflies(fireflies, name)
        return turns, fireflies.get("date") or fireflies.get("dateString"), "fireflies", {}
    turns, call_date = _parse_segments(data, name)
    return turns, call_date, "json", {}


def _gong_call(data: Any, name: str) -> dict[str, Any] | None:
    """Return the one call of a Gong transcript export, or None when it is not one."""
    root = data.get("payload", data) if isinstance(data, dict) else None
    if not isinstance(root, dict):
        return None
    calls = root.get("callTranscripts")
    if isinstance(calls, list):
        if len(calls) != 1 or not isinstance(calls[0], dict):
            raise TranscriptError(
                f"{name}: a Gong export with {len(calls)} calls in 'callTranscripts'; "
                "analyse one call per file"
            )
        return calls[0]
    monologues = root.get("transcript")
    if (
        isinstance(monologues, list)
        and monologues
        and isinstance(monologues[0], dict)
        and "sentences" in monologues[0]
        and ("speakerId" in monologues[0] or "speaker_id" in monologues[0])
    ):
        return root
    return None


def _find_list(data: Any, key: str, depth: int = 0) -> list[Any]:
    """Return the first list under `key` anywhere in `data` (a few levels deep)."""
    if depth > 4:
        return []
    if isinstance(data, dict):
        if isinstance(data.get(key), list):
            return list(data[key])
        for value in data.values():
            found = _find_list(value, key, depth + 1)
            if found:
                return found
    return []


def _time(value: Any, name: str, where: str, *, scale: float = 1.0) -> float | None:
    if value is None or value == "":
        return None
    try:
        seconds = float(value) / scale
    except (TypeError, ValueError):
        raise TranscriptError(f"{name}: {where}: time must be a number, got {value!r}") from None
    if seconds < 0 or seconds != seconds:
        raise TranscriptError(f"{name}: {where}: time must be non-negative, got {value!r}")
    return seconds


_INSTANT_START = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d")


def _instant(value: Any) -> datetime | None:
    """Return the moment an export states (epoch seconds or ms, ISO with a time), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and _INSTANT_START.match(value.strip()):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _iso_or_epoch(value: Any) -> date | None:
    moment = _instant(value)
    if moment is not None:
        return moment.date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _parse_gong(
    call: dict[str, Any], data: Any, name: str
) -> tuple[list[Turn], Any, str, dict[str, str]]:
    """Read a Gong transcript (monologues of sentences, times in milliseconds)."""
    names: dict[str, str] = {}
    sides: dict[str, str] = {}
    for party in _find_list(data, "parties"):
        if not isinstance(party, dict):
            continue
        sid, who = str(party.get("speakerId") or ""), str(party.get("name") or "").strip()
        if sid and who:
            names[sid] = who
            affiliation = str(party.get("affiliation") or "").lower()
            if affiliation in ("internal", "external"):
                sides[who] = "rep" if affiliation == "internal" else "customer"
    started = None
    for key in ("started", "scheduled"):
        found = _find_key(data, key)
        if found is not None:
            started = found
            break
    turns: list[Turn] = []
    monologues = call.get("transcript") or []
    if not isinstance(monologues, list):
        raise TranscriptError(f"{name}: Gong 'transcript' must be a list of monologues")
    for number, mono in enumerate(monologues, start=1):
        if not isinstance(mono, dict) or not isinstance(mono.get("sentences") or [], list):
            raise TranscriptError(
                f"{name}: Gong monologue {number}: expected an object with a 'sentences' list"
            )
        sid = str(mono.get("speakerId") or mono.get("speaker_id") or "").strip()
        if not sid:
            raise TranscriptError(f"{name}: Gong monologue {number}: missing speakerId")
        sentences = [x for x in mono.get("sentences") or [] if isinstance(x, dict)]
        spoken = " ".join(" ".join(str(x.get("text") or "").split()) for x in sentences).strip()
        if not spoken:
            continue
        where = f"Gong monologue {number}"
        start = _time(sentences[0].get("start"), name, where, scale=1000.0)
        end = _time(sentences[-1].get("end"), name, where, scale=1000.0)
        turns.append(
            Turn(
                speaker=names.get(sid, f"Speaker {sid}"),
                text=spoken,
                start=start,
                end=end,
                line=number,
            )
        )
    return turns, started, "gong", sides  # `started` as stated; read by _parse_json


def _find_key(data: Any, key: str, depth: int = 0) -> Any:
    if depth > 4 or not isinstance(data, dict):
        return None
    if key in data and not isinstance(data[key], dict | list):
        return data[key]
    for value in data.values():
        found = _find_key(value, key, depth + 1)
        if found is not None:
            return found
    return None


def _fireflies_transcript(data: Any) -> dict[str, Any] | None:
    """Return a Fireflies transcript object (GraphQL `data.transcript` or the object itself)."""
    for candidate in (
        data,
        data.get("transcript") if isinstance(data, dict) else None,
        data["data"].get("transcript")
        if isinstance(data, dict) and isinstance(data.get("data"), dict)
        else None,
    ):
        if isinstance(candidate, dict) and isinstance(candidate.get("sentences"), list):
            first = candidate["sentences"][:1]
            if not first or (isinstance(first[0], dict) and "speaker_name" in first[0]):
                return candidate
    return None


def _parse_fireflies(tx: dict[str, Any], name: str) -> list[Turn]:
    """Read Fireflies sentences (speaker_name, text, start_time/end_time in seconds)."""
    turns: list[dict[str, Any]] = []
    for number, sentence in enumerate(tx.get("sentences") or [], start=1):
        if not isinstance(sentence, dict):
            raise TranscriptError(f"{name}: Fireflies sentence {number}: expected an object")
        who = str(sentence.get("speaker_name") or "").strip()
        spoken = " ".join(str(sentence.get("text") or sentence.get("raw_text") or "").split())
        if not spoken:
            continue
        if not who:
            raise TranscriptError(f"{name}: Fireflies sentence {number}: missing speaker_name")
        where = f"Fireflies sentence {number}"
        start = _time(sentence.get("start_time"), name, where)
        end = _time(sentence.get("end_time"), name, where)
        if turns and turns[-1]["speaker"] == _clean_speaker(who):
            turns[-1]["text"] += f" {spoken}"
            turns[-1]["end"] = end if end is not None else turns[-1]["end"]
            continue
        turns.append(
            {
                "speaker": _clean_speaker(who),
                "text": spoken,
                "start": start,
                "end": end,
                "line": number,
            }
        )
    return [Turn(**t) for t in turns]


def _parse_segments(data: Any, name: str) -> tuple[list[Turn], date | None]:
    call_date: date | None = None
    if isinstance(data, dict) and isinstance(data.get("segments"), list):
        for key in ("call_date", "date", "recorded_at"):
            value = data.get(key)
            if isinstance(value, str):
                try:
                    call_date = date.fromisoformat(value.strip()[:10])
                except ValueError as err:
                    raise TranscriptError(
                        f"{name}: {key!r} must be an ISO date such as 2026-11-04, got {value!r}"
                    ) from err
                break
        data = data["segments"]
    if not isinstance(data, list):
        raise TranscriptError(
            f"{name}: unknown transcript format: JSON transcripts are a list of "
            "{speaker, start, end, text} segments (or an object with a 'segments' list)"
        )
    if not data:
        raise TranscriptError(f"{name}: the transcript is empty (no segments)")
    turns: list[Turn] = []
    for number, seg in enumerate(data, start=1):
        if not isinstance(seg, dict):
            raise TranscriptError(
                f"{name}: segment {number}: expected an object, got {type(seg).__name__}"
            )
        speaker = seg.get("speaker")
        if not isinstance(speaker, str) or not speaker.strip():
            raise TranscriptError(f"{name}: segment {number}: missing speaker label")
        spoken = seg.get("text")
        if not isinstance(spoken, str):
            raise TranscriptError(f"{name}: segment {number}: 'text' must be a string")
        times: dict[str, float | None] = {}
        for key in ("start", "end"):
            value = seg.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or value < 0
            ):
                raise TranscriptError(
                    f"{name}: segment {number}: {key!r} must be a non-negative number of "
                    f"seconds, got {value!r}"
                )
            times[key] = float(value) if value is not None else None
        if not spoken.strip():
            continue
        turns.append(
            Turn(
                speaker=_clean_speaker(speaker),
                text=" ".join(spoken.split()),
                start=times["start"],
                end=times["end"],
                line=number,
            )
        )
    if not turns:
        raise TranscriptError(f"{name}: the transcript is empty (every segment has no text)")
    return turns, call_date

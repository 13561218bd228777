"""Chorus (ZoomInfo) conversation exports.

The shape is the one Chorus's own OpenAPI gives for a recording (`GET
/api/v1/conversations/{id}?fields=recording.utterances,...`, JSON:API, spec version
26.33.08 as republished from `https://chorus.ai/api/openapi.json`):

```json
{"data": {"type": "recording", "id": "...", "attributes": {
   "name": "...", "account": {"id": 1, "name": "Acme"},
   "participants": [{"name": "...", "email": "...", "is_my_team": true, "type": "..."}],
   "recording": {
     "start_time": "2021-01-01T00:00:00Z", "duration": 1800,
     "clusters": [{"id": 7, "speaker_name": "Dana", "type": "cust" | "rep" | "unknown",
                   "match_method": "...", "ranges": [...]}],
     "utterances": [{"index": 0, "snippet": "text", "snippet_time": 12.5,
                     "snippet_length": 3.2, "speaker_id": 7, "speaker_name": "Dana",
                     "speaker_type": "cust", "participant": 3, ...}]}}}}
```

Accepted too: the `attributes` object alone, or `{"recording": {...}}`. Each utterance is one
snippet; consecutive snippets of one speaker make one turn. The speaker is `speaker_name`,
else the cluster with that `speaker_id`, else `Speaker <speaker_id>`. Sides come from
`speaker_type` or the cluster's `type` (`rep`: ours, `cust`: the customer), else from the
participant's `is_my_team`. `snippet_time` and `snippet_length` are read as seconds from the
start of the recording (the spec types them as numbers without a unit).
"""

from __future__ import annotations

from typing import Any

from sales_operator.errors import TranscriptError

__all__ = ["chorus_recording", "parse_chorus"]

_SIDES = {"rep": "rep", "cust": "customer", "customer": "customer", "prospect": "customer"}


def _attributes(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, dict):
        return None
    inner = data.get("data")
    if isinstance(inner, dict) and isinstance(inner.get("attributes"), dict):
        found: dict[str, Any] = inner["attributes"]
        return found
    if isinstance(data.get("attributes"), dict):
        found = data["attributes"]
        return found
    return data


def chorus_recording(data: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Return (the conversation's attributes, its `recording`) for a Chorus export, else None."""
    attributes = _attributes(data)
    if attributes is None:
        return None
    recording = attributes.get("recording")
    if not isinstance(recording, dict):
        return None
    utterances = recording.get("utterances")
    if not isinstance(utterances, list):
        return None
    first = utterances[:1]
    if first and not (isinstance(first[0], dict) and "snippet" in first[0]):
        return None
    return attributes, recording


def _seconds(value: Any, name: str, where: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise TranscriptError(
            f"{name}: {where}: must be a non-negative number of seconds, got {value!r}"
        )
    return float(value)


def parse_chorus(
    attributes: dict[str, Any], recording: dict[str, Any], name: str
) -> tuple[list[dict[str, Any]], Any, dict[str, str]]:
    """Read a Chorus recording's utterances.

    Returns:
        (turns as dicts with speaker, text, start, end, line; the recording's start time as
        stated; speaker to side as the export states it).

    Raises:
        TranscriptError: an utterance that is not an object, has no speaker at all, or has a
            time that is not a non-negative number.
    """
    clusters: dict[str, dict[str, Any]] = {}
    for c in recording.get("clusters") or []:
        if isinstance(c, dict) and c.get("id") is not None:
            clusters[str(c["id"])] = c
    ours = {
        str(p.get("name") or "").strip(): bool(p["is_my_team"])
        for p in attributes.get("participants") or []
        if isinstance(p, dict) and isinstance(p.get("is_my_team"), bool)
    }
    sides: dict[str, str] = {}
    turns: list[dict[str, Any]] = []
    for number, u in enumerate(recording.get("utterances") or [], start=1):
        where = f"Chorus utterance {number}"
        if not isinstance(u, dict):
            raise TranscriptError(f"{name}: {where}: expected an object")
        spoken = " ".join(str(u.get("snippet") or "").split())
        if not spoken:
            continue
        sid = "" if u.get("speaker_id") is None else str(u["speaker_id"])
        cluster = clusters.get(sid, {})
        who = " ".join(str(u.get("speaker_name") or cluster.get("speaker_name") or "").split())
        if not who:
            if not sid:
                raise TranscriptError(f"{name}: {where}: no speaker_name and no speaker_id")
            who = f"Speaker {sid}"
        kind = str(u.get("speaker_type") or cluster.get("type") or "").lower()
        side = _SIDES.get(kind)
        if side is None and who in ours:
            side = "rep" if ours[who] else "customer"
        if side is not None:
            sides.setdefault(who, side)
        start = _seconds(u.get("snippet_time"), name, f"{where}: snippet_time")
        length = _seconds(u.get("snippet_length"), name, f"{where}: snippet_length")
        end = start + length if start is not None and length is not None else None
        if turns and turns[-1]["speaker"] == who:
            turns[-1]["text"] += f" {spoken}"
            turns[-1]["end"] = end if end is not None else turns[-1]["end"]
            continue
        turns.append({"speaker": who, "text": spoken, "start": start, "end": end, "line": number})
    return turns, recording.get("start_time"), sides

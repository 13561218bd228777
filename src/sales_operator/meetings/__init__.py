"""Meeting intelligence: transcripts (or audio) in; metrics, trackers, extractions out.

Audio needs the `audio` extra: `from sales_operator.meetings.audio import transcribe_audio`.

```python
from sales_operator.meetings import analyze_call, read_transcript

transcript = read_transcript("discovery_call.txt")
insights = analyze_call(transcript, call_id="call-1", call_date=date(2026, 11, 4),
                        rep_names={"Sam Rivera"}, customer_names={"Dana Whitfield"},
                        policy=default_policy(), llm=LLM())
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sales_operator._lazy import lazy_exports

__all__ = [
    "CallExtraction",
    "MeddpiccExtraction",
    "Participant",
    "SpeakerMatch",
    "map_speakers",
    "meddpicc_offline",
    "parse_attendee",
    "participants",
    "summarize_meeting",
    "track_concepts",
    "track_keywords",
    "tracker_specs",
    "word_count",
    "CallMetrics",
    "DueMatch",
    "ExtractedCommitment",
    "ExtractedInsight",
    "Side",
    "Transcript",
    "Turn",
    "analyze_call",
    "call_metrics",
    "commitment_title",
    "crm_notes",
    "decode_transcript",
    "detect_format",
    "extract_offline",
    "find_due",
    "parse_transcript",
    "read_transcript",
    "resolve_commitment_due",
    "resolve_due_phrase",
    "speaker_side",
    "speaker_sides",
    "track",
]

# Each name loads on first use, so importing the package stays light (no xgboost, no graph).
__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "sales_operator.meetings.analyze": (
            "CallMetrics",
            "Side",
            "analyze_call",
            "call_metrics",
            "crm_notes",
            "resolve_commitment_due",
            "speaker_side",
            "speaker_sides",
            "track",
        ),
        "sales_operator.meetings.dates": (
            "DueMatch",
            "find_due",
            "resolve_due_phrase",
        ),
        "sales_operator.meetings.extract": (
            "CallExtraction",
            "ExtractedCommitment",
            "ExtractedInsight",
            "commitment_title",
            "extract_offline",
        ),
        "sales_operator.meetings.meddpicc": (
            "MeddpiccExtraction",
            "meddpicc_offline",
        ),
        "sales_operator.meetings.metrics": ("word_count",),
        "sales_operator.meetings.speakers": (
            "Participant",
            "SpeakerMatch",
            "map_speakers",
            "parse_attendee",
            "participants",
        ),
        "sales_operator.meetings.summarize": ("summarize_meeting",),
        "sales_operator.meetings.trackers": (
            "track_concepts",
            "track_keywords",
            "tracker_specs",
        ),
        "sales_operator.meetings.transcript": (
            "Transcript",
            "Turn",
            "decode_transcript",
            "detect_format",
            "parse_transcript",
            "read_transcript",
        ),
    },
)

if TYPE_CHECKING:
    from sales_operator.meetings.analyze import (
        CallMetrics,
        Side,
        analyze_call,
        call_metrics,
        crm_notes,
        resolve_commitment_due,
        speaker_side,
        speaker_sides,
        track,
    )
    from sales_operator.meetings.dates import DueMatch, find_due, resolve_due_phrase
    from sales_operator.meetings.extract import (
        CallExtraction,
        ExtractedCommitment,
        ExtractedInsight,
        commitment_title,
        extract_offline,
    )
    from sales_operator.meetings.meddpicc import MeddpiccExtraction, meddpicc_offline
    from sales_operator.meetings.metrics import word_count
    from sales_operator.meetings.speakers import (
        Participant,
        SpeakerMatch,
        map_speakers,
        parse_attendee,
        participants,
    )
    from sales_operator.meetings.summarize import summarize_meeting
    from sales_operator.meetings.trackers import track_concepts, track_keywords, tracker_specs
    from sales_operator.meetings.transcript import (
        Transcript,
        Turn,
        decode_transcript,
        detect_format,
        parse_transcript,
        read_transcript,
    )

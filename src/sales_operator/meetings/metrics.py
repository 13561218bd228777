"""Conversation metrics of one call, computed deterministically from the transcript.

* **Talk ratio** per speaker and per side: the share of speaking *time* when every turn has
  a start time (a turn without an end ends where the next starts; the last one lasts as long
  as its words take at the call's own pace), otherwise the share of *words*. `basis` says
  which.
* **Longest monologue**: consecutive turns of one speaker form one stretch; the longest by
  time (timed) or by words (untimed), with its speaker, start and first words.
* **Interactivity**: speaker switches per minute of call (timed transcripts only).
* **Patience**: the mean pause before a rep speaks right after a customer, from the end of
  the customer's turn to the start of the rep's (a negative gap, an interruption, counts
  as 0). It needs real end times (WebVTT, SRT, JSON); None otherwise, because a derived end
  is the next start and every pause would read 0.
* **Questions** per side (sentences ending in `?`), and the question rate per side: per 100
  words that side spoke, and per minute of call when timed.
* **Filler words** per speaker. The default list (`DEFAULT_FILLER_WORDS`) holds only
  non-lexical hesitation tokens: um, umm, uh, uhh, uhm, er, erm, hmm. Words like "like",
  "so", "you know", "basically" are left out because most of their uses are lexical and
  text alone cannot tell them apart; a policy may add them (`meetings.filler_words`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from sales_operator.meetings.extract import Sentence, sentences
from sales_operator.meetings.speakers import Side
from sales_operator.meetings.transcript import Transcript, Turn
from sales_operator.state import ConversationMetrics, Monologue, SpeakerMetrics

__all__ = [
    "DEFAULT_FILLER_WORDS",
    "CallMetrics",
    "call_metrics",
    "turn_spans",
    "word_count",
]

DEFAULT_FILLER_WORDS: tuple[str, ...] = ("um", "umm", "uh", "uhh", "uhm", "er", "erm", "hmm")
"""Hesitation tokens counted as fillers unless the policy names others."""

_SECONDS_PER_WORD = 0.4
"""Speaking pace (150 words a minute) used for a last turn with no end time."""

_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_ASCII_WORDS = re.compile(r"[a-zA-Z0-9]+(?:'[a-zA-Z0-9]+)*")
"""`_WORDS` on ASCII text: the same words, with no Unicode table asked per character."""


_RUNS = bytes(
    ord("a") if chr(c).isascii() and chr(c).isalnum() else (c if c == ord("'") else ord(" "))
    for c in range(256)
)
"""Byte table for `word_count`: an ASCII letter or digit -> `a`, `'` kept, the rest -> space."""


@lru_cache(maxsize=8192)
def word_count(text: str) -> int:
    """Return the number of words in `text`."""
    if not text.isascii():
        return len(_WORDS.findall(text))
    # = len(_ASCII_WORDS.findall(text)), counted without making the words: a word is a run
    # of letters and digits, joined to the next run by a single apostrophe between them, so
    # each word starts with a run after a space (any other character), after an apostrophe
    # that follows a space or another apostrophe, or at the start
    runs = text.encode().translate(_RUNS)
    count = runs.count(b" a") + runs.startswith(b"a")
    if b"'" in runs:
        count += runs.count(b" 'a") + runs.count(b"''a") + runs.startswith(b"'a")
    return count


def turn_spans(turns: tuple[Turn, ...]) -> list[tuple[float, float]] | None:
    """Return (start, end) of every turn, or None when a turn has no start time.

    A turn without an end ends where the next one starts; the last one, when it has no
    end, lasts as long as its words take at the call's own pace.
    """
    if not turns or any(t.start is None for t in turns):
        return None
    spans: list[tuple[float, float | None]] = []
    for i, turn in enumerate(turns):
        assert turn.start is not None
        end = turn.end
        if end is None and i + 1 < len(turns):
            end = turns[i + 1].start
        spans.append((turn.start, end))
    known = [(e - s, word_count(t.text)) for (s, e), t in zip(spans, turns, strict=True) if e]
    seconds = sum(d for d, _ in known)
    words = sum(w for _, w in known)
    pace = seconds / words if seconds > 0 and words > 0 else _SECONDS_PER_WORD
    out: list[tuple[float, float]] = []
    for (start, end), turn in zip(spans, turns, strict=True):
        out.append((start, end if end is not None else start + pace * word_count(turn.text)))
    return out


@dataclass(frozen=True)
class CallMetrics:
    """The deterministic conversation metrics of one call."""

    talk_ratio: dict[str, float]
    """Speaker to share of talk (of time when every turn is timed, else of words)."""
    side_ratio: dict[str, float]
    """Side to share of talk."""
    longest_monologue_s: float | None
    """Longest stretch of one speaker in seconds; None without timestamps."""
    questions: dict[str, int]
    """Side to the number of questions asked."""
    basis: Literal["time", "words"] = "words"
    """What the ratios measure."""
    sides: dict[str, Side] = field(default_factory=dict)
    """Speaker to side."""
    detail: ConversationMetrics = field(default_factory=ConversationMetrics)
    """Per-speaker metrics, the longest monologue, interactivity, patience and fillers."""


@lru_cache(maxsize=64)  # keyed by the policy's filler words: compiled once, not per call
def _filler_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    terms = sorted({" ".join(w.lower().split()) for w in words if w.strip()}, key=len)
    if not terms:
        return None
    body = "|".join(r"[\s,-]+".join(re.escape(p) for p in t.split()) for t in reversed(terms))
    return re.compile(rf"(?<![\w'’])(?:{body})(?![\w'’])", re.IGNORECASE)


@lru_cache(maxsize=64)
def _ascii_filler_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """Return `_filler_pattern(words)` for lower-cased ASCII text, faster; None if none.

    On an ASCII text, `_filler_pattern(words)` (which ignores case) matches exactly where
    this pattern matches the text lower-cased, as long as every term is ASCII (a non-ASCII
    letter in a term may fold to an ASCII one: None then). Each term's first character comes
    before the look-behind and the pattern is case-sensitive, so the engine skips to the
    terms' first letters instead of trying every position.
    """
    terms = sorted({" ".join(w.lower().split()) for w in words if w.strip()}, key=len)
    if not terms or not all(t.isascii() for t in terms):
        return None

    def branch(term: str) -> str:  # "you know" -> y(?<!...)ou[\s,-]+know
        head = re.escape(term[0])
        whole = r"[\s,-]+".join(re.escape(p) for p in term.split())
        return head + r"(?<![\w'’].)" + whole[len(head) :]

    body = "|".join(branch(t) for t in reversed(terms))
    return re.compile(rf"(?:{body})(?![\w'’])")


def _opening(text: str, words: int = 15) -> str:
    """Return the first `words` words of `text`, with " ..." when it goes on."""
    parts = text.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")


def _rate(count: int, per: float, unit: float) -> float:
    return round(count * unit / per, 3) if per > 0 else 0.0


_FILLER_SEPARATORS = re.compile(r"[\s,-]+")


def call_metrics(
    transcript: Transcript,
    sides: Mapping[str, Side],
    *,
    filler_words: Iterable[str] | None = None,
    units: Sequence[Sentence] | None = None,
) -> CallMetrics:
    """Compute talk ratios, the longest monologue, interactivity, patience, questions, fillers.

    Args:
        transcript: The parsed call.
        sides: Speaker label to side (see `speakers.map_speakers`); missing: `unknown`.
        filler_words: Filler words and phrases to count (default `DEFAULT_FILLER_WORDS`).
        units: The transcript's `sentences` under `sides`, when the caller has them.
    """
    turns = transcript.turns
    spans = turn_spans(turns)
    turn_words = [word_count(t.text) for t in turns]
    words_by = {s: 0 for s in transcript.speakers}
    seconds_by = {s: 0.0 for s in transcript.speakers}
    turns_by = {s: 0 for s in transcript.speakers}
    for i, turn in enumerate(turns):
        words_by[turn.speaker] += turn_words[i]
        turns_by[turn.speaker] += 1
        if spans is not None:
            seconds_by[turn.speaker] += max(spans[i][1] - spans[i][0], 0.0)
    basis: Literal["time", "words"] = "words"
    weights: dict[str, float] = {s: float(w) for s, w in words_by.items()}
    if spans is not None and sum(seconds_by.values()) > 0:
        basis = "time"
        weights = dict(seconds_by)
    total = sum(weights.values())
    talk = {k: round(v / total, 3) if total else 0.0 for k, v in weights.items()}
    side_weights: dict[str, float] = {}
    side_words: dict[str, int] = {}
    for speaker, value in weights.items():
        side = sides.get(speaker, "unknown")
        side_weights[side] = side_weights.get(side, 0.0) + value
        side_words[side] = side_words.get(side, 0) + words_by[speaker]
    side_ratio = {k: round(v / total, 3) if total else 0.0 for k, v in side_weights.items()}

    # longest monologue: runs of consecutive turns by one speaker
    best: Monologue | None = None
    i = 0
    while i < len(turns):
        j = i
        while j + 1 < len(turns) and turns[j + 1].speaker == turns[i].speaker:
            j += 1
        run_words = sum(turn_words[i : j + 1])
        seconds = round(spans[j][1] - spans[i][0], 1) if spans is not None else None
        key = seconds if seconds is not None else float(run_words)
        best_key = (
            (best.seconds if best.seconds is not None else float(best.words)) if best else -1.0
        )
        if key > best_key:
            best = Monologue(
                speaker=turns[i].speaker,
                seconds=seconds,
                words=run_words,
                start=turns[i].start,
                quote=_opening(turns[i].text),
            )
        i = j + 1

    switches = sum(1 for a, b in zip(turns, turns[1:], strict=False) if a.speaker != b.speaker)
    duration: float | None = None
    interactivity: float | None = None
    if spans is not None:
        duration = round(max(e for _, e in spans) - spans[0][0], 1)
        if duration > 0:
            interactivity = round(switches / (duration / 60), 2)

    pauses: list[float] = []
    for prev, turn in zip(turns, turns[1:], strict=False):
        if (
            sides.get(prev.speaker) == "customer"
            and sides.get(turn.speaker) == "rep"
            and prev.end is not None
            and turn.start is not None
        ):
            pauses.append(max(turn.start - prev.end, 0.0))
    patience = round(sum(pauses) / len(pauses), 2) if pauses else None

    questions: dict[str, int] = {"rep": 0, "customer": 0}
    questions_by = {s: 0 for s in transcript.speakers}
    for sentence in sentences(transcript, sides) if units is None else units:
        if sentence.question:
            questions[sentence.side] = questions.get(sentence.side, 0) + 1
            questions_by[sentence.speaker] += 1
    rate = {s: _rate(n, side_words.get(s, 0), 100) for s, n in questions.items()}
    per_min = {s: _rate(n, duration / 60, 1) for s, n in questions.items()} if duration else {}

    fillers = list(DEFAULT_FILLER_WORDS if filler_words is None else filler_words)
    pattern = _filler_pattern(tuple(fillers))
    fillers_by: dict[str, dict[str, int]] = {s: {} for s in transcript.speakers}
    fast = _ascii_filler_pattern(tuple(fillers))
    if pattern is not None:
        said: dict[str, str] = {}  # a filler as said -> as counted (a call says few forms)
        in_text: dict[str, list[str]] = {}  # a turn's text -> its fillers (a call repeats many)
        for turn in turns:
            counts = fillers_by[turn.speaker]
            text = turn.text
            words = in_text.get(text)
            if words is None:
                words = in_text[text] = []
                found = (
                    fast.finditer(text.lower())
                    if fast is not None and text.isascii()
                    else pattern.finditer(text)
                )
                for m in found:
                    form = m.group()
                    word = said.get(form)
                    if word is None:
                        word = said[form] = " ".join(_FILLER_SEPARATORS.split(form.lower()))
                    words.append(word)
            for word in words:
                counts[word] = counts.get(word, 0) + 1

    per_speaker = {
        s: SpeakerMetrics(
            side=sides.get(s, "unknown"),
            share=talk.get(s, 0.0),
            words=words_by[s],
            seconds=round(seconds_by[s], 1) if spans is not None else None,
            turns=turns_by[s],
            questions=questions_by[s],
            fillers=dict(sorted(fillers_by[s].items())),
        )
        for s in transcript.speakers
    }
    detail = ConversationMetrics(
        basis=basis,
        duration_s=duration,
        speakers=per_speaker,
        longest_monologue=best,
        switches=switches,
        interactivity=interactivity,
        patience_s=patience,
        question_rate=rate,
        question_rate_per_min=per_min,
        filler_words=fillers,
    )
    return CallMetrics(
        talk_ratio=talk,
        side_ratio=side_ratio,
        longest_monologue_s=(best.seconds if best is not None else 0.0) if spans else None,
        questions=questions,
        basis=basis,
        sides={s: sides.get(s, "unknown") for s in transcript.speakers},
        detail=detail,
    )

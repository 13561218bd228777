"""Quotes are found in a call's turns by one joined search, with the answers of the old loops."""

from __future__ import annotations

import gc
import random
from importlib import resources
from pathlib import Path

from sales_operator.meetings import analyze
from sales_operator.meetings.analyze import _locate, _spans, quote_grounded
from sales_operator.meetings.extract import split_sentences, squash
from sales_operator.meetings.quote_index import Joined, TurnIndex, searchable
from sales_operator.meetings.transcript import Transcript, Turn, read_transcript

_ROOT = Path(__file__).resolve().parents[2]
_CALLS = sorted((_ROOT / "evals" / "datasets" / "sales_calls").glob("sc*"))
DISCOVERY = Path(
    str(resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt"))
)


def _old_locate(transcript: Transcript, quote: str, speaker: str) -> Turn | None:
    """`analyze._locate` before the index: every turn squashed and tried, per quote."""
    needle = squash(quote)
    if not needle:
        return None
    short = " ".join(needle.split()[:8])
    ordered = sorted(transcript.turns, key=lambda t: t.speaker != speaker)
    for probe in (needle, short):
        for turn in ordered:
            if probe in squash(turn.text):
                return turn
    return None


def _old_grounded(
    transcript: Transcript, quote: str, speaker: str, start: float | None = None
) -> bool:
    """`analyze.quote_grounded` before the index: every span tried, per quote."""
    needle = squash(quote)
    if len(needle.split()) < 3:
        return False
    pieces = [p for p in (squash(x) for x in split_sentences(quote)) if p] or [needle]
    cited = squash(speaker)
    first = pieces[0]
    for text, who, t0, t1, parts in list(_spans(transcript)):
        if first not in text or not all(p in text for p in pieces):
            continue
        if parts and any(all(p in part for p in pieces) for part in parts):
            continue
        if not any(analyze._same_speaker(cited, squash(w)) for w in who):
            continue
        if start is None or t0 is None:
            return True
        if abs(t0 - start) <= analyze.GROUNDING_WINDOW_S or (t1 is not None and t0 <= start <= t1):
            return True
    return False


def _transcripts() -> list[Transcript]:
    out = [read_transcript(DISCOVERY)]
    out += [read_transcript(p) for p in _CALLS[:24]]
    return out


def _probes(transcript: Transcript, rng: random.Random) -> list[tuple[str, str, float | None]]:
    """Quotes cut from the call (whole sentences, pieces across two turns, edits), with
    speakers right and wrong, and times near and far."""
    turns = transcript.turns
    speakers = sorted({t.speaker for t in turns}) + ["Nobody Here"]
    out: list[tuple[str, str, float | None]] = []
    for i, turn in enumerate(turns):
        words = turn.text.split()
        if not words:
            continue
        a = rng.randrange(len(words))
        piece = " ".join(words[a : a + rng.randint(1, 12)])
        if i + 1 < len(turns) and rng.random() < 0.3:  # a request and its answer
            piece = " ".join(words[-4:]) + " " + " ".join(turns[i + 1].text.split()[:4])
        if rng.random() < 0.1:
            piece += " and something never said"
        when = None if rng.random() < 0.5 else (turn.start or 0.0) + rng.choice([0, 60, 500])
        out.append((piece, rng.choice([turn.speaker, *speakers]), when))
    return out


def test_locate_and_grounding_answer_as_the_loops_they_replace() -> None:
    rng = random.Random(7)
    located = grounded = 0
    for transcript in _transcripts():
        for quote, speaker, when in _probes(transcript, rng):
            old = _old_locate(transcript, quote, speaker)
            assert _locate(transcript, quote, speaker) is old, (transcript.name, quote)
            located += old is not None
            want = _old_grounded(transcript, quote, speaker, when)
            assert quote_grounded(transcript, quote, speaker, when) is want, (quote, speaker)
            spans = _spans(transcript)
            assert quote_grounded(transcript, quote, speaker, when, spans=spans) is want
            assert quote_grounded(transcript, quote, speaker, when, spans=list(spans)) is want
            grounded += want
    assert located > 300 and grounded > 100  # the probes exercise both answers


def test_joined_search_never_crosses_texts_and_finds_every_holder() -> None:
    texts = ["the quote", "", "quote the", "a", "the quote again", "q"]
    joined = Joined(texts, ids=[10, 11, 12, 13, 14, 15])
    assert joined.first("quote") == 10
    assert list(joined.containing("quote")) == [10, 12, 14]
    assert list(joined.containing("quote the")) == [12]  # "quote" + "the" of the next: no
    assert joined.first("again q") is None and list(joined.containing("q")) == [10, 12, 14, 15]
    assert joined.first("zzz") is None and list(Joined([]).containing("x")) == []
    assert not searchable("") and not searchable("a\nb") and searchable("a b")
    index = TurnIndex(["we send it", "we send it", "send"], ["A", "B", "B"])
    assert index.locate("send", "B") == 1 and index.locate("send", "A") == 0
    assert index.locate("send", "C") == 0 and index.locate("we send it", "X") == 0
    assert index.locate("nothing", "A") is None


def test_a_long_call_is_indexed_once_and_the_index_goes_with_the_transcript() -> None:
    rng = random.Random(3)
    words = "we will send the quote next friday pricing review contract team".split()
    turns = tuple(
        Turn(speaker=f"S{i % 3}", text=" ".join(rng.choice(words) for _ in range(12)) + f" n{i}")
        for i in range(12_000)  # more turns than `squash` keeps in its cache
    )
    transcript = Transcript(turns=turns, format="plain")
    before = squash.cache_info().misses
    for i in range(0, 12_000, 40):
        found = _locate(transcript, turns[i].text, "S0")
        assert found is not None and squash(turns[i].text) in squash(found.text)
    # each turn squashed about once for the index, not once per turn per quote
    assert squash.cache_info().misses - before < 2 * len(turns)
    key = id(transcript)
    assert key in analyze._TURN_INDEXES
    del transcript, found
    gc.collect()
    assert key not in analyze._TURN_INDEXES

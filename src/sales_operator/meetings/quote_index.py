"""Finding quotes in a call's turns without a Python loop over every turn per quote.

Every extracted item (pain, commitment, decision, competitor mention, MEDDPICC quote) is
placed back in the turn it came from, and every item is grounded against the turns before
it is kept. Done turn by turn, that is (items x turns) Python steps: unnoticed on a
one-hour call, but on a long one (20,000 turns, 800 items) it took most of a minute, and
more once the squashed turns no longer fit `squash`'s cache. Here the squashed texts are
joined once per call with a newline (which no squashed text holds, so a probe found in the
join lies inside one text) and searched with `str.find`; `bisect` maps a hit back to its
text. The answers are the same as the loops they replace (`tests/unit/test_quote_index.py`
holds both to the same answers).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence

_SEP = "\n"
"""Joins the texts: `squash` keeps only letter and digit runs and single spaces."""


class Joined:
    """Texts joined for search: `first(probe)` and `containing(probe)` by `str.find`."""

    __slots__ = ("_ids", "_starts", "_text")

    def __init__(self, texts: Sequence[str], ids: Sequence[int] | None = None) -> None:
        """Join `texts` (none may hold a newline); `ids` names each (default: its index)."""
        starts: list[int] = []
        at = 0
        for text in texts:
            starts.append(at)
            at += len(text) + 1
        self._starts = starts
        self._text = _SEP.join(texts)
        self._ids = list(ids) if ids is not None else list(range(len(texts)))

    def _id_at(self, position: int) -> int:
        return self._ids[bisect_right(self._starts, position) - 1]

    def first(self, probe: str) -> int | None:
        """Return the id of the first text holding `probe` (no newline in it), or None."""
        at = self._text.find(probe)
        return None if at < 0 else self._id_at(at)

    def containing(self, probe: str) -> Iterator[int]:
        """Yield, in order, the id of every text holding `probe` (no newline in it)."""
        text, starts, ids = self._text, self._starts, self._ids
        at = text.find(probe)
        while at >= 0:
            k = bisect_right(starts, at) - 1
            yield ids[k]
            if k + 1 >= len(starts):
                return
            at = text.find(probe, starts[k + 1])


def searchable(probe: str) -> bool:
    """Whether `probe` can be searched in a `Joined` (it holds no separator and is not empty)."""
    return bool(probe) and _SEP not in probe


class TurnIndex:
    """A call's squashed turns, joined: all of them, and each speaker's own (built on use)."""

    __slots__ = ("_all", "_by_speaker", "_squashed", "_speakers")

    def __init__(self, squashed: Sequence[str], speakers: Sequence[str]) -> None:
        """Index turns by their squashed texts and speaker labels (same length, in order)."""
        self._squashed = squashed
        self._speakers = speakers
        self._all = Joined(squashed)
        self._by_speaker: dict[str, Joined] = {}

    def _own(self, speaker: str) -> Joined:
        own = self._by_speaker.get(speaker)
        if own is None:
            ids = [i for i, s in enumerate(self._speakers) if s == speaker]
            own = self._by_speaker[speaker] = Joined([self._squashed[i] for i in ids], ids)
        return own

    def containing(self, probe: str) -> Iterator[int]:
        """Yield, in call order, every turn whose squashed text holds `probe`."""
        return self._all.containing(probe)

    def locate(self, probe: str, speaker: str) -> int | None:
        """Return the first turn of `speaker` holding `probe`, else the first turn at all.

        As `next(i for i in sorted(range(n), key=lambda i: speakers[i] != speaker) if probe
        in squashed[i])`: a speaker's own turns first, each group in call order.
        """
        found = self._own(speaker).first(probe)
        return found if found is not None else self._all.first(probe)

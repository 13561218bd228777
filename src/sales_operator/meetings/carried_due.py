"""Due phrases said outside a commitment's own sentence.

People often state the deadline apart from the task:

* in the same speaker's next sentence or next turn: "I'll send the revised quote. Hopefully
  by Friday.", "I'll send our cost sheet. End of this week is fine?" (unless somebody else
  raised a date or asked something in between: then the reply is to them);
* as the answer to a question about time: "I'll put together the migration plan." "By when?"
  "End of next week.";
* once for a whole wrap-up, before the tasks are handed out: "The next meeting's in thirty
  minutes. ... As the designer, you're working on the design." (and "between now and then"
  refers to that time).

`carry_due` gives an undated commitment the due phrase found this way, verbatim as said; a
commitment whose own sentence names a date keeps it. A sentence that is itself another
commitment, or a question, never lends its date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from sales_operator.meetings.dates import DueMatch, find_all_due
from sales_operator.meetings.extract import (
    ExtractedCommitment,
    Sentence,
    clean_spoken,
    content_words,
    squash,
)

__all__ = ["carry_due"]

NEXT_TURNS = 2
"""How many turns after the commitment its speaker may still state its deadline."""
ANCHOR_TURNS = 4
"""How many turns before the commitment a wrap-up may state the next meeting's time."""
DEADLINE_WORDS = 2
"""A following sentence lends its date only when, besides the date, it says at most this
many content words ("Hopefully by Friday, I think." has none)."""

# "By when?", "When do you need it?", "What's the timeline?", "How soon can you ...?"
_WHEN = re.compile(
    r"\b(?:when|what (?:date|day|time ?frame|time ?line)|what's the (?:date|timeline|timeframe|"
    r"deadline)|how soon|how long|any (?:date|deadline|timeline|eta)|eta)\b",
    re.IGNORECASE,
)
# A sentence that sets when the group meets next: "the next meeting's in thirty minutes".
_MEETS = re.compile(
    r"\b(?:next (?:meeting|session|call|time)|meet(?:ing)? again|reconvene|regroup|catch up|"
    r"come back together|back together|be back|sync)\b",
    re.IGNORECASE,
)
# A deadline that points at the meeting time said earlier.
_ANAPHOR = re.compile(r"\b(?:now and then|by then|before then|until then|till then)\b", re.I)
# "End of this week is fine?", "does Friday work?": a date offered for the other's assent
_OFFER = re.compile(r"\b(?:fine|ok|okay|good|work|works|alright|all right)\W*\?\W*$", re.I)
_LEAD = re.compile(
    r"^\W*(?:(?:and|so|well|uh|um|oh|okay|ok|yeah|yes|sure|hopefully|ideally|probably|"
    r"maybe|I think|I'd say|I guess|say|at the latest|latest|no later than|that'll be|"
    r"it'll be|that should be|it should be|should be|let's say|I'd hope|I hope|"
    r"definitely|certainly|at least)\W+)*",
    re.IGNORECASE,
)


def _dues(text: str, call_date: date, *, events: bool) -> list[DueMatch]:
    return find_all_due(clean_spoken(text), call_date, events=events)


def _deadline_only(s: Sentence, call_date: date) -> DueMatch | None:
    """Return the date of `s` when the sentence is about little else ("Hopefully by Friday.")."""
    if s.question and _OFFER.search(s.text) is None:
        return None
    text = clean_spoken(s.text)
    found = find_all_due(text, call_date, events=True)
    if not found:
        return None
    rest = text
    for m in reversed(found):
        rest = rest[: m.start] + " " + rest[m.end :]
    rest = _LEAD.sub("", rest)
    return found[0] if len(content_words(rest)) <= DEADLINE_WORDS else None


def _anchor(units: Sequence[Sentence], at: int, call_date: date) -> DueMatch | None:
    """Return the next meeting's time said by the same speaker shortly before `units[at]`."""
    s = units[at]
    for i in range(at - 1, -1, -1):
        u = units[i]
        if s.turn - u.turn > ANCHOR_TURNS:
            break
        if u.speaker != s.speaker or _MEETS.search(u.text) is None:
            continue
        dated = [m for m in _dues(u.text, call_date, events=False) if m.due is not None]
        if dated:
            return dated[0]
    return None


def _answer(units: Sequence[Sentence], at: int, call_date: date) -> DueMatch | None:
    """Return the date the committer gives when somebody asks "when?" right after."""
    s = units[at]
    asked = next((u for u in units[at + 1 :] if u.turn > s.turn), None)
    if asked is None or asked.speaker == s.speaker or asked.turn != s.turn + 1:
        return None
    question = [u for u in units if u.turn == asked.turn]
    if not any(u.question and _WHEN.search(u.text) for u in question):
        return None
    reply = [u for u in units if u.turn == asked.turn + 1][:2]
    if not reply or reply[0].speaker != s.speaker:
        return None
    for u in reply:
        found = _dues(u.text, call_date, events=True)
        if found and not u.question:
            return found[0]
    return None


def _following(
    units: Sequence[Sentence], at: int, call_date: date, quotes: set[str]
) -> DueMatch | None:
    """Return the deadline the same speaker states in the next sentence(s)."""
    s = units[at]
    for u in units[at + 1 :]:
        if u.turn - s.turn > NEXT_TURNS:
            break
        if u.speaker != s.speaker:
            if u.question or _dues(u.text, call_date, events=False):
                break  # a date the other side raised, or a question: the reply is theirs
            continue
        if squash(u.text) in quotes:
            break  # the next commitment: its date is its own
        found = _deadline_only(u, call_date)
        if found is not None:
            return found
        if u.turn == s.turn and u.index > s.index + 1:
            break
    return None


def _first_sentences(units: Sequence[Sentence], keys: set[str]) -> dict[str, int]:
    """Return, for each squashed text in `keys` that a sentence has, its first sentence's index.

    The sentences are squashed in order only until every key is found: no sentence after
    the last one needed is read (a call with no commitment reads none).
    """
    where: dict[str, int] = {}
    # a text squashes to a key only when its lower-cased form holds each word of the key (a
    # word of a squashed text is a run of its lower-cased letters): a sentence without the
    # longest word of any key is passed over unsquashed
    words = tuple({max(key.split(), key=len, default="") for key in keys})
    for i, u in enumerate(units):
        if len(where) == len(keys):
            break
        low = u.text.lower()
        if not any(word in low for word in words):
            continue
        key = squash(u.text)
        if key in keys:
            where.setdefault(key, i)
    return where


def carry_due(
    units: Sequence[Sentence], commitments: Sequence[ExtractedCommitment], call_date: date
) -> list[ExtractedCommitment]:
    """Return `commitments`, the undated ones dated from the sentences around them.

    In order: a bare event in the commitment's own sentence ("... together the next
    meeting"), the same speaker's next sentences when they state little but a date, the
    committer's answer to "when?", and, for a task handed to somebody else (or dated
    "between now and then"), the next meeting's time said in the wrap-up before it.
    """
    quotes = {squash(c.quote) for c in commitments}
    where = _first_sentences(units, quotes)
    out: list[ExtractedCommitment] = []
    for c in commitments:
        at = where.get(squash(c.quote))
        if at is None or (c.due and _ANAPHOR.search(c.due) is None):
            out.append(c)
            continue
        found: DueMatch | None
        if c.due:  # "between now and then": the time said before
            found = _anchor(units, at, call_date)
        else:
            own = _dues(units[at].text, call_date, events=True)
            handed_out = c.owner != units[at].speaker  # a task given to somebody else
            found = (
                own[0]
                if own
                else (
                    _following(units, at, call_date, quotes)
                    or _answer(units, at, call_date)
                    or (_anchor(units, at, call_date) if handed_out else None)
                )
            )
        out.append(c.model_copy(update={"due": found.phrase}) if found is not None else c)
    return out

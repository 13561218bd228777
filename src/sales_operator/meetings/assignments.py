"""Meeting-style commitments: tasks handed out or taken on in a meeting.

The sales-call rules in `meetings.extract` read "I'll send the deck by Friday". Meetings
hand out work differently, and this module reads those forms:

* addressed: "you're gonna be working on the design", "you'll be thinking about the
  requirements", "you will have to check the costs", "your job is to look at the
  materials" (owner: the addressee: a participant named in the sentence, else the one
  `meetings.extract` found);
* assigned to a participant named or by role: "the industrial designer has to look at the
  working design", "Sam will look at the pricing", "the designers are gonna be working with
  clay" (the name must be a participant's, so "the user has to press a button" is none);
* assigned to everyone: "each of you should think about ...", "everybody has to bring ...";
* taken on: "I'll check the figures", "we're gonna look into the battery", "I will have to
  find out the price", "I'll get the minutes out as soon as possible";
* an action item: "action item for Ana: find the supplier list";
* anything with a next-meeting deadline: "for the next meeting, prepare the cost sheet".

Only task verbs count (work on, think about, look at/into, check, find out, prepare, ...),
so "you're gonna love it" and "I'll be there" are none. Guards: a question, a negated or
hypothetical cue, a bare pronoun object with no deadline ("I'll look into it"), and
"you'll get" (receiving, not doing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from sales_operator.meetings import prefilter
from sales_operator.meetings.dates import find_due
from sales_operator.meetings.decisions import plain_text
from sales_operator.meetings.extract import (
    ExtractedCommitment,
    Sentence,
    commitment_title,
    is_hypothetical,
)

__all__ = ["meeting_commitment", "participant_heads"]

_TASK_VERBS = (
    "work on|work with|work out|think about|think through|look at|look into|look over|"
    "have a look at|take a look at|check|double-check|find out|find|figure out|research|"
    "investigate|explore|prepare|draw up|draw|sketch|design|come up with|write up|write|"
    "draft|put together|present|bring|read|review|send|email|e-mail|circulate|report on|"
    "report back|gather|collect|compile|test|try out|build|make|evaluate|estimate|cost|"
    "price|summari[sz]e|focus on|take care of|follow up on|follow up|sort out|set up|"
    "organi[sz]e|update|contact|call|ask|talk to|speak to|get in touch with|reach out to|"
    "get back to|fit|decide on|consider|analy[sz]e"
)
_GET_DONE = r"get\s+(?:\w+\s+){1,5}?(?:up|out|done|ready|sorted|finished|together|over|to\s+\w+)\b"


_DOUBLES_FINAL = re.compile(r"(?:[^aeiou]*[aeiou][bdgmnpt])")


def _ing(verb: str) -> str:
    head, _, tail = verb.partition(" ")
    if head.endswith("ie"):
        ing = head[:-2] + "ying"
    elif head.endswith("e") and not head.endswith(("ee", "ye")):
        ing = head[:-1] + "ing"
    elif _DOUBLES_FINAL.fullmatch(head) and head not in {"send"}:
        ing = head + head[-1] + "ing"
    else:
        ing = head + "ing"
    return f"{ing} {tail}".strip()


def _alternatives() -> tuple[str, dict[str, str]]:
    base = _TASK_VERBS.split("|")
    to_base: dict[str, str] = {}
    forms: list[str] = []
    for verb in base:
        if "[" in verb:  # summari[sz]e: both spellings, their -ing forms by hand
            for spelling in ("s", "z"):
                plain = verb.replace("[sz]", spelling)
                to_base[_ing(plain)] = plain
                forms += [plain, _ing(plain)]
            continue
        to_base[_ing(verb)] = verb
        forms += [verb, _ing(verb)]
    forms.sort(key=len, reverse=True)
    return "|".join(re.escape(f) for f in forms), to_base


_FORMS, _TO_BASE = _alternatives()
_TASK = rf"(?P<task>(?:{_FORMS})\b|{_GET_DONE}|getting\s+(?:\w+\s+){{1,5}}?(?:up|out|done|ready))"
_ADV = r"(?:(?:just|also|then|hopefully|probably|definitely|all|each|both|maybe|first|now)\s+)*"
_MODAL = (
    r"(?:'s going to|is going to|are going to|'re going to|'s gonna|is gonna|are gonna|"
    r"'re gonna|will have to|'ll have to|has to|have to|must|need to|needs to|should|will|'ll)"
)
_YOU = re.compile(
    rf"\b(?:you|you all|you guys|y'all)\s*(?:(?:'re|are)\s+(?:going to|gonna)|"
    rf"(?:'ll|will)(?:\s+have to)?|have to|need to|should|must)\s+{_ADV}(?:be\s+)?{_ADV}{_TASK}",
    re.IGNORECASE,
)
_YOUR = re.compile(
    rf"\byour\s+(?:job|task|homework|action|assignment|role|part)\s+(?:is|will be)\s+"
    rf"(?:to\s+)?{_ADV}{_TASK}",
    re.IGNORECASE,
)
_SELF = re.compile(
    rf"\b(?:(?P<who>I|we)\s*(?:'ll|will|'m going to|am going to|'m gonna|am gonna|'re going to|"
    rf"are going to|'re gonna|are gonna|'ll have to|will have to)|I (?:have|need) to)\s+{_ADV}"
    rf"(?:be\s+)?{_ADV}{_TASK}",
    re.IGNORECASE,
)
_SELF = prefilter.start_gated(_SELF)  # same matches, tried at fewer positions
_EVERYONE = re.compile(
    rf"\b(?P<who>each of you|all of you|every one of you|everyone|everybody|each|all)\s+"
    rf"(?:\w+ly\s+)*{_MODAL}\s+{_ADV}(?:be\s+)?{_ADV}{_TASK}",
    re.IGNORECASE,
)
_EVERYONE = prefilter.start_gated(_EVERYONE)  # same matches, tried at fewer positions
_NAMED = re.compile(
    rf"(?P<who>\b[A-Za-z][\w'-]*(?:\s+[A-Za-z][\w'-]*){{0,3}}?)\s*{_MODAL}\s+{_ADV}"
    rf"(?:be\s+)?{_ADV}{_TASK}",
    re.IGNORECASE,
)
_ACTION_ITEM = re.compile(
    r"\baction (?:item|point)s?\s*(?:for\s+(?P<who>[\w' -]+?)\s*)?(?:is|are|:|-|,|to)\s+"
    r"(?:to\s+)?(?P<rest>.{6,})",
    re.IGNORECASE,
)
_NEXT_MEETING = re.compile(
    r"\b(?:for|by|before|until|in|at|till)\s+(?:the\s+)?next (?:meeting|session|call|time)\b|"
    r"\b(?:in ?between|between) now and (?:then|the next meeting)\b|"
    r"\bas soon as (?:possible|I can|we can)\b|\basap\b",
    re.IGNORECASE,
)
# "I'll build it on your numbers", "look into that": what "it" is was said elsewhere
_PRONOUN_OBJECT = re.compile(
    r"^[\w-]+(?:\s+(?:at|into|on|about|over|out|up|through|with|for))?\s+"
    r"(?:it|that|this|them|those|these|things|stuff|something)\b",
    re.IGNORECASE,
)
_NEGATORS = frozenset(
    """no not never don't doesn't didn't won't can't cannot isn't aren't wasn't weren't
    shouldn't wouldn't couldn't needn't nobody""".split()
)
_CUT = re.compile(
    r"\s*(?:[;:?!]|\.(?:\s|$)|,\s+(?:and|but|so|because|which|where|I|we|you)\b|"
    r"\s+(?:and|but|so)\s+(?:I|we|you|he|she|they|then)\b|\s+(?:because|since|cause)\b)",
    re.IGNORECASE,
)
_SKIP_WHO = frozenset(
    """it this that there what which who he she they one thing it's that's user users
    people customer customers remote product button device you i we""".split()
)


_FIRST_WORDS = frozenset(
    w for f in _FORMS.replace("\\", "").split("|") for w in [f.split()[0].lower()]
) | {"get", "getting", "action"}
_WORD = re.compile(r"[a-z][a-z-]*")


_HELPERS = ("'ll", "will", "going to", "gonna", "has to", "have to", "must", "need", "should",
            "your", "action")  # fmt: skip


def _has_task_word(text: str) -> bool:
    """Return whether `text` holds a task verb and a modal (or "your", "action").

    A cheap test before the rules: every pattern needs both.
    """
    low = text.lower().replace("\u2019", "'")
    return prefilter.contains_any(_HELPERS, low) and not _FIRST_WORDS.isdisjoint(_WORD.findall(low))


_LETTER_RUN = re.compile(r"[a-z]+")


def participant_heads(speakers: Iterable[str], known: Iterable[str] = ()) -> dict[str, str]:
    """Return each word that names a participant, lower-cased, to the participant.

    A speaker label's last word ("Designer" of "Industrial Designer"), its whole label, its
    plural, and the first name of a known person.
    """
    heads: dict[str, str] = {}
    names = set(known)
    for label in [*speakers, *names]:
        words = _LETTER_RUN.findall(label.lower())
        if not words:
            continue
        for key in {" ".join(words), words[-1], words[0] if label in names else ""}:
            if len(key) > 2 and key not in _SKIP_WHO:
                heads.setdefault(key, label)
                heads.setdefault(key + "s", label)
    return heads


_CLAUSE_BREAK = re.compile(r"[,;:]")
_APOS_WORD = re.compile(r"[a-z']+")


def _negated(text: str, start: int) -> bool:
    """Return whether a negator is among the five words before `start`, in its clause."""
    clause = _CLAUSE_BREAK.split(text[:start])[-1]
    return any(w in _NEGATORS or w.endswith("n't") for w in _APOS_WORD.findall(clause.lower())[-5:])


def _task_text(m: re.Match[str], text: str) -> str:
    task = m.group("task")
    first = task.split()[0].lower()
    two = " ".join(task.lower().split()[:2])
    if two in _TO_BASE:
        task = _TO_BASE[two] + task[len(two) :]
    elif first in _TO_BASE:
        task = _TO_BASE[first] + task[len(first) :]
    elif first == "getting":
        task = "get" + task[len("getting") :]
    body = task + text[m.end("task") :]
    body = _NEXT_MEETING.sub(" ", body)
    body = _CUT.split(body, maxsplit=1)[0]
    return " ".join(body.split()).strip(" ,;:.")


def _owner(who: str | None, text: str, heads: dict[str, str], fallback: str | None) -> str | None:
    """Return the participant `who` names (or one the sentence names before the cue)."""
    if who:
        words = _LETTER_RUN.findall(who.lower())
        for n in range(len(words), 0, -1):
            for i in range(len(words) - n + 1):
                key = " ".join(words[i : i + n])
                if key in heads:
                    return heads[key]
    named = [heads[w] for w in _LETTER_RUN.findall(text.lower()) if w in heads]
    return named[-1] if named else fallback


_NEEDS: dict[re.Pattern[str], frozenset[str]] = {
    _YOU: frozenset({"you", "y"}),
    _YOUR: frozenset({"your"}),
    _EVERYONE: frozenset({"each", "all", "everyone", "everybody"}),
    _SELF: frozenset({"i", "we"}),
}


def _patterns(text: str, heads: dict[str, str]) -> list[re.Pattern[str]]:
    """Return the patterns worth trying on `text`: those whose subject word it holds."""
    low = text.lower()
    words = set(_LETTER_RUN.findall(low))  # "you're" -> "you", "re"
    out = [p for p, needs in _NEEDS.items() if not needs.isdisjoint(words)]
    if not words.isdisjoint(heads) or any(h in low for h in heads if " " in h):
        out.append(_NAMED)  # a participant is named
    return out


_CONDITIONAL_START = re.compile(r"^\W*(?:if|unless|whether|in case|suppose)\b", re.IGNORECASE)
_MAKE_SURE = re.compile(r"make sure\b", re.IGNORECASE)
_YOU_GET = re.compile(r"you\s*(?:'ll|will)?\s*(?:all\s+)?get\b", re.I)


def meeting_commitment(
    s: Sentence,
    call_date: date,
    *,
    heads: dict[str, str],
    addressee: str | None,
    context: Sequence[Sentence] = (),
) -> ExtractedCommitment | None:
    """Return the meeting-style commitment `s` states (see the module doc), or None.

    Args:
        s: The sentence.
        call_date: The call date (due phrases).
        heads: `participant_heads` of the call: the words that name a participant.
        addressee: Who "you" is, when known.
        context: The turn's earlier sentences ("As the designer, ... you're gonna ...").
    """
    if s.question or not _has_task_word(s.text):
        return None
    text = plain_text(s.text)
    if not text or is_hypothetical(text):
        return None
    if _CONDITIONAL_START.match(text):
        return None
    owner: str | None = None
    m = _ACTION_ITEM.search(text)
    if m is not None:
        body = _CUT.split(m.group("rest"), maxsplit=1)[0].strip(" ,;:.")
        owner = _owner(m.group("who"), "", heads, s.speaker)
    else:
        for pattern in _patterns(text, heads):
            m = prefilter.search(pattern, text)  # (`_NAMED` is slow: it needs a modal)
            if m is None or _negated(text, m.start("task")):
                continue
            who = m.groupdict().get("who")
            if pattern in (_YOU, _YOUR):
                if _YOU_GET.match(m.group()):
                    continue  # "you'll get instructions": receiving, not doing
                before = " ".join(plain_text(c.text) for c in context[-1:])
                owner = _owner(None, f"{before} {text[: m.start()]}", heads, addressee)
            elif pattern is _EVERYONE:
                owner = "everyone"
            elif pattern is _SELF:
                owner = s.speaker
            else:
                owner = _owner(who, "", heads, None) if who else None
            if owner is None:
                continue
            break
        else:
            return None
        if m is None or owner is None:
            return None
        body = _task_text(m, text)
        if _MAKE_SURE.match(body):
            return None  # "we'll have to make sure ...": a caution, not a task
    if not body or len(body.split()) < 2:
        return None
    deadline = _NEXT_MEETING.search(text)
    due = find_due(text, call_date)
    due_phrase = due.phrase if due is not None else (deadline.group() if deadline else None)
    if _PRONOUN_OBJECT.match(body) and due_phrase is None:
        return None  # "I'll look into it", "I'll build it on ...": no object, no deadline
    return ExtractedCommitment(
        owner=owner or s.speaker,
        title=commitment_title(body),
        text=body,
        due=due_phrase,
        quote=s.text,
    )

"""Our voice: the customer's words restated in the second person, deterministically.

A pain heard on a call ("Our dispatchers spend about three hours a day building routes")
goes back to the customer as "your dispatchers spend about three hours a day building
routes", never as a first-person quote. The rewrite swaps the speaker's pronouns (I, we, my,
our, ...) for the listener's (you, your, ...) and the customer's "you" (the seller) for "we",
in one pass, keeping the case of the first letter. Hedges that only work in speech
("Honestly,", "I'll be honest,") are dropped.
"""

from __future__ import annotations

import re
from typing import Final

_SWAPS: Final[dict[str, str]] = {
    "i'm": "you're",
    "i am": "you are",
    "i was": "you were",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "we're": "you're",
    "we are": "you are",
    "we were": "you were",
    "we've": "you've",
    "we'd": "you'd",
    "we'll": "you'll",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "ourselves": "yourselves",
    # the customer's "you" is the seller
    "you're": "we're",
    "you've": "we've",
    "you'll": "we'll",
    "you'd": "we'd",
    "your": "our",
    "yours": "ours",
    "you": "we",
}

_PATTERN = re.compile(
    r"\b("
    + "|".join(re.escape(k).replace("\\ ", r"\s+") for k in sorted(_SWAPS, key=len, reverse=True))
    + r")\b(?!-)",
    re.I,
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})
_HEDGES = re.compile(
    r"^(?:(?:(?:and|but|so|also)\s+)|(?:(?:well|okay|ok|yes|yeah|no|honestly|frankly|look|"
    r"sure|right|thanks|thank you|i'll be honest|to be honest|i mean|you know|of course)"
    r"\s*[,.!:;]\s*))+",
    re.I,
)
_FIRST_PERSON = re.compile(
    r"\b(i|i'm|i've|i'd|i'll|me|my|mine|we|we're|we've|we'll|us|our)\b", re.I
)


def _cased(original: str, replacement: str) -> str:
    if original[:1].isupper() and original.lower() != "i":
        return replacement[:1].upper() + replacement[1:]
    return replacement


def swap_person(text: str) -> str:
    """Swap first and second person in `text` (speaker's view to listener's view)."""
    text = text.translate(_APOSTROPHES)

    def repl(match: re.Match[str]) -> str:
        word = match.group(0)
        key = " ".join(word.lower().split())
        out = _SWAPS.get(key, word)
        # "you" as an object after a verb or preposition is "us" from our side
        if key == "you" and match.start() > 0:
            before = text[: match.start()].rstrip().split()
            if before and before[-1].lower().strip(",") in _OBJECT_BEFORE:
                out = "us"
        return _cased(word, out)

    return _PATTERN.sub(repl, text)


_OBJECT_BEFORE: Final = {
    "to", "for", "with", "from", "about", "tell", "show", "give", "send", "ask", "call",
    "help", "let", "by", "at", "of", "on", "than", "told", "sent", "asked", "called",
}  # fmt: skip


def strip_hedges(text: str) -> str:
    """Drop spoken openers ("Honestly,", "And", "So") from the start of a sentence."""
    text = " ".join(text.split())
    stripped = _HEDGES.sub("", text)
    return stripped or text


def has_first_person(text: str) -> bool:
    """Whether `text` speaks in the first person (I, we, my, our, ...)."""
    return bool(_FIRST_PERSON.search(text.translate(_APOSTROPHES)))


def lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word is a name or an acronym."""
    text = text.strip()
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        first = text.split()[0]
        if first in ("I",):
            return text
        return text[0].lower() + text[1:]
    return text


def upper_first(text: str) -> str:
    """Upper-case the first letter."""
    text = text.strip()
    return text[:1].upper() + text[1:]


def sentence(text: str) -> str:
    """Return `text` ending with a full stop (unless it ends with one already)."""
    text = text.strip().rstrip(",;:")
    return text if not text or text[-1] in ".!?" else f"{text}."


def restate(text: str) -> str:
    """Return a customer's statement as one second-person sentence.

    `"Honestly, our dispatchers spend three hours a day in Excel."` becomes
    `"Your dispatchers spend three hours a day in Excel."`.
    """
    core = strip_hedges(text.strip())
    core = re.sub(
        r"^(?:that's|that is|it's|it is) the (?:biggest|main|second|third|first) "
        r"(?:issue|problem|thing)[.:;,]\s*",
        "",
        core,
        flags=re.I,
    )
    return upper_first(sentence(swap_person(core)))


def restate_concern(text: str) -> str:
    """Return an objection as a second-person sentence ("You're concerned that ...")."""
    core = strip_hedges(text.strip())
    match = re.match(r"^(?:my|our) (?:main |biggest |only )?concern is (?:that )?(.+)$", core, re.I)
    if match:
        return upper_first(sentence(f"you're concerned that {swap_person(match.group(1))}"))
    return restate(core)


def restate_question(text: str) -> str:
    """Return a customer's question as an indirect question from our side.

    `"How do you handle security?"` becomes `"how we handle security"`; `"Can we see
    on-time rate per contract?"` becomes `"whether you can see on-time rate per contract"`.
    """
    core = strip_hedges(text.strip()).rstrip("?").strip()
    core = swap_person(core)
    words = core.split()
    if not words:
        return core
    aux = {"can", "could", "will", "would", "is", "are", "does", "do", "should", "did", "has",
           "have"}  # fmt: skip
    head = words[0].lower()
    if head in aux and len(words) >= 3:
        subject, rest = words[1], " ".join(words[2:])
        if head in ("do", "does", "did"):
            return f"whether {subject} {rest}"
        return f"whether {subject} {head} {rest}"
    if head in ("how", "what", "when", "where", "who", "which", "why") and len(words) >= 3:
        second = words[1].lower()
        if second in ("do", "does", "did") and len(words) >= 4:
            verb = words[3]
            bare = verb.rstrip(",;:")
            if second == "does" and not bare.endswith("s"):
                bare += "es" if bare.endswith(("sh", "ch", "x", "o")) else "s"
                verb = bare + verb[len(verb.rstrip(",;:")) :]
            return f"{head} {words[2]} {' '.join([verb, *words[4:]])}"
        if second in aux and second not in ("do", "does", "did") and len(words) >= 4:
            return f"{head} {words[2]} {second} {' '.join(words[3:])}"
        return lower_first(core)
    return lower_first(core)

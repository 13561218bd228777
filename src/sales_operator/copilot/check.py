"""Checks run on every customer draft after it is written.

- `find_terms`: the leak check. No internal term (the sheet's internal facts' terms and the
  internal vocabulary) may appear in a customer draft.
- `untraceable`: the traceability check. Every number, date word, URL, email address and
  capitalised name in the draft must appear in the customer-safe facts.
- `check_draft`: both, as a list of reasons; an empty list means the draft may go to review.

A model draft that fails is replaced by the template draft and the reasons are recorded; a
template draft that fails (it should not) goes to review with the reasons as review notes.
"""

from __future__ import annotations

import re
from typing import Final

from sales_operator.copilot.facts import FactSheet

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"']+", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*")
_DATE_WORDS: Final = (
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december"
).split()
_NAME = re.compile(r"\b[A-Z][a-zA-Z'\u2019-]+(?:\s+[A-Z][a-zA-Z'\u2019-]+)*")
_COMMON: Final = frozenset(
    """I I'm I've I'll I'd Hi Hello Dear Thanks Thank Best Regards Kind Cheers Sincerely Warm
    You Your We Our The A An If It This That These Those There Here What When Where Why How
    Is Are Do Does Would Could Should Can Will Please Happy Looking Great Good Sorry Apologies
    PS P.S. Next Steps Subject Re Fwd Also And But So Or As On In At For From To Of With By
    Recap Follow Following Thursday""".split()
)


def _norm_number(token: str) -> str:
    return token.replace(",", "").rstrip(".").lstrip("0") or "0"


def find_terms(text: str, terms: list[str]) -> list[str]:
    """Return the `terms` that occur in `text` (case-insensitive, whole words)."""
    found: list[str] = []
    lowered = text.lower()
    for term in terms:
        t = term.lower().strip()
        if not t:
            continue
        pattern = (r"(?<![\w])" if t[0].isalnum() else "") + re.escape(t)
        pattern += r"(?![\w])" if t[-1].isalnum() else ""
        if re.search(pattern, lowered):
            found.append(term)
    return found


def untraceable(text: str, allowed: str) -> list[str]:
    """Return the numbers, date words, URLs, emails and names of `text` missing from `allowed`."""
    missing: list[str] = []
    allowed_lower = allowed.lower()
    allowed_numbers = {
        _norm_number(part) for n in _NUMBER.findall(allowed) for part in [n, *n.split(":")]
    }
    for url in _URL.findall(text):
        if url.rstrip(".,;").lower() not in allowed_lower:
            missing.append(f"link {url.rstrip('.,;')}")
    without_urls = _URL.sub(" ", text)
    for email in _EMAIL.findall(without_urls):
        if email.lower() not in allowed_lower:
            missing.append(f"address {email}")
    plain = _EMAIL.sub(" ", without_urls)
    for number in _NUMBER.findall(plain):
        parts = [number] if ":" not in number else number.split(":")
        if any(_norm_number(p) not in allowed_numbers for p in parts):
            missing.append(f"number {number}")
    words = set(re.findall(r"[a-z]+", plain.lower()))
    allowed_words = set(re.findall(r"[a-z]+", allowed_lower))
    for word in _DATE_WORDS:
        if word in words and word not in allowed_words:
            if word == "may" and not re.search(r"\bMay\b", plain):
                continue
            missing.append(f"date {word.title()}")
    allowed_caps = set(re.findall(r"[A-Za-z][A-Za-z'\u2019-]+", allowed))
    for line in plain.splitlines():
        for sentence in re.split(r"(?<=[.!?:;])\s+|^\s*[-•*]\s+", line):
            for match in _NAME.finditer(sentence):
                tokens = match.group(0).split()
                if match.start() == len(sentence) - len(sentence.lstrip()):
                    tokens = tokens[1:]  # the sentence's first word is capitalised anyway
                for token in tokens:
                    bare = re.sub(r"['\u2019]s$", "", token).strip("'\u2019-")
                    if bare in _COMMON or bare.lower() in _DATE_WORDS:
                        continue
                    if bare not in allowed_caps and bare.rstrip("s") not in allowed_caps:
                        missing.append(f"name {bare}")
    return list(dict.fromkeys(missing))


_FIRST_PERSON = re.compile(r"^(?:i|i'm|i've|i'll|i'd|we|we're|we've|we'll|we'd|our|my|me|us)$")


def pasted_quotes(text: str, quotes: list[str], span: int = 5) -> list[str]:
    """Return the `quotes` of which `text` pastes `span` words holding a first-person word."""
    words_of = re.compile(r"[\w'\u2019-]+")
    flat = f" {' '.join(w.lower().replace(chr(8217), chr(39)) for w in words_of.findall(text))} "
    found: list[str] = []
    for quote in quotes:
        words = [w.lower().replace(chr(8217), chr(39)) for w in words_of.findall(quote)]
        for k in range(max(0, len(words) - span + 1)):
            window = words[k : k + span]
            if any(_FIRST_PERSON.match(w) for w in window) and f" {' '.join(window)} " in flat:
                found.append(quote)
                break
    return found


def check_draft(subject: str, body: str, sheet: FactSheet, *, trace: bool = True) -> list[str]:
    """Return why the draft may not go to the customer (empty: it may)."""
    text = f"{subject}\n{body}"
    problems = [f"internal term {t!r}" for t in find_terms(text, sheet.forbidden_terms())]
    quotes = [f.text for f in sheet.internal() if f.source == "call" and f.ref.startswith("quote")]
    problems += [f"first-person customer quote {q[:40]!r}" for q in pasted_quotes(body, quotes)]
    if trace:
        problems += [f"untraceable {m}" for m in untraceable(text, sheet.allowed_text())]
    if not subject.strip() or not body.strip():
        problems.append("empty subject or body")
    return problems

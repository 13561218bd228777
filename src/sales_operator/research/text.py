"""Text helpers shared by retrieval, verification and reuse: normalising, tokens, flags.

- `normalise` folds whitespace, quote marks and dashes so a quote can be found verbatim;
- `stems` tokenises and stems (Snowball, through PyStemmer, the stemmer `bm25s` uses);
- `is_injection` flags text that addresses an AI or asks for something to be sent;
- `is_boilerplate` flags legal and filing boilerplate a seller never needs.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

import Stemmer

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)

STOPWORDS = frozenset(
    """a an and are as at be been but by for from has have he her his i if in into is it its
    of on or our she so such that the their them then there these they this those to was we
    were which while who will with would you your not no can may also any all other than
    within upon about over under more most each both""".split()
)
"""English stop words left out of ranking and relevance."""


def normalise(text: str) -> str:
    """Return `text` with Unicode compatibility forms, quote marks, dashes and whitespace folded.

    Used on both sides of a quote check, so a quote is found whatever quote marks, dashes or
    line breaks the source used.
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    """Return the lower-case words of `text`, stop words left out."""
    return [w for w in _WORD.findall(normalise(text).lower()) if w not in STOPWORDS]


def stems(text: str) -> list[str]:
    """Return the stemmed words of `text`, stop words left out."""
    return list(_stemmer().stemWords(words(text)))


def stem_set(text: str) -> set[str]:
    """Return the distinct stems of `text`."""
    return set(stems(text))


_NUMBER = re.compile(r"\d[\d,.]*\d|\d")


def numbers(text: str) -> list[str]:
    """Return the numbers written in digits in `text` (`1,200`, `3.5`, `2023`), as written."""
    return [n.rstrip(".,") for n in _NUMBER.findall(text)]


_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,60}\b(?:instructions?|prompts?|rules?|"
    r"guidelines?|directions?|above|previous|prior)\b|"
    r"\b(?:system|developer)\s*(?:note|message|prompt|instruction)s?\b|"
    r"\b(?:AI|A\.I\.|LLM|language model|chat ?bot|assistant)s?\b[^.]{0,40}\b(?:must|should|"
    r"shall|are (?:instructed|required)|please)\b|"
    r"\b(?:to|dear|attention|note to)\s+(?:all\s+)?(?:AI|LLM|language models?|assistants?|"
    r"chat ?bots?|agents?)\b|"
    r"\byou are (?:now |an? )?(?:AI|assistant|language model|chat ?bot)\b|"
    r"\b(?:send|email|e-mail|forward|wire|transfer|post|upload|share)\b[^.]{0,60}\b(?:to|at)\s+"
    r"[\w.+-]+@[\w-]+\.[\w.]+|"
    r"\b(?:send|email|e-mail|forward)\b[^.]{0,40}\b(?:password|credentials?|api key|token|"
    r"contract|price list|customer list|data)\b[^.]{0,30}\bto\b",
    re.I,
)


def is_injection(text: str) -> bool:
    """Return True when `text` addresses an AI or asks for something to be sent somewhere.

    Such a passage is data that tries to act as an instruction: it never becomes a claim.
    """
    return bool(_INJECTION.search(normalise(text)))


_BOILERPLATE = re.compile(
    r"forward-looking statements?|safe harbou?r|private securities litigation reform|"
    r"shall not be deemed (?:to be )?[\"']?filed|incorporated (?:herein )?by reference|"
    r"is (?:hereby )?incorporated|furnished (?:herewith|pursuant)|"
    r"pursuant to the requirements of the securities exchange act|"
    r"duly caused this report to be signed|\bsignatures?\b\s*$|/s/|"
    r"exhibit (?:no\.|number|index|\d+\.\d+)|\bexhibits?\s+\d+(?:\.\d+)?\b|"
    r"(?:cover page )?interactive data file|inline xbrl|"
    r"(?:the|this) (?:agreement|credit agreement|facility) (?:provides|defines)|"
    r"\b(?:term sofr|sofr|libor|eurodollar rate|base rate|applicable margin|"
    r"applicable rate)\b|"
    r"\bas defined in\b|\"[^\"]{1,60}\" (?:means|shall mean)|\bshall mean\b|"
    r"check the appropriate box|emerging growth company|commission file number|"
    r"securities registered pursuant|trading symbol|irs employer identification|"
    r"form 8-k|current report on form|annual report on form 10-k|quarterly report on form|"
    r"all rights reserved|media contact|(?:is|are) fictional|"
    r"investor (?:relations )?contact|"
    r"\bwebsite\b[^.]{0,80}\bnot (?:part of|incorporated)|"
    r"tax (?:gross-up|reimbursement)|indemnification agreement|"
    r"the foregoing (?:description|summary)|does not purport to be complete|"
    r"qualified in its entirety|see (?:note|item|part)\s+\w+|"
    r"refer to (?:note|item|part)\s+\w+|"
    r"table of contents|^item\s+\d+(?:\.\d+)?[a-z]?\.?\s|"
    r"no (?:arrangements?|understandings?) (?:or understandings? )?between|"
    r"not pursuant to any arrangement|no family relationships?|item 404\(a\)|"
    r"related (?:party|person) transactions?|not (?:the result|due to) (?:of )?any disagreement|"
    r"(?:filed|attached|furnished) (?:herewith )?as exhibit|a copy of (?:the|which|this)|"
    r"\bbonus(?:es)?\b|named executive officers?|proxy statement|retention agreement|"
    r"compensation (?:committee|arrangements?)|base salary|eligible to participate|"
    r"restricted stock|stock options?|equity awards?|severance|benefit plans?|"
    r"stockholders? (?:are urged|should read)|additional information and where to find it",
    re.I,
)


_CONNECTORS = frozenset("of and or to in on for the a an under with by from at as &".split())


def is_heading_like(text: str) -> bool:
    """Return True for a title-case line read as a sentence (`Results of Operations and ...`)."""
    tokens = [t.strip(".,;:()\"'") for t in normalise(text).split()]
    if len(tokens) > 24 or any(ch.isdigit() for ch in text):
        return False
    long = [t for t in tokens if len(t) > 3 and t.lower() not in _CONNECTORS and t.isalpha()]
    if len(long) < 2:
        return False
    capitalised = sum(1 for t in long if t[0].isupper())
    return capitalised / len(long) >= 0.75


_PRONOUN_START = re.compile(r"^(?:He|She|His|Her|They|Their|It|Its|This|These|Those|Such)\b")


def is_dangling(text: str) -> bool:
    """Return True when `text` opens with a pronoun whose referent is in another sentence."""
    return bool(_PRONOUN_START.match(normalise(text)))


def is_boilerplate(text: str) -> bool:
    """Return True for legal or filing boilerplate a seller never needs.

    Safe-harbour text, exhibit lists, signatures, incorporation by reference, credit-agreement
    definitions and cover-page fields.
    """
    return bool(_BOILERPLATE.search(normalise(text))) or is_heading_like(text)


# --------------------------------------------------------------------------- sentences

_ABBREVIATIONS = frozenset(
    """mr ms mrs dr inc ltd co corp st vs e.g i.e u.s no nos approx jan feb mar apr jun jul aug
    sep sept oct nov dec etc fig mt jr sr n.a u.k l.p llc plc s.a n.v p.m a.m ave dept gen ret
    rev prof sen rep gov lt col capt sgt""".split()
)
_SPLIT = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"')\u201d\u2019]))\s+(?=[\"'(\u201c\u2018]?[A-Z0-9$])"
    r"|(?<=:)\s+(?=On [A-Z][a-z]+ \d)"  # "... furnished pursuant to Item 2.02: On June 28, ..."
)
_BULLET = re.compile(
    r"^\s*(?:[-*+\u2022\u25cf\u25aa\u2023\u2043]|\d{1,2}[.)]|\([a-z0-9]{1,3}\))\s+"
)
_ENUMERATOR = re.compile(r"^(?:\((?:[a-z]|[ivx]+|\d{1,2})\)(?:,\s*\((?:[a-z]|\d)\))*\s+)+")
_ITEM_HEAD = re.compile(
    r"^item\s+\d+(?:\.\d+)?\.?\s[^.]{0,200}?(?=\bOn (?:January|February|March|April|May|June|"
    r"July|August|September|October|November|December) \d)",
    re.I,
)
_MD_EMPHASIS = re.compile(r"(\*\*|__|`)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")
_TERMINAL = (".", "!", "?", ":", ";", '"', "\u201d", ")")


def _is_heading(line: str, next_line: str) -> bool:
    """Return True for a heading line.

    A heading is short, has no closing punctuation, and is set apart (a blank line after it)
    or title-like (mostly capitalised words, or at most three).
    """
    words = line.split()
    if len(words) > 12 or line.rstrip().endswith(_TERMINAL):
        return False
    if not next_line.strip() or len(words) <= 3:
        return True
    capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return capitalised / len(words) >= 0.6


_ITALIC_BLOCK = re.compile(r"^([*_])(?!\1).*(?<!\1)\1$", re.S)


def paragraphs(text: str) -> list[str]:
    """Return the prose paragraphs of plain or markdown `text`.

    Headings (markdown `#` lines, and short set-apart or title-like lines without closing
    punctuation), tables, rules and paragraphs wholly in italics (bylines, disclaimers) are
    dropped; each bullet is its own paragraph; wrapped lines are joined.
    """
    out: list[str] = []
    current: list[str] = []
    raw_lines = text.splitlines()

    def flush() -> None:
        if current:
            joined = re.sub(r"\s+", " ", " ".join(current)).strip()
            if joined and not _ITALIC_BLOCK.match(joined):
                out.append(joined.strip("*").strip())  # an unclosed italic mark, not text
            current.clear()

    for n, raw in enumerate(raw_lines):
        line = _MD_EMPHASIS.sub("", _MD_LINK.sub(r"\1", raw)).strip()
        if not line or line.startswith(("#", "|", "---", "===")) or set(line) <= set("-=*_ "):
            flush()
            continue
        line = line.lstrip("> ").strip()
        if _BULLET.match(line):
            flush()
            line = _BULLET.sub("", line)
        elif not current:
            following = raw_lines[n + 1] if n + 1 < len(raw_lines) else ""
            if _is_heading(line, following):
                continue
        current.append(line)
        if line.endswith((".", "!", "?")) and not line.startswith(("*", "_")):
            flush()
    flush()
    return out


def _ends_with_abbreviation(text: str) -> bool:
    last = text.rsplit(" ", 1)[-1].rstrip(")\"'\u201d\u2019").rstrip(".").lower().lstrip("(\"'")
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def split_sentences(text: str) -> list[str]:
    """Split plain or markdown `text` into sentences (headings, tables and rules dropped).

    Leading enumerators such as `(b)` are removed; abbreviations (`Inc.`, `U.S.`) do not end
    a sentence.
    """
    sentences: list[str] = []
    for paragraph in paragraphs(text):
        merged: list[str] = []
        for part in _SPLIT.split(paragraph):
            part = part.strip()
            if not part:
                continue
            if merged and _ends_with_abbreviation(merged[-1]):
                merged[-1] = f"{merged[-1]} {part}"
            else:
                merged.append(part)
        sentences.extend(_ENUMERATOR.sub("", _ITEM_HEAD.sub("", s)).strip() for s in merged)
    return [s for s in sentences if s]


# --------------------------------------------------------------------------- dates

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_LONG_DATE = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}}),?\s+((?:19|20)\d\d)\b", re.I)
_ISO_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)"
)


_DAY_FIRST = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_RE})\.?,?\s+((?:19|20)\d\d)\b", re.I)
_YEAR_MONTH = re.compile(r"(?<!\d)((?:19|20)\d\d)[-_](0[1-9]|1[0-2])(?![\d])")


def find_dates(text: str, *, month_only: bool = False) -> list[date]:
    """Return the calendar dates written in `text`, in order.

    Reads `July 17, 2023`, `17 July 2023` and `2023-07-17`; with `month_only`, also
    `2023-07` (as the first of the month, for file names).
    """
    found: list[tuple[int, date]] = []
    for m in _DAY_FIRST.finditer(text):
        try:
            found.append((m.start(), date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))))
        except ValueError:
            continue
    for m in _LONG_DATE.finditer(text):
        try:
            found.append((m.start(), date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))))
        except ValueError:
            continue
    for m in _ISO_DATE.finditer(text):
        try:
            found.append((m.start(), date(int(m[1]), int(m[2]), int(m[3]))))
        except ValueError:
            continue
    if month_only and not found:
        for m in _YEAR_MONTH.finditer(text):
            found.append((m.start(), date(int(m[1]), int(m[2]), 1)))
    return [d for _, d in sorted(found, key=lambda item: item[0])]

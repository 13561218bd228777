"""Text helpers shared by retrieval, verification and reuse: normalising, tokens, flags.

- `normalise` folds whitespace, quote marks and dashes so a quote can be found verbatim;
- `stems` tokenises and stems (Snowball, through PyStemmer, the stemmer `bm25s` uses);
- `is_injection` flags text that addresses an AI or asks for something to be sent;
- `is_boilerplate` flags legal and filing boilerplate a seller never needs.
"""

from __future__ import annotations

import re
import unicodedata
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
    r"\bas defined in\b|\"[A-Z][\w ]+\" (?:means|shall mean)|\bshall mean\b|"
    r"check the appropriate box|emerging growth company|commission file number|"
    r"securities registered pursuant|trading symbol|irs employer identification|"
    r"form 8-k|current report on form|annual report on form 10-k|quarterly report on form|"
    r"all rights reserved|media contact|investor (?:relations )?contact|"
    r"\bwebsite\b[^.]{0,80}\bnot (?:part of|incorporated)|"
    r"tax (?:gross-up|reimbursement)|indemnification agreement|"
    r"the foregoing (?:description|summary)|does not purport to be complete|"
    r"qualified in its entirety|see (?:note|item|part)\s+\w+|"
    r"refer to (?:note|item|part)\s+\w+|"
    r"table of contents|^item\s+\d+[a-z]?\.?\s",
    re.I,
)


def is_boilerplate(text: str) -> bool:
    """Return True for legal or filing boilerplate a seller never needs.

    Safe-harbour text, exhibit lists, signatures, incorporation by reference, credit-agreement
    definitions and cover-page fields.
    """
    return bool(_BOILERPLATE.search(normalise(text)))

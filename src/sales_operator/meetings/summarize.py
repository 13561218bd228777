"""Summarise a long multi-party meeting extractively, offline and deterministically.

`summarize_meeting(transcript)` picks the sentences that best stand for the whole meeting
and returns them in the order spoken, each introduced by its speaker ("Marketing: ..."),
within a budget of words. It is built for long design or project meetings with several
speakers and raw transcription (disfluencies, `{vocalsound}`-style tags, spelled-out
acronyms such as `L_C_D_`), not for the two-sided sales calls that `analyze_call`
summarises from its metrics and extraction.

How a sentence is chosen:

1. Every turn is cleaned: tags, fillers ("um", "uh", "mm-hmm"), stutters ("the the") and
   spacing before punctuation go; `L_C_D_` becomes `LCD`. The turn is then split into
   sentences.
2. A sentence is a candidate when it has at least `MIN_CONTENT_WORDS` content words
   (lower-cased words of three letters or more, not on a stop-word list).
3. Candidates are scored by centrality: PageRank over the cosine similarity of their
   TF-IDF vectors (IDF computed over the meeting's own sentences), which favours sentences
   that share vocabulary with much of the meeting (TextRank, Mihalcea and Tarau 2004).
   Decision, action and agenda cues ("we decided", "we'll go with", "next meeting",
   "agenda") add a fixed boost, sentences near the start (where meetings state their
   purpose) a boost that decays over the first tenth of the turns, and very short or very
   long sentences are damped.
4. Sentences are taken best first, skipping one too similar to a sentence already chosen,
   until the budget is spent; the chosen ones are put back in spoken order.

Everything is pure Python and numpy, and the same input always gives the same summary.
The few settings (the boosts, the redundancy limit, `MIN_CONTENT_WORDS`) were chosen on 20
AMI meetings of QMSum's train split (ES2002a..ES2008d); `evals/qmsum.py` reports ROUGE on
the other 77 as held-out.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from sales_operator.errors import TranscriptError
from sales_operator.meetings import prefilter
from sales_operator.meetings.extract import (
    _ASCII_RUNS,
    _ASCII_SPACE,
    _ASCII_WORD,
    clean_spoken,
    single_spaced,
    sub_repeats,
)
from sales_operator.meetings.transcript import Transcript

__all__ = [
    "DEFAULT_MAX_WORDS",
    "MIN_CONTENT_WORDS",
    "MeetingSentence",
    "centrality",
    "clean_text",
    "content_tokens",
    "meeting_sentences",
    "select_sentences",
    "sentence_scores",
    "summarize_meeting",
    "tfidf_vectors",
]

DEFAULT_MAX_WORDS = 120
"""Default budget in words (QMSum's whole-meeting summaries of AMI meetings: median 112)."""

MIN_CONTENT_WORDS = 3
"""Fewest content words a sentence needs to be a candidate."""

_REDUNDANCY = 0.3
"""A candidate whose cosine similarity to a chosen sentence is above this is skipped."""

_CUE_BOOST = 0.15
"""Added to a sentence's (max-normalised) centrality when it has a decision/action cue."""

_DAMPING = 0.85
"""PageRank damping factor."""

_OPENING_BOOST = 0.6
"""Added, decaying, to sentences near the start, where the agenda and purpose are stated."""

_OPENING_SPAN = 0.1
"""Fraction of the meeting over which the opening boost decays by a factor e."""


# --- cleaning --------------------------------------------------------------------------------

_TAG = re.compile(r"\{[^}]*\}|\[[^\]]*\]|<[^>]*>")
_SPELLED = re.compile(r"\b(?:[A-Za-z]_)+")
# Fillers: the words um+, uh+, uhm+, erm+, er, ah+, eh+, hm+, mm+, mm-hmm, mm-mm, uh-huh, uh-uh
# and huh, in any case, after no word character, apostrophe or hyphen, with the spaces and comma
# after them. Written to start with a plain character class, with the case spelled out, so
# that the engine skips to candidate letters instead of trying every position
# (`re.IGNORECASE` would forbid that skip, and folds no non-ASCII letter to these); it matches
# exactly what the plain alternation `(?<![\w'-])(?:um+|uh+|uhm+|erm+|er|ah+|eh+|hm+|mm+|
# mm-hmm|mm-mm|uh-huh|uh-uh|huh)(?![\w'-])\s*,?` does, ignoring case (a filler's end is where
# its word ends, so the order of the alternatives cannot matter; `tests/unit/
# test_meetings_speed.py` holds both to the same answers).
_FILLER = re.compile(
    r"[aAeEhHmMuU](?<![\w'-].)"
    r"(?:(?<=[uU])(?:[mM]+|[hH]+|[hH][mM]+|[hH]-[hH][uU][hH]|[hH]-[uU][hH])"
    r"|(?<=[eE])(?:[rR][mM]*|[hH]+)|(?<=[aA])[hH]+|(?<=[hH])(?:[mM]+|[uU][hH])"
    r"|(?<=[mM])(?:[mM]+|[mM]-[hH][mM][mM]|[mM]-[mM][mM]))"
    r"(?![\w'-])\s*,?"
)
# possessive (++): a word cut short can never be followed by the space the copy needs
_STUTTER = re.compile(r"\b((?:[\w']++\s++){0,2}[\w']++)(?:\s++\1\b)+", re.IGNORECASE)
_STUTTER_ASCII = re.compile(
    rf"\b((?:{_ASCII_WORD}++{_ASCII_SPACE}++){{0,2}}{_ASCII_WORD}++)(?:{_ASCII_SPACE}++\1\b)+",
    re.ASCII,
)
"""`_STUTTER` for lower-cased ASCII text (see `extract.sub_repeats`)."""
_SPACE_PUNCT = re.compile(r"\s+([,.?!;:%])")
_SPACED_MARKS = tuple((f" {mark}", mark) for mark in ",.?!;:%")
"""The space-and-mark pairs `_SPACE_PUNCT` joins on a text of single spaces."""
_FIRST_GROUP = operator.methodcaller("group", 1)  # = r"\1", with no template to parse
_REPEAT_PUNCT = re.compile(r"([,.?!;:])(?:\s*[,.;:])+")
_LEAD_PUNCT = re.compile(r"^[\s,.;:!?-]+")
# = `(?<=[.?!])\s+` (a white-space run after a sentence mark), written to start with the
# white space itself so that the engine skips to it instead of trying every position
_SENTENCE_END = re.compile(r"\s(?<=[.?!]\s)\s*")
_HAS_WORD = re.compile(r"\w")
_OPENERS = re.compile(
    r"^(?:(?:so|and|okay|ok|yeah|yes|well|right|alright|oh|now|but|then|like|anyway)\b[\s,]*)+",
    re.IGNORECASE,
)


def clean_text(text: str) -> str:
    """Return `text` without tags, fillers, stutters and spaces before punctuation.

    `{vocalsound}`, `{disfmarker}` and `{gap}` (and `[...]`/`<...>` markup) are removed;
    spelled-out acronyms (`L_C_D_`, `T_V_s`) are joined (`LCD`, `TVs`).
    """
    out = _TAG.sub(" ", text) if "{" in text or "[" in text or "<" in text else text
    if "_" in out:  # only a text with an underscore has a spelled-out acronym
        out = _SPELLED.sub(lambda m: m.group().replace("_", ""), out)
    out = _FILLER.sub(" ", out)
    out = single_spaced(sub_repeats(out, _STUTTER, _STUTTER_ASCII))
    # = _SPACE_PUNCT.sub(r"\1", out): its only white space now is single spaces, so each
    # match is one space before one mark, and dropping it joins no new pair
    for spaced, mark in _SPACED_MARKS:
        if spaced in out:
            out = out.replace(spaced, mark)
    out = _REPEAT_PUNCT.sub(_FIRST_GROUP, out)
    return _LEAD_PUNCT.sub("", out).strip()


_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can cannot could did do does doing don't down
    during each few for from further had has have having he her here hers him his how i if
    in into is it its itself just let's me more most my no nor not now of off on once only or
    other our ours out over own same she should so some such than that the their them then
    there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yeah yes okay right well
    really actually basically thing things one lot get got going gonna wanna want know think
    mean kind sort bit pretty every something anything maybe probably like just sure good
    great cool fine yep alright guess say said see look looks looking way quite much many
    little need needs make made things stuff 'kay i'm it's that's there's don't we're we've
    we'll you're you've i've i'll they're can't won't isn't didn't doesn't what's let
    gotta dunno kinda hmm mhm mm-hmm uh-huh""".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CUES = re.compile(
    r"\b(?:decid\w*|decision\w*|agree[ds]?|agreed|we(?:'ll| will) (?:go|use|have|stick|need)"
    r"|go(?:ing)? with|settled|final(?:ly|ise|ize)?|conclu\w*|agenda|aim of|purpose|"
    r"next meeting|action items?|to do|budget|cost\w*|price\w*|target group|present\w*"
    r"|requirement\w*|evaluat\w*)\b",
    re.IGNORECASE,
)


def _plain_stem(word: str) -> str:
    """Strip a few English suffixes so that `buttons`/`button` share a feature."""
    if word[-1:] not in "gsdr":  # (the last letters of the suffixes) none of them ends it
        return word
    for suffix in ("ing", "ers", "ies", "es", "ed", "er", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _plain_content_token(word: str) -> str:
    """Return the stem of a content word; "" for a stop word or a word under 3 letters."""
    return _plain_stem(word) if len(word) > 2 and word not in _STOPWORDS else ""


_stem = lru_cache(maxsize=16384)(_plain_stem)
_content_token = lru_cache(maxsize=16384)(_plain_content_token)


class _ContentTokens(dict[str, str]):
    """Word to `_content_token(word)`, each worked out once, when first asked.

    One per call: a plain dict lookup is cheaper than the LRU cache's bookkeeping, and a
    call asks for the same few hundred words thousands of times.
    """

    def __missing__(self, word: str) -> str:
        token = self[word] = _plain_content_token(word)
        return token


def content_tokens(text: str) -> list[str]:
    """Return the stemmed content words of `text` (stop words and words under 3 letters out)."""
    words = _WORD.findall(text.replace("’", "'").lower())
    return list(filter(None, map(_content_token, words)))


class _ByteContentTokens(dict[bytes, str]):
    """`_ContentTokens` for words as ASCII bytes (see `_tokens`)."""

    def __missing__(self, word: bytes) -> str:
        token = self[word] = _plain_content_token(word.decode())
        return token


def _tokens(
    text: str, token: Callable[[str], str], byte_token: Callable[[bytes], str]
) -> tuple[str, ...]:
    """Return `tuple(content_tokens(text))`, each word's token looked up with `token`.

    An ASCII text without an apostrophe has for words its lower-cased letter and digit
    runs, which a byte table gives faster than the regex (`byte_token` looks them up).
    """
    if text.isascii():
        if "'" not in text:
            return tuple(
                filter(None, map(byte_token, text.encode().translate(_ASCII_RUNS).split()))
            )
        low = text.lower()
    else:
        low = text.replace("’", "'").lower()
    return tuple(filter(None, map(token, _WORD.findall(low))))


# --- sentences -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingSentence:
    """One cleaned sentence of a meeting, with where it came from."""

    turn: int
    """Index of the turn in `transcript.turns`."""
    speaker: str
    """The speaker label."""
    text: str
    """The sentence after `clean_text` (leading discourse markers removed)."""
    tokens: tuple[str, ...]
    """Its content tokens (see `content_tokens`)."""

    @cached_property  # read by the scoring and by each selection; kept in the instance dict
    def words(self) -> int:
        """The number of whitespace-separated words in `text`."""
        return len(self.text.split())


_Said = tuple[str, tuple[str, ...], int]
"""A cleaned sentence of a turn: its text, content tokens and number of words."""


def meeting_sentences(transcript: Transcript) -> list[MeetingSentence]:
    """Return every non-empty cleaned sentence of the transcript, in spoken order."""
    out: list[MeetingSentence] = []
    token, byte_token = _ContentTokens().__getitem__, _ByteContentTokens().__getitem__
    said: dict[str, list[_Said]] = {}  # a turn's text -> its sentences (a call repeats many)
    for index, turn in enumerate(transcript.turns):
        parts = said.get(turn.text)
        if parts is None:
            parts = said[turn.text] = _turn_sentences(turn.text, token, byte_token)
        speaker = turn.speaker
        for text, tokens, words in parts:
            out.append(_meeting_sentence(index, speaker, text, tokens, words))
    return out


def _turn_sentences(
    turn: str, token: Callable[[str], str], byte_token: Callable[[bytes], str]
) -> list[_Said]:
    """Return the cleaned sentences of one turn's text (see `meeting_sentences`)."""
    cleaned = clean_text(turn)
    if not cleaned:
        return []
    out: list[_Said] = []
    for raw in _SENTENCE_END.split(cleaned):
        text = _LEAD_PUNCT.sub("", _OPENERS.sub("", raw.strip())).strip()
        if not _HAS_WORD.search(text):
            continue
        text = text[0].upper() + text[1:]
        out.append((text, _tokens(text, token, byte_token), len(text.split())))
    return out


_new_object = object.__new__


def _meeting_sentence(
    turn: int, speaker: str, text: str, tokens: tuple[str, ...], words: int
) -> MeetingSentence:
    """Return `MeetingSentence(turn, speaker, text, tokens)`, its dict filled at once.

    (A frozen dataclass's `__init__` sets each field through `object.__setattr__`.) The
    result is equal to, and hashes as, the plain one; `words` is already answered, as
    the cached property would keep it.
    """
    s = _new_object(MeetingSentence)
    s.__dict__.update(turn=turn, speaker=speaker, text=text, tokens=tokens, words=words)
    return s


# --- scoring ---------------------------------------------------------------------------------


def tfidf_vectors(sentences: Sequence[MeetingSentence]) -> np.ndarray:
    """Return the L2-normalised TF-IDF matrix (sentences x vocabulary)."""
    return _tfidf(sentences)[0]


def _tfidf(sentences: Sequence[MeetingSentence]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return `tfidf_vectors(sentences)` and its non-zero entries as `np.nonzero` gives them.

    The (sentence, token) pairs are counted in one pass, in the order first said: the
    vocabulary (columns in order of first use), the document frequencies (pairs per token)
    and the term counts all come from it.
    """
    pairs = Counter((i, t) for i, s in enumerate(sentences) for t in s.tokens)
    vocab: dict[str, int] = {}
    for _, t in pairs:
        if t not in vocab:
            vocab[t] = len(vocab)
    matrix = np.zeros((len(sentences), max(len(vocab), 1)))
    df = Counter(t for _, t in pairs)
    n = len(sentences)
    idf = {token: math.log((1 + n) / (1 + count)) for token, count in df.items()}
    rows = [i for i, _ in pairs]
    cols = [vocab[t] for _, t in pairs]
    weights = [
        (1 + math.log(count)) * idf[t] if count > 1 else idf[t] for (_, t), count in pairs.items()
    ]
    matrix[rows, cols] = weights
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: np.ndarray = matrix / norms
    # `np.nonzero(normalised)`: row-major, columns ascending, zero weights left out
    r = np.array(rows, dtype=np.intp)
    c = np.array(cols, dtype=np.intp)
    order = np.lexsort((c, r))
    r, c = r[order], c[order]
    keep = normalised[r, c] != 0
    return normalised, r[keep], c[keep]


def centrality(
    vectors: np.ndarray,
    *,
    iterations: int = 50,
    entries: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Return PageRank scores over the cosine-similarity graph of the row vectors.

    Args:
        vectors: L2-normalised rows, one per sentence.
        iterations: Power-iteration steps.
        entries: `np.nonzero(vectors)`, when the caller has it.
    """
    n = vectors.shape[0]
    if n == 0:
        return np.zeros(0)
    # The similarity graph is S = V Vᵀ without its diagonal (TF-IDF weights are never
    # negative, so no edge is negative). It is never built: each step multiplies by V and
    # Vᵀ, kept as their non-zero entries, so a step costs O(non-zeros of V), not O(n²).
    rows, cols = np.nonzero(vectors) if entries is None else entries
    data = vectors[rows, cols]
    width = vectors.shape[1]

    def times_vt(x: np.ndarray) -> np.ndarray:  # Vᵀ x
        return np.bincount(cols, weights=data * x[rows], minlength=width)

    def times_v(y: np.ndarray) -> np.ndarray:  # V y
        return np.bincount(rows, weights=data * y[cols], minlength=n)

    self_sim = np.bincount(rows, weights=data * data, minlength=n)
    # a sentence sharing no weighted token with another has no edge (exactly, not by rounding)
    per_token = np.bincount(cols, minlength=width)
    dangling = np.bincount(rows, weights=(per_token[cols] > 1), minlength=n) == 0
    out_weight = times_v(times_vt(np.ones(n))) - self_sim
    inverse = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out_weight))
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        x = rank * inverse
        spread = times_v(times_vt(x)) - self_sim * x
        rank = (1 - _DAMPING) / n + _DAMPING * (spread + rank[dangling].sum() / n)
    return rank


def sentence_scores(
    candidates: Sequence[MeetingSentence],
    vectors: np.ndarray,
    *,
    n_turns: int,
    entries: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Return each candidate's score.

    The score is the max-normalised centrality, damped for sentences under 10 or over 40
    words, plus `_CUE_BOOST` for a decision/action/agenda cue and an opening boost that
    decays over the first `_OPENING_SPAN` of the meeting's turns.

    Args:
        candidates: The candidate sentences.
        vectors: Their L2-normalised TF-IDF rows.
        n_turns: How many turns the meeting has (for the position of a sentence).
        entries: `np.nonzero(vectors)`, when the caller has it.
    """
    rank = centrality(vectors, entries=entries)
    if rank.size == 0:
        return rank
    rank = rank / rank.max()
    scores = np.empty(len(candidates))
    cued = prefilter.could_match_each(_CUES, [s.text for s in candidates])  # one scan
    for i, s in enumerate(candidates):
        length = s.words
        damp = min(1.0, length / 10) * (1.0 if length <= 40 else 40 / length)
        boost = _CUE_BOOST if cued[i] and _CUES.search(s.text) else 0.0
        position = s.turn / max(n_turns, 1)
        opening = _OPENING_BOOST * math.exp(-position / _OPENING_SPAN)
        scores[i] = rank[i] * damp + boost + opening
    return scores


def select_sentences(
    candidates: Sequence[MeetingSentence],
    scores: Sequence[float] | np.ndarray,
    vectors: np.ndarray | None,
    *,
    max_words: int,
    redundancy: float | None = None,
) -> list[int]:
    """Take candidates best score first within `max_words`; return their indices in order.

    A candidate more similar than `redundancy` (cosine of `vectors` rows) to one already
    taken is skipped; one that would overrun the budget is skipped unless nothing has been
    taken yet (then it is cut in `summarize_meeting`). Ties go to the earlier sentence.
    """
    limit = _REDUNDANCY if redundancy is None else redundancy
    order = sorted(range(len(candidates)), key=lambda i: (-float(scores[i]), i))
    chosen: list[int] = []
    used = 0
    for i in order:
        words = candidates[i].words
        if chosen and used + words > max_words:
            continue
        if vectors is not None and chosen:
            if float(np.max(vectors[chosen] @ vectors[i])) > limit:
                continue
        chosen.append(i)
        used += words
        if used >= max_words:
            break
    return sorted(chosen)


@lru_cache(maxsize=4)
def _scored(transcript: Transcript) -> tuple[list[MeetingSentence], np.ndarray, np.ndarray]:
    """Return the candidate sentences, their TF-IDF rows and scores.

    Cached per transcript: the highlights and the content summary of one call share them
    (do not mutate).
    """
    sentences = meeting_sentences(transcript)
    candidates = [s for s in sentences if len(s.tokens) >= MIN_CONTENT_WORDS]
    if not candidates:
        candidates = [s for s in sentences if s.tokens]
    if not candidates:
        return [], np.zeros((0, 1)), np.zeros(0)
    vectors, rows, cols = _tfidf(candidates)
    scores = sentence_scores(
        candidates, vectors, n_turns=len(transcript.turns), entries=(rows, cols)
    )
    return candidates, vectors, scores


def _cut(text: str, words: int) -> str:
    parts = text.split()
    return text if len(parts) <= words else " ".join(parts[:words]) + " ..."


def summarize_meeting(
    transcript: Transcript, *, max_words: int = DEFAULT_MAX_WORDS, speakers: bool = True
) -> str:
    """Summarise a long multi-party meeting in at most about `max_words` words.

    Args:
        transcript: The parsed meeting (any format `parse_transcript` reads).
        max_words: Budget for the sentences (speaker labels not counted).
        speakers: Introduce each sentence with its speaker ("Marketing: ...").

    Returns:
        The chosen sentences in spoken order, one per line; an empty string when the
        transcript has no sentence with content words.

    Raises:
        TranscriptError: when `max_words` is below 1.
    """
    if max_words < 1:
        raise TranscriptError(f"max_words must be at least 1, got {max_words}")
    candidates, vectors, scores = _scored(transcript)
    if not candidates:
        return ""
    picked = select_sentences(candidates, scores, vectors, max_words=max_words)
    lines = []
    for i in picked:
        s = candidates[i]
        text = _cut(s.text, max_words).rstrip(" ,;:-")
        if text[-1] not in ".?!":
            text += "."
        lines.append(f"{s.speaker}: {text}" if speakers else text)
    return "\n".join(lines)


# --- the content summary (brief and key points by topic) --------------------------------------

BRIEF_WORDS = 50
"""Word budget of the brief (two to four of the meeting's most central sentences)."""

KEY_POINT_WORDS = 70
"""Word budget of the key points (the next most central sentences, grouped by topic)."""


@dataclass(frozen=True)
class PickedSentence:
    """A sentence chosen for the brief or a key point."""

    speaker: str
    """The speaker label."""
    text: str
    """The cleaned sentence (fillers, stutters and opening discourse markers removed)."""
    turn: int
    """Index of the turn in `transcript.turns`."""
    topic: str = ""
    """For a key point: its topic word (the sentence's most distinctive word that recurs)."""


_NOT_TOPICS = frozenset(
    content_tokens(
        """send sent think know going want make get got look need good really yeah time times
        thing things year years day days week weeks month months today tomorrow start started
        come came talk talking said say tell bit lot kind sort mean right sure okay great fine
        work works working able actually probably maybe little people guys way part point let
        first last next also start end sense question questions call minute minutes number
        one two three four five six seven eight nine ten twelve twenty hundred thousand half
        honestly love hear meeting idea ideas stuff basically"""
    )
)


_PLEASANTRY = re.compile(
    r"\b(?:thanks?|thank you) (?:for|so much|both|all|everyone|again)\b|^(?:hi|hello|hey|good "
    r"(?:morning|afternoon|evening)|welcome|nice to (?:meet|see))\b",
    re.IGNORECASE,
)


def _finish(text: str) -> str:
    text = text.rstrip(" ,;:-")
    return text if text[-1:] in ".?!" else text + "."


def brief_and_key_points(
    transcript: Transcript,
    *,
    brief_words: int = BRIEF_WORDS,
    key_point_words: int = KEY_POINT_WORDS,
    exclude_turns: frozenset[int] = frozenset(),
) -> tuple[list[PickedSentence], list[PickedSentence]]:
    """Return the brief's sentences and the key-point sentences (with topics), in spoken order.

    The same scoring as `summarize_meeting`. The brief takes the best two to four sentences
    within `brief_words`; the key points take the next best, not similar to any already
    taken, within `key_point_words`, each labelled with its topic: the content word with
    the highest TF-IDF weight in the sentence among words that occur in at least two
    candidate sentences, shown in its most frequent spoken form. Questions are not taken.

    Args:
        transcript: The parsed meeting.
        brief_words: Budget of the brief.
        key_point_words: Budget of the key points.
        exclude_turns: Turns whose sentences are not taken (already reported elsewhere).
    """
    if exclude_turns:
        sentences = meeting_sentences(transcript)
        candidates = [
            s
            for s in sentences
            if len(s.tokens) >= MIN_CONTENT_WORDS and s.turn not in exclude_turns
        ]
        if not candidates:
            return [], []
        vectors, rows, cols = _tfidf(candidates)
        scores = sentence_scores(
            candidates, vectors, n_turns=len(transcript.turns), entries=(rows, cols)
        )
    else:
        candidates, vectors, scores = _scored(transcript)
        candidates = [s for s in candidates if len(s.tokens) >= MIN_CONTENT_WORDS]
        if len(candidates) != vectors.shape[0]:
            return [], []  # only the too-short fallback sentences: no brief to write
    chosen = select_sentences(candidates, scores, vectors, max_words=brief_words + key_point_words)
    chosen = [i for i in chosen if not _PLEASANTRY.search(candidates[i].text)]
    brief: list[int] = []
    used = 0
    for i in sorted(chosen, key=lambda i: (-float(scores[i]), i)):
        if len(brief) >= 4 or candidates[i].text.endswith("?"):
            continue
        if len(brief) >= 2 and used + candidates[i].words > brief_words:
            continue
        brief.append(i)
        used += candidates[i].words
    points = [i for i in chosen if i not in brief and not candidates[i].text.endswith("?")]
    df = Counter(t for s in candidates for t in set(s.tokens))
    vocab: dict[str, int] = {}
    for s in candidates:
        for t in s.tokens:
            vocab.setdefault(t, len(vocab))

    def topic(i: int) -> str:
        tokens = [
            t for t in set(candidates[i].tokens) if t not in _NOT_TOPICS and t.isalpha()
        ] or list(candidates[i].tokens)
        best = max(tokens, key=lambda t: (min(df[t], 5), float(vectors[i, vocab[t]]), t))
        return spoken(best)

    def spoken(stem: str) -> str:
        """Return the most frequent spoken form of `stem` (the first heard on a tie)."""
        forms: Counter[str] = Counter()
        for s in candidates:
            if stem in s.tokens:  # only a sentence with the stem has one of its forms
                for w in _WORD.findall(s.text.replace("’", "'").lower()):
                    if len(w) > 2 and w not in _STOPWORDS and _stem(w) == stem:
                        forms[w] += 1
        return forms.most_common(1)[0][0] if forms else stem

    def picked(i: int, with_topic: bool) -> PickedSentence:
        s = candidates[i]
        limit = key_point_words if with_topic else brief_words
        text = _finish(_cut(clean_spoken(s.text), limit))  # one huge unpunctuated "sentence"
        return PickedSentence(s.speaker, text, s.turn, topic(i) if with_topic else "")

    return (
        [picked(i, False) for i in sorted(brief)],
        [picked(i, True) for i in sorted(points)],
    )

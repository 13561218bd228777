"""What the customer asked for on a call, with the rep's answer when there was one.

Read from the transcript's customer turns, by the shape of the sentence rather than by the
words of our fixtures:

- `question`: a customer question (not small talk), answered by the rep's next turn;
- `ask`: "I need ...", "we'd want ...", "put that in the model too";
- `answer`: the customer's answer to a rep's scoping question ("anything else you'd want to
  see?", "when would you want ... live?"): a requirement or a date;
- `need`: a customer sentence that hits a keyword tracker of the policy (security,
  integration), answered by the rep's next turn.

A follow-up must address every request; the drafts eval checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sales_operator.meetings.transcript import parse_transcript

RequestKind = Literal["question", "ask", "answer", "need"]

_SMALL_TALK = re.compile(
    r"\b(hear me|how's your|how is your|how are you|your week|you too|talk soon|"
    r"that's what|makes sense\?|right\?$|okay\?$|you see it)\b",
    re.I,
)
_ASK = re.compile(
    r"\b(?:i|we)\s+(?:really\s+|also\s+|would\s+|'d\s+|\u2019d\s+)?"
    r"(?:need|want|'d want|would want|'d like|would like|'d love|must have)\b"
    r"|\b(?:put|include|add)\s+(?:that|it|this|those)\s+in\b"
    r"|^(?:please\s+)?(?:send|share)\b",
    re.I,
)
_SCOPING = re.compile(
    r"\b(anything else|what else|when would you|when do you|what would you|do you need|"
    r"would you want|you'd want|you would want|what do you need|by when)\b",
    re.I,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class CallRequest:
    """One thing the customer asked for."""

    kind: RequestKind
    """`question`, `ask`, `answer` or `need`."""
    speaker: str
    """Who asked."""
    text: str
    """The customer's sentence(s), as said."""
    answer: str = ""
    """The rep's answer on the call (first sentences of the next rep turn), if any."""
    prompt: str = ""
    """For an `answer`: the rep's question it answers."""
    topic: str = ""
    """For a `need`: the tracker keyword it hit."""


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.split(" ".join(text.split())) if s.strip()]


def _answer(sentences: list[str], max_words: int = 35) -> str:
    """Return the rep's answer: the first statement of four words or more, not a recap."""
    for sent in sentences:
        words = sent.split()
        if sent.endswith("?") or len(words) < 4 or re.search(r"\brecap\b", sent, re.I):
            continue
        return sent if len(words) <= max_words else " ".join(words[:max_words]) + " …"
    return ""


def call_requests(
    transcript: str | None,
    speakers: dict[str, str],
    *,
    trackers: dict[str, list[str]] | None = None,
    limit: int = 10,
) -> list[CallRequest]:
    """Return the customer's requests in the order they were made (at most `limit`).

    Args:
        transcript: The call transcript (any format `parse_transcript` reads); None gives [].
        speakers: Speaker label to side (`rep`, `customer`, `unknown`), from the analysis.
        trackers: Keyword tracker name to keywords; customer sentences that hit one are
            `need`s (only `security` and `integration` style trackers are meant here).
        limit: The most requests returned.
    """
    if not transcript or not transcript.strip():
        return []
    try:
        turns = parse_transcript(transcript).turns
    except Exception:  # an unreadable transcript has no requests we can find
        return []
    found: list[CallRequest] = []
    seen_topics: set[str] = set()
    for index, turn in enumerate(turns):
        if speakers.get(turn.speaker) != "customer":
            continue
        nxt = turns[index + 1] if index + 1 < len(turns) else None
        rep_next = nxt is not None and speakers.get(nxt.speaker) == "rep"
        answer = _answer(_sentences(nxt.text)) if rep_next and nxt is not None else ""
        prev = turns[index - 1] if index > 0 else None
        sentences = _sentences(turn.text)
        request: CallRequest | None = None
        if (
            prev is not None
            and speakers.get(prev.speaker) == "rep"
            and prev.text.strip().endswith("?")
            and _SCOPING.search(_sentences(prev.text)[-1])
            and sentences
            and not sentences[0].lower().startswith(("no", "not really", "nothing"))
        ):
            request = CallRequest(
                "answer",
                turn.speaker,
                " ".join(sentences[:2]),
                answer=answer,
                prompt=_sentences(prev.text)[-1],
            )
        if request is None:
            for sent in sentences:
                words = sent.split()
                if sent.endswith("?") and len(words) >= 4 and not _SMALL_TALK.search(sent):
                    request = CallRequest("question", turn.speaker, sent, answer=answer)
                    break
                if _ASK.search(sent) and len(words) >= 4:
                    request = CallRequest("ask", turn.speaker, sent, answer=answer)
                    break
        if request is None and trackers:
            for name, keywords in trackers.items():
                if name in seen_topics:
                    continue
                hit = next(
                    (
                        (s, k)
                        for s in sentences
                        for k in keywords
                        if re.search(rf"\b{re.escape(k)}\b", s, re.I)
                    ),
                    None,
                )
                if hit is not None and answer:
                    request = CallRequest("need", turn.speaker, hit[0], answer=answer, topic=hit[1])
                    seen_topics.add(name)
                    break
        if request is not None and all(
            " ".join(request.text.lower().split()) != " ".join(r.text.lower().split())
            for r in found
        ):
            found.append(request)
        if len(found) >= limit:
            break
    return found

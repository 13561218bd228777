"""Weak labels for AMI decisions and commitments, from QMSum's reference answers.

QMSum's annotators wrote, for each AMI meeting, a summary and answers to specific queries
("What did the team decide about the buttons?", "What were the tasks for the next
meeting?"), each specific answer with the `relevant_text_span` of turns it summarises. A
sentence of such an answer that reports a decision ("the team decided on latex covers",
"they all agreed to drop the LCD") or a task ("Marketing would find out the trends for the
next meeting") paraphrases a sentence of the transcript. This module finds that sentence:

1. the answer sentence is typed by its reporting verb (`DECISION_REPORT`, `TASK_REPORT`);
   a decision report that lists several choices ("decided on latex covers, the grey colour
   and yellow buttons") is also split into its items (`report_items`);
2. its content words (role names and reporting words removed, crude 5-letter stems) are
   compared with every transcript sentence inside the answer's span (the general summary:
   the whole meeting), each shared stem weighted by its inverse document frequency in the
   meeting; for a decision only sentences of the form the model scores are compared
   (`meetings.decision_model.is_candidate`), never a question;
3. the best sentence is labelled with the kind when it shares at least `MIN_SHARED` stems
   and `MIN_COVER` of the answer's weight.

Every other sentence of the specific answers' spans that has the candidate form is labelled
`none`, except within `NEAR` turns of a positive (an agreement often spans a few turns) and
except the sentences the rules read as decisions (`find_decisions(..., learned=False)`):
QMSum's answers do not report every decision, and the rules' are mostly real ones (0.85
precision on the tune half), so they are left unlabelled rather than taught as `none`.

The labels are weak. On the tune half of the hand gold (the aligner run on those 12
meetings only to measure it), 3 of the 6 weak decisions inside the gold spans lie within
two turns of a gold decision, 5 within five: an answer's paraphrase often aligns to the
proposal or the discussion rather than the moment of agreement. Task reports are rare (20
answer sentences in 74 meetings, 12 aligned): too few to train a commitment classifier.

The 23 hand-labelled meetings of `evals/ami_actions.py` are excluded entirely: neither their
transcripts nor their QMSum answers are read.

    python -m evals.ami_weak_labels            # counts and a sample of aligned pairs
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FOLDER = "qmsum_ami_product_meetings"
KINDS = ("none", "decision", "commitment")
MIN_SHARED = 2
"""Fewest content stems an answer sentence and its transcript sentence must share."""
MIN_COVER = 0.25
"""Least share of the answer sentence's idf weight the transcript sentence must cover."""
NEAR = 2
"""Turns either side of a positive that are not used as negatives."""
MIN_WORDS = 4
"""Transcript sentences shorter than this are not labelled (fillers, backchannels)."""

DECISION_REPORT = re.compile(
    r"\b(?:decided|decision (?:was|is|had been)|agreed (?:on|upon|to|that|with)|"
    r"(?:all|everyone|everybody|group|team|they|members|mates|both|others)\s+(?:\w+\s+)?agreed|"
    r"settled (?:on|for)|ruled out|went (?:with|for)|chose|opted|came to (?:a|an|the) "
    r"(?:conclusion|agreement|decision)|reached (?:a|an|the) (?:agreement|consensus|decision)|"
    r"concluded|finali[sz]ed|confirmed)\b",
    re.IGNORECASE,
)
NOT_DECIDED = re.compile(
    r"\b(?:(?:have|has|had|need|needed|needs|would|will|failed|fail|didn't|did not|not|yet|"
    r"couldn't|could not|unable) to (?:decide|agree)|(?:hadn't|haven't|wasn't|not|never|"
    r"didn't|couldn't)\s+(?:\w+\s+)?(?:decided|agreed)|before (?:deciding|decision)|"
    r"decide (?:whether|what|which|how|on what)|disagreed|decision-making)\b",
    re.IGNORECASE,
)
TASK_REPORT = re.compile(
    r"\b(?:would|will|was going to|were going to|was supposed to|were supposed to|was to|were to|"
    r"had to|should|needed to|was asked to|were asked to|was assigned|were assigned|"
    r"(?:would be|was|were) (?:responsible|in charge) for|took charge of|assigned)\s+"
    r"(?:\w+\s+){0,3}?(?:work|look|find|prepare|present|research|think|send|make|check|design|"
    r"investigate|come up|draw|write|bring|focus|be responsible|take care|do|explore|get|"
    r"consider|study|figure|report|build|contact|e-?mail|search|gather|collect)\w*\b",
    re.IGNORECASE,
)
TASK_CONTEXT = re.compile(
    r"\bnext meeting|\btask|\bassign|\bresponsib|\baction|\bhomework|\bin charge|"
    r"\bwould (?:work|look|find|prepare|research|investigate|send|think)",
    re.IGNORECASE,
)
_ROLE_WORDS = frozenset(
    """project manager marketing industrial designer designers user interface team group
    members mates meeting meetings decided decide decision agreed agree agreement settled
    chose opted would will also then finally first later next after before that which their
    they them this these those the a an and or of to for on in at with about as by from was
    were be been being had has have into its it it's everyone everybody all both other
    others thought suggested proposed pointed out said asked think during discussion
    discussing discussed talked talking mentioned because so however but since while when
    there should could remote control controls one ones""".split()
)


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower().replace("_", ""))
    return {w[:5] for w in words if len(w) > 2 and w not in _ROLE_WORDS}


def answer_sentences(answer: str) -> list[str]:
    """Split a QMSum answer into sentences."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", answer) if s.strip()]


def report_kind(sentence: str, query: str = "") -> str | None:
    """Return `decision`, `commitment` or None for one sentence of a reference answer."""
    if DECISION_REPORT.search(sentence) and not NOT_DECIDED.search(sentence):
        return "decision"
    if TASK_REPORT.search(sentence) and (
        TASK_CONTEXT.search(sentence) or TASK_CONTEXT.search(query)
    ):
        return "commitment"
    return None


_LIST_SPLIT = re.compile(r",\s*(?:and\s+|as well as\s+)?|\s+(?:and|as well as|plus)\s+")
_SUBORDINATE = re.compile(
    r"^\W*(?:as long as|because|since|which|who|when|while|if|so|though|although|but|"
    r"whereas|unless|until|after|before|as)\b",
    re.IGNORECASE,
)


def report_items(sentence: str) -> list[str]:
    """Return the items a decision report lists, each with the words before its verb.

    "The team decided on latex covers, the gun-metal grey colour, and blue and yellow touch
    buttons" gives the whole sentence and its three items (an item needs `MIN_SHARED`
    content stems of its own to be aligned).
    """
    m = DECISION_REPORT.search(sentence)
    if m is None:
        return [sentence]
    parts = [
        p.strip()
        for p in _LIST_SPLIT.split(sentence[m.end() :])
        if len(_stems(p)) >= MIN_SHARED and not _SUBORDINATE.match(p)
    ]
    return [sentence, *parts] if len(parts) > 1 else [sentence]


@dataclass
class Labelled:
    """One transcript sentence with its weak label."""

    meeting: str
    position: int
    """Index in the meeting's `sentences` list."""
    kind: str
    source: str = ""
    """The answer sentence it was aligned to (positives only)."""


def meeting_units(record: dict[str, Any], mid: str) -> list[Any]:
    """Return the library's sentences of one QMSum meeting (every side `unknown`)."""
    from sales_operator.meetings.extract import sentences
    from sales_operator.meetings.transcript import parse_transcript

    segs = [
        {"speaker": str(t["speaker"]), "text": str(t["content"]), "start": float(i)}
        for i, t in enumerate(record["meeting_transcripts"])
    ]
    transcript = parse_transcript(json.dumps(segs), name=mid, format="json")
    return sentences(transcript, dict.fromkeys(transcript.speakers, "unknown"))


def _spans(raw: list[list[Any]]) -> list[tuple[int, int]]:
    out = []
    for pair in raw:
        try:
            out.append((int(pair[0]), int(pair[1])))
        except (TypeError, ValueError, IndexError):
            continue
    return out


def label_meeting(
    record: dict[str, Any],
    mid: str,
    units: list[Any],
    reports: Counter[str] | None = None,
) -> list[Labelled]:
    """Return the weak labels of one meeting's sentences (positives and span negatives).

    `reports`, when given, counts the answer sentences typed per kind (aligned or not).
    """
    from sales_operator.meetings.decision_model import is_candidate

    reports = reports if reports is not None else Counter()
    stems = [_stems(u.text) for u in units]
    df: Counter[str] = Counter(w for s in stems for w in s)
    n = len(units) or 1

    def idf(w: str) -> float:
        return math.log((n + 1) / (df.get(w, 0) + 1))

    last_turn = units[-1].turn if units else 0
    # (answer, query, spans, whether its spans are labelled: a specific query's are; the
    # summary's "span" is the whole meeting, which is not labelled)
    answers: list[tuple[str, str, list[tuple[int, int]], bool]] = [
        (str(q["answer"]), str(q["query"]), _spans(q.get("relevant_text_span") or []), True)
        for q in record.get("specific_query_list", [])
    ]
    answers += [
        (str(q["answer"]), "", [(0, last_turn)], False)
        for q in record.get("general_query_list", [])
    ]

    def _align(sent: str, inside: list[int], kind: str) -> int | None:
        want = _stems(sent)
        total = sum(idf(w) for w in want)
        if not want or total <= 0:
            return None
        best, best_score = None, 0.0
        for i in inside:
            text = units[i].text
            if units[i].question or len(text.split()) < MIN_WORDS:
                continue
            if kind == "decision" and not is_candidate(text):
                continue  # the model scores only sentences of this form
            shared = want & stems[i]
            if len(shared) < MIN_SHARED:
                continue
            score = sum(idf(w) for w in shared) / total
            if score > best_score:
                best, best_score = i, score
        return best if best_score >= MIN_COVER else None

    positives: dict[int, tuple[str, str]] = {}
    covered: set[int] = set()
    for answer, query, spans, labelled in answers:
        inside = [i for i, u in enumerate(units) if any(a <= u.turn <= b for a, b in spans)]
        if labelled:
            covered.update(inside)
        for whole in answer_sentences(answer):
            kind = report_kind(whole, query)
            if kind is None:
                continue
            reports[kind] += 1
            for sent in report_items(whole) if kind == "decision" else [whole]:
                best = _align(sent, inside, kind)
                if best is not None and best not in positives:
                    positives[best] = (kind, sent)
    from sales_operator.meetings.decisions import find_decisions

    ruled = {(d.quote, d.speaker, d.start) for d in find_decisions(units, learned=False)}
    near = {
        units[i].turn + d for i in positives for d in range(-NEAR, NEAR + 1)
    }  # turns next to a positive: not negatives
    out = [Labelled(mid, i, kind, src) for i, (kind, src) in sorted(positives.items())]
    for i in sorted(covered):
        u = units[i]
        if i in positives or u.turn in near or not is_candidate(u.text):
            continue
        if (u.text, u.speaker, u.start) in ruled:
            continue  # a decision by the rules that no answer reports: unlabelled, not `none`
        out.append(Labelled(mid, i, "none"))
    return out


def excluded_meetings() -> set[str]:
    """Return the 23 hand-labelled meetings (never read here)."""
    from evals.ami_actions import load_gold

    return {r["meeting"] for r in load_gold()}


def weak_material(
    data_dir: Path, reports: Counter[str] | None = None
) -> dict[str, tuple[list[Any], list[Labelled]]]:
    """Return `{meeting: (sentences, labels)}` for every QMSum AMI meeting not hand-labelled.

    `reports`, when given, counts the answer sentences typed per kind.
    """
    folder = data_dir / FOLDER / "meetings"
    skip = excluded_meetings()
    out: dict[str, tuple[list[Any], list[Labelled]]] = {}
    for path in sorted(folder.glob("*.json")):
        mid = path.stem
        if mid in skip:
            continue
        record = json.loads(path.read_text("utf-8"))
        units = meeting_units(record, mid)
        out[mid] = (units, label_meeting(record, mid, units, reports))
    return out


def main() -> None:
    """Print the label counts and a sample of aligned pairs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    reports: Counter[str] = Counter()
    material = weak_material(args.data, reports)
    counts: Counter[str] = Counter(lab.kind for _, labs in material.values() for lab in labs)
    print(
        f"{len(material)} meetings; answer sentences typed: {dict(reports)}; labels: {dict(counts)}"
    )
    rng = random.Random(7)
    pos = [(units, lab) for units, labs in material.values() for lab in labs if lab.kind != "none"]
    for units, lab in rng.sample(pos, min(args.sample, len(pos))):
        print(f"[{lab.kind}] {lab.meeting}: {lab.source}\n    -> {units[lab.position].text}")


if __name__ == "__main__":
    main()

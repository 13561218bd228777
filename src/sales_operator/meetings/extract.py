"""What was said on a call: pains, objections, risks, triggers, commitments.

`CallExtraction` is the schema both engines fill. The language-model engine fills it in one
structured call (prompt `meetings/extract`); `extract_offline` fills it with cue phrases,
extractively: every item quotes the sentence it rests on, so the offline engine is useful on
its own and its output can be checked against the transcript.

The offline rules, in short:

* Pains, objections, risks and buying triggers come from customer-side statements (never
  from questions, never from the rep's paraphrase). A sentence is classified by its first
  matching cue list, in the order objection, risk, pain, trigger; a cue preceded by a
  negation ("not a problem", "haven't missed") does not count. Adjacent sentences of one
  kind in one turn form one item; items of one kind that share most of their words are
  kept once; an item needs a few content words to stand on its own.
* A commitment is a sentence with a commitment cue ("I'll", "we will", "let me", "I can
  send", "I'm going to") *and* a due phrase ("by Friday", "next Tuesday"); the owner is the
  speaker. Its text is the clause after the cue without the due phrase, with first names
  expanded to the full names the caller knows and an apposition ("Marcus, our CRO,")
  turned into "Marcus Chen (CRO)"; its title is a short imperative derived from the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from sales_operator.meetings.dates import find_due, resolve_due_phrase
from sales_operator.meetings.transcript import Transcript

__all__ = [
    "CallExtraction",
    "ExtractedCommitment",
    "ExtractedInsight",
    "Sentence",
    "classify",
    "commitment_title",
    "content_words",
    "extract_offline",
    "sentences",
    "split_sentences",
]


# --- the schema both engines fill -----------------------------------------------------------


class _Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", use_attribute_docstrings=True)


class ExtractedInsight(_Schema):
    """A pain, objection, risk or buying trigger, with the words it rests on."""

    text: str
    """The insight in one short line, in plain words."""
    quote: str
    """The sentence(s) from the transcript that show it, copied verbatim."""
    speaker: str
    """The speaker of the quote, exactly as labelled in the transcript."""


class ExtractedCommitment(_Schema):
    """A next step somebody on the call committed to."""

    owner: str
    """The speaker who committed, exactly as labelled in the transcript."""
    title: str
    """A short imperative task title of 2-6 words, e.g. 'Send pricing proposal'."""
    text: str
    """What they committed to, as one imperative sentence with full names where known."""
    due: str | None = None
    """The due date as said ('by Friday', 'next Tuesday'), or an ISO date; null if none."""
    quote: str
    """The sentence from the transcript with the commitment, copied verbatim."""


class CallExtraction(_Schema):
    """Everything extracted from one sales call."""

    pains: list[ExtractedInsight] = Field(default_factory=list)
    """Problems the customer described in their current way of working."""
    objections: list[ExtractedInsight] = Field(default_factory=list)
    """Customer concerns or pushback about buying (price, risk, fit, incumbents)."""
    risks: list[ExtractedInsight] = Field(default_factory=list)
    """Things that could stall or lose the deal (approvals, freezes, delays)."""
    triggers: list[ExtractedInsight] = Field(default_factory=list)
    """Events that create urgency to buy (growth, new leaders, deadlines)."""
    commitments: list[ExtractedCommitment] = Field(default_factory=list)
    """Next steps somebody committed to, with their due dates."""
    decision_makers: list[str] = Field(default_factory=list)
    """People named as deciding or signing off, as 'Full Name (Title)' when known."""
    summary: str = ""
    """Three to five sentences summarising the call for the CRM."""


# --- sentences ------------------------------------------------------------------------------

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "vs", "etc", "inc", "ltd", "co", "approx", "jr"}
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)]*\s+")


def split_sentences(text: str) -> list[str]:
    """Split a turn into sentences (on `.`, `!` or `?` followed by a space)."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        head = text[start : m.start()]
        last = head.rsplit(None, 1)[-1].lower() if head.strip() else ""
        if m.group().startswith(".") and (last in _ABBREVIATIONS or re.fullmatch(r"\w", last)):
            continue  # "Mr. Chen", "e.g. this", "J. Smith"
        following = text[m.end() : m.end() + 1]
        if following and following.islower():
            continue  # "approx. ten", "91.5" never splits; a lower-case start is a fragment
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


@dataclass(frozen=True)
class Sentence:
    """One sentence of one turn, with who said it."""

    turn: int
    """Index of the turn in the transcript."""
    index: int
    """Index of the sentence within the turn."""
    speaker: str
    """The speaker label."""
    side: str
    """`rep`, `customer` or `unknown`."""
    text: str
    """The sentence as spoken."""
    start: float | None
    """Start of the turn in seconds, when known."""

    @property
    def question(self) -> bool:
        """Whether the sentence is a question."""
        return self.text.rstrip("\"'”’) ").endswith("?")


def sentences(transcript: Transcript, sides: Mapping[str, str]) -> list[Sentence]:
    """Return every sentence of the transcript with its speaker and side."""
    out: list[Sentence] = []
    for ti, turn in enumerate(transcript.turns):
        side = sides.get(turn.speaker, "unknown")
        for si, text in enumerate(split_sentences(turn.text)):
            out.append(Sentence(ti, si, turn.speaker, side, text, turn.start))
    return out


_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each few for from further had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how how's i
    i'd i'll i'm i've if in into is isn't it it's its itself just let's like me more most
    mustn't my myself no nor not of off on once only or other ought our ours ourselves out
    over own really right same she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up us very was wasn't we we'd we'll
    we're we've well were weren't what what's when when's where where's which while who who's
    whom why why's will with won't would wouldn't yeah yes you you'd you'll you're you've your
    yours yourself yourselves okay ok honestly basically actually thing things one lot get got
    going gonna want know think mean kind sort bit pretty every""".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _norm(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def content_words(text: str) -> set[str]:
    """Return the lower-cased words of `text` that carry meaning (no stop words)."""
    return {w for w in _WORD.findall(_norm(text).lower()) if w not in _STOPWORDS and len(w) > 2}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


# --- cue lists ------------------------------------------------------------------------------


def _cues(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


OBJECTION_CUES = _cues(
    r"\btoo (?:expensive|pricey|costly|much|high|complex|complicated|long|risky|early)\b",
    r"\bexpensive\b",
    r"\bconcern(?:s|ed)?\b",
    r"\bnot (?:sure|convinced)\b",
    r"\bworr(?:y|ied|ies|ying)\b",
    r"\balready (?:use|using|have|pay for|work with|signed)\b",
    r"\b(?:tight|limited|no|over(?: the| our)?|outside(?: the| our)?|beyond(?: the| our)?) budget",
    r"\bbudgets? (?:is|are) (?:tight|limited|spent|gone|frozen|small)\b",
    r"\bmore than (?:we|I) (?:budgeted|planned|expected|pay|spend|wanted)\b",
    r"\b(?:hesitant|hesitat\w*|skeptic\w*|sceptic\w*|doubts?|pushback|deal[- ]?breaker)\b",
    r"\bdon't see (?:the value|how|why)\b",
    r"\bcheaper\b",
    r"\bburned before\b|\bbeen burned\b",
)
RISK_CUES = _cues(
    r"\bon hold\b|\bfreeze\b|\bfrozen\b",
    r"\bnot a (?:top |high )?priority\b|\b(?:competing|other) priorities\b",
    r"\breorg\w*|\brestructur\w*|\blayoffs?\b",
    r"\bdelay(?:ed|s)?\b|\bpush(?:ed)? (?:back|out)\b|\bslipp?(?:ed|ing)\b",
    r"\blocked in(?:to)?\b|\bunder contract\b",
    r"\bprocurement\b|\blegal review\b|\bsecurity review\b",
    r"\bsign[- ]?off\b|\bsigns? off\b|\bneeds? (?:the )?approval\b|\bapproval from\b",
    r"\bleaving the company\b|\bchampion (?:left|is leaving)\b",
)
PAIN_CUES = _cues(
    r"\bwe spend\b|\bspends?\s+(?:about |around |roughly |over |nearly |almost |up to )?"
    r"(?:\w+ )?(?:hours?|days?|half)\b",
    r"\btakes? us\b|\btaking us\b|\btook us\b",
    r"\bmanual(?:ly)?\b|\bby hand\b|\bre-?key\w*",
    r"\bspreadsheets?\b|\bexcel\b",
    r"\bstruggl\w*",
    r"\bproblems?\b|\bissues?\b",
    r"\bpain(?:ful| points?)?\b",
    r"\bmiss(?:ed|ing|es)?\b",
    r"\bno (?:\w+ )?(?:visibility|insight|view|way to)\b|\bblind\b",
    r"\bcan't\b|\bcannot\b|\bcan not\b|\bunable to\b",
    r"\bfrustrat\w*",
    r"\bcost(?:s|ing)? us\b",
    r"\bwast(?:e|es|ed|ing)\b",
    r"\bbottlenecks?\b|\bheadaches?\b|\berror[- ]prone\b|\binefficien\w*|\bbroken\b",
    r"\btoo slow\b|\bslow down\b",
    r"\bchasing\b|\blate deliver\w*",
    r"\blos(?:e|es|ing|t) (?:\w+ )?(?:hours|time|money|customers|deals|track)\b",
    r"\bcomplain\w*",
    r"\bchalleng\w*|\btedious\b|\btime[- ]consuming\b|\bnightmare\b|\bcumbersome\b|\bclunky\b",
    r"\bhard to\b|\bdifficult\b",
)
TRIGGER_CUES = _cues(
    r"\bgrow(?:ing|th)?\b|\bexpan(?:d|ding|sion)\b|\bscal(?:e|ing) up\b",
    r"\bnew (?:distribution|warehouse|hub|site|location|market|region|depot|facility|"
    r"cro|ceo|cfo|coo|vp|head|leadership)",
    r"\bopen(?:ing|s)? (?:\w+ )?(?:new|distribution|centres?|centers?|sites?|hubs?|"
    r"warehouses?|depots?)\b",
    r"\bhiring\b|\bacqui(?:red|sition)\b|\bmerger\b|\bjust joined\b",
    r"\bmandate\b|\bdeadline\b|\b(?:first|top) priority\b|\bpriority this year\b",
    r"\bpeak season\b",
    r"\bcontract (?:ends|expires|is up|renews)\b|\bbudget (?:approved|allocated)\b",
)
_KIND_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("objection", OBJECTION_CUES),
    ("risk", RISK_CUES),
    ("pain", PAIN_CUES),
    ("trigger", TRIGGER_CUES),
)
# Phrases that contain a cue but never carry one ("no problem", "can't wait").
_NEUTRAL = _cues(
    r"\bno (?:problem|problems|issue|issues|worries|concerns?)\b",
    r"\bcan't (?:wait|complain|remember|thank|stress|emphasi[sz]e|hear|see (?:you|your|the) "
    r"screen)\b",
    r"\bpain in the\b",
    r"\b(?:not|never) (?:an? )?(?:\w+ )?(?:problem|issue)\b",
)
_NEGATORS = frozenset(
    """no not never isn't wasn't aren't weren't don't doesn't didn't haven't hasn't hadn't
    without won't wouldn't hardly barely nothing nobody""".split()
)

COMMITMENT_CUES = re.compile(
    r"\b(?:I'll|I will|I shall|we'll|we will|I'm going to|I am going to|I'm gonna|"
    r"we're going to|we are going to|we're gonna|let me|let us|"
    r"(?:I|we) can(?=\s+(?:send|share|get|have|set up|book|schedule|forward|email|intro\w*)\b))\s+",
    re.IGNORECASE,
)
_NOT_A_COMMITMENT = re.compile(
    r"^(?:be (?:honest|frank|out|away|off|on (?:vacation|holiday|leave|pto)|travel\w*|in|at|"
    r"there|back|around|happy|glad|fine|able)|have to see|see\b|think\b|know\b|admit\b|say\b)",
    re.IGNORECASE,
)


def _negated(text: str, start: int) -> bool:
    before = _WORD.findall(_norm(text[:start]).lower())[-3:]
    clause_break = re.search(r"[,;:]\s*[^,;:]*$", text[:start])
    if clause_break is not None:
        before = _WORD.findall(_norm(clause_break.group()).lower())[-3:]
    return any(w in _NEGATORS or w.endswith("n't") for w in before)


def _cue_hit(pattern: re.Pattern[str], text: str) -> bool:
    masked = _NEUTRAL.sub(lambda m: " " * len(m.group()), _norm(text))
    return any(not _negated(masked, m.start()) for m in pattern.finditer(masked))


# A statement that reassures ("that's not really an issue for us") raises nothing.
_REASSURANCE = _cues(
    r"\b(?:not|never|isn't|wasn't|won't be)\s+(?:really\s+|much\s+of\s+|that\s+)?(?:an?\s+)?"
    r"(?:big\s+|real\s+|major\s+)?(?:problem|issue|concern|worry|risk|blocker)s?\b",
    r"\bno (?:problem|issue|concern|worry|risk|blocker)s?\b",
)


def classify(sentence: str) -> str | None:
    """Return `objection`, `risk`, `pain` or `trigger` for a statement, or None.

    A sentence that reassures ("that's not really an issue for us") is none of them.
    """
    if _REASSURANCE.search(_norm(sentence)):
        return None
    for kind, pattern in _KIND_CUES:
        if _cue_hit(pattern, sentence):
            return kind
    return None


# --- cleaning -------------------------------------------------------------------------------

_FILLER = re.compile(
    r"^(?:(?:and|but|so|well|yeah|yes|yep|okay|ok|look|honestly|frankly|basically|right|"
    r"i mean|to be honest|to be fair|sure|oh|um|uh|like|also|plus|then)\b[,\s]*)+",
    re.IGNORECASE,
)


def _clean(text: str) -> str:
    t = _FILLER.sub("", text.strip()).strip()
    return t[:1].upper() + t[1:] if t else text.strip()


# --- insights -------------------------------------------------------------------------------


def _insights(units: list[Sentence]) -> dict[str, list[ExtractedInsight]]:
    groups: list[tuple[str, list[Sentence]]] = []
    for s in units:
        if s.side != "customer" or s.question:
            continue
        kind = classify(s.text)
        if kind is None:
            continue
        last = groups[-1] if groups else None
        if (
            last is not None
            and last[0] == kind
            and last[1][-1].turn == s.turn
            and s.index - last[1][-1].index == 1
        ):
            last[1].append(s)
        else:
            groups.append((kind, [s]))
    out: dict[str, list[ExtractedInsight]] = {k: [] for k, _ in _KIND_CUES}
    kept_words: dict[str, list[set[str]]] = {k: [] for k, _ in _KIND_CUES}
    for kind, group in groups:
        words = set().union(*(content_words(s.text) for s in group))
        if len(words) < 3:
            continue
        if any(_jaccard(words, other) >= 0.5 for other in kept_words[kind]):
            continue
        kept_words[kind].append(words)
        # The first sentence that says something on its own, else the wordiest one.
        best = next(
            (s for s in group if len(content_words(s.text)) >= 5),
            max(group, key=lambda s: len(content_words(s.text))),
        )
        out[kind].append(
            ExtractedInsight(
                text=_clean(best.text),
                quote=" ".join(s.text for s in group),
                speaker=group[0].speaker,
            )
        )
    return out


# --- names ----------------------------------------------------------------------------------


def _first_names(known: Iterable[str]) -> dict[str, str]:
    """Map a first name to the one full name it abbreviates (ambiguous names dropped)."""
    seen: dict[str, set[str]] = {}
    for full in known:
        parts = full.split()
        if len(parts) >= 2:
            seen.setdefault(parts[0].lower(), set()).add(" ".join(parts))
    return {first: next(iter(fulls)) for first, fulls in seen.items() if len(fulls) == 1}


_TITLE_WORDS = r"[A-Za-z][\w&'-]*(?:\s+(?:of|for|and|&)?\s*[A-Za-z][\w&'-]*){0,3}"
_NAME = r"[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?"
_APPOSITION = re.compile(
    rf"\b(?P<name>{_NAME}),\s+(?:our|my|the|their|his|her)\s+"
    rf"(?:new\s+)?(?P<title>{_TITLE_WORDS}?)\s*(?:,|(?=[.;!?])|$|(?=\s+(?:and|who|to|so|for)\b))"
)
_REVERSE_APPOSITION = re.compile(
    rf"\b(?:our|my|the|their|his|her)\s+(?:new\s+)?(?P<title>{_TITLE_WORDS}?),\s+"
    rf"(?P<name>{_NAME})\b,?"
)
_ROLE = re.compile(
    r"\b(?:CEO|CFO|COO|CRO|CTO|CIO|CPO|CISO|VP|SVP|EVP|President|Chief|Head|Director|Manager|"
    r"Lead|Officer|Controller|Owner|Founder|Engineer|Analyst|Admin\w*|Buyer|Counsel|Partner|"
    r"Coordinator|Supervisor|Specialist|Architect)\b",
    re.IGNORECASE,
)


def _appositions(text: str) -> list[tuple[re.Match[str], str, str]]:
    """Return (match, name, title) for "Name, our Title," and "our Title, Name"."""
    found = []
    for pattern in (_APPOSITION, _REVERSE_APPOSITION):
        for m in pattern.finditer(text):
            title = m.group("title").strip()
            if _ROLE.search(title):
                found.append((m, m.group("name"), title))
    return found


def _expand_names(text: str, known: Iterable[str]) -> str:
    """Expand first names to full names and "Name, our CRO," to "Full Name (CRO)"."""
    known = list(known)
    firsts = _first_names(known)

    def full(name: str) -> str:
        parts = name.split()
        if len(parts) == 1 and parts[0].lower() in firsts:
            return firsts[parts[0].lower()]
        return name

    known_lower = {k.lower() for k in known}

    for m, name, title in sorted(_appositions(text), key=lambda f: -f[0].start()):
        name = full(name)
        if name.lower() in known_lower:
            tail = "," if m.group().endswith(",") and m.re is _REVERSE_APPOSITION else ""
            text = f"{text[: m.start()]}{name} ({title}){tail}{text[m.end() :]}"
    for first, name in firsts.items():
        last = name.split(None, 1)[1]
        text = re.sub(
            rf"\b{re.escape(first)}\b(?!\s+{re.escape(last)}\b)",
            name,
            text,
            flags=re.IGNORECASE,
        )
    return text


# --- commitments ----------------------------------------------------------------------------

_CALL_WITH = re.compile(
    r",?\s+and\s+(?:set\s+up|schedule|book|arrange)\s+(?:a|an)\s+(?P<what>call|meeting|demo|"
    r"session|review)\s+with\s+(?:him|her|them|us|me)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"\s*(?:[;:—–]|\s-\s|,?\s+and\s+(?=(?:you|he|she|they|we|I|it)\b)|"
    r",?\s+(?:so that|so|because|since|but|which|while|once|when|if|"
    r"as long as|as soon as|assuming)\b)",
    re.IGNORECASE,
)
_INDIRECT_OBJECT = re.compile(
    r"\b(send|share|email|forward|give|show|get)\s+(?:you guys|you all|y'all|you|over)\s+",
    re.IGNORECASE,
)
_VERBS = (
    "send share set schedule book loop follow get put check review introduce talk call email "
    "circle come confirm prepare draft run pull walk sign ask bring make give update forward "
    "invite reach connect organise organize arrange line build write take start kick"
).split()
_AND_VERB = re.compile(rf",?\s+and\s+(?=(?:{'|'.join(_VERBS)})\b)", re.IGNORECASE)
_TITLE_TAIL = re.compile(
    r"\s+(?:with|for|to discuss|to talk|to review|to walk|so|because|once|when|after)\b.*$",
    re.IGNORECASE,
)
_DETERMINERS = re.compile(r"\b(?:the|a|an|your|our|my|his|her|their|some|this|that)\s+", re.I)


def _tidy(text: str) -> str:
    t = re.sub(r"\s+([,.;!?])", r"\1", " ".join(text.split()))
    t = re.sub(r",\s*,", ",", t).strip(" ,;:-")
    t = t.rstrip(".!?").strip(" ,")
    return t[:1].upper() + t[1:] if t else t


def commitment_title(text: str) -> str:
    """Derive a short imperative task title from a commitment's text.

    "Loop in Marcus Chen (CRO) and set up a call with him" becomes "Loop in CRO";
    "Send the ROI model and a pricing proposal" becomes "Send ROI model and pricing proposal".
    """
    t = re.sub(r"\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*\s+\(([^)]+)\)", r"\1", text)
    t = _AND_VERB.split(t, maxsplit=1)[0]
    t = _TITLE_TAIL.sub("", t)
    t = _INDIRECT_OBJECT.sub(r"\1 ", t)
    t = _DETERMINERS.sub("", t)
    words = _tidy(t).split()
    return " ".join(words[:8])


def _commitment(s: Sentence, call_date: date, known: Iterable[str]) -> ExtractedCommitment | None:
    text = _norm(s.text)
    if s.question:
        return None
    for cue in COMMITMENT_CUES.finditer(text):
        rest = text[cue.end() :]
        if _NOT_A_COMMITMENT.match(rest):
            continue
        due = find_due(text, call_date)
        if due is None:
            return None
        clause = rest
        if due.start >= cue.end():
            a, b = due.start - cue.end(), due.end - cue.end()
            clause = f"{rest[:a]} {rest[b:]}"
        clause = _CALL_WITH.sub(lambda m: f" for a {m.group('what').lower()}", clause)
        clause = _CLAUSE_END.split(clause, maxsplit=1)[0]
        clause = _INDIRECT_OBJECT.sub(r"\1 ", clause)
        body = _tidy(_expand_names(clause, known))
        if len(body.split()) < 2:
            continue
        return ExtractedCommitment(
            owner=s.speaker,
            title=commitment_title(body),
            text=body,
            due=due.phrase,
            quote=s.text,
        )
    return None


def _commitments(
    units: list[Sentence], call_date: date, known: Iterable[str]
) -> list[ExtractedCommitment]:
    kept: list[tuple[ExtractedCommitment, date | None, set[str]]] = []
    for s in units:
        c = _commitment(s, call_date, known)
        if c is None:
            continue
        due = resolve_due_phrase(c.due or "", call_date)
        words = content_words(c.text)
        duplicate = any(
            other.owner == c.owner
            and (
                (other_due == due and _jaccard(words, other_words) >= 0.2)
                or _jaccard(words, other_words) >= 0.5
            )
            for other, other_due, other_words in kept
        )
        if not duplicate:
            kept.append((c, due, words))
    return [c for c, _, _ in kept]


# --- decision makers ------------------------------------------------------------------------

_DECISION = _cues(
    r"\bsign[- ]?off\b|\bsigns? off\b|\bapprov\w*|\bdecision\w*|\bdecides?\b|\bfinal say\b",
    r"\bbudget holder\b|\beconomic buyer\b|\bowns? the budget\b",
)
_SENIOR = re.compile(
    r"\b(?:CEO|CFO|COO|CRO|CTO|CIO|CPO|VP|SVP|EVP|President|Chief|Head of|Director|Owner)\b"
)


def _decision_makers(units: list[Sentence], customers: Iterable[str]) -> list[str]:
    customers = [c for c in customers if c.strip()]
    firsts = _first_names(customers)
    titles: dict[str, str] = {}
    for s in units:
        for _, name, title in _appositions(_norm(s.text)):
            full = firsts.get(name.lower(), name) if len(name.split()) == 1 else name
            titles.setdefault(full.lower(), title)
    found: list[str] = []
    for s in units:
        text = _norm(s.text)
        decisive = _DECISION.search(text) is not None
        for full in customers:
            alternatives = [re.escape(full)]
            first = full.split()[0]
            if firsts.get(first.lower()) == full:
                alternatives.append(re.escape(first))
            mention = re.search(rf"\b(?:{'|'.join(alternatives)})\b", text, re.IGNORECASE)
            if mention is None:
                continue
            known_title = titles.get(full.lower())
            senior = known_title is not None and _SENIOR.search(known_title) is not None
            if not (decisive or senior):
                continue
            label = f"{full} ({known_title})" if known_title else full
            if all(not f.startswith(full) for f in found):
                found.append(label)
    return found


# --- the offline engine ---------------------------------------------------------------------


def extract_offline(
    transcript: Transcript,
    *,
    call_date: date,
    sides: Mapping[str, str],
    rep_names: Iterable[str] = (),
    customer_names: Iterable[str] = (),
) -> CallExtraction:
    """Extract pains, objections, risks, triggers and commitments with cue phrases.

    Args:
        transcript: The parsed call.
        call_date: The date of the call; due phrases are resolved against it.
        sides: Speaker label to `rep`, `customer` or `unknown`.
        rep_names: Full names of our reps (for name expansion).
        customer_names: Full names of the customer's contacts.

    Returns:
        The extraction, without a summary (the caller writes it from the metrics).
    """
    units = sentences(transcript, sides)
    known = [*rep_names, *customer_names]
    found = _insights(units)
    return CallExtraction(
        pains=found["pain"],
        objections=found["objection"],
        risks=found["risk"],
        triggers=found["trigger"],
        commitments=_commitments(units, call_date, known),
        decision_makers=_decision_makers(units, customer_names),
    )

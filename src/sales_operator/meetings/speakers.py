"""Who is speaking: transcript speaker labels mapped to the call's participants.

A `Participant` is a person known to be on the call, with the side of the table they sit on.
Participants come from three places (`participants`):

* CRM contacts of the account: the `customer` side;
* our own people (CRM reps, or anyone with an email at one of the policy's
  `company.rep_email_domains`): the `rep` side;
* calendar attendees (`"Name <email>"` or a bare address): the email's domain decides the
  side (ours: `rep`, any other: `customer`); an attendee without an email has no side.

`map_speakers` then places every speaker label, and never guesses:

1. a label equal to a participant's email (an email of nobody known: its domain decides,
   when our domains are given), or to their full name (case-insensitive, a
   parenthesis such as "(Orbital Freight)" ignored), is that participant;
2. a one-word label equal to the first name of exactly one participant is that participant;
   when several participants share the first name and all sit on one side, the side is known
   but the person is not; across sides it is `unknown`;
3. anything else ("SPEAKER_00", "Speaker 1", a last name, an initial) is `unknown`.

A full name listed on both sides is `unknown` too.

Then, for the labels still `unknown` (issue 9, item 6), in order:

4. the side the export itself states (Gong's `affiliation`: `Transcript.sides`);
5. content cues in the speaker's own turns: "our team at <company>", "here at <company>",
   "I'm Dana from <company>", "I work for <company>" name our company (`own_names`, or our
   mail domains: rep) or the customer's (`customer_orgs`, or the mail domains of the known
   customer participants, free-mail domains aside: customer); another company places nobody;
6. on a two-party call (two labels, "Unknown speaker" aside), when one side is known the
   other speaker sits on the other side ("with only `--rep`, the other person is the
   customer").

Every match says how it was made (`mapped_by`) and how sure it is (`confidence`, 0 to 1);
`participant_rows` gives the JSON rows (see /work/notes/participants-contract.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

__all__ = [
    "ACCOUNT_CUE_CONFIDENCE",
    "CONFIDENCE",
    "MappedBy",
    "Participant",
    "Side",
    "SpeakerMatch",
    "map_speakers",
    "parse_attendee",
    "participant_rows",
    "participants",
    "speaker_side",
    "speaker_sides_from",
]

Side = Literal["rep", "customer", "unknown"]
"""Which side of the table a speaker sits on."""


@dataclass(frozen=True)
class Participant:
    """A person known to be on the call."""

    name: str
    """Full name ("" when only the email is known)."""
    email: str | None = None
    """Email address, lower-cased, when known."""
    side: Side = "unknown"
    """Which side they sit on."""
    source: str = "given"
    """Where they came from: `crm_contact`, `crm_rep`, `calendar`, `given`."""


MappedBy = Literal[
    "email",
    "email_domain",
    "full_name",
    "first_name",
    "first_name_one_side",
    "export",
    "content_cue",
    "two_party_rest",
    "none",
]
"""How a speaker label was placed."""

CONFIDENCE: dict[str, float] = {
    "email": 0.99,
    "full_name": 0.95,
    "email_domain": 0.9,
    "export": 0.9,
    "first_name": 0.85,
    "two_party_rest": 0.8,
    "first_name_one_side": 0.75,
    "content_cue": 0.6,
    "none": 0.0,
}
"""How sure each kind of placement is (a fixed scale, not a fitted probability)."""
ACCOUNT_CUE_CONFIDENCE = 0.7
"""A content cue naming the CRM account itself ("here at Acme Logistics", "at Acme, we ...")
is surer than one read from a mail domain (`CONFIDENCE["content_cue"]`)."""

_MAPPED_BY: dict[str, MappedBy] = {
    "email": "email",
    "email domain": "email_domain",
    "full name": "full_name",
    "first name": "first_name",
    "first name shared on one side": "first_name_one_side",
}


@dataclass(frozen=True)
class SpeakerMatch:
    """Where one speaker label was placed, and why."""

    speaker: str
    """The label as written in the transcript."""
    side: Side
    """The side, `unknown` when the mapping cannot place the speaker."""
    participant: Participant | None
    """The person, when exactly one matches."""
    reason: str
    """How the label was matched (`email`, `full name`, `first name`, or why not)."""
    mapped_by: MappedBy | None = None
    """The kind of placement (see `CONFIDENCE`); derived from `reason` when not given."""
    confidence: float | None = None
    """How sure the placement is, 0 to 1; `CONFIDENCE[mapped_by]` when not given."""

    def __post_init__(self) -> None:
        if self.mapped_by is None:
            kind = _MAPPED_BY.get(self.reason, "none") if self.side != "unknown" else "none"
            object.__setattr__(self, "mapped_by", kind)
        if self.confidence is None:
            object.__setattr__(self, "confidence", CONFIDENCE[self.mapped_by or "none"])


_PARENTHESISED = re.compile(r"\([^)]*\)")


def _norm_name(name: str) -> str:
    name = _PARENTHESISED.sub(" ", name)
    return " ".join(name.replace("’", "'").strip(" .,:;-").lower().split())


_ATTENDEE = re.compile(r"^\s*(?:\"?(?P<name>[^<\"]*?)\"?\s*)?<(?P<email>[^<>\s]+@[^<>\s]+)>\s*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_attendee(value: str) -> tuple[str, str | None]:
    """Split a calendar attendee into (name, email).

    Accepts `Dana Whitfield <dana@x.com>`, a bare `dana@x.com` (name ""), or a bare name
    (email None).
    """
    m = _ATTENDEE.match(value)
    if m is not None:
        return " ".join((m.group("name") or "").split()), m.group("email").lower()
    text = value.strip()
    if _EMAIL.match(text):
        return "", text.lower()
    return " ".join(text.split()), None


def _domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].lower()


def participants(
    *,
    contacts: Iterable[Any] = (),
    reps: Iterable[Any] = (),
    attendees: Iterable[str | tuple[str, str | None]] = (),
    rep_names: Iterable[str] = (),
    customer_names: Iterable[str] = (),
    rep_email_domains: Iterable[str] = (),
    people: Iterable[Participant] = (),
) -> list[Participant]:
    """Collect the call's participants from the CRM, the calendar and plain names.

    Args:
        contacts: CRM contacts of the account (objects with `name` and `email`): customers.
        reps: Our own people (objects with `name` and `email`, e.g. `Rep`); queues skipped.
        attendees: Calendar attendees, as `"Name <email>"`, a bare email, or (name, email).
        rep_names: Names known to be ours.
        customer_names: Names known to be the customer's.
        rep_email_domains: Our email domains (the policy's `company.rep_email_domains`);
            an attendee or contact with such an address is on the `rep` side.
        people: Participants collected before (an earlier call of this function).

    Returns:
        The participants, de-duplicated by email (or by name when there is no email): a
        person known on one side and without a side elsewhere is on that side; a person
        on both sides is `unknown`.
    """
    ours = {d.lower().lstrip("@") for d in rep_email_domains}

    def by_domain(email: str | None, default: Side) -> Side:
        domain = _domain(email)
        if domain is None:
            return default
        return "rep" if domain in ours else "customer"

    out: list[Participant] = list(people)
    for r in reps:
        if getattr(r, "role", None) == "queue":
            continue
        email = getattr(r, "email", None)
        out.append(Participant(r.name, email.lower() if email else None, "rep", "crm_rep"))
    for c in contacts:
        email = getattr(c, "email", None)
        side = by_domain(email, "customer") if ours else "customer"
        out.append(Participant(c.name, email.lower() if email else None, side, "crm_contact"))
    for a in attendees:
        name, email = parse_attendee(a) if isinstance(a, str) else (a[0], a[1])
        email = email.lower() if email else None
        out.append(Participant(name, email, by_domain(email, "unknown"), "calendar"))
    out += [Participant(n, None, "rep", "given") for n in rep_names if n.strip()]
    out += [Participant(n, None, "customer", "given") for n in customer_names if n.strip()]
    return _dedupe(out)


def _dedupe(people: list[Participant]) -> list[Participant]:
    """Merge participants naming the same person (same email, or same name and no email)."""
    merged: dict[str, Participant] = {}
    for p in people:
        key = p.email or f"name:{_norm_name(p.name)}"
        if not p.email:
            same = next(
                (k for k, q in merged.items() if _norm_name(q.name) == _norm_name(p.name)), None
            )
            key = same or key
        q = merged.get(key)
        if q is None:
            merged[key] = p
            continue
        side: Side = q.side
        if q.side == "unknown":
            side = p.side
        elif p.side not in ("unknown", q.side):
            side = "unknown"  # one person on both sides: never guessed
        merged[key] = Participant(q.name or p.name, q.email or p.email, side, q.source)
    return [p for p in merged.values() if p.name or p.email]


def _match(
    label: str, people: Sequence[Participant], rep_email_domains: Iterable[str] = ()
) -> SpeakerMatch:
    raw = label.strip()
    if _EMAIL.match(raw):
        email = raw.lower()
        hit = [p for p in people if p.email == email]
        if len(hit) == 1:
            return SpeakerMatch(label, hit[0].side, hit[0], "email")
        ours = {d.lower().lstrip("@") for d in rep_email_domains}
        if ours:
            side: Side = "rep" if _domain(email) in ours else "customer"
            return SpeakerMatch(label, side, None, "email domain")
        return SpeakerMatch(label, "unknown", None, "email of nobody known")
    norm = _norm_name(label)
    if not norm:
        return SpeakerMatch(label, "unknown", None, "empty label")
    full = [p for p in people if p.name and _norm_name(p.name) == norm]
    if full:
        sides = {p.side for p in full}
        if len(sides) == 1:
            only = full[0] if len(full) == 1 else None
            return SpeakerMatch(label, full[0].side, only, "full name")
        return SpeakerMatch(label, "unknown", None, "full name on both sides")
    if " " not in norm:
        first = [p for p in people if p.name and _norm_name(p.name).split()[0] == norm]
        if len(first) == 1:
            return SpeakerMatch(label, first[0].side, first[0], "first name")
        if first:
            sides = {p.side for p in first}
            if len(sides) == 1:
                return SpeakerMatch(label, first[0].side, None, "first name shared on one side")
            return SpeakerMatch(label, "unknown", None, "first name shared across sides")
    return SpeakerMatch(label, "unknown", None, "no participant matches")


_UNPLACED = ("no participant matches", "email of nobody known", "empty label")
_ORG_LEAD = re.compile(
    r"\b(?:(?:our|my)\s+(?:team|folks|people|side)\s+(?:over\s+)?at|(?:here|we)\s+at|"
    r"i(?:'m|\s+am)\s+[\w.'-]+(?:\s+[\w.'-]+)?\s+(?:from|with|at)|"
    r"this\s+is\s+[\w.'-]+(?:\s+[\w.'-]+)?\s+(?:from|with|at)|"
    r"i\s+(?:work|am)\s+(?:at|for|with)|we(?:'re|\s+are)\s+(?:from|at))\s+",
    re.IGNORECASE,
)


_NOT_ORG_CHARS = re.compile(r"[^\w&]+")


def _org_key(name: str) -> str:
    return " ".join(_NOT_ORG_CHARS.sub(" ", name.lower()).split())


_FREE_MAIL = {"gmail", "googlemail", "outlook", "hotmail", "live", "yahoo", "icloud", "aol"}
_FREE_MAIL |= {"proton", "protonmail", "gmx", "mail", "yandex", "zoho", "me", "msn"}
_SUFFIXES = {"com", "co", "org", "net", "io", "ai", "biz", "inc", "ltd", "gov", "edu", "ac"}


def _domain_org(domain: str | None) -> str | None:
    """Return the company a mail domain names ("acme-logistics.com": "acme logistics")."""
    if not domain:
        return None
    labels = [x for x in domain.lower().split(".") if x]
    while len(labels) > 1 and (labels[-1] in _SUFFIXES or len(labels[-1]) == 2):
        labels.pop()
    name = labels[-1] if labels else ""
    if not name or name in _FREE_MAIL:
        return None
    return _org_key(name)


def _content_cue(
    turns: Sequence[str],
    own: Sequence[str],
    customers: Sequence[str],
    accounts: Sequence[str] = (),
) -> tuple[Side, str, bool] | None:
    """Return (side, quote, by the CRM account) when the speaker says which company they're with.

    `accounts` are the CRM account's names (and the company its web domain names): a cue
    naming one of them is flagged, for its higher confidence (`ACCOUNT_CUE_CONFIDENCE`).
    """
    orgs: list[tuple[str, Side, bool]] = [(_org_key(o), "rep", False) for o in own if _org_key(o)]
    orgs += [(_org_key(c), "customer", False) for c in customers if _org_key(c)]
    orgs += [(k, "customer", True) for a in accounts for k in _account_keys(a)]
    if not orgs:
        return None
    found: set[Side] = set()
    quote = ""
    by_account = False
    squeezed_keys = {key.replace(" ", "") for key, _, _ in orgs}
    for text in turns[:40]:
        if text.isascii() and not _may_name(text, squeezed_keys):
            continue  # no company of `orgs` is named in this turn: no lead can find one
        leads = [(m, "explicit") for m in _ORG_LEAD.finditer(text)]
        leads += [(m, "at") for m in _ORG_LEAD_AT.finditer(text)]
        leads += [(m, "we are") for m in _WE_ARE.finditer(text)]
        for m, lead in leads:
            words = _org_key(text[m.end() : m.end() + 80]).split()
            # "Orbital Freight" matches the domain's "orbitalfreight" and vice versa
            heads = {"".join(words[:n]): " ".join(words[:n]) for n in range(1, 5)}
            for key, side, account in orgs:
                said = heads.get(key.replace(" ", ""))
                if said is None:
                    continue
                if lead != "explicit" and not (
                    account and (lead == "we are" or _WE_AFTER.match(_after(text, m.end(), said)))
                ):
                    continue  # the account only; a bare "at Acme" needs "we": "at Acme, we"
                found.add(side)
                by_account = by_account or account
                tail = _after(text, m.end(), said)
                quote = quote or text[m.start() : len(text) - len(tail)].strip(" ,.;")
    if len(found) != 1:
        return None  # none, or both companies named: never guessed
    return found.pop(), quote.strip(" ,.;"), by_account


_NOT_ORG_CHAR = re.compile(r"[^\w&]")
_ASCII_NOT_ORG = {c: None for c in range(128) if not (chr(c).isalnum() or chr(c) in "_&")}
"""`str.translate` table deleting what `_NOT_ORG_CHAR` matches in an ASCII text."""


def _may_name(text: str, squeezed_keys: Iterable[str]) -> bool:
    """Return whether an ASCII `text` could name a company of `squeezed_keys`.

    `squeezed_keys` are `_org_key`s with their spaces taken out. A lead's org words are the
    `_org_key` of the text after it; their first words, joined, are then its lower-cased
    letters, digits, `_` and `&` with everything else taken out: a run of the same
    characters of the whole text. So a text whose squeezed form holds no key names no
    company (on an ASCII text, where lower-casing a slice is slicing the lower-cased text).
    """
    low = text.lower()
    squeezed = low.translate(_ASCII_NOT_ORG) if low.isascii() else _NOT_ORG_CHAR.sub("", low)
    return any(key in squeezed for key in squeezed_keys)


_LEGAL = re.compile(
    r"\b(?:inc|incorporated|llc|ltd|limited|gmbh|corp|corporation|co|company|plc|sa|ag|bv|"
    r"nv|srl|pty|group|holdings)\b\.?",
    re.IGNORECASE,
)
# "at Acme, we ...", "for Acme we ...": the account's name then "we"/"our"; "we're Acme" (the
# CRM account only; other companies need the explicit leads of `_ORG_LEAD`)
_ORG_LEAD_AT = re.compile(r"\b(?:at|for|with)\s+", re.IGNORECASE)
_WE_ARE = re.compile(r"\bwe(?:'re|\s+are)\s+(?:with\s+|from\s+)?", re.IGNORECASE)
_WE_AFTER = re.compile(r"^\W*(?:we|we're|we've|we'd|our|us)\b", re.IGNORECASE)


@lru_cache(maxsize=64)
def _words_then_gap(n: int) -> re.Pattern[str]:
    """Return the pattern of `n` words, each followed by a gap (compiled once per `n`)."""
    return re.compile(rf"\W*(?:[\w&'-]+\W+){{{n}}}")


def _after(text: str, end: int, said: str) -> str:
    """Return the text after the org name `said` that starts at `end` (spelling may vary)."""
    m = _words_then_gap(len(said.split())).match(text[end:] + " ")
    return text[end + m.end() :] if m else ""


def _account_keys(name: str) -> list[str]:
    """Return the org keys a CRM account name (or web domain) is said as.

    "Acme Logistics, Inc." gives "acme logistics" and "acme" (a distinctive first word
    alone, as people say it); "acme-logistics.com" gives the same.
    """
    if "." in name and " " not in name.strip():
        key = _domain_org(name.strip().lower().removeprefix("www."))
    else:
        key = _org_key(_LEGAL.sub(" ", name))
    if not key:
        return []
    words = key.split()
    short = words[0] if len(words) > 1 else ""
    # "here at Northwind" for Northwind Logistics: the first word alone, when distinctive
    if len(short) >= 4 and short not in _GENERIC_ORG_WORDS:
        return [key, short]
    return [key]


_GENERIC_ORG_WORDS = frozenset(
    """first united global american national general international north south east west
    central city state federal royal great premier united universal standard pacific
    atlantic metro regional county""".split()
)


def map_speakers(
    speakers: Iterable[str],
    people: Sequence[Participant],
    *,
    rep_email_domains: Iterable[str] = (),
    transcript: Any = None,
    own_names: Iterable[str] = (),
    customer_orgs: Iterable[str] = (),
    two_party: bool = True,
    account_names: Iterable[str] = (),
) -> dict[str, SpeakerMatch]:
    """Place every speaker label among the participants (see the module notes).

    Args:
        speakers: The transcript's speaker labels.
        people: The participants (see `participants`).
        rep_email_domains: Our email domains: a label that is an email address of nobody
            known is placed by its domain (ours: `rep`, other: `customer`).
        transcript: The parsed `Transcript`, for the sides its export states and for content
            cues in each speaker's turns.
        own_names: Our company and product names ("our team at Orbital Freight": rep).
        customer_orgs: The customer's company names (the CRM account's name).
        two_party: Place the other speaker of a two-party call when one side is known.
        account_names: The CRM account's name and web domain ("Acme Logistics Inc.",
            "acmelogistics.com"): a speaker labelled with an address at that domain, or who
            says "here at Acme Logistics" / "at Acme, we ...", is the customer
            (`content_cue` at `ACCOUNT_CUE_CONFIDENCE`, the reason names the account).

    Returns:
        Label to its match; a label nobody can place is `unknown`, never guessed.
    """
    domains = list(rep_email_domains)
    labels = list(dict.fromkeys(speakers))
    out = {s: _match(s, people, domains) for s in labels}
    stated = dict(getattr(transcript, "sides", None) or {})
    own = [*own_names, *(o for d in domains if (o := _domain_org(d.lstrip("@"))))]
    customers = [
        *customer_orgs,
        *(o for p in people if p.side == "customer" and (o := _domain_org(_domain(p.email)))),
    ]
    turns = list(getattr(transcript, "turns", ()) or ())
    accounts = [a for a in account_names if a and a.strip()]
    account_domains = {
        a.strip().lower().removeprefix("www.") for a in accounts if "." in a and " " not in a
    }
    for label, m in out.items():
        if m.side != "unknown" or m.reason not in _UNPLACED:
            continue
        if _EMAIL.match(label.strip()) and _domain(label.strip()) in account_domains:
            out[label] = SpeakerMatch(
                label, "customer", None, "email domain of the CRM account", "email_domain"
            )
            continue
        stated_side = stated.get(label)
        if stated_side == "rep" or stated_side == "customer":
            out[label] = SpeakerMatch(
                label, stated_side, None, "the export's own affiliation", "export"
            )
            continue
        said = [t.text for t in turns if t.speaker == label]
        cue = _content_cue(said, own, customers, accounts)
        if cue is not None:
            side, quote, by_account = cue
            if by_account:
                out[label] = SpeakerMatch(
                    label,
                    side,
                    None,
                    f"says {quote!r} (the CRM account)",
                    "content_cue",
                    ACCOUNT_CUE_CONFIDENCE,
                )
            else:
                out[label] = SpeakerMatch(label, side, None, f"says {quote!r}", "content_cue")
    real = [s for s in labels if s != "Unknown speaker"]
    if two_party and len(real) == 2:
        a, b = (out[s] for s in real)
        for known, other in ((a, b), (b, a)):
            if known.side != "unknown" and other.side == "unknown" and other.reason in _UNPLACED:
                rest: Side = "customer" if known.side == "rep" else "rep"
                out[other.speaker] = SpeakerMatch(
                    other.speaker,
                    rest,
                    None,
                    f"the other speaker on a two-party call with {known.speaker} ({known.side})",
                    "two_party_rest",
                )
    return out


def participant_rows(
    matches: Mapping[str, SpeakerMatch],
) -> list[dict[str, Any]]:
    """Return the JSON `participants` rows: one per speaker label, in the given order.

    Each row: `name` (the label), `participant` and `email` (the matched person, or None),
    `side`, `mapped_by`, `confidence` and `reason`.
    """
    rows = []
    for label, m in matches.items():
        rows.append(
            {
                "name": label,
                "participant": m.participant.name if m.participant else None,
                "email": m.participant.email if m.participant else None,
                "side": m.side,
                "mapped_by": m.mapped_by,
                "confidence": m.confidence,
                "reason": m.reason,
            }
        )
    return rows


def speaker_sides_from(matches: Mapping[str, SpeakerMatch]) -> dict[str, Side]:
    """Return label to side from the matches of `map_speakers`."""
    return {s: m.side for s, m in matches.items()}


def speaker_side(speaker: str, rep_names: Iterable[str], customer_names: Iterable[str]) -> Side:
    """Return the side of `speaker`: `rep`, `customer`, or `unknown` (never guessed).

    A speaker matches a person when the label equals the person's full name, or when the
    label is one word equal to the person's first name (case-insensitive; a parenthesis in
    the label such as "(Orbital Freight)" is ignored). A label that matches people on both
    sides, or nobody, is `unknown`.
    """
    people = participants(rep_names=rep_names, customer_names=customer_names)
    return _match(speaker, people).side

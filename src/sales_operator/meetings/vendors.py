"""Competitors that are not on the policy's list: vendor names found by context and lexicon.

`find_vendors(units, ...)` returns every sentence that names a vendor the call treats as an
alternative, with a confidence. Three kinds of evidence, each a property of the sentence,
not of a name list tuned to our calls:

* **Context.** A capitalised name in a buying context: evaluated, compared with, piloted,
  trialled, quoted, pitched, bundled, a proposal/offer/demo from, switching from or to,
  moving off, replacing, went with, went back to ("strong", 0.8); or the incumbent, "we're
  currently on X", "we use X", "X, which we've been on" ("weak", 0.55). Fillers and
  discourse markers ("uh", ", you know,", "how it's called") are removed before matching, so
  "we have made a pilot with, uh, Routific" still reads as a pilot. A name with two or more
  strong contexts on the call rises to 0.9. Round 7 adds the same evidence said other ways:
  offers and approaches ("X made us an offer", "X sent over a quote", "X reached out", "X
  have been chasing us", "X came in and gave us a demo", "a POC with X", "a call with X",
  "the guys from X", "the X folks"), possessives with a product or buying noun ("X's driver
  app", "X's bill"), comparisons ("different from X", "cheaper than X", "unlike X", "what X
  does"), strong; and tools the customer has left ("we used to be on X", "we started out on
  X", "back when we had X", "we had X until ...", "X was our old system"), weak. A name found
  only by its context that is a person's (a first name, or a first name and a surname, from
  the US census lists of the `names` package) is not a vendor: "Mark reached out".
* **Listed names without their parent vendor.** A listed "SAP Ariba" or "Oracle NetSuite"
  is also found as "Ariba" or "NetSuite" (as written; in a lower-case call, in a verb
  frame), reported under the listed name with `matched_by` `policy:product`.
* **Lexicon.** The bundled `data/vendor_lexicon.yaml` (common CRM, sales-engagement,
  conversation- and revenue-intelligence vendors, with product aliases such as "Einstein"
  for Salesforce and spellings a speech-to-text engine produces, such as "Sales Loft"),
  plus the policy's `competitor_detection.vendors`. With `lexicon: on`, or `auto` when the
  policy lists no competitors, a lexicon name counts 0.7 alone and 0.95 with a context cue in
  the same sentence; a lexicon name that is also an everyday word ("Outreach", "Chorus")
  counts only capitalised and with a context cue. With `auto` and a competitor list, the
  seller's market is taken to be its listed competitors' lexicon categories (or the policy's
  `categories`): those vendors count only with a context cue in the sentence, at 0.75, so a
  name said alone ("Salesforce is our CRM") is never a competitor; no category is known for
  listed names the lexicon lacks, and then only context finds unlisted vendors.
* **Speech-to-text output in lower case** ("samsara is also pitching their own routing"):
  when most of the call's sentences start in lower case, a single lower-case word in two
  or more strong contexts is reported too (0.6).

Never reported: people on the call, our own company and product names, the customer's own
company (`account_names`, and names said as "here at X", "we at X", "our team at X",
"works today at X"), the policy's `not_competitors`, everyday tools ("Excel", "Zoom"), and
a name that the call only treats as a system to integrate with ("writes back into
HubSpot", "the Epicor connector") or to keep ("X stays", "X is not going anywhere", "we'll
keep X for payroll") without a strong buying context.

Round 8 (issue 9) adds, each a class of phrasing: "benchmarked against X", "up against X",
"shortlisted X", "binned X", "X is the incumbent" / "the incumbent is X", "our contract
(agreement, subscription, licence, renewal) with X", "X is giving us a discount", "X did a
demo for us", "X keeps emailing me", "X is in the mix", "an X-style setup", "X got ditched",
"they had X at head office", and names led by digits ("360Learning"); and never reports
places (GeoNames cities of 15,000+ people, countries, US states: `data/place_names.txt`),
a name the call addresses as a person ("thanks, Raj.", "Raj, could you ..."),
technologies and consumer products ("Bluetooth", "Linux"), a contract the customer holds
with its own customer ("our biggest account is the Pret contract") or a longer name that
starts with an everyday-word lexicon name ("Apollo Hospitals"). The lexicon gains the
e-signature, procurement, observability, help desk, CPQ, data warehouse and survey
categories.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import ahocorasick
import yaml

from sales_operator.errors import PolicyError
from sales_operator.meetings import prefilter
from sales_operator.meetings.extract import Sentence, clean_spoken, name_key
from sales_operator.policy import Policy, VendorEntry

__all__ = [
    "ALL_CATEGORIES",
    "LEXICON_CATEGORIES",
    "Vendor",
    "VendorMention",
    "find_vendors",
    "folded_mentions",
    "lexicon",
    "tracked_products",
    "vendor_lexicon",
]

LEXICON_CATEGORIES = (
    "crm",
    "sales_engagement",
    "conversation_intelligence",
    "revenue_intelligence",
)
"""The categories of the bundled vendor lexicon used by default (sales tech)."""

ALL_CATEGORIES = (
    *LEXICON_CATEGORIES,
    "payroll_hr",
    "data_protection",
    "field_service",
    "fleet_routing",
    "e_signature",
    "procurement",
    "observability",
    "help_desk",
    "cpq",
    "data_warehouse",
    "surveys",
)
"""Every category of the bundled lexicon; the others are used when a policy names them, and
any vendor of any category when the policy tracks it by name (its products come with it)."""

STRONG = 0.8
WEAK = 0.55
LEXICON = 0.7
LEXICON_WITH_CONTEXT = 0.95
LEXICON_FRAMED = 0.75
REPEATED_STRONG = 0.9
LOWER_CASE = 0.6
INTEGRATION_ONLY = 0.3


@dataclass(frozen=True)
class Vendor:
    """One lexicon entry."""

    name: str
    """The usual spelling, the name reported."""
    aliases: tuple[str, ...] = ()
    """Product names and other spellings reported under `name`."""
    category: str = "policy"
    """The lexicon category, or `policy` for a vendor the policy added."""
    common: bool = False
    """Whether the name is also an everyday word (needs capitals and a context cue)."""
    common_aliases: tuple[str, ...] = ()
    """Aliases that are everyday words ("Dynamics", "Copper"): matched like a `common` name."""
    framed: bool = False
    """Whether a mention counts only in a sentence with a context cue, at `LEXICON_FRAMED`
    (the lexicon's vendors under `lexicon: auto` when the policy lists its competitors)."""

    def spellings(self) -> tuple[tuple[str, bool], ...]:
        """Return every alias with whether it is an everyday word."""
        plain = tuple((a, self.common) for a in (self.name, *self.aliases))
        return plain + tuple((a, True) for a in self.common_aliases)


@dataclass(frozen=True)
class VendorMention:
    """One sentence naming a vendor."""

    name: str
    """The vendor as usually written."""
    sentence: Sentence
    """The sentence that names it."""
    confidence: float
    """How sure the detection is, 0..1."""
    how: str
    """What found it: `context:<cue>`, `lexicon`, `lexicon+context`,
    `lexicon+context:folded` (spelled apart or in lower case, in a verb frame), `lower-case`,
    `policy`."""


@lru_cache(maxsize=1)
def _lexicon_text() -> str:
    return resources.files("sales_operator").joinpath("data/vendor_lexicon.yaml").read_text("utf-8")


@lru_cache(maxsize=1)
def _bundled() -> tuple[Vendor, ...]:
    text = _lexicon_text()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the file is read per process
    raw = yaml.load(text, Loader=loader) or {}  # noqa: S506 (a safe loader)
    out: list[Vendor] = []
    for category, entries in raw.items():
        for e in entries or []:
            out.append(
                Vendor(
                    name=str(e["name"]),
                    aliases=tuple(str(a) for a in e.get("aliases", []) or []),
                    category=str(category),
                    common=bool(e.get("common", False)),
                    common_aliases=tuple(str(a) for a in e.get("common_aliases", []) or []),
                )
            )
    return tuple(out)


def _extra(entry: str | VendorEntry) -> Vendor | None:
    if isinstance(entry, str):
        return Vendor(name=entry.strip()) if entry.strip() else None
    return Vendor(
        name=entry.name.strip(),
        aliases=tuple(a for a in entry.aliases if a.strip()),
        common_aliases=tuple(a for a in entry.common_aliases if a.strip()),
    )


def lexicon(
    categories: Iterable[str] = (), extra: Iterable[str | VendorEntry] = ()
) -> list[Vendor]:
    """Return the bundled vendors of `categories` plus `extra` vendors.

    Args:
        categories: Lexicon categories (empty: `LEXICON_CATEGORIES`; any of `ALL_CATEGORIES`).
        extra: Vendor names, or policy entries with their aliases.

    Raises:
        PolicyError: A category the lexicon does not have.
    """
    wanted = set(categories) or set(LEXICON_CATEGORIES)
    unknown = sorted(wanted - set(ALL_CATEGORIES))
    if unknown:
        raise PolicyError(
            f"unknown vendor lexicon categories {unknown}: expected any of {list(ALL_CATEGORIES)}"
        )
    out = [v for v in _bundled() if v.category in wanted]
    out += [v for v in map(_extra, extra) if v is not None]
    return out


def tracked_products(tracked: Iterable[str]) -> list[Vendor]:
    """Return the lexicon entries of the tracked competitors, reported under the tracked name.

    A policy that tracks "ADP" also finds "we're on Workforce Now", from any category.
    """
    return list(_tracked_products(tuple(tracked)))


@lru_cache(maxsize=16)
def _tracked_products(tracked: tuple[str, ...]) -> tuple[Vendor, ...]:
    keys = {name_key(t): t for t in tracked if t.strip()}
    squashed = name_key(_lexicon_text())
    if not any(k in squashed for k in keys):
        return ()  # no tracked name is spelled anywhere in the file: no need to parse it
    out: list[Vendor] = []
    for v in _bundled():
        hit = next((keys[k] for a, _ in v.spellings() if (k := name_key(a)) in keys), None)
        if hit is not None:
            spellings = [a for a in (v.name, *v.aliases) if name_key(a) != name_key(hit)]
            out.append(
                Vendor(
                    name=hit,
                    aliases=tuple(spellings),
                    category=v.category,
                    common=v.common,
                    common_aliases=v.common_aliases,
                )
            )
    return tuple(out)


def vendor_lexicon(policy: Policy) -> list[Vendor]:
    """Return the vendors matched under `policy` (`meetings.competitor_detection`).

    The policy's own `vendors` are always matched. Unless `lexicon` is `off`, the lexicon's
    products of each tracked competitor are matched too (`tracked_products`), and the
    bundled lexicon: all of `categories` when `lexicon` is `on` or no `competitors` are
    listed; under `auto` with a list, `categories` or else the categories of the listed
    competitors the lexicon knows (the seller's market), `framed`: counted only with a
    context cue. The measurement behind this choice is in `evals/meetings.py` (round 7).

    Raises:
        PolicyError: A lexicon category the bundled lexicon does not have.
    """
    detection = policy.meetings.competitor_detection
    if detection.lexicon == "off":
        return [v for v in map(_extra, detection.vendors) if v is not None]
    products = tracked_products(policy.meetings.competitors)
    taken = {name_key(a) for p in products for a, _ in p.spellings()}
    framed = detection.lexicon == "auto" and bool(policy.meetings.competitors)
    extra = [v for v in map(_extra, detection.vendors) if v is not None]
    if not framed:
        bundled = lexicon(detection.categories)
    else:
        # the seller's market is its listed competitors' category (none known: no lexicon)
        markets = detection.categories or sorted({p.category for p in products})
        bundled = [dataclasses.replace(v, framed=True) for v in lexicon(markets)] if markets else []
    rest = [*bundled, *extra]
    return [*products, *(v for v in rest if name_key(v.name) not in taken)]


# --- text clean-up ----------------------------------------------------------------------------


# --- context patterns -------------------------------------------------------------------------

_V = r"(?P<v>(?:[A-Z]|\d+[A-Z])[\w&'.-]*[A-Za-z0-9](?:[ -][A-Z][\w&-]*[A-Za-z0-9]){0,2})"
"""A vendor name: capitalised words, or a word of digits and then a capital ("360Learning")."""
_VL = r"(?P<v>[a-z][a-z0-9-]{3,})"

_STRONG_BEFORE = (
    r"evaluat\w*|(?:looking|looked|look|looks) (?:at|into)"
    r"|compar\w+ (?:[\w']+ ){0,4}(?:with|to|against)"
    r"|versus|vs\.?|(?:and also|also) with"
    r"|pilot(?:ed|ing|ted|ting)?(?: with| of)?|trial(?:led|ed|ing|l?ing)?(?: of| with)?"
    r"|(?:call|demo|quote|offer|pitch|proposal|bid|brochure|quotation|presentation) (?:from|of|by)"
    r"|switch\w*(?: over)? (?:from|to|away from)|(?:moving|move|moved) (?:off|away from|to)"
    r"|migrat\w+ (?:off|away from)|replac\w+|rip(?:ping)? out|(?:going|go|went|gone) with"
    r"|signed with|(?:went|go|going) back to|leaning (?:towards?|to)|bundled (?:with|into|by)"
    # replacement and evaluation verbs said of a product (round 6)
    r"|(?:tried|trying|tested|testing|demoed|demoing|trialed|trialled)(?: out)?"
    r"|(?:ditched|ditching|dumped|dumping|cancel+ed|cancel+ing|churned from|got rid of)"
    # round 8: benchmarks, shortlists, the incumbent, and a contract said with its vendor
    r"|benchmark\w*(?: \w+){0,3} (?:against|with|to)|(?:tested|testing|measured|stacked)"
    r"(?: \w+){0,2} against|up against|shortlist(?:ed|ing)|(?:binned|binning|scrapped|scrapping)"
    r"|incumbent(?: vendor| provider| supplier| system| tool)?(?: is| was|,)"
    r"|(?:contract|agreement|subscription|licen[cs]e|renewal) (?:with|from)"
)
_STRONG_AFTER = (
    r"(?:has|have|had|is|are|was|were)?\s*(?:also |just |already |now |even )*"
    r"(?:quoted|offered|pitched|pitching|bundled|bundling|sent us|offering|"
    r"(?:came|come|coming) in (?:at|under|lower|cheaper|below|about|around|way)|"
    r"sharpened|undercut|discounted|proposed|gave us|given us|cheaper|priced|is cheaper|"
    r"are cheaper|"
    # round 8: "X is giving us a discount", "X is the incumbent"
    r"(?:giving|given|gave) us (?:a |an |some |their |the )?(?:\w+ )?"
    r"(?:discount|deal|price|offer|quote|trial|rate)|(?:the|our) incumbent)\b"
)
_THE_V_NOUN = (
    r"(?:quote|quotes|proposal|offer|bid|pricing|price|contract|renewal|pilot|trial|demo|"
    r"people|folks|guys|team|reps?|sales ?(?:guy|person|rep))\b"
)
_PAID_NOUN = r"(?:licen[cs]es?|seats|subscriptions?)\b"
_WEAK_BEFORE = (
    r"(?:currently|still|been|are|were|we're|we are|we've been|they're|they are) "
    r"(?:on|using|with|running)|(?:use|uses|used|using)"
    # usage said with other verbs (round 6): "we pay (for) X", "renewing with X", "stuck with X"
    r"|pa(?:y|ys|id|ying)(?: (?:way|too|much|a|lot|so|for|extra|about|more)){0,4}"
    r"|renew\w* with|stuck with|locked into"
)
_RUN_WORDS = r"run|runs|running|ran"
"""Usage said as running something on a system ("we run dispatch on X"): its own pattern,
tried only on sentences holding one of these words (its tail words are everywhere)."""
_RUN_ON = re.compile(rf"\b(?i:{_RUN_WORDS})(?: \w+){{0,3}} (?i:on|through|off) {_V}")
_RUN_GATE = re.compile(rf"\b(?:{_RUN_WORDS})\b", re.I)
_WEAK_AFTER = r",? which,? (?:we|they)(?:'ve| have| had)? (?:been )?(?:on|using|used|had|have)\b"

_TALKING = re.compile(rf"\b(?i:talking|talked|speaking|spoke|in talks) (?:to|with) {_V}")
_FUNCTION = re.compile(
    r"^,? for (?:the |our |all |a )?(?:billing|accounting|invoic\w*|payroll|e-?mails?|erp|hr|"
    r"bookkeeping|chat|video|calls|meetings|payments|taxes|spreadsheets|documents|files)\b",
    re.I,
)
_NEGATED = re.compile(
    # "we're never going to move off X", "not replacing X": a system the customer keeps
    r"\b(?:never|not|n't|no way|won't|wouldn't|can't|cannot)(?: \w+){0,3} $",
    re.I,
)
_LEAVING = re.compile(
    r"(?:switch|mov|migrat|replac|rip|leav|ditch|dump|cancel|get rid|got rid)", re.I
)
_WON = re.compile(r"\b(?:won|win|winning|landed|awarded|bid(?:ding)? on|for)\s+$", re.I)
_DEAL_NOUN = re.compile(r"\b(?:contract|agreement|deal)\b", re.I)
_CUSTOMER_DEAL = re.compile(
    # "our biggest account is the Pret contract", "a contract with Costa to supply": a contract
    # the customer holds with its own customer, not one with a vendor
    r"\b(?:won|win|winning|landed|awarded|biggest|largest|clients?|customers?|accounts?"
    r"|suppl(?:y|ies|ying)|deliver\w*|tender\w*|sell(?:s|ing)? to|franchisees?)\b",
    re.I,
)
_NAME_GOES_ON = re.compile(r" (?:[A-Z][a-z]|&)")
"""A capitalised word after a lexicon name that is an everyday word: another name ("Apollo
Hospitals", "Square Mile"), not the vendor."""


_CUE_REACH = 16
"""More characters than any `_person_cues` cue holds before the name."""


@lru_cache(maxsize=256)
def _person_cues(name: str) -> re.Pattern[str]:
    """Return the cues that a one-word name is a person's: addressed on the call.

    "Thanks, Raj." "Hi, me Raj, again." "Raj, could you send it?" "Go next, Steph." Not
    "X said" or "X told us": a vendor says and tells too ("the guys from X said").
    """
    n = re.escape(name)
    return re.compile(
        rf"\b(?i:thanks|thank you|cheers|sorry|hi|hey|hello|bye|please|me|I'm|I am)"
        rf"\s?,?\s?{n}\s?(?:[,.?!]|$)"
        rf"|\b{n}\s?,?\s?(?i:could you|can you|would you|you could)\b"
        rf"|, ?{n} ?[.?!]"  # "why don't you go next, Steph."
    )


# Round 7 (issue 9): the same kinds of evidence said in other ways, each a class of phrasing.
_PAST_BEFORE = (
    # a tool the customer has left: "we used to be on X", "we started out on X"
    r"used to (?:be )?(?:on|with|using|use|have)|started (?:out |off )?(?:on|with)"
    r"|(?:before (?:that|this|then|now)|back when|when),? (?:we|they) (?:had|were on|used)"
)
_PAST_HAD = re.compile(
    # "we had X until last summer", "they had X for three years"
    rf"\b(?i:we|they)(?:'d| had)? had {_V} (?i:for|until|till|before|back in|at|in (?:19|20)\d\d)\b"
)
_PAST_AFTER = (
    r"(?:was|were|is) (?:our|their|the) (?:old|previous|last|first|former|original) "
    r"(?:system|tool|provider|vendor|platform|software|solution|app|supplier)"
    # round 8: "X got ditched", "X was scrapped"
    r"|(?:got|was|were|has been|have been) (?:ditched|dumped|binned|scrapped|cancell?ed|retired)"
)
_OFFER_AFTER = (
    # an offer or approach said with other verbs: "X made us an offer", "X reached out"
    r"(?:made|gave|sent|emailed|mailed) us (?:an?|their|a new|a better|a final) "
    r"(?:offer|quote|proposal|price|deal|discount|contract)"
    r"|sent (?:through|over|across|in) (?:an?|their|a new|the) "
    r"(?:quote|offer|proposal|pric\w+|contract|deck)"
    r"|(?:reached out|pinged us|approached us|contacted us|cold[- ]called)"
    r"|(?:has|have|had|'s|'ve) been (?:chasing|calling|emailing|pitching|pushing|after)"
    r"|(?:came|come|coming|were|was) (?:in|by|over|here) (?:and|to) (?:did |do |gave |give )?"
    r"(?:a |us a |their )?(?:demo|pitch|presentation)"
    r"|(?:did|gave|ran|showed) us (?:a|their) (?:demo|pitch|presentation)"
    # round 8: "X did a demo for us", "X keeps emailing me", "X is in the mix"
    r"|(?:did|gave|ran|held|showed|do|give)(?: us)? (?:a|an|one|their|the)(?: \w+)? "
    r"(?:demo|trial|pilot|poc|walk-?through)"
    r"|keeps? (?:emailing|calling|ringing|phoning|chasing|pinging|messaging)"
    r"|(?:has|have|had|'s|'ve) been (?:ringing|phoning|following up|in touch)"
    r"|(?:is|are|was|were) (?:also |still )?(?:in the (?:mix|running|frame)"
    r"|on (?:the|our) (?:short ?list|list))"
)
_OFFER_BEFORE = (
    r"(?:poc|proof of concept|bake-?off|shoot-?out) (?:with|of|on)"
    r"|(?:a|the|our) (?:call|demo|meeting) with"
    r"|(?:guys|people|folks|someone|somebody|rep|salesperson|sales rep|account manager) from"
    r"|(?:different|differs?) (?:from|to|than)|(?:better|cheaper|worse|simpler) than|unlike"
)
_PRODUCT_NOUN = (
    r"(?:(?:new |driver |mobile |own )?app|module|bot|platform|tool|system|software|bill"
    r"|invoice|pric\w+|licen[cs]es?|product|offering|version|integration|dashboards?|suite"
    r"|AI|reporting|quotes?|proposal|offer|bid|contract|renewal|pilot|trial|demo"
    r"|sales ?(?:guy|person|rep)|reps?)\b"
)
_PEOPLE_NOUN = r"(?:people|folks|guys|lot|crowd|mob|gang|team|reps?|sales ?(?:guy|person|rep))\b"
_WHAT_DOES = re.compile(rf"\b(?i:what|like) {_V} (?i:does|do|did|offers?|charges?|has)\b")

_CONTEXT: tuple[tuple[re.Pattern[str], float, str], ...] = (
    (re.compile(rf"\b(?i:{_STRONG_BEFORE}),? {_V}"), STRONG, "before"),
    (re.compile(rf"(?<![\w']){_V},? {_STRONG_AFTER}"), STRONG, "after"),
    # "X's quote", "X's driver app": a possessive with a product or buying noun (not "Priya's
    # team"); "the X guys" with any
    (re.compile(rf"(?<![\w']){_V}'s? (?:\w+ ){{0,2}}{_PRODUCT_NOUN}"), STRONG, "noun"),
    (re.compile(rf"\b(?i:the) {_V} (?:{_THE_V_NOUN}|{_PEOPLE_NOUN})"), STRONG, "noun"),
    (re.compile(rf"(?<![\w']){_V},? (?:{_OFFER_AFTER})"), STRONG, "after"),
    (re.compile(rf"\b(?i:{_OFFER_BEFORE}),? {_V}"), STRONG, "before"),
    (_WHAT_DOES, WEAK, "comparison"),
    # round 8: "an X-style setup", "something X-like"
    (re.compile(rf"(?<![\w'-]){_V}-(?:style|like|type|esque)\b"), WEAK, "comparison"),
    (re.compile(rf"\b(?i:{_PAST_BEFORE}),? {_V}"), WEAK, "past"),
    (_PAST_HAD, WEAK, "past"),
    (re.compile(rf"(?<![\w']){_V},? (?:{_PAST_AFTER})"), WEAK, "past"),
    (re.compile(rf"\b(?i:{_WEAK_BEFORE}) {_V}"), WEAK, "incumbent"),
    (_RUN_ON, WEAK, "incumbent"),
    (re.compile(rf"(?<![\w']){_V}(?:'s)? (?i:{_PAID_NOUN})"), WEAK, "incumbent"),
    (re.compile(rf"(?<![\w']){_V}{_WEAK_AFTER}"), WEAK, "incumbent"),
)
# Patterns that open with a cue `_ANY_CONTEXT` also matches (whole words, case-insensitive):
# in a sentence without any context cue they cannot match, so they are not run there.
_CUE_FIRST = frozenset(
    p
    for p, _, _ in _CONTEXT
    if p.pattern.startswith((rf"\b(?i:{_STRONG_BEFORE}),? ", rf"\b(?i:{_WEAK_BEFORE}) "))
)
_LOWER: tuple[re.Pattern[str], ...] = (
    re.compile(rf"\b(?:{_STRONG_BEFORE}),? {_VL}\b", re.I),
    re.compile(rf"(?<![\w']){_VL},? {_STRONG_AFTER}", re.I),
    # round 7: past tools and the other evaluation frames ("we used to be on procurify")
    re.compile(rf"\b(?:{_PAST_BEFORE}|{_OFFER_BEFORE}),? {_VL}\b", re.I),
)
_ANY_CONTEXT = re.compile(
    rf"\b(?:{_STRONG_BEFORE}|{_WEAK_BEFORE}|quot\w*|pitch\w*|offer\w*|proposal|cheaper|pric\w*|"
    r"competitor|alternative|instead of|in the mix|vendor|contract)\b",
    re.I,
)
_ANY_CONTEXT_LOWER = re.compile(_ANY_CONTEXT.pattern)
"""`_ANY_CONTEXT` for an ASCII text lower-cased (see `_has_context`)."""


def _has_context(text: str) -> bool:
    r"""Return whether `_ANY_CONTEXT` matches somewhere in `text`.

    On an ASCII text, the case-sensitive copy is searched on the text lower-cased: every
    literal of `_ANY_CONTEXT` is lower case and its classes (`\w`) hold both cases, so
    the answer is the same, several times faster (no character is case-folded per
    comparison).
    """
    if text.isascii():
        return _ANY_CONTEXT_LOWER.search(text.lower()) is not None
    return _ANY_CONTEXT.search(text) is not None


_INTEGRATION = (
    r"(?:integrat\w+|sync\w*|connect\w*|talks? to|plug\w* into|push\w* (?:\w+ ){0,3}(?:in)?to"
    r"|writ\w+ (?:\w+ ){0,4}(?:back )?into|back into|log\w* (?:\w+ ){0,3}into)"
)
_INTEGRATION_BEFORE = re.compile(rf"\b{_INTEGRATION},? (?:\w+ ){{0,3}}{_V}")
_INTEGRATION_AFTER = re.compile(
    rf"(?<![\w']){_V} (?:connector|integration|API|instance|admin|sync|plugin|plug-in|app)\b"
)
_KEPT_AFTER = re.compile(
    # a system the customer keeps whatever it buys: "X stays", "X is not going anywhere"
    rf"(?<![\w']){_V},? (?:(?:for|as) (?:the |our )?\w+(?: \w+)?,? )?(?:(?:that|this|it) )?"
    r"(?i:stays|is staying|will stay|(?:is|'s) not going anywhere|isn't going anywhere"
    r"|we keep|we're keeping|we will keep|we'll keep)\b"
)
_KEPT_BEFORE = re.compile(
    rf"\b(?i:keep(?:ing)?|we'?d leave|leave) {_V} (?i:for|either way|as it is|alone|well alone)\b"
)
_OWN_COMPANY = re.compile(
    rf"\b(?i:here at|we at|us at|our team at|(?:works?|working|done|runs?) today at|"
    rf"everyone at|(?:we|I) work at|(?:welcome|join(?:ing)?) (?:to|from)) {_V}"
)

_NOT_A_VENDOR = frozenset(
    """i we you they he she it our your their my his her this that these those the a an
    there here what which who yes no so and but or if when then okay ok thanks thank
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december q1 q2 q3 q4 it's that's nobody
    everyone someone somebody anyone everybody on mostly also just only even still really
    well now today yesterday tomorrow honestly actually basically last next sure yeah right
    both all some any one two three another other them us me him her its one's
    mr mrs ms dr mondays tuesdays wednesdays thursdays fridays saturdays sundays weekends
    weekdays nights mornings let where how everything nothing something""".split()
)
_GENERIC_TOOLS = frozenset(
    """excel outlook google gmail sheets word teams zoom slack whatsapp dropbox sharepoint
    powerpoint office microsoft ipad ipads iphone iphones android gps erp crm sap oracle
    tablets tablet paper email text texts radio fedex ups usps dhl amazon uber linkedin
    windows mac apple docusign it hr chrome safari firefox
    bluetooth wifi wi-fi usb hdmi linux unix infrared infra-red lcd led tft oled velcro lego
    pdf html java javascript python sql ios paint paintbrush notepad youtube facebook instagram
    twitter tiktok wikipedia netflix spotify skype""".split()
)
"""Everyday tools, consumer products, technologies and standards: never a competing vendor
unless a policy tracks or adds one (`allowed`)."""
_LOWER_STOP = frozenset(
    """they them their there these those this that what which who people drivers customers
    team guys folks company vendor vendors someone everybody everyone nobody price prices
    pricing system systems software tool tools product products quote quotes routing""".split()
)


@lru_cache(maxsize=64)
def _without_parent(tracked: tuple[str, ...]) -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """Return (pattern, rest, name) for each tracked name said without its parent vendor.

    "SAP Ariba" is also "Ariba", "Oracle NetSuite" also "NetSuite": a listed name of two or
    more words whose first word is a vendor itself (an everyday tool such as SAP, Oracle,
    Microsoft or Google, or a vendor of the bundled lexicon). The rest, four letters or
    more, counts only as written (capitalised: "I concur" is not SAP Concur).
    """
    multi = [t for t in tracked if len(t.split()) >= 2]
    if not multi:
        return ()
    parents = set(_GENERIC_TOOLS) | {name_key(v.name) for v in _bundled()}
    out = []
    for name in multi:
        first, rest = name.split(maxsplit=1)
        if name_key(first) in parents and len(name_key(rest)) >= 4:
            out.append((_alias_pattern(rest, common=True), rest, name))
    return tuple(out)


@lru_cache(maxsize=1)
def _first_names() -> frozenset[str]:
    """Return the US census first names (upper case) shipped with the `names` package."""
    files = resources.files("names")
    out: set[str] = set()
    for part in ("dist.male.first", "dist.female.first"):
        text = files.joinpath(part).read_text("ascii")
        out.update(line.split(maxsplit=1)[0] for line in text.splitlines() if line.strip())
    return frozenset(out)


def _person(name: str, aliases: dict[str, str], canonical: dict[str, str]) -> bool:
    """Whether a name found only by its context is a person's ("Mark", "Paul Smith").

    A first name from the US census lists, alone or followed by one more word (a surname).
    Lexicon and tracked names are never people here ("Sage" is a vendor when the lexicon
    says so); a vendor named like a person ("Ada Support") is missed unless listed.
    """
    key = name_key(name)
    if key in aliases or key in canonical:
        return False
    words = name.upper().split()
    if len(words) not in (1, 2):
        return False
    return words[0] in _first_names()


@lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    """Return the shipped place names, upper case (`data/place_names.txt`, from GeoNames)."""
    text = resources.files("sales_operator").joinpath("data/place_names.txt").read_text("utf-8")
    return frozenset(line.upper() for line in text.splitlines() if line and line[0] != "#")


def _place(name: str, aliases: dict[str, str], canonical: dict[str, str]) -> bool:
    """Whether a name found only by its context is a place's ("the Leeds guys").

    A city or town of 15,000 people or more, a country, a US state or a continent; lexicon
    and tracked names never are (a vendor named like a city is missed unless listed).
    """
    key = name_key(name)
    return key not in aliases and key not in canonical and name.upper() in _places()


def _trim(raw: str) -> str:
    words = raw.replace("'s", "").split()
    if words and "'" in words[0]:  # "I'd", "We're": a contraction, not a name
        return ""
    while words and words[0].lower().strip(".") in _NOT_A_VENDOR:
        words = words[1:]
    while words and words[-1].lower().strip(".") in _NOT_A_VENDOR:
        words = words[:-1]
    return " ".join(words).strip(" .,-")


_ALIAS_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+|[^\sA-Za-z0-9]")


def _alias_pattern(alias: str, common: bool) -> re.Pattern[str]:
    parts = _ALIAS_PARTS.findall(alias)
    body = r"[ .-]?".join(re.escape(p) for p in parts if p.strip()) if parts else re.escape(alias)
    if common:
        return re.compile(rf"(?<![\w.-]){body}(?![\w-])")
    return re.compile(rf"(?<![\w.-])(?i:{body})(?![\w-])")


@lru_cache(maxsize=1024)
def _tracked_pattern(name: str) -> re.Pattern[str]:
    """Return a tracked competitor's pattern, compiled once per process, not per call."""
    return _alias_pattern(name, common=False)


@lru_cache(maxsize=64)
def _compiled(
    vendors: tuple[Vendor, ...],
) -> tuple[tuple[Vendor, re.Pattern[str], bool], ...]:
    out = []
    for v in vendors:
        for alias, common in v.spellings():
            out.append((v, _alias_pattern(alias, common), common))
    return tuple(out)


@lru_cache(maxsize=64)
def _any_alias(vendors: tuple[Vendor, ...]) -> re.Pattern[str]:
    """Return one alternation of every alias pattern: a sentence it misses names no vendor."""
    start = r"(?<![\w.-])"  # every alias pattern's; tested once, outside the alternation
    bodies = [p.pattern for _, p, _ in _compiled(vendors)]
    if not bodies:
        return re.compile(r"(?!)")
    if all(b.startswith(start) for b in bodies):
        return re.compile(start + "(?:" + "|".join(b[len(start) :] for b in bodies) + ")")
    return re.compile("|".join(f"(?:{b})" for b in bodies))


def _lower_case_call(units: Sequence[Sentence]) -> bool:
    """Whether most sentences (60 %, of five or more) start with a lower-case letter."""
    letters = lower = 0
    for s in units:  # (a blank text starts with no letter: it counts for neither)
        c = s.text.lstrip("\"'([- ")[:1]
        if c.isalpha():
            letters += 1
            lower += c.islower()
    return letters >= 5 and lower / letters >= 0.6


_FRAME_BEFORE = re.compile(
    rf"\b(?i:{_STRONG_BEFORE}|{_WEAK_BEFORE}|(?:{_RUN_WORDS})(?: \w+){{0,3}} (?:on|through|off)"
    r"|lives? in|live in),? $"
)
_FRAME_AFTER = re.compile(
    r"^(?:'s)? (?i:licen[cs]es?|seats|contract|renewal|subscription|pricing|price|quote|proposal"
    r"|guys|people|team|reps?"
    r"|(?:has |have |had |is |are |was )?(?:quoted|pitched|offered|cheaper)"
    # round 8: "grain came in cheaper", "fathom is giving us a discount"
    r"|(?:came|come|comes|coming) in (?:at|under|lower|cheaper|below)|(?:is |are )?giving us)\b"
)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9&;]*(?:\.[a-z]{2,3}\b)?")


@lru_cache(maxsize=64)
def _folded_keys(
    vendors: tuple[Vendor, ...],
) -> tuple[dict[str, tuple[Vendor, bool]], frozenset[str]]:
    """Map every alias's squashed key (letters and digits) to its vendor and commonness.

    Also return every proper prefix of those keys (a word that starts none is skipped).
    """
    out: dict[str, tuple[Vendor, bool]] = {}
    for v in vendors:
        for alias, common in v.spellings():
            key = name_key(alias)
            if len(key) >= 4:
                out.setdefault(key, (v, common))
    prefixes = frozenset(k[:n] for k in out for n in range(1, len(k)))
    return out, prefixes


def _framed(text: str, start: int, end: int) -> bool:
    """Whether a verb of use, evaluation or replacement frames `text[start:end]`."""
    return bool(_FRAME_BEFORE.search(text[max(0, start - 60) : start])) or bool(
        _FRAME_AFTER.match(text[end : end + 40])
    )


def folded_mentions(text: str, vendors: Sequence[Vendor]) -> list[tuple[Vendor, int, int]]:
    """Return the lexicon names said spelled apart or in lower case, in a verb frame.

    "we've been running sales force", "we used out reach for sequences", "we use fireflies":
    one to three words whose letters and digits, case-folded, are an alias's
    (`name_key`). Such a spelling is accepted only when a verb of use, evaluation or
    replacement stands right before it ("use", "pay for", "moving off", "replacing") or a
    buying noun right after ("'s pricing", "licences", "contract"): "our sales force is
    forty reps" and "better outreach to dentists" are not vendors. A spelling the alias's
    own pattern reads (capitalised as written) is left to that pattern.
    """
    return _folded(text, *_folded_keys(tuple(vendors)))


def _folded(
    text: str, index: dict[str, tuple[Vendor, bool]], prefixes: frozenset[str]
) -> list[tuple[Vendor, int, int]]:
    if not index:
        return []
    tokens = list(_TOKEN.finditer(text))
    keys = [name_key(m.group(0)) for m in tokens]
    out: list[tuple[Vendor, int, int]] = []
    for i, first in enumerate(keys):
        if first not in prefixes and first not in index:
            continue
        for n in (3, 2, 1):
            if i + n > len(tokens):
                continue
            start, end = tokens[i].start(), tokens[i + n - 1].end()
            if n > 1 and text[start:end].count(" ") != n - 1:
                continue  # the words must be said together ("sales force", not "sales, force")
            hit = index.get("".join(keys[i : i + n]))
            if hit is None:
                continue
            vendor, common = hit
            if n == 1 and not common:
                continue  # the alias's own (case-blind) pattern reads it
            if _framed(text, start, end):
                out.append((vendor, start, end))
                break
    return out


class _Gate:
    """One scan of a sentence for the needles of many patterns at once.

    `prefilter` checks one pattern at a time; a call's sentences are each checked by a
    dozen context patterns, and most sentences hold no needle of any. Here one automaton
    holds one needle set of every pattern (`prefilter.needles`, each a necessary condition),
    each needle mapped to the bits of the patterns it belongs to: `scan(text)` returns the
    bits of the patterns that could match (a pattern with no needle set: always).
    """

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self.always = 0
        masks: dict[str, int] = {}
        for n, pattern in enumerate(patterns):
            sets = prefilter.needles(pattern)
            if not sets:
                self.always |= 1 << n
                continue
            for key in min(sets, key=len):
                masks[key] = masks.get(key, 0) | 1 << n
        self.all = (1 << len(patterns)) - 1
        self.automaton = ahocorasick.Automaton()
        for key, mask in masks.items():
            self.automaton.add_word(key, mask)
        if masks:
            self.automaton.make_automaton()

    def scan(self, text: str) -> int:
        """Return the bits of the patterns that could match somewhere in `text`."""
        if not text.isascii() and any(c in text for c in prefilter.NON_ASCII_FOLDS):
            return self.all  # the prefilter's own exception: these letters fold to ASCII
        mask = self.always
        if self.automaton.kind == ahocorasick.AHOCORASICK:
            for _, found in self.automaton.iter(text.lower()):
                mask |= found
        return mask


_FRAMES: tuple[re.Pattern[str], ...] = (
    _ANY_CONTEXT,
    *(p for p, _, _ in _CONTEXT),
    _TALKING,
    _INTEGRATION_BEFORE,
    _INTEGRATION_AFTER,
    _KEPT_AFTER,
    _KEPT_BEFORE,
)
"""The frame patterns `find_vendors` tries on each sentence (behind `_gate`)."""


_GATED: tuple[re.Pattern[str], ...] = (*_FRAMES, _OWN_COMPANY)
"""The patterns `_gate` answers for (the frames, and the customer's own company)."""


@lru_cache(maxsize=1)
def _gate() -> tuple[_Gate, dict[int, int]]:
    return _Gate(_GATED), {id(p): 1 << n for n, p in enumerate(_GATED)}


@lru_cache(maxsize=1)
def _gated() -> frozenset[int]:
    """Return the ids of the `_FRAMES` patterns whose `_gate` bit is their whole prefilter.

    A pattern of `_GATED` with one needle set (or none): its bit is set exactly when
    `prefilter.could_match` would say yes, so a sentence the gate lets through is searched
    directly, without a second scan for the same needles.
    """
    return frozenset(id(p) for p in _GATED if len(prefilter.needles(p)) <= 1)


def _matches(pattern: re.Pattern[str], text: str, gated: frozenset[int]) -> Iterator[re.Match[str]]:
    """Return `pattern`'s matches in `text`, a sentence `_gate` has let through for it."""
    return pattern.finditer(text) if id(pattern) in gated else prefilter.finditer(pattern, text)


_SCOPED: tuple[re.Pattern[str], ...] = (_OWN_COMPANY, *_FRAMES, *_LOWER)
"""The fixed patterns `find_vendors` asks its call's `Scope` about (one scan answers all)."""


def find_vendors(
    units: Sequence[Sentence],
    *,
    excluded: Iterable[str] = (),
    account_names: Iterable[str] = (),
    tracked: Iterable[str] = (),
    vendors: Sequence[Vendor] = (),
    not_competitors: Iterable[str] = (),
    min_confidence: float = 0.5,
) -> list[VendorMention]:
    """Return the sentences that name a competing vendor, in the order spoken.

    Args:
        units: The call's sentences (see `meetings.extract.sentences`).
        excluded: People on the call and our own company and product names.
        account_names: The customer's own company names.
        tracked: The policy's competitors (a mention spelled apart, "Route Max", is
            reported under the tracked spelling).
        vendors: The lexicon in use (empty: none).
        not_competitors: Vendors never reported.
        min_confidence: Names whose best mention is below this are dropped.
    """
    units = list(units)
    canonical = {name_key(t): t for t in tracked}
    parts = _without_parent(tuple(canonical.values()))
    cleaned = [clean_spoken(s.text) for s in units]
    # every pattern below reads these texts only; one scan tells which could match in them
    scope = prefilter.ScopeTable(
        cleaned,
        (
            *_SCOPED,
            _any_alias(tuple(vendors)),
            *(_tracked_pattern(name) for name in canonical.values()),
            *(pattern for pattern, _, _ in parts),
            *(_alias_pattern(rest, common=False) for _, rest, _ in parts),
        ),
    )
    banned = {name_key(w) for n in [*excluded, *account_names] for w in [n, *n.split()] if w}
    banned |= {name_key(n) for n in not_competitors}
    # one scan per sentence tells which of the frame patterns could match in it
    gate, bit = _gate()
    gated = _gated()
    masks = [gate.scan(text) for text in cleaned]
    # "here at Nordkap Foods": the customer's (or our) own company
    own = bit[id(_OWN_COMPANY)] if scope.live(_OWN_COMPANY) else 0
    for text, mask in zip(cleaned, masks, strict=True):
        for m in _matches(_OWN_COMPANY, text, gated) if mask & own else ():
            name = _trim(m.group("v"))
            if name:
                banned.add(name_key(name))
                banned.update(name_key(w) for w in name.split())
    aliases = {name_key(a): v.name for v in vendors for a, _ in v.spellings()}
    aliases.update((name_key(rest), name) for _, rest, name in parts)

    def known(name: str) -> str:
        key = name_key(name)
        return canonical.get(key) or aliases.get(key) or name

    def allowed(name: str) -> bool:
        key = name_key(name)
        if not key or key in banned or len(key) < 2:
            return False
        words = name.split()
        if any(name_key(w) in banned for w in words) and key not in aliases:
            return False
        return not (
            key not in aliases
            and key not in canonical
            and (any(w.lower() in _GENERIC_TOOLS for w in words) or name.isupper())
        )

    found: list[tuple[int, str, float, str]] = []  # (sentence index, name, confidence, how)
    said: dict[str, bool] = {}
    joined: list[str] = []

    def addressed(name: str) -> bool:
        """Whether a one-word name is addressed as a person somewhere on the call."""
        if " " in name or name_key(name) in aliases or name_key(name) in canonical:
            return False
        if name not in said:
            if not joined:
                joined.append("\n".join(cleaned))
            text, cues, hit = joined[0], _person_cues(name), False
            # every cue starts at most `_CUE_REACH` characters before the name: try a
            # match at those places only, around each place the name is said
            at = text.find(name)
            while at >= 0 and not hit:
                starts = range(max(0, at - _CUE_REACH), at + 1)
                hit = any(cues.match(text, start) is not None for start in starts)
                at = text.find(name, at + 1)
            said[name] = hit
        return said[name]

    lexicon = _compiled(tuple(vendors))
    lexicon_any = _any_alias(tuple(vendors))
    folding = _folded_keys(tuple(vendors))
    integration: set[str] = set()
    strong_count: dict[str, int] = {}
    # asked once, not per sentence (hashing a compiled pattern hashes its whole code); a
    # pattern with no needle anywhere in the call (`scope.live`) is not tried on any sentence
    context = [
        (pattern, confidence, kind, pattern in _CUE_FIRST, bit[id(pattern)])
        for pattern, confidence, kind in _CONTEXT
        if scope.live(pattern)
    ]
    any_context = bit[id(_ANY_CONTEXT)] if scope.live(_ANY_CONTEXT) else 0
    talking = [(p, bit[id(p)]) for p in (_TALKING,) if scope.live(p)]
    integrations = [
        (p, bit[id(p)])
        for p in (_INTEGRATION_BEFORE, _INTEGRATION_AFTER, _KEPT_AFTER, _KEPT_BEFORE)
        if scope.live(p)
    ]
    any_lexicon = bool(lexicon) and scope.live(lexicon_any)
    frames = 0  # the bits of every frame pattern tried below (most sentences hold none)
    for *_, needs in context:
        frames |= needs
    for i, (text, maybe) in enumerate(zip(cleaned, masks, strict=True)):
        has_context = bool(maybe & any_context) and _has_context(text)
        for pattern, confidence, kind, needs_cue, needs in context if maybe & frames else ():
            if not maybe & needs or (not has_context and needs_cue):
                continue
            if pattern is _RUN_ON:
                if _RUN_GATE.search(text) is None:
                    continue
                has_context = True  # for the lexicon below ("we run it all on sales force")
            for m in _matches(pattern, text, gated):
                raw = m.group("v").replace("'s", "")
                # "on Workforce Now": a product whose name ends in a word _trim drops
                name = raw if name_key(raw) in aliases else _trim(raw)
                if not name or not allowed(name):
                    continue
                if kind == "incumbent" and _FUNCTION.match(text[m.end() :]):
                    continue  # "we use QuickBooks for billing": a tool for another job
                if kind == "noun" and _WON.search(text[: m.start()]):
                    continue  # "we won the Northside Health contract": their customer
                if _DEAL_NOUN.search(m.group(0)) and _CUSTOMER_DEAL.search(
                    text[: m.start()] + " " + text[m.end() :]
                ):
                    continue  # "our biggest account is the Pret contract": their customer
                if (
                    kind == "before"
                    and _LEAVING.match(text, m.start())
                    and _NEGATED.search(text[max(0, m.start() - 40) : m.start()])
                ):
                    integration.add(name_key(known(name)))
                    continue  # "we'll never move off Epicor": kept, not replaced
                if _person(name, aliases, canonical) or addressed(name):
                    continue  # "Mark reached out", "a call with Craig": someone, not a vendor
                if _place(name, aliases, canonical):
                    continue  # "the Leeds guys", "the Halifax contract": a place
                has_context = True  # a frame: lexicon names in this sentence have context
                name = known(name)
                found.append((i, name, confidence, f"context:{kind}"))
                if confidence >= STRONG:
                    strong_count[name] = strong_count.get(name, 0) + 1
        # "talking to LinenLogix too": only with a price cue
        for pattern, needs in talking:
            for m in _matches(pattern, text, gated) if maybe & needs else ():
                name = _trim(m.group("v"))
                rest = text[: m.start()] + text[m.end() :]
                if (
                    name
                    and allowed(name)
                    and not _person(name, aliases, canonical)
                    and not addressed(name)
                    and not _place(name, aliases, canonical)
                    and _has_context(rest)
                ):
                    found.append((i, known(name), STRONG, "context:talking-to"))
        for pattern, needs in integrations:
            for m in _matches(pattern, text, gated) if maybe & needs else ():
                integration.add(name_key(known(_trim(m.group("v")))))
        if vendors and has_context:  # "we've been running sales force", "we use fireflies"
            for vendor, _, _ in _folded(text, *folding):
                if not allowed(vendor.name) or any(
                    v is vendor and p.search(text) for v, p, _ in lexicon
                ):
                    continue  # its own pattern reads it (below)
                confidence = LEXICON_FRAMED if vendor.framed else LEXICON_WITH_CONTEXT
                found.append((i, vendor.name, confidence, "lexicon+context:folded"))
        if not any_lexicon or prefilter.search(lexicon_any, text) is None:
            continue
        for vendor, pattern, common in lexicon:
            if pattern.search(text) is None or not allowed(vendor.name):
                continue
            if common and all(_NAME_GOES_ON.match(text, h.end()) for h in pattern.finditer(text)):
                continue  # "the Apollo Hospitals contract": another name that starts alike
            if (common or vendor.framed) and not has_context:
                continue
            if vendor.framed:
                found.append((i, vendor.name, LEXICON_FRAMED, "lexicon+context"))
            elif has_context:
                found.append((i, vendor.name, LEXICON_WITH_CONTEXT, "lexicon+context"))
            else:
                found.append((i, vendor.name, LEXICON, "lexicon"))
    for name in canonical.values():  # a tracked name, also spelled apart or in lower case
        pattern = _tracked_pattern(name)
        if scope.live(pattern):
            found += [
                (i, name, 1.0, "policy")
                for i, t in enumerate(cleaned)
                if prefilter.search(pattern, t)
            ]
    lower_case = _lower_case_call(units)
    for pattern, rest, name in parts:  # "Ariba": SAP Ariba
        if scope.live(pattern):
            found += [
                (i, name, 1.0, "policy:product")
                for i, t in enumerate(cleaned)
                if prefilter.search(pattern, t) and allowed(name)
            ]
        blind = _alias_pattern(rest, common=False)
        if lower_case and scope.live(blind):  # no capitals to go by: a verb frame instead
            found += [
                (i, name, 1.0, "policy:product")
                for i, t in enumerate(cleaned)
                for m in prefilter.finditer(blind, t)
                if _framed(t, m.start(), m.end()) and allowed(name)
            ]
    if lower_case:
        lower: dict[str, list[int]] = {}
        lower_patterns = [p for p in _LOWER if scope.live(p)]
        for i, text in enumerate(cleaned):
            for pattern in lower_patterns:
                for m in prefilter.finditer(pattern, text):
                    word = m.group("v").lower()
                    if (
                        word in _NOT_A_VENDOR
                        or word in _LOWER_STOP
                        or word in _GENERIC_TOOLS
                        or not allowed(word)
                        or _place(word, aliases, canonical)
                    ):
                        continue
                    lower.setdefault(word, []).append(i)
        for word, where in lower.items():
            if len(where) >= 2:
                name = known(word)
                name = name if name != word else word[:1].upper() + word[1:]
                found += [(i, name, LOWER_CASE, "lower-case") for i in dict.fromkeys(where)]
    best: dict[str, float] = {}
    for _, name, confidence, how in found:
        key = name_key(name)
        if strong_count.get(name, 0) >= 2 and how.startswith("context"):
            confidence = max(confidence, REPEATED_STRONG)
        best[key] = max(best.get(key, 0.0), confidence)
    strong_keys = {name_key(n) for n, c in strong_count.items() if c}
    for key in integration:  # only ever a system to connect to, never a buying context
        if key in best and key not in strong_keys:
            best[key] = min(best[key], INTEGRATION_ONLY)
    out: dict[tuple[int, str], VendorMention] = {}
    for i, name, confidence, how in sorted(found, key=lambda f: (f[0], -f[2])):
        key = name_key(name)
        if best[key] < min_confidence or (i, key) in out:
            continue
        out[i, key] = VendorMention(
            name=name, sentence=units[i], confidence=round(confidence, 2), how=how
        )
    return [out[k] for k in sorted(out)]

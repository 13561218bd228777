"""Section `drafts`: customer drafts over whole lifecycles of generated deals, scored by code.

Twelve deals across industries, countries and time zones are generated here, with their
labels written alongside before any draft is scored: the customer's pains and concerns (in
the first person, as people speak), the requests they make on the call (each with the words a
follow-up must contain to address it), and the zone each contact should be written to. Each
deal runs the operator's whole lifecycle offline (lead, call, an optional reply, pipeline
review, close), every action approved. Every customer email drafted on the way is checked
against a rubric:

- `no_internal`: no internal term (the sheet's internal facts, the internal vocabulary, the
  deal's competitor, the win probability);
- `no_first_person_quotes`: no five-word span of a labelled first-person customer sentence;
- `requests_addressed` (follow-ups): every labelled request's words appear;
- `times_in_recipient_zone`: every clock time is followed by the recipient's zone
  abbreviation, no UTC unless that is the zone, and invites carry the recipient's zone;
- `traceable`: every number, date word, name and link is on the draft's customer-safe sheet;
- `latest_state` (re-engagements): the champion's reply is acknowledged when there is one, and
  the rep's overdue ROI model is owned with an apology when there is none.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from evals import Section, md_table

INDUSTRIES: list[dict[str, Any]] = [
    {"industry": "Logistics", "site": "hub", "team": "dispatchers", "work": "routes"},
    {"industry": "Healthcare", "site": "clinic", "team": "schedulers", "work": "home visits"},
    {"industry": "Retail", "site": "store", "team": "store managers", "work": "deliveries"},
    {"industry": "Manufacturing", "site": "plant", "team": "planners", "work": "shipments"},
    {"industry": "Construction", "site": "yard", "team": "coordinators", "work": "crews"},
    {"industry": "Food distribution", "site": "depot", "team": "dispatchers", "work": "drops"},
    {"industry": "Utilities", "site": "region", "team": "supervisors", "work": "field jobs"},
    {"industry": "Education", "site": "campus", "team": "transport staff", "work": "bus runs"},
    {"industry": "Field services", "site": "branch", "team": "schedulers", "work": "jobs"},
    {"industry": "E-commerce", "site": "warehouse", "team": "ops leads", "work": "parcels"},
    {"industry": "Pharma", "site": "lab", "team": "couriers", "work": "cold-chain runs"},
    {"industry": "Waste management", "site": "depot", "team": "dispatchers", "work": "pickups"},
]

PLACES: list[tuple[str, str | None, str | None]] = [
    # (country, territory, a contact's own CRM time zone or None)
    ("US", "NA-East", None),
    ("US", "NA-West", "America/Los_Angeles"),
    ("US", "NA-Central", "America/Chicago"),
    ("GB", "EMEA", None),
    ("DE", "EMEA", "Europe/Berlin"),
    ("US", "NA-East", "America/Denver"),
    ("IN", "APAC", None),
    ("AU", "APAC", "Australia/Sydney"),
    ("CA", "NA-East", None),
    ("US", "NA-West", None),
    ("FR", "EMEA", None),
    ("JP", "APAC", None),
]

FIRST = ["Avery", "Jordan", "Riya", "Mateo", "Hannah", "Kenji", "Olivia", "Samir", "Chloe",
         "Lukas", "Priya", "Noah"]  # fmt: skip
LAST = ["Brooks", "Keller", "Iyer", "Santos", "Fischer", "Tanaka", "Price", "Haddad", "Martin",
        "Weber", "Rao", "Bennett"]  # fmt: skip
COMPETITORS = ["FleetPilot", "RouteMax", "ShipSmart"]


@dataclass
class GeneratedDeal:
    """One generated deal with its labels."""

    deal_id: str
    industry: str
    country: str
    territory: str | None
    events: list[dict[str, Any]]
    contact_zone: str | None
    champion_email: str
    first_person: list[str] = field(default_factory=list)
    """Labelled customer sentences spoken in the first person."""
    requests: list[tuple[str, list[str]]] = field(default_factory=list)
    """Labelled requests: (what was asked, words a follow-up must contain)."""
    competitor: str = ""


def _stamp(seconds: int) -> str:
    return f"[{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}]"


def generate_deals() -> list[GeneratedDeal]:
    """Return the twelve generated deals, labels included."""
    deals: list[GeneratedDeal] = []
    start = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    for i, (kind, place) in enumerate(zip(INDUSTRIES, PLACES, strict=True)):
        country, territory, zone = place
        first, last = FIRST[i], LAST[i]
        other_first, other_last = FIRST[(i + 5) % 12], LAST[(i + 7) % 12]
        company = f"{last} {kind['industry'].split()[0]} Group"
        domain = f"{last.lower()}-{kind['industry'].split()[0].lower()}.example"
        champion = f"{first.lower()}.{last.lower()}@{domain}"
        other = f"{other_first.lower()}.{other_last.lower()}@{domain}"
        competitor = COMPETITORS[i % 3]
        site, team, work = kind["site"], kind["team"], kind["work"]
        deal_id = f"D-E{i + 1:02d}"
        rep = "Sam Rivera"
        pains = [
            f"Our {team} spend about {2 + i % 3} hours a day planning {work} in spreadsheets.",
            "We missed too many delivery windows last quarter, and my team takes the calls.",
        ]
        concern = f"I'm worried that our {team} will not adopt a new tool before peak season."
        requests = [
            ("How do you handle security?", ["how we handle security"]),
            (f"Can we see the on-time rate per {site}?", [f"on-time rate per {site}"]),
            (f"A rollout plan by {site}.", [f"rollout plan by {site}"]),
            ("I need something I can put in front of our finance team.", ["finance team"]),
        ]
        turns = [
            (rep, f"Hi {first}, thanks for making the time today. Can you hear me okay?"),
            (f"{first} {last}", "Loud and clear. Hi Sam."),
            (rep, f"To start, can you walk me through how your {team} plan the day?"),
            (f"{first} {last}", f"Sure. {pains[0]} It is all manual."),
            (rep, "How does that show up for your customers?"),
            (f"{first} {last}", pains[1]),
            (rep, "Have you looked at other tools?"),
            (f"{first} {last}", f"We had a look at {competitor} earlier this year."),
            (rep, "Understood. Let me show you the planning board."),
            (f"{first} {last}", f"{requests[0][0]} Our IT team will ask about SOC 2."),
            (rep, "We're SOC 2 Type II, with single sign-on. I can share our security pack."),
            (f"{first} {last}", requests[1][0]),
            (rep, f"Yes, the dashboard filters and exports by {site}."),
            (f"{first} {last}", concern),
            (rep, "We run a short training session at each site as part of onboarding."),
            (f"{first} {last}", requests[3][0]),
            (rep, "How are decisions like this made on your side?"),
            (f"{first} {last}", f"{other_first} {other_last} signs off on anything this size."),
            (rep, "Is there anything else you'd want to see in the proposal?"),
            (f"{first} {last}", f"{requests[2][0]} We'd want to go live one {site} at a time."),
            (rep, f"That's how we usually do it, one {site} first."),
            (rep, "I'll send you the ROI model and a pricing proposal by Friday."),
            (
                f"{first} {last}",
                f"That works. I'll set up a call with {other_first} for next Tuesday.",
            ),
            (rep, "Great. Thanks again for your time."),
        ]
        transcript = "\n".join(f"{_stamp(30 + 40 * n)} {who}: {text}" for n, (who, text) in
                               enumerate(turns))  # fmt: skip
        at = start + timedelta(days=i % 3)
        contacts = [
            {"id": f"C-{i}-1", "name": f"{first} {last}", "email": champion,
             "title": "VP of Operations", "role": "champion", "timezone": zone},
            {"id": f"C-{i}-2", "name": f"{other_first} {other_last}", "email": other,
             "title": "Chief Financial Officer"},
        ]  # fmt: skip
        events: list[dict[str, Any]] = [
            {
                "type": "lead_created",
                "at": at.isoformat(),
                "payload": {
                    "deal": {"id": deal_id, "name": f"{company} - Orbital Dispatch",
                             "stage": "new", "amount": 20000 + 4000 * i,
                             "close_date": (at + timedelta(days=25)).date().isoformat()},
                    "account": {"id": f"A-E{i}", "name": company, "domain": domain,
                                "industry": kind["industry"], "employees": 150 + 90 * i,
                                "territory": territory, "country": country},
                    "contacts": contacts,
                    "lead": {"id": f"L-E{i}", "contact_id": f"C-{i}-1",
                             "source": ["demo_request", "webinar", "content_download"][i % 3],
                             "created_at": at.isoformat(),
                             "signals": {"pages_visited": 3 + i, "pricing_page_visits": i % 3,
                                         "emails_opened": i % 4, "demo_requested": i % 3 == 0}},
                },
            },
            {
                "type": "meeting_completed",
                "at": (at + timedelta(days=2, hours=2)).isoformat(),
                "payload": {
                    "deal_id": deal_id,
                    "call_id": f"call-{deal_id}",
                    "call_date": (at + timedelta(days=2)).date().isoformat(),
                    "transcript": transcript,
                    "attendees": ["sam.rivera@orbitalfreight.com", champion],
                },
            },
        ]  # fmt: skip
        if i % 2 == 0:
            events.append(
                {
                    "type": "activity_logged",
                    "at": (at + timedelta(days=5)).isoformat(),
                    "payload": {
                        "deal_id": deal_id,
                        "kind": "reply",
                        "direction": "inbound",
                        "summary": f"{first} {last}: thanks, reviewing the proposal with "
                        f"{other_first}",
                    },
                }
            )
        events.append(
            {
                "type": "pipeline_review",
                "at": (at + timedelta(days=16)).isoformat(),
                "payload": {"deal_id": deal_id, "note": "weekly pipeline review"},
            }
        )
        events.append(
            {
                "type": "deal_closed",
                "at": (at + timedelta(days=30)).isoformat(),
                "payload": {"deal_id": deal_id, "outcome": "won" if i % 3 else "lost",
                            "amount": 21000 + 4000 * i, "reason": "budget"},
            }
        )  # fmt: skip
        deals.append(
            GeneratedDeal(
                deal_id=deal_id,
                industry=kind["industry"],
                country=country,
                territory=territory,
                events=events,
                contact_zone=zone,
                champion_email=champion,
                first_person=[*pains, concern, requests[3][0]],
                requests=requests,
                competitor=competitor,
            )
        )
    return deals


_FIRST_PERSON = re.compile(r"\b(i|i'm|we|we're|we'd|our|my|me|us)\b", re.I)
_CLOCK = re.compile(r"\b\d{2}:\d{2} ([A-Z][A-Za-z]{1,5}|[+-]\d{2,4})\b")


def _quoted(body: str, sentence: str) -> bool:
    """Whether `body` pastes a five-word span of `sentence` that holds a first-person word."""
    words = re.findall(r"[\w'-]+", sentence.lower())
    text = " ".join(re.findall(r"[\w'-]+", body.lower()))
    for k in range(max(0, len(words) - 4)):
        span = words[k : k + 5]
        if any(_FIRST_PERSON.fullmatch(w) for w in span) and f" {' '.join(span)} " in f" {text} ":
            return True
    return False


def expected_zone(deal: GeneratedDeal, policy: Any, rep_zone: str) -> str:
    """The zone the champion should be written to: CRM field, policy default, rep's."""
    if deal.contact_zone:
        return deal.contact_zone
    zones = policy.copilot.timezones
    for key in (deal.country, deal.territory):
        if key and key in zones:
            return str(zones[key])
    return rep_zone


def run_deal(deal: GeneratedDeal, workdir: Path) -> dict[str, Any]:
    """Run one deal's lifecycle; return its customer drafts with their sheets and invites."""
    from langgraph.checkpoint.memory import InMemorySaver

    from sales_operator.approval import approve_all
    from sales_operator.deps import Deps
    from sales_operator.graph import build_operator
    from sales_operator.patterns import copilot
    from sales_operator.runner import deal_state, pending_request, resume_deal, send_event
    from sales_operator.serde import make_serializer

    sheets: dict[str, Any] = {}

    def observe(key: str, sheet: Any) -> None:
        sheets[key] = sheet

    deps = Deps.offline(workdir, sample=True)
    graph = build_operator(deps, checkpointer=InMemorySaver(serde=make_serializer()))
    copilot.SHEET_OBSERVERS.append(observe)
    try:
        for event in deal.events:
            send_event(graph, event, deal_id=deal.deal_id)
            request = pending_request(graph, deal.deal_id)
            if request is not None:
                resume_deal(
                    graph,
                    deal.deal_id,
                    approve_all(request, reviewer="mgr-jordan"),
                    policy=deps.policy,
                    reviewer="mgr-jordan",
                )
    finally:
        copilot.SHEET_OBSERVERS.remove(observe)
    state = deal_state(graph, deal.deal_id)
    if deps.blobs is not None:  # executed actions keep their long text in the blob folder
        from sales_operator.blobs import resolve_text

        actions = [
            a.model_copy(update={"args": resolve_text(a.args, deps.blobs)})
            for a in state.proposed_actions
        ]
        state = state.model_copy(update={"proposed_actions": actions})
    reps = {r.id: r for r in deps.crm.list_reps()}
    rep = reps.get(state.deal.owner_id if state.deal and state.deal.owner_id else "")
    return {"state": state, "sheets": sheets, "policy": deps.policy, "rep": rep}


def score_deal(deal: GeneratedDeal, run: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one rubric row per customer email of the deal."""
    from email.utils import getaddresses

    from sales_operator.copilot.check import find_terms, untraceable

    state, sheets, policy, rep = run["state"], run["sheets"], run["policy"], run["rep"]
    zone = expected_zone(deal, policy, rep.timezone if rep else "UTC")
    abbreviations = {
        ZoneInfo(zone).tzname(datetime(2026, month, 15, 12)) for month in (1, 7, 11, 12)
    }
    rows: list[dict[str, Any]] = []
    invites = [a for a in state.proposed_actions if a.kind == "send_invite"]
    for action in state.proposed_actions:
        if action.kind != "send_email" or action.idempotency_key not in sheets:
            continue
        to = [e for _, e in getaddresses(action.args["to"])]
        if deal.champion_email not in to:
            continue  # internal (handoff) or another contact
        sheet = sheets[action.idempotency_key]
        subject, body = action.args["subject"], action.args["body"]
        text = f"{subject}\n{body}"
        kind = (
            action.description.split(": ", 1)[1].split(" ")[0] if ": " in action.description else ""
        )
        terms = [*sheet.forbidden_terms(), deal.competitor]
        if state.score is not None:
            terms.append(f"{state.score.probability:.0%}")
        internal = find_terms(text, terms)
        quoted = [s for s in deal.first_person if _quoted(body, s)]
        missing_requests = (
            [r for r, words in deal.requests if not all(w.lower() in body.lower() for w in words)]
            if kind == "follow-up"
            else []
        )
        clocks = _CLOCK.findall(body)
        wrong_zone = [c for c in clocks if c not in abbreviations]
        if " UTC" in body and zone != "UTC":
            wrong_zone.append("UTC")
        untraced = untraceable(text, sheet.allowed_text())
        stale: list[str] = []
        if kind == "re-engage":
            replied = any(e["type"] == "activity_logged" for e in deal.events)
            expected = (
                "Thank you for your note on"
                if replied
                else "I'm sorry: I promised to send the ROI model"
            )
            if expected not in body:
                stale.append(f"latest state: expected {expected!r}")
        rows.append(
            {
                "deal": deal.deal_id,
                "industry": deal.industry,
                "zone": zone,
                "kind": kind,
                "no_internal": not internal,
                "no_first_person_quotes": not quoted,
                "requests_addressed": not missing_requests,
                "times_in_recipient_zone": not wrong_zone,
                "traceable": not untraced,
                "latest_state": not stale,
                "problems": [
                    *stale,
                    *[f"internal {t}" for t in internal],
                    *[f"quoted {q[:40]}" for q in quoted],
                    *[f"missed request {r}" for r in missing_requests],
                    *[f"zone {z}" for z in wrong_zone],
                    *untraced,
                ],
            }
        )
    for invite in invites:
        attendees = [e for _, e in getaddresses(invite.args["attendees"])]
        if deal.champion_email in attendees and not invite.description.startswith(
            "Invite " + "Maya"
        ):
            rows.append(
                {
                    "deal": deal.deal_id,
                    "industry": deal.industry,
                    "zone": zone,
                    "kind": "invite",
                    "no_internal": True,
                    "no_first_person_quotes": True,
                    "requests_addressed": True,
                    "times_in_recipient_zone": invite.args.get("timezone") == zone,
                    "traceable": True,
                    "latest_state": True,
                    "problems": []
                    if invite.args.get("timezone") == zone
                    else [f"invite zone {invite.args.get('timezone')} != {zone}"],
                }
            )
    return rows


RUBRIC = [
    "no_internal",
    "no_first_person_quotes",
    "requests_addressed",
    "times_in_recipient_zone",
    "traceable",
    "latest_state",
]


def run(out_dir: Path, data_dir: Path | None = None, *, include_external: bool = True) -> Section:
    """Run the drafts section (generated deals only: no external data needed)."""
    del out_dir, data_dir, include_external
    started = time.perf_counter()
    deals = generate_deals()
    rows: list[dict[str, Any]] = []
    for deal in deals:
        with tempfile.TemporaryDirectory(prefix="evals-drafts-") as tmp:
            rows += score_deal(deal, run_deal(deal, Path(tmp)))
    emails = [r for r in rows if r["kind"] != "invite"]
    counts = {key: sum(bool(r[key]) for r in rows) for key in RUBRIC}
    all_pass = sum(all(r[k] for k in RUBRIC) for r in emails)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)
    kind_rows = [
        [kind, len(items), *[sum(bool(i[k]) for i in items) for k in RUBRIC]]
        for kind, items in sorted(by_kind.items())
    ]
    problems = [f"- {r['deal']} {r['kind']}: {'; '.join(r['problems'][:4])}" for r in rows
                if r["problems"]]  # fmt: skip
    ok = all(counts[k] == len(rows) for k in RUBRIC)
    industries = sorted({d.industry for d in deals})
    zones = sorted({r["zone"] for r in rows})
    body = "\n\n".join(
        [
            f"{len(deals)} generated deals ({len(industries)} industries; champions in "
            f"{len(zones)} time zones: {', '.join(zones)}), each run through its whole "
            "lifecycle offline with every action approved. Labels (first-person customer "
            "sentences, the requests made on the call with the words that address them, the "
            "expected zone) are generated with the deals, before scoring.",
            f"Customer emails checked: {len(emails)}; invites checked: "
            f"{len(rows) - len(emails)}. Emails passing every rubric item: {all_pass} of "
            f"{len(emails)}.",
            md_table(["draft", "n", *RUBRIC], kind_rows),
            "Problems:\n" + ("\n".join(problems) if problems else "none"),
        ]
    )
    return Section(
        key="drafts",
        title="Customer drafts: rubric over generated lifecycles",
        status="pass" if ok else "fail",
        markdown=body,
        results={
            "deals": len(deals),
            "emails": len(emails),
            "invites": len(rows) - len(emails),
            "counts": counts,
            "emails_all_pass": all_pass,
            "rows": rows,
        },
        summary=[
            f"drafts: {all_pass}/{len(emails)} customer emails pass every rubric item; "
            + ", ".join(f"{k} {counts[k]}/{len(rows)}" for k in RUBRIC)
        ],
        seconds=time.perf_counter() - started,
    )

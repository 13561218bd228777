"""Section 3: lead routing, replayed on a quarter of the Maven CRM pipeline.

The Maven Analytics "CRM Sales Opportunities" data (`maven_crm_sales_opportunities/`, a
fictitious B2B hardware seller; see its SOURCE.md) has 35 sales agents in three regional
offices and the engage and close dates of every opportunity. The busiest calendar quarter of
engage dates is replayed lead by lead through `sales_operator.scoring.routing.route_lead`
and through naive baselines, and the load each rep carries is tracked day by day.

How the data becomes routing input (every choice is stated in the report too):

- each agent in `sales_teams.csv` is a `Rep` (role `ae`, territory = regional office,
  manager = the agent's manager, every segment, weight 1, working hours 9-18 Mon-Fri in the
  office's time zone: Central = America/Chicago, East = America/New_York, West =
  America/Los_Angeles); agents without any opportunity in the data are reps too;
- a lead's territory is the regional office of the agent who worked it in the data (the
  office it reached); its account's `employees` give its segment (policy segments); a blank
  account gives an unknown segment; every lead is band B (the data has no score);
- arrival = `engage_date` at a time of day drawn from the opportunity id's hash (uniform over
  the 24 hours UTC: the data has dates only);
- a deal closes, and frees its owner's capacity, at the start of its `close_date` (the same
  date whoever owns it); Engaging/Prospecting deals stay open;
- the load at the quarter's start is every earlier deal still open, with its data owner;
- capacity cap = ceil(1.5 x the mean open deals per agent at the quarter's start), for all.

Strategies: the agent in the data ("data owner"); plain round-robin over the office's agents
(no load, caps or hours); the library's router with the bundled policy's rules in three
settings (least-loaded + hold out-of-hours leads, the bundled default; weighted round-robin +
hold; least-loaded + `next_rule` with a cross-office overflow rule).
"""

from __future__ import annotations

import csv
import hashlib
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from evals import Section, md_table, pyplot, skipped
from sales_operator.adapters.base import Rep
from sales_operator.policy import Policy, RoutingRule, default_policy
from sales_operator.scoring.routing import next_working_start, route_lead
from sales_operator.state import Account

KEY = "routing"
"""Section key."""

TITLE = "3. Routing (Maven CRM replay)"
"""Section heading."""

FOLDER = "maven_crm_sales_opportunities"
"""The data folder under the data directory."""

OFFICE_ZONES = {
    "Central": "America/Chicago",
    "East": "America/New_York",
    "West": "America/Los_Angeles",
}
"""Regional office to the time zone its agents work in (stated assumption)."""

CAP_FACTOR = 1.5
"""Capacity cap = ceil(CAP_FACTOR x mean open deals per agent at the quarter's start)."""

BAND = "B"
"""Score band given to every lead (the data has no score)."""

RECENT_KEPT = 400
"""Latest assignments handed to the router (round-robin window and recency tie-break)."""

QUEUE_ID = "queue-inbound"
"""The fallback queue."""


@dataclass
class Opportunity:
    """One row of `sales_pipeline.csv`, as routing input."""

    id: str
    agent: str
    account: str
    engaged: date
    closed: date | None
    arrival: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))


@dataclass
class Replay:
    """What one strategy did over the quarter."""

    name: str
    owners: dict[str, str] = field(default_factory=dict)
    """Opportunity id to the rep (or queue) that got it."""
    daily: dict[str, list[int]] = field(default_factory=dict)
    """Rep id to its open deals at the end of each day of the quarter."""
    breaches: int = 0
    """Assignments that left a rep above its cap."""
    fallback: int = 0
    held: int = 0
    cross_office: int = 0
    waits_h: list[float] = field(default_factory=list)
    """Hours from arrival to the assigned rep's working time (0 when working), per lead."""
    new_leads: dict[str, int] = field(default_factory=dict)


def _slug(name: str) -> str:
    return "rep-" + "-".join(name.casefold().split())


def _read(folder: Path) -> tuple[list[dict[str, str]], dict[str, int], list[Opportunity]]:
    with (folder / "sales_teams.csv").open(newline="", encoding="utf-8") as f:
        teams = list(csv.DictReader(f))
    with (folder / "accounts.csv").open(newline="", encoding="utf-8") as f:
        employees = {r["account"]: int(r["employees"]) for r in csv.DictReader(f)}
    opps: list[Opportunity] = []
    with (folder / "sales_pipeline.csv").open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if not r["engage_date"]:
                continue  # Prospecting rows have no engage date: never arrived
            opp = Opportunity(
                id=r["opportunity_id"],
                agent=r["sales_agent"],
                account=r["account"],
                engaged=date.fromisoformat(r["engage_date"]),
                closed=date.fromisoformat(r["close_date"]) if r["close_date"] else None,
            )
            minute = int(hashlib.sha256(opp.id.encode()).hexdigest()[:8], 16) % (24 * 60)
            opp.arrival = datetime.combine(opp.engaged, datetime.min.time(), UTC) + timedelta(
                minutes=minute
            )
            opps.append(opp)
    return teams, employees, opps


def _quarter(opps: list[Opportunity]) -> tuple[date, date]:
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for o in opps:
        counts[(o.engaged.year, (o.engaged.month - 1) // 3)] += 1
    year, q = max(counts, key=lambda k: (counts[k], k))
    start = date(year, 3 * q + 1, 1)
    end = date(year + (q == 3), (3 * q + 3) % 12 + 1, 1)
    return start, end


def _reps(teams: list[dict[str, str]], cap: int) -> list[Rep]:
    reps = [
        Rep(
            id=_slug(t["sales_agent"]),
            name=t["sales_agent"],
            email=f"{_slug(t['sales_agent'])[4:].replace('-', '.')}@example.com",
            role="ae",
            territory=t["regional_office"],
            capacity=cap,
            manager_id=_slug(t["manager"]),
            timezone=OFFICE_ZONES.get(t["regional_office"], "UTC"),
            working_hours=(9, 18),
        )
        for t in teams
    ]
    reps.append(
        Rep(
            id=QUEUE_ID,
            name="Inbound queue",
            email="inbound@example.com",
            role="queue",
            capacity=10**9,
            working_hours=(0, 24),
        )
    )
    return reps


def _gini(values: list[float]) -> float:
    xs = sorted(values)
    n = len(xs)
    total = sum(xs)
    if n == 0 or total == 0:
        return 0.0
    return sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(xs)) / (n * total)


def _cv(values: list[float]) -> float:
    mean = sum(values) / len(values)
    if mean == 0:
        return 0.0
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)) / mean


def _ratio(loads: list[float]) -> float:
    """Return max/mean of `loads` (0 when every load is 0)."""
    mean = sum(loads) / len(loads)
    return max(loads) / mean if mean else 0.0


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


Chooser = Callable[[Opportunity, Account, dict[str, int], list[str]], tuple[str, Any]]
"""(opportunity, account, open counts, recent ids) -> (rep id, Assignment or None)."""


def _replay(
    name: str,
    choose: Chooser,
    *,
    start: date,
    end: date,
    opps: list[Opportunity],
    reps: list[Rep],
    employees: dict[str, int],
    policy: Policy,
) -> Replay:
    by_id = {r.id: r for r in reps}
    agents = [r for r in reps if r.role != "queue"]
    office = {r.id: r.territory for r in agents}
    open_counts = {r.id: 0 for r in reps}
    owner: dict[str, str] = {}
    closes: dict[date, list[str]] = defaultdict(list)
    for o in opps:
        if o.engaged < start and (o.closed is None or o.closed >= start):
            rid = _slug(o.agent)
            owner[o.id] = rid
            open_counts[rid] = open_counts.get(rid, 0) + 1
            if o.closed is not None:
                closes[o.closed].append(o.id)
    arrivals: dict[date, list[Opportunity]] = defaultdict(list)
    for o in opps:
        if start <= o.engaged < end:
            arrivals[o.engaged].append(o)
    out = Replay(name=name, daily={r.id: [] for r in agents})
    out.new_leads = {r.id: 0 for r in agents}
    recent: list[str] = []
    day = start
    while day < end:
        for oid in closes.pop(day, []):
            held_by = owner.get(oid)
            if held_by is not None:
                open_counts[held_by] -= 1
        for o in sorted(arrivals.get(day, []), key=lambda x: (x.arrival, x.id)):
            territory = office.get(_slug(o.agent))
            account = Account(
                id=o.account or f"unknown-{o.id}",
                name=o.account or "unknown",
                employees=employees.get(o.account),
                territory=territory,
            )
            rid, assignment = choose(o, account, open_counts, recent)
            owner[o.id] = rid
            out.owners[o.id] = rid
            open_counts[rid] = open_counts.get(rid, 0) + 1
            if o.closed is not None and o.closed < end:
                closes[max(o.closed, day + timedelta(days=1))].append(o.id)
            rep = by_id[rid]
            if rep.role == "queue":
                out.fallback += 1
                continue
            recent.append(rid)
            out.new_leads[rid] += 1
            if open_counts[rid] > rep.capacity:
                out.breaches += 1
            if rep.territory != territory:
                out.cross_office += 1
            if assignment is not None and assignment.held_until is not None:
                out.held += 1
            ready = next_working_start(rep, o.arrival, policy)
            wait = (ready - o.arrival).total_seconds() / 3600 if ready is not None else math.nan
            out.waits_h.append(wait)
        for r in agents:
            out.daily[r.id].append(open_counts[r.id])
        day += timedelta(days=1)
    return out


def _router(policy: Policy, reps: list[Rep]) -> Chooser:
    def choose(
        o: Opportunity, account: Account, counts: dict[str, int], recent: list[str]
    ) -> tuple[str, Any]:
        a = route_lead(
            account=account,
            score_band=BAND,
            lead_source="maven",
            reps=reps,
            open_counts=counts,
            policy=policy,
            at=o.arrival,
            recent=recent[-RECENT_KEPT:],
            arrived_at=o.arrival,
        )
        return a.rep_id, a

    return choose


def _metrics(r: Replay, reps: list[Rep], cap: int) -> dict[str, Any]:
    agents = [x.id for x in reps if x.role != "queue"]
    days = len(next(iter(r.daily.values())))
    ratios, cvs = [], []
    for d in range(days):
        loads = [float(r.daily[a][d]) for a in agents]
        ratios.append(_ratio(loads))
        cvs.append(_cv(loads))
    end_loads = [float(r.daily[a][-1]) for a in agents]
    new = [float(r.new_leads[a]) for a in agents]
    rep_days_over = sum(1 for a in agents for v in r.daily[a] if v > cap)
    waits = [w for w in r.waits_h if not math.isnan(w)]
    return {
        "strategy": r.name,
        "leads": len(r.owners),
        "max_mean_ratio_end": _ratio(end_loads),
        "max_mean_ratio_avg": sum(ratios) / len(ratios),
        "cv_load_avg": sum(cvs) / len(cvs),
        "gini_load_end": _gini(end_loads),
        "gini_new_leads": _gini(new),
        "peak_load": max(max(v) for v in r.daily.values()),
        "capacity_breaches": r.breaches,
        "rep_days_over_cap": rep_days_over,
        "reps_ever_over_cap": sum(1 for a in agents if max(r.daily[a]) > cap),
        "fallback": r.fallback,
        "held": r.held,
        "cross_office": r.cross_office,
        "idle_reps": sum(1 for a in agents if r.new_leads[a] == 0),
        "wait_p50_h": _pct(waits, 0.5),
        "wait_p95_h": _pct(waits, 0.95),
        "in_hours_share": (sum(1 for w in waits if w == 0) / len(waits)) if waits else None,
        "new_leads_by_rep": dict(r.new_leads),
    }


def _plot(replays: list[Replay], reps: list[Rep], cap: int, start: date, out_dir: Path) -> str:
    plt = pyplot()
    agents = [r for r in reps if r.role != "queue"]
    fig, axes = plt.subplots(1, len(replays), figsize=(5 * len(replays), 4), sharey=True)
    for ax, rp in zip(axes, replays, strict=True):
        days = [start + timedelta(days=i) for i in range(len(rp.daily[agents[0].id]))]
        for rep in agents:
            ax.plot(days, rp.daily[rep.id], lw=0.7, alpha=0.6)
        ax.axhline(cap, color="red", ls="--", lw=1.2, label=f"cap {cap}")
        ax.set_title(rp.name, fontsize=9)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("open deals per rep")
    fig.suptitle("Open deals per rep over the replayed quarter (one line per rep)", fontsize=10)
    fig.tight_layout()
    name = "routing_load.png"
    fig.savefig(out_dir / name, dpi=110)
    plt.close(fig)
    return name


def maven(folder: Path, out_dir: Path) -> dict[str, Any]:
    """Replay the busiest quarter of the Maven pipeline through every strategy.

    Returns:
        The setup, one metrics row per strategy, and the figure's file name.
    """
    teams, employees, opps = _read(folder)
    start, end = _quarter(opps)
    open_at_start = sum(
        1 for o in opps if o.engaged < start and (o.closed is None or o.closed >= start)
    )
    cap = max(1, math.ceil(CAP_FACTOR * open_at_start / len(teams)))
    reps = _reps(teams, cap)
    base = default_policy()
    bundled = base.model_copy(
        update={"routing": base.routing.model_copy(update={"fallback_queue": QUEUE_ID})}
    )
    rr = bundled.model_copy(
        update={"routing": bundled.routing.model_copy(update={"strategy": "round_robin"})}
    )
    overflow_rule = RoutingRule(
        name="overflow: any office",
        when={},
        reps=[r.id for r in reps if r.role != "queue"],
    )
    overflow = bundled.model_copy(
        update={
            "routing": bundled.routing.model_copy(
                update={
                    "after_hours": "next_rule",
                    "rules": [*bundled.routing.rules, overflow_rule],
                }
            )
        }
    )
    office_agents: dict[str | None, list[str]] = defaultdict(list)
    for r in reps:
        if r.role != "queue":
            office_agents[r.territory].append(r.id)
    turn: dict[str | None, int] = defaultdict(int)

    def data_owner(
        o: Opportunity, account: Account, counts: dict[str, int], recent: list[str]
    ) -> tuple[str, Any]:
        return _slug(o.agent), None

    def plain_round_robin(
        o: Opportunity, account: Account, counts: dict[str, int], recent: list[str]
    ) -> tuple[str, Any]:
        pool = sorted(office_agents[account.territory])
        rid = pool[turn[account.territory] % len(pool)]
        turn[account.territory] += 1
        return rid, None

    strategies: list[tuple[str, Chooser, Policy]] = [
        ("data owner (baseline)", data_owner, bundled),
        ("plain round-robin per office (baseline)", plain_round_robin, bundled),
        ("router: least-loaded, hold (bundled policy)", _router(bundled, reps), bundled),
        ("router: weighted round-robin, hold", _router(rr, reps), rr),
        ("router: least-loaded, next_rule + overflow", _router(overflow, reps), overflow),
    ]
    replays: list[Replay] = []
    rows: list[dict[str, Any]] = []
    timings: dict[str, float] = {}
    for name, choose, policy in strategies:
        t0 = time.perf_counter()
        rp = _replay(
            name,
            choose,
            start=start,
            end=end,
            opps=opps,
            reps=reps,
            employees=employees,
            policy=policy,
        )
        timings[name] = time.perf_counter() - t0
        replays.append(rp)
        rows.append(_metrics(rp, reps, cap))
    figure = _plot(replays[:3], reps, cap, start, out_dir)
    arrived = sum(1 for o in opps if start <= o.engaged < end)
    return {
        "status": "ok",
        "quarter": {"start": start.isoformat(), "end": (end - timedelta(days=1)).isoformat()},
        "leads": arrived,
        "agents": len(teams),
        "agents_without_data_deals": sum(
            1 for t in teams if not any(o.agent == t["sales_agent"] for o in opps)
        ),
        "open_at_start": open_at_start,
        "cap": cap,
        "cap_rule": f"ceil({CAP_FACTOR} x {open_at_start} open / {len(teams)} agents)",
        "strategies": rows,
        "seconds": timings,
        "figures": [figure],
    }


def _markdown(m: dict[str, Any]) -> str:
    headers = [
        "strategy",
        "max/mean load (end)",
        "max/mean load (daily avg)",
        "CV of load (daily avg)",
        "Gini load (end)",
        "Gini new leads",
        "peak load",
        "breaches",
        "rep-days over cap",
        "fallback",
        "held",
        "cross-office",
        "idle reps",
        "wait p50 h",
        "wait p95 h",
        "in hours",
    ]
    rows = [
        [
            r["strategy"],
            r["max_mean_ratio_end"],
            r["max_mean_ratio_avg"],
            r["cv_load_avg"],
            r["gini_load_end"],
            r["gini_new_leads"],
            r["peak_load"],
            r["capacity_breaches"],
            r["rep_days_over_cap"],
            r["fallback"],
            r["held"],
            r["cross_office"],
            r["idle_reps"],
            r["wait_p50_h"],
            r["wait_p95_h"],
            f"{r['in_hours_share']:.0%}" if r["in_hours_share"] is not None else None,
        ]
        for r in m["strategies"]
    ]
    q = m["quarter"]
    setup = (
        f"Quarter {q['start']} to {q['end']} (the busiest by engage date): {m['leads']} lead "
        f"arrivals over {m['agents']} agents ({m['agents_without_data_deals']} of them have no "
        f"opportunity in the data). {m['open_at_start']} deals were open at the start, left "
        f"with their data owners. Cap per rep: {m['cap']} open deals ({m['cap_rule']}). "
        "Territory = the regional office that worked the lead in the data; segment from the "
        "account's employees (blank account: unknown); band B for all; arrival time of day "
        "drawn uniformly from the id's hash (the data has dates only); a deal frees capacity "
        "at its close date; working hours 9-18 Mon-Fri in the office's zone (Central Chicago, "
        "East New York, West Los Angeles). Breaches count assignments that left a rep above "
        "the cap; waits are hours from arrival until the assigned rep's working time."
    )
    notes = (
        "Reading it: the data owners and plain round-robin ignore caps and load, so reps who "
        "were already busy keep taking leads (breaches); the router sends each lead to the "
        "least-loaded (or least-recently-served, by weight) rep of the office who is under the "
        "cap and working, holds it for the office's next working morning when nobody is, and "
        "sends it to the fallback queue when the whole office is at the cap. Rep-days over the "
        "cap include the load inherited at the quarter's start, which the router cannot undo "
        "(it only stops adding to it). Waits are the same for every strategy that keeps leads "
        "in their office, since an office's agents share its time zone; with `next_rule` and "
        "a cross-office overflow rule, a lead that arrives when nobody in any office is "
        "working goes to the always-open fallback queue (the queue's leads are not in the "
        "wait columns), and the overflow rule only catches the few hours when one office is "
        "open and another closed. The data is synthetic (see SOURCE.md), so this measures "
        "routing mechanics, not sales outcomes."
    )
    return "\n\n".join(
        [setup, md_table(headers, rows, digits=2), notes, f"![load per rep]({m['figures'][0]})"]
    )


def run(out_dir: Path, data_dir: Path, *, include_external: bool = True) -> Section:
    """Run section 3; skipped when the Maven data is absent or external data is not wanted."""
    t0 = time.perf_counter()
    folder = data_dir / FOLDER
    if not include_external:
        section = skipped(KEY, TITLE, f"{folder} (not requested: --no-external)")
        section.markdown = "skipped: not requested (`--no-external`)"
        section.results = {"status": "skipped", "reason": "not requested"}
        section.summary = [f"{TITLE}: skipped (not requested)"]
        return section
    if not (folder / "sales_pipeline.csv").is_file() or not (folder / "sales_teams.csv").is_file():
        return skipped(KEY, TITLE, str(folder))
    out_dir.mkdir(parents=True, exist_ok=True)
    m = maven(folder, out_dir)
    by = {r["strategy"]: r for r in m["strategies"]}
    owner = by["data owner (baseline)"]
    router = by["router: least-loaded, hold (bundled policy)"]
    summary = [
        f"routing (Maven {m['quarter']['start']}..{m['quarter']['end']}, {m['leads']} leads, "
        f"cap {m['cap']}): max/mean load at the end {owner['max_mean_ratio_end']:.2f} (data "
        f"owner) vs {router['max_mean_ratio_end']:.2f} (router); capacity breaches "
        f"{owner['capacity_breaches']} vs {router['capacity_breaches']}; fallback "
        f"{router['fallback']}; wait p95 {router['wait_p95_h']:.1f} h"
    ]
    return Section(
        key=KEY,
        title=TITLE,
        status="ok",
        markdown=_markdown(m),
        results=m,
        figures=list(m["figures"]),
        summary=summary,
        seconds=time.perf_counter() - t0,
    )

"""Section 1: the seed deal's lifecycle, node by node, against the design's trajectory.

Runs the five seed events (`sales_operator.demo.lifecycle_events()`) through the compiled
operator with the offline engine and an in-memory checkpointer, approves every proposed
action in every request an event makes, records the top-level nodes each event ran (from the
`on_update` callback of `send_event` / `resume_deal`, i.e.
`graph.stream(..., stream_mode="updates")`) and the action kinds proposed, and compares them
with the expected trajectory (strict, in order). The bundled policy has `speed_to_lead` on, so
the new lead asks twice (owner and rep notice first, research and drafting after); with it off
the lead's expected trajectory is the single request's. It also checks the facts of
docs/seed_story.md and plots the score history.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from evals import Section, md_table, pyplot

TITLE = "1. Lifecycle trajectory (seed deal D-2001, offline engine)"

EXPECTED_TRAJECTORY: dict[str, list[str]] = {
    "lead_created": [
        "ingest_event",
        "scoring_routing",
        "generative_research",
        "workflow_copilot",
        "prepare_request",
        "approval_gate",
        "execute_actions",
    ],
    "meeting_completed": [
        "ingest_event",
        "meeting_intelligence",
        "workflow_copilot",
        "prepare_request",
        "approval_gate",
        "execute_actions",
    ],
    "activity_logged": ["ingest_event", "scoring_routing", "workflow_copilot"],
    "pipeline_review": [
        "ingest_event",
        "scoring_routing",
        "workflow_copilot",
        "prepare_request",
        "approval_gate",
        "execute_actions",
    ],
    "deal_closed": [
        "ingest_event",
        "scoring_routing",
        "generative_research",
        "workflow_copilot",
        "prepare_request",
        "approval_gate",
        "execute_actions",
    ],
}
"""The top-level nodes each seed event must run, in order, with `speed_to_lead` off."""

EXPECTED_LEAD_SPEED_TO_LEAD: list[str] = [
    "ingest_event",
    "scoring_routing",
    "notify_owner",
    "prepare_request",
    "approval_gate",
    "execute_actions",
    "continue_event",
    "generative_research",
    "workflow_copilot",
    "prepare_request",
    "approval_gate",
    "execute_actions",
]
"""A new lead's nodes with `speed_to_lead` on (the default): scoring and routing, the first
request (owner and rep notice) and its execution, then research, drafting and the second."""


def expected_trajectory(kind: str, *, speed_to_lead: bool) -> list[str]:
    """The top-level nodes a seed event of `kind` must run, in order, under the policy."""
    if speed_to_lead and kind == "lead_created":
        return EXPECTED_LEAD_SPEED_TO_LEAD
    return EXPECTED_TRAJECTORY[kind]


EXPECTED_KINDS: dict[str, set[str]] = {
    "lead_created": {"assign_owner", "post_slack", "send_email"},
    "meeting_completed": {"update_crm", "send_email", "create_task"},
    "activity_logged": set(),
    "pipeline_review": {"send_email", "post_slack"},
    "deal_closed": {"create_task", "send_invite"},
}
"""Action kinds the seed story names for each event (must be among those proposed)."""

SCORE_TOLERANCE = 0.03
"""How far a probability may be from the story's "about N %"."""


def _near(value: float | None, target: float) -> bool:
    return value is not None and abs(value - target) <= SCORE_TOLERANCE


def run_lifecycle(workdir: Path, *, speed_to_lead: bool | None = None) -> dict[str, Any]:
    """Run the seed lifecycle in `workdir`; return per-event records and the final state.

    `speed_to_lead` overrides the bundled policy's switch (None keeps the policy's).
    """
    from langgraph.checkpoint.memory import InMemorySaver

    from sales_operator.approval import approve_all
    from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
    from sales_operator.deps import Deps
    from sales_operator.graph import build_operator
    from sales_operator.runner import deal_state, pending_request, resume_deal, send_event
    from sales_operator.serde import make_serializer

    deps = Deps.offline(workdir, sample=True)
    if speed_to_lead is not None:
        switch = deps.policy.speed_to_lead.model_copy(update={"enabled": speed_to_lead})
        deps.policy = deps.policy.model_copy(update={"speed_to_lead": switch})
    stl = deps.policy.speed_to_lead.enabled
    graph = build_operator(deps, checkpointer=InMemorySaver(serde=make_serializer()))
    records: list[dict[str, Any]] = []
    states: list[Any] = []
    for event in lifecycle_events():
        nodes: list[str] = []

        def seen(node: str, update: dict[str, Any], nodes: list[str] = nodes) -> None:
            if not node.startswith("__"):  # `__interrupt__` is not a node
                nodes.append(node)

        started = time.perf_counter()
        send_event(graph, event, deal_id=SEED_DEAL_ID, on_update=seen)
        request = pending_request(graph, SEED_DEAL_ID)
        requested: list[list[str]] = []  # one list of action names per request, in order
        while request is not None and not request.get("recovery"):
            requested.append([a["name"] for a in request["action_requests"]])
            resume_deal(
                graph,
                SEED_DEAL_ID,
                approve_all(request, reviewer="mgr-jordan"),
                policy=deps.policy,
                reviewer="mgr-jordan",
                on_update=seen,
            )
            request = pending_request(graph, SEED_DEAL_ID)
        if request is not None:
            raise RuntimeError(f"{event['type']}: the deal waits for a recovery: {request}")
        expected = expected_trajectory(event["type"], speed_to_lead=stl)
        seconds = time.perf_counter() - started
        state = deal_state(graph, SEED_DEAL_ID)
        mine = [a for a in state.proposed_actions if a.event_id == state.event_id]
        ids = {a.id for a in mine}
        receipts = [r for r in deps.crm.list_receipts(SEED_DEAL_ID) if r.action_id in ids]
        records.append(
            {
                "event": event["type"],
                "at": event["at"],
                "nodes": nodes,
                "expected_nodes": expected,
                "trajectory_match": nodes == expected,
                "action_kinds": [a.kind for a in mine],
                "approval_requested": requested,
                "expected_kinds_subset": sorted(EXPECTED_KINDS[event["type"]]),
                "kinds_ok": EXPECTED_KINDS[event["type"]] <= {a.kind for a in mine},
                "executed": sum(1 for r in receipts if r.status == "done"),
                "failed": sum(1 for r in receipts if r.status != "done"),
                "probability": state.score.probability if state.score else None,
                "band": state.score.band if state.score else None,
                "seconds": round(seconds, 3),
            }
        )
        states.append(state)
    return {"records": records, "states": states, "policy": deps.policy, "speed_to_lead": stl}


def seed_facts(states: list[Any], policy: Any) -> list[dict[str, Any]]:
    """Check the facts of docs/seed_story.md on the states after each event."""
    from sales_operator.scoring.risk import is_at_risk

    lead, meeting, _, review, closed = states
    facts: list[dict[str, Any]] = []

    def fact(name: str, expected: str, observed: Any, ok: bool) -> None:
        facts.append({"fact": name, "expected": expected, "observed": observed, "pass": ok})

    p0 = lead.score.probability if lead.score else None
    fact("Day 1 score about 78 %", "0.78 ± 0.03", p0, _near(p0, 0.78))
    band = lead.score.band if lead.score else None
    fact("Day 1 band", "A", band, band == "A")
    rep = lead.assignment.rep_id if lead.assignment else None
    fact("Routed to Sam Rivera", "rep-sam", rep, rep == "rep-sam")
    m = meeting.meeting
    pains = len(m.pains) if m else None
    fact("Discovery call pains", "3", pains, pains == 3)
    comps = sorted({h.tracker for h in m.competitors}) if m else []
    fact("Competitor mentioned", "FleetPilot", ", ".join(comps) or "none", comps == ["FleetPilot"])
    dues = sorted(c.due.isoformat() for c in m.commitments if c.due) if m else []
    ncom = len(m.commitments) if m else 0
    fact(
        "Commitments and due dates",
        "2: 2026-11-06, 2026-11-10",
        f"{ncom}: {', '.join(dues)}",
        ncom == 2 and dues == ["2026-11-06", "2026-11-10"],
    )
    p3 = review.score.probability if review.score else None
    fact("Pipeline review probability about 52 %", "0.52 ± 0.03", p3, _near(p3, 0.52))
    flagged = p3 is not None and is_at_risk(p3, review.risks, policy)
    codes = ", ".join(r.code for r in review.risks) or "no warnings"
    fact("Pipeline review flags the deal at risk", "at risk", codes, flagged)
    h = closed.handoff
    fact(
        "CS handoff brief written",
        "cs_handoff brief with claims",
        f"{h.purpose}, {len(h.claims)} claims" if h else "none",
        h is not None and h.purpose == "cs_handoff" and len(h.claims) > 0,
    )
    deal = closed.deal
    fact(
        "Deal closed won at 52,000",
        "closed_won, 52000",
        f"{deal.stage}, {deal.amount:.0f}" if deal and deal.amount is not None else "none",
        deal is not None and deal.stage == "closed_won" and deal.amount == 52000,
    )
    return facts


def plot_score_history(state: Any, policy: Any, path: Path) -> None:
    """Plot the probability over the lifecycle dates, with the bands and the risk bar.

    Events that did not rescore the deal (the meeting) are drawn as vertical lines.
    """
    plt = pyplot()
    points = state.score_history
    fig, ax = plt.subplots(figsize=(7.5, 4.0), dpi=110)
    xs = [p.at for p in points]
    ys = [p.probability for p in points]
    scored = {(p.event, p.at) for p in points}
    for e in state.events:
        if (e.type, e.at) not in scored:
            ax.axvline(e.at, color="#2ca02c", lw=0.8, ls="-.")
            ax.text(e.at, 0.03, f" {e.type}\n (not rescored)", fontsize=7, color="#2ca02c")
    ax.plot(xs, ys, marker="o", color="#1f77b4", label="win probability")
    for x, y, p in zip(xs, ys, points, strict=True):
        ax.annotate(
            f"{p.event}\n{y:.0%}",
            (x, y),
            textcoords="offset points",
            xytext=(0, 8 if y < 0.9 else -28),
            ha="center",
            fontsize=8,
        )
    for band, bound in sorted(policy.scoring.bands.items()):
        ax.axhline(bound, color="grey", lw=0.8, ls=":")
        ax.text(xs[0], bound + 0.01, f"band {band} ≥ {bound:.0%}", fontsize=7, color="grey")
    ax.axhline(policy.risk.at_risk_below, color="#d62728", lw=0.8, ls="--")
    ax.text(
        xs[-1],
        policy.risk.at_risk_below + 0.01,
        f"at risk below {policy.risk.at_risk_below:.0%}",
        fontsize=7,
        color="#d62728",
        ha="right",
    )
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("probability")
    ax.set_title("Seed deal D-2001: score history over the lifecycle")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def run(out_dir: Path, data_dir: Path | None = None) -> Section:
    """Run section 1 and write its plot under `out_dir`."""
    del data_dir  # no external data needed
    with tempfile.TemporaryDirectory(prefix="evals-lifecycle-") as tmp:
        run_out = run_lifecycle(Path(tmp))
    records, states, policy = run_out["records"], run_out["states"], run_out["policy"]
    facts = seed_facts(states, policy)
    figure = "lifecycle_score_history.png"
    plot_score_history(states[-1], policy, out_dir / figure)

    traj_ok = all(r["trajectory_match"] for r in records)
    kinds_ok = all(r["kinds_ok"] for r in records)
    facts_ok = all(f["pass"] for f in facts)
    failed = sum(r["failed"] for r in records)
    ok = traj_ok and kinds_ok and facts_ok and failed == 0

    traj_rows = [
        [
            r["event"],
            " → ".join(r["nodes"]),
            r["trajectory_match"],
            ", ".join(r["action_kinds"]) or "none",
            " / ".join(", ".join(names) for names in r["approval_requested"]) or "none",
            r["kinds_ok"],
            f"{r['executed']} / {r['failed']}",
        ]
        for r in records
    ]
    mismatches = [
        f"- `{r['event']}` expected `{' → '.join(r['expected_nodes'])}`"
        for r in records
        if not r["trajectory_match"]
    ]
    history = [
        [p.at.date().isoformat(), p.event, p.probability, p.reason]
        for p in states[-1].score_history
    ]
    body = "\n\n".join(
        [
            "Trajectory check: the top-level nodes each event ran, compared in order with the "
            "design's expected sequence (strict match); action kinds proposed, with the kinds "
            "the seed story names required among them; every action of every request approved. "
            f"`speed_to_lead` is {'on' if run_out['speed_to_lead'] else 'off'}"
            + (
                ": the new lead asks first about its owner and rep notice, then about the "
                "research's first-touch drafts."
                if run_out["speed_to_lead"]
                else ": each event makes one request."
            ),
            md_table(
                [
                    "event",
                    "nodes run",
                    "trajectory",
                    "actions proposed",
                    "requests (one per /)",
                    "story kinds",
                    "executed / failed",
                ],
                traj_rows,
            ),
            *(["Mismatches:\n" + "\n".join(mismatches)] if mismatches else []),
            "Seed story facts (docs/seed_story.md):",
            md_table(
                ["fact", "expected", "observed", "result"],
                [[f["fact"], f["expected"], f["observed"], f["pass"]] for f in facts],
            ),
            "Score history:",
            md_table(["date", "event", "probability", "reason"], history),
            f"![score history]({figure})",
        ]
    )
    n_traj = sum(r["trajectory_match"] for r in records)
    n_facts = sum(f["pass"] for f in facts)
    summary = [
        f"lifecycle: trajectory {n_traj}/{len(records)} events match, "
        f"seed facts {n_facts}/{len(facts)} pass, {sum(r['executed'] for r in records)} "
        f"actions executed, {failed} failed -> {'PASS' if ok else 'FAIL'}"
    ]
    return Section(
        key="lifecycle",
        title=TITLE,
        status="pass" if ok else "fail",
        markdown=body,
        results={
            "status": "pass" if ok else "fail",
            "trajectory_pass": traj_ok,
            "speed_to_lead": run_out["speed_to_lead"],
            "action_kinds_pass": kinds_ok,
            "facts_pass": facts_ok,
            "events": records,
            "facts": facts,
            "score_history": [
                {"at": p.at.isoformat(), "event": p.event, "probability": p.probability}
                for p in states[-1].score_history
            ],
        },
        figures=[figure],
        summary=summary,
    )

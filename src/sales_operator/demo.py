"""The seed deal's lifecycle, replayed on the bundled fixtures.

`lifecycle_events()` returns the five events of docs/seed_story.md in order; `run_demo()`
drives them through the operator, asks for (or, with `assume_yes`, gives) every approval,
and prints what each pattern found and what was executed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from sales_operator.approval import FIRST_REQUEST_SUFFIX, approve_all
from sales_operator.context import Context
from sales_operator.deps import Deps
from sales_operator.graph import build_operator
from sales_operator.runner import (
    deal_audit,
    deal_receipts,
    deal_state,
    pending_request,
    resume_deal,
    send_event,
)

SEED_DEAL_ID = "D-2001"
"""The seed deal's id (and thread id)."""

STEP_TITLES = (
    "Day 1 - a demo request arrives",
    "Day 3 - the discovery call",
    "Day 6 - Dana replies",
    "Week 3 - pipeline review",
    "Week 5 - closed-won",
)


def discovery_call_transcript() -> str:
    """Return the bundled discovery-call transcript."""
    return (
        resources.files("sales_operator")
        .joinpath("data/transcripts/discovery_call.txt")
        .read_text(encoding="utf-8")
    )


def lifecycle_events() -> list[dict[str, Any]]:
    """Return the seed lifecycle's events in order, as graph inputs' `event` values."""
    return [
        {
            "type": "lead_created",
            "at": "2026-11-02T14:05:00Z",
            "payload": {
                "deal": {
                    "id": SEED_DEAL_ID,
                    "name": "Northwind Logistics - Orbital Dispatch",
                    "stage": "new",
                    "amount": 48000,
                    "close_date": "2026-11-27",
                },
                "account": {
                    "id": "A-NWL",
                    "name": "Northwind Logistics",
                    "domain": "northwind-logistics.com",
                    "industry": "Logistics",
                    "employees": 450,
                    "territory": "NA-East",
                    "country": "US",
                },
                "contacts": [
                    {
                        "id": "C-DW",
                        "name": "Dana Whitfield",
                        "email": "dana.whitfield@northwind-logistics.com",
                        "title": "VP of Operations",
                        "role": "champion",
                    },
                    {
                        "id": "C-MC",
                        "name": "Marcus Chen",
                        "email": "marcus.chen@northwind-logistics.com",
                        "title": "Chief Revenue Officer",
                        "role": "economic_buyer",
                    },
                ],
                "lead": {
                    "id": "L-5001",
                    "contact_id": "C-DW",
                    "source": "demo_request",
                    "created_at": "2026-11-02T14:05:00Z",
                    "signals": {
                        "pages_visited": 7,
                        "pricing_page_visits": 2,
                        "emails_opened": 3,
                        "demo_requested": True,
                        "webinar_attended": False,
                    },
                },
            },
        },
        {
            "type": "meeting_completed",
            "at": "2026-11-04T16:00:00Z",
            "payload": {
                "deal_id": SEED_DEAL_ID,
                "call_id": "call-2026-11-04-discovery",
                "call_date": "2026-11-04",
                "transcript": discovery_call_transcript(),
                "attendees": [
                    "sam.rivera@orbitalfreight.com",
                    "dana.whitfield@northwind-logistics.com",
                ],
            },
        },
        {
            "type": "activity_logged",
            "at": "2026-11-07T10:30:00Z",
            "payload": {
                "deal_id": SEED_DEAL_ID,
                "kind": "reply",
                "direction": "inbound",
                "summary": "Dana Whitfield: thanks, reviewing the proposal with Marcus",
            },
        },
        {
            "type": "pipeline_review",
            "at": "2026-11-16T09:00:00Z",
            "payload": {"deal_id": SEED_DEAL_ID, "note": "weekly pipeline review"},
        },
        {
            "type": "deal_closed",
            "at": "2026-12-01T17:00:00Z",
            "payload": {
                "deal_id": SEED_DEAL_ID,
                "outcome": "won",
                "amount": 52000,
                "reason": "ROI case on dispatcher time and on-time delivery",
            },
        },
    ]


DEMO_REVIEWER = "mgr-jordan"
"""Who decides in the demo: Jordan Lee, the sample CRM's sales manager (may approve any kind)."""

Ask = Callable[[dict[str, Any]], dict[str, Any]]


def ask_interactively(request: dict[str, Any], *, out: TextIO, inp: TextIO) -> dict[str, Any]:
    """Ask a person about each action on the terminal; return the decisions payload."""
    import json

    decisions: list[dict[str, Any]] = []
    allowed = {c["action_name"]: c["allowed_decisions"] for c in request["review_configs"]}
    needs_reason = {
        c["action_name"] for c in request["review_configs"] if c.get("reject_message_required")
    }
    for action in request["action_requests"]:
        options = allowed[action["name"]]
        while True:
            out.write(f"  {action['description']}\n  [{'/'.join(options)}] (a/e/r)? ")
            out.flush()
            answer = inp.readline().strip().lower()
            choice = {"a": "approve", "e": "edit", "r": "reject"}.get(answer[:1], "")
            if choice not in options:
                out.write(f"  please answer one of {options}\n")
                continue
            if choice == "approve":
                decisions.append({"type": "approve", "reviewer": DEMO_REVIEWER})
            elif choice == "reject":
                out.write("  reason: ")
                out.flush()
                reason = inp.readline().strip()
                if not reason and action["name"] in needs_reason:
                    out.write("  this action is customer-facing: rejecting it needs a reason\n")
                    continue
                decisions.append({"type": "reject", "reviewer": DEMO_REVIEWER, "message": reason})
            else:
                out.write(f"  current args: {json.dumps(action['args'])}\n  new args (JSON): ")
                out.flush()
                try:
                    args = json.loads(inp.readline())
                except json.JSONDecodeError as err:
                    out.write(f"  not JSON ({err}); try again\n")
                    continue
                decisions.append(
                    {
                        "type": "edit",
                        "reviewer": DEMO_REVIEWER,
                        "edited_action": {"name": action["name"], "args": args},
                    }
                )
            break
    return {"decisions": decisions}


def _where(result: dict[str, Any]) -> str:
    if "path" in result:
        return str(result["path"])
    parts = [f"{k}={v}" for k, v in result.items() if isinstance(v, str | int | float)]
    return ", ".join(parts[:3])


def _pct(p: float) -> str:
    return f"{p * 100:.0f}%"


def _report(step: int, state: Any, out: TextIO) -> None:
    """Print what the patterns found for this step."""
    w = out.write
    if step == 0:
        s = state.score
        if s is not None:
            w(f"  score: {_pct(s.probability)} (band {s.band}, {s.engine} {s.model_version})\n")
            for f in s.factors:
                if abs(f.points) < 0.5:
                    continue
                w(f"    {f.points:+.0f} pts  {f.label}\n")
        if state.assignment is not None:
            a = state.assignment
            w(f"  routed to: {a.rep_name} ({a.rule}); {a.reason}\n")
        _report_brief(state, out)
    elif step == 1 and state.meeting is not None:
        m = state.meeting
        ratio = ", ".join(f"{k} {_pct(v)}" for k, v in m.talk_ratio.items())
        w(f"  talk ratio: {ratio}\n")
        w(f"  pains ({len(m.pains)}):\n")
        for p in m.pains:
            w(f"    - {p.text}\n")
        names = sorted({h.tracker for h in m.competitors})
        w(f"  competitors: {', '.join(names) or 'none'}\n")
        w(f"  commitments ({len(m.commitments)}):\n")
        for c in m.commitments:
            due = c.due.isoformat() if c.due else "no date"
            w(f"    - {c.owner}: {c.text} (due {due})\n")
        w(f"  summary ({m.engine}): {m.summary}\n")
    elif step in (2, 3) and state.score is not None:
        w(f"  probability: {_pct(state.score.probability)}; {state.score.reason}\n")
        for r in state.risks:
            w(f"  risk [{r.severity}] {r.message} ({r.evidence})\n")
    elif step == 4 and state.handoff is not None:
        if state.score_history and state.score_history[-1].event == "deal_closed":
            w(f"  scoring: {state.score_history[-1].reason}\n")
        h = state.handoff
        w(f"  CS handoff brief ({h.engine}): {h.headline}\n")
        for c in h.claims[:5]:
            w(f"    - {c.text} [{', '.join(q.source for q in c.citations)}]\n")


def _report_brief(state: Any, out: TextIO) -> None:
    """Print the account brief, when research has run."""
    if state.brief is None:
        return
    w = out.write
    b = state.brief
    w(f"  brief ({b.engine}): {b.headline}\n")
    for c in b.claims[:4]:
        w(f"    - {c.text} [{', '.join(q.source for q in c.citations)}]\n")
    if len(b.claims) > 4:
        w(f"    ... {len(b.claims) - 4} more claims, {len(b.sources)} sources\n")


def run_demo(
    workdir: str | Path,
    *,
    assume_yes: bool = False,
    deps: Deps | None = None,
    out: TextIO | None = None,
    inp: TextIO | None = None,
) -> Any:
    """Replay the seed deal's lifecycle in `workdir`; return the final `DealState`.

    Args:
        workdir: Folder for the embedded stores (created if missing).
        assume_yes: Approve every action without asking (and say so).
        deps: Use these instead of `Deps.offline(workdir, sample=True)`.
        out: Where to print (stdout by default).
        inp: Where to read answers from (stdin by default).
    """
    out = out or sys.stdout
    inp = inp or sys.stdin
    w = out.write
    deps = deps or Deps.offline(workdir, sample=True)
    t0 = time.perf_counter()
    w("Loading the scoring model (trains on the CRM's closed deals on first use) ...\n")
    scorer = deps.get_scorer()
    metrics = getattr(scorer, "metrics", {}) or {}
    w(
        f"  {scorer.engine} model {scorer.version} ready in {time.perf_counter() - t0:.1f} s"
        + (f"; held-out ROC AUC {metrics['roc_auc']:.2f}" if "roc_auc" in metrics else "")
        + "\n"
    )
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    ctx = Context(reviewer=DEMO_REVIEWER)

    def progress(node: str, update: dict[str, Any]) -> None:
        if node.startswith("__"):
            return
        w(f"  .. {node} done ({time.perf_counter() - started:.2f} s)\n")
        out.flush()

    if assume_yes:
        w("Approvals: --yes given, so every proposed action will be approved automatically.\n")
    for step, (title, event) in enumerate(zip(STEP_TITLES, lifecycle_events(), strict=True)):
        w(f"\n== {title}: {event['type']} at {event['at']} ==\n")
        started = time.perf_counter()
        send_event(graph, event, deal_id=SEED_DEAL_ID, context=ctx, on_update=progress)
        request = pending_request(graph, SEED_DEAL_ID)
        ready = time.perf_counter() - started  # from the event to its readable request
        state = deal_state(graph, SEED_DEAL_ID)
        _report(step, state, out)
        second = False  # the request after a lead's first one (speed-to-lead)
        while request is not None and not request.get("recovery"):
            n = len(request["action_requests"])
            first = str(request.get("request_id", "")).endswith(FIRST_REQUEST_SUFFIX)
            if first:
                w(
                    f"  first request, readable {ready:.2f} s after the event (speed-to-lead: "
                    f"the owner and the rep's notice now; research and drafting run once it "
                    f"is decided), approval needed for {n} action(s):\n"
                )
            elif second:
                w(
                    f"  second request (the account research's first-touch drafts), "
                    f"approval needed for {n} action(s):\n"
                )
            else:
                w(f"  approval needed for {n} action(s):\n")
            for a in request["action_requests"]:
                w(f"    - [{a['name']}] {a['description']}\n")
                if a["name"] == "send_email":
                    args = a["args"]
                    w(f'        to {", ".join(args["to"])}: "{args["subject"]}"\n')
                    for path in args.get("attachments", []):
                        w(f"        attached: {Path(path).name}\n")
            if assume_yes:
                w(f"  approving all {n} (--yes)\n")
                decisions = approve_all(request, reviewer=DEMO_REVIEWER)
            else:
                decisions = ask_interactively(request, out=out, inp=inp)
            started = time.perf_counter()
            resume_deal(
                graph,
                SEED_DEAL_ID,
                decisions,
                policy=deps.policy,
                reviewer=ctx.reviewer,
                context=ctx,
                on_update=progress,
            )
            state = deal_state(graph, SEED_DEAL_ID)
            asked = {a["id"] for a in request["action_requests"]}
            for r in deal_receipts(graph, SEED_DEAL_ID, deps=deps):
                if r.action_id in asked:
                    w(f"    executed {r.kind}: {r.status} {_where(r.result)}\n")
            request = pending_request(graph, SEED_DEAL_ID)
            if first:  # research and drafting ran once the first request was decided
                w("  then research and drafting, after the first request:\n")
                _report_brief(state, out)
            second = first
    state = deal_state(graph, SEED_DEAL_ID)
    w("\n== Done ==\n")
    w(
        f"  deal {state.deal_id}: stage {state.deal.stage if state.deal else '?'}, "
        f"{len(state.events)} events, {len(state.proposed_actions)} actions proposed, "
        f"{len(deal_receipts(graph, SEED_DEAL_ID, deps=deps))} executed, "
        f"{len(deal_audit(graph, SEED_DEAL_ID, deps=deps))} audit entries\n"
    )
    w(f"  working folder: {Path(workdir).resolve()}\n")
    w("    crm.sqlite (CRM, receipts, audit), checkpoints.sqlite (the deal's thread),\n")
    w("    outbox/*.eml (email), slack.jsonl (Slack), invites/*.ics (calendar)\n")
    w(f"  total time {time.perf_counter() - t0:.1f} s\n")
    return state

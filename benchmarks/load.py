"""`make load`: many worker processes on one PostgreSQL (events, approvals, resumes).

    python -m benchmarks.load [--workers 8] [--deals 250] [--dsn URL] [--out benchmarks/results]
                              [--no-speed-to-lead]

`--dsn` (default `$SALES_OPERATOR_TEST_DATABASE_URL`; else a throwaway cluster started with
`initdb`) is the server; the run uses a fresh schema of its own. The CRM is seeded once; the
workers are forked processes, each with its own `Deps.postgres(...)` (its own connections and
its own folder for outbox, Slack log and invites), all on the same database.

Three phases, each started by all workers together:

1. leads: worker w sends a `lead_created` event for each of its deals (a new account, contact
   and lead each), which stops at the approval request: with the policy's `speed_to_lead` on
   (the bundled default), the lead's first request (owner and rep notice); with
   `--no-speed-to-lead`, its single request with everything;
2. approvals: worker w answers the requests of worker w+1's deals (a resume on checkpoints
   another process wrote) by approving every action, which runs the executor; with
   `speed_to_lead` on, that resume runs research and drafting up to the lead's second
   request, which worker w approves too, so that nothing is left pending. For every fifth
   deal of worker w+1, worker w+2 answers the request it finds too, rejecting: exactly one
   answer to each request may win, and the loser must be told so;
3. activity: worker w sends an `activity_logged` event to each deal of worker w+3.

Then a checker counts, over every deal, what the workers were told against what the stores
hold: losses (an acknowledged event not in the deal's thread, an approved action without a
final receipt, a request that every answer failed to decide, a request left pending after the
approvals) and duplicates (an email or Slack post performed twice across all workers'
outboxes, CRM tasks or notes beyond their receipts, two answers on record for one request,
both racing reviewers told they succeeded). Both must be 0: the exit status is 1 otherwise.
Per worker it reports deals per second and graph runs per second; results go to
`<out>/load.json`.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # xgboost in forked workers: no OpenMP pool

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import time
import traceback
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from queue import Empty
from typing import Any

from benchmarks import write_result

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("leads", "approvals", "activity")


def deal_ids(worker: int, deals: int) -> list[str]:
    """Return the ids of the deals worker `worker` creates."""
    return [f"D-LD{worker:02d}{i:04d}" for i in range(deals)]


def lead_event(deal_id: str, n: int) -> dict[str, Any]:
    """Return a `lead_created` event for a new deal with its own account, contact and lead."""
    suffix = deal_id[2:]
    at = f"2026-11-{2 + n % 20:02d}T{8 + n % 9:02d}:{n % 60:02d}:00Z"
    territory = ("NA-East", "NA-West", "EMEA")[n % 3]
    return {
        "type": "lead_created",
        "at": at,
        "payload": {
            "deal": {
                "id": deal_id,
                "name": f"Carrier {suffix} - Dispatch",
                "stage": "new",
                "amount": 12000 + 500 * (n % 40),
                "close_date": "2026-12-18",
            },
            "account": {
                "id": f"A-{suffix}",
                "name": f"Carrier {suffix}",
                "domain": f"carrier-{suffix.lower()}.example",
                "industry": ("Logistics", "Trucking", "Retail")[n % 3],
                "employees": 40 + 13 * (n % 50),
                "territory": territory,
                "country": "US" if territory.startswith("NA") else "DE",
            },
            "contacts": [
                {
                    "id": f"C-{suffix}",
                    "name": f"Alex Rivera {suffix}",
                    "email": f"alex.{suffix.lower()}@carrier-{suffix.lower()}.example",
                    "title": ("VP of Operations", "Fleet Manager", "COO")[n % 3],
                    "role": "champion",
                }
            ],
            "lead": {
                "id": f"L-{suffix}",
                "contact_id": f"C-{suffix}",
                "source": ("demo_request", "webinar", "content_download")[n % 3],
                "created_at": at,
                "signals": {
                    "pages_visited": n % 9,
                    "pricing_page_visits": n % 3,
                    "emails_opened": n % 5,
                    "demo_requested": n % 2 == 0,
                    "webinar_attended": n % 3 == 0,
                },
            },
        },
    }


def activity_event(deal_id: str, n: int) -> dict[str, Any]:
    """Return an `activity_logged` event on `deal_id`."""
    return {
        "type": "activity_logged",
        "at": f"2026-11-{23 + n % 5:02d}T10:{n % 60:02d}:00Z",
        "payload": {
            "deal_id": deal_id,
            "kind": "reply",
            "direction": "inbound",
            "summary": f"reply {n} on {deal_id}",
        },
    }


# --- the workers ------------------------------------------------------------------------


def speed_to_lead(args: argparse.Namespace) -> bool:
    """Return the run's `speed_to_lead`: `--[no-]speed-to-lead`, else the bundled policy's."""
    chosen = getattr(args, "speed_to_lead", None)
    if chosen is None:
        from sales_operator.policy import default_policy

        return default_policy().speed_to_lead.enabled
    return bool(chosen)


def _deps(dsn: str, folder: Path, scorer: Any, stl: bool) -> tuple[Any, Any]:
    from sales_operator import Deps, build_operator

    deps = Deps.postgres(dsn, folder)
    deps.scorer = scorer
    if deps.policy.speed_to_lead.enabled != stl:  # set explicitly, either way
        switch = deps.policy.speed_to_lead.model_copy(update={"enabled": stl})
        deps.policy = deps.policy.model_copy(update={"speed_to_lead": switch})
    return deps, build_operator(deps, checkpointer=deps.checkpointer())


def _retry(call: Any, attempts: int = 20) -> Any:
    """Run `call`, retrying a busy deal (`DealBusyError`) or a transient store error."""
    from sales_operator.errors import DealBusyError, TransientAdapterError

    for attempt in range(attempts):
        try:
            return call()
        except (DealBusyError, TransientAdapterError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    return None


ANSWER_TRIES = 4
"""How many requests in a row the approver answers on one deal in the second pass."""


def _answer(
    graph: Any, deps: Any, deal_id: str, verdict: str, log: dict[str, Any], quiet: bool = False
) -> int:
    """Answer the request pending on `deal_id` with `verdict` for every action; log it.

    Returns the number of graph runs (1 when the answer was taken, else 0). `quiet`: log
    nothing when nothing is pending.
    """
    from sales_operator.errors import ApprovalError
    from sales_operator.runner import pending_request, resume_deal

    request = pending_request(graph, deal_id)
    if request is None or not request.get("action_requests"):
        if not quiet:
            log["answers"].append([deal_id, None, verdict, "nothing pending"])
        return 0
    request_id = str(request.get("request_id"))
    answer = {
        "request_id": request_id,
        "decisions": [
            {"type": verdict, "message": "racing reviewer: not now"}
            if verdict == "reject"  # the policy wants a reason for some rejections
            else {"type": verdict}
            for _ in request["action_requests"]
        ],
    }
    try:
        _retry(
            lambda: resume_deal(graph, deal_id, answer, policy=deps.policy, reviewer="mgr-jordan")
        )
    except ApprovalError as exc:
        log["answers"].append([deal_id, request_id, verdict, f"refused: {exc}"])
        return 0
    log["answers"].append([deal_id, request_id, verdict, "ok"])
    return 1


def _worker(
    w: int,
    args: argparse.Namespace,
    dsn: str,
    root: Path,
    scorer: Any,
    barrier: Any,
    out: Any,
) -> None:
    from sales_operator.runner import deal_id_of, pending_request, send_event

    stl = speed_to_lead(args)
    deps, graph = _deps(dsn, root / f"worker-{w}", scorer, stl)
    n_workers, n_deals = args.workers, args.deals
    log: dict[str, Any] = {"worker": w, "acked": [], "answers": [], "seconds": {}, "runs": {}}

    def send_all(phase: str, events: list[dict[str, Any]]) -> None:
        barrier.wait()
        start = time.perf_counter()
        for event in events:
            _retry(lambda e=event: send_event(graph, e))
            log["acked"].append([deal_id_of(event), event["type"], event["at"]])
        log["seconds"][phase] = time.perf_counter() - start
        log["runs"][phase] = len(events)

    # 1. leads
    send_all("leads", [lead_event(d, w * n_deals + i) for i, d in enumerate(deal_ids(w, n_deals))])
    # 2. approvals: worker w approves w+1's deals and races w-2 on every fifth deal of w-1
    barrier.wait()
    start = time.perf_counter()
    runs = 0
    # deal k of worker w-1 is approved by worker w-2 at its k-th step; we reject it at our
    # k-th step too, so that the two answers arrive at about the same time
    theirs = deal_ids((w - 1) % n_workers, n_deals)
    schedule: list[tuple[str, str]] = []
    for k, deal_id in enumerate(deal_ids((w + 1) % n_workers, n_deals)):
        if k % 5 == 0:
            schedule.append((theirs[k], "reject"))
        schedule.append((deal_id, "approve"))
    for deal_id, verdict in schedule:
        runs += _answer(graph, deps, deal_id, verdict, log)
    if stl:  # 2b. the leads' second requests, once every first answer's run has finished
        barrier.wait()
        for deal_id in deal_ids((w + 1) % n_workers, n_deals):
            for _ in range(ANSWER_TRIES):
                if not _answer(graph, deps, deal_id, "approve", log, quiet=True):
                    break
            if pending_request(graph, deal_id) is not None:
                log["answers"].append([deal_id, None, "approve", "left pending"])
    log["seconds"]["approvals"] = time.perf_counter() - start
    log["runs"]["approvals"] = runs
    # 3. activity on worker w+3's deals
    target = (w + 3) % n_workers
    send_all(
        "activity",
        [activity_event(d, target * n_deals + i) for i, d in enumerate(deal_ids(target, n_deals))],
    )
    out.put(log)


def _run_worker(*a: Any) -> None:
    try:
        _worker(*a)
    except BaseException:  # the parent sees a missing log and a non-zero exit
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        os._exit(1)


# --- the check ----------------------------------------------------------------------------


def check(
    dsn: str, root: Path, args: argparse.Namespace, logs: list[dict[str, Any]]
) -> dict[str, Any]:
    """Count losses and duplicates across every deal, store and worker folder."""
    from sales_operator.adapters.postgres_crm import PostgresCRM
    from sales_operator.postgres import postgres_checkpointer

    crm = PostgresCRM(dsn)
    saver = postgres_checkpointer(dsn)
    losses = duplicates = unauthorised = 0
    problems: list[str] = []
    acked = {(d, t, a) for log in logs for d, t, a in log["acked"]}
    handled: set[tuple[str, str, str]] = set()
    wins: Counter[str] = Counter()  # answers told they succeeded, per deal
    request_wins: Counter[tuple[str, str]] = Counter()  # the same, per request answered
    for log in logs:
        for deal_id, request_id, _, outcome in log["answers"]:
            wins[deal_id] += outcome == "ok"
            if request_id is not None:
                request_wins[(deal_id, request_id)] += outcome == "ok"
            if outcome == "left pending":
                losses += 1
                problems.append(f"{deal_id}: a request left pending after the approvals")
    for (deal_id, request_id), n in sorted(request_wins.items()):
        if n != 1:
            duplicates += max(0, n - 1)
            losses += n == 0
            problems.append(f"{deal_id}: {n} answers to {request_id} told they succeeded")
    emails: Counter[str] = Counter()
    slack: Counter[str] = Counter()
    for w in range(args.workers):
        folder = root / f"worker-{w}"
        emails.update(p.stem for p in (folder / "outbox").glob("*.eml"))
        log_file = folder / "slack.jsonl"
        if log_file.exists():
            slack.update(
                json.loads(line)["key"] for line in log_file.read_text().splitlines() if line
            )
    duplicates += sum(n - 1 for n in emails.values() if n > 1)
    duplicates += sum(n - 1 for n in slack.values() if n > 1)
    approved_all: set[str] = set()
    for w in range(args.workers):
        for deal_id in deal_ids(w, args.deals):
            values = (saver.get({"configurable": {"thread_id": deal_id}}) or {}).get(
                "channel_values", {}
            )
            for event in values.get("events", []):
                at = event.at.isoformat().replace("+00:00", "Z")
                handled.add((deal_id, event.type, at))
            entries = crm.audit_log(deal_id)
            receipts = crm.list_receipts(deal_id)
            approved = {e.idempotency_key for e in entries if e.decision in ("approve", "edit")}
            approved_all |= approved
            final = {r.idempotency_key for r in receipts if r.status in ("done", "failed")}
            missing = approved - final
            losses += len(missing)
            if missing:
                problems.append(f"{deal_id}: approved without a final receipt: {sorted(missing)}")
            done = [r for r in receipts if r.status == "done"]
            unauthorised += sum(1 for r in done if r.idempotency_key not in approved)
            for kind, table in (("create_task", "tasks"), ("log_note", "notes")):
                extra = len(getattr(crm, f"list_{table}")(deal_id)) - sum(
                    r.kind == kind for r in done
                )
                duplicates += max(0, extra)
            answers: dict[str, set[tuple[str, str]]] = {}
            for e in entries:
                if e.decision in ("approve", "edit", "reject") and e.request_id:
                    answers.setdefault(e.request_id, set()).add((e.decision, e.actor))
            duplicates += sum(1 for a in answers.values() if len(a) > 1)
            if wins[deal_id] == 0:  # (two answers to one request are counted above)
                losses += 1
                problems.append(f"{deal_id}: no answer told it succeeded")
    unauthorised += sum(1 for key in emails if key not in approved_all)
    unauthorised += sum(1 for key in slack if key not in approved_all)
    lost_events = sorted(acked - handled)
    losses += len(lost_events)
    problems.extend(f"event acknowledged but not in its thread: {e}" for e in lost_events[:20])
    crm.close()
    saver.conn.close()
    return {
        "events_acknowledged": len(acked),
        "events_in_threads": len(handled & acked),
        "requests_decided": sum(1 for n in request_wins.values() if n == 1),
        "emails": sum(emails.values()),
        "slack_posts": sum(slack.values()),
        "losses": losses,
        "duplicates": duplicates,
        "unauthorised": unauthorised,
        "problems": problems[:50],
    }


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the load test; return 1 when anything was lost or duplicated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--deals", type=int, default=250, help="deals per worker")
    parser.add_argument("--dsn", default=os.environ.get("SALES_OPERATOR_TEST_DATABASE_URL"))
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument(
        "--speed-to-lead",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the policy's speed_to_lead: each lead asks twice (owner and rep notice, then "
        "research and drafting); --no-speed-to-lead: once (default: the bundled policy's, on)",
    )
    args, _ = parser.parse_known_args(argv)
    if args.workers < 4:
        parser.error("--workers must be at least 4 (the phases pair workers w, w+1, w+2, w+3)")
    sys.path.insert(0, str(ROOT))
    from tests.pg_cluster import fresh_schema, start_cluster

    with ExitStack() as stack:
        server = args.dsn or stack.enter_context(start_cluster())
        dsn = stack.enter_context(fresh_schema(server))
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="so-load-")))
        result = _load(args, dsn, root)
    write_result(args.out, "load", result)
    print(json.dumps({k: v for k, v in result.items() if k != "per_worker"}, indent=2))
    for row in result["per_worker"]:
        print(
            f"worker {row['worker']}: {row['deals_per_s']:.2f} deals/s, "
            f"{row['runs_per_s']:.2f} graph runs/s"
        )
    return 0 if result["check"]["losses"] == result["check"]["duplicates"] == 0 else 1


def _load(args: argparse.Namespace, dsn: str, root: Path) -> dict[str, Any]:
    from sales_operator import Deps

    setup = Deps.postgres(dsn, root / "setup", sample=True)  # seeds the shared CRM once
    scorer = setup.get_scorer()
    setup.crm.close()  # type: ignore[attr-defined]
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(args.workers)
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_run_worker, args=(w, args, dsn, root, scorer, barrier, queue))
        for w in range(args.workers)
    ]
    start = time.perf_counter()
    for p in procs:
        p.start()
    logs: list[dict[str, Any]] = []
    while len(logs) < len(procs):
        try:
            logs.append(queue.get(timeout=1.0))
        except Empty:
            dead = [p for p in procs if p.exitcode not in (None, 0)]
            if dead:  # the others would wait at the barrier for ever
                for p in procs:
                    if p.exitcode is None:
                        p.kill()
                raise RuntimeError(f"workers failed: {[p.exitcode for p in dead]}") from None
    for p in procs:
        p.join()
    wall = time.perf_counter() - start
    failed = [p.exitcode for p in procs if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"workers failed with exit codes {failed}")
    (root / "logs.json").write_text(json.dumps(logs))
    per_worker = []
    for log in sorted(logs, key=lambda entry: entry["worker"]):
        seconds = sum(log["seconds"].values())
        runs = sum(log["runs"].values())
        per_worker.append(
            {
                "worker": log["worker"],
                "seconds": log["seconds"],
                "graph_runs": runs,
                "deals_per_s": args.deals / seconds,
                "runs_per_s": runs / seconds,
            }
        )
    racing = Counter(
        outcome.split(":")[0]
        for log in logs
        for _, _, verdict, outcome in log["answers"]
        if verdict == "reject"
    )
    result = {
        "workers": args.workers,
        "deals_per_worker": args.deals,
        "deals": args.workers * args.deals,
        "wall_seconds": round(wall, 2),
        "deals_per_s_all": round(args.workers * args.deals / wall, 3),
        "speed_to_lead": speed_to_lead(args),
        "per_worker": per_worker,
        "racing_rejections": dict(racing),
        "check": check(dsn, root, args, logs),
        "machine_cores": os.cpu_count(),
    }
    return result


if __name__ == "__main__":
    raise SystemExit(main())

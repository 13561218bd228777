"""`make chaos`: randomised crash and race trials against the trust layer.

    python -m benchmarks.chaos [--trials 100] [--seed 7] [--out benchmarks/results]
                               [--scenarios a,b] [--each] [--no-speed-to-lead]

Every trial starts from a fresh working folder (SQLite CRM and checkpoints, outbox, Slack log)
holding the seed deal's first approval request (with `speed_to_lead` on, the bundled policy's
default: the owner and the rep notice, whose approval runs research and drafting up to the
second request; `--no-speed-to-lead`: the single request with everything), then runs one
randomly chosen scenario in real processes (forked workers, each with its own connections):

- `kill_in_executor`: the approving process SIGKILLs itself inside `execute_actions`, before or
  after the k-th side effect (k random); a second process recovers (`recover_deal`);
- `kill_at_random`: the parent SIGKILLs the approving process after a random delay; a second
  process then recovers, or answers the request again if nothing was recorded;
- `racing_reviewers`: two processes answer the same request at once, one approving, one
  rejecting;
- `racing_events`: two processes send different events to the deal at once (after the first
  request was approved);
- `transient`: Slack fails transiently for a random number of calls; recovery runs the
  retryable actions later;
- `bypass`: `graph.update_state(..., as_node="approval_gate")` marks everything approved
  without a decision, then `invoke(None)`.

After each trial a checker process counts:

- duplicates: a side effect performed twice (Slack lines per key, CRM tasks and notes beyond
  their receipts), or two contradicting answers to one request both on record or both
  told they succeeded;
- losses: an event a sender was told was handled that is not in the thread, or an approved
  action without a final receipt after recovery;
- unauthorised: a receipt or an artefact (email, Slack line) whose action has no approve or
  edit decision in the audit.

All three must be 0; the exit status is 1 otherwise. Results go to `<out>/chaos.json`.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # xgboost in forked workers: no OpenMP pool

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks import write_result

SCENARIOS = (
    "kill_in_executor",
    "kill_at_random",
    "racing_reviewers",
    "racing_events",
    "transient",
    "bypass",
)
"""Every scenario; each trial picks one at random."""

REVIEWER = "mgr-jordan"
"""Who decides in the trials (the sample CRM's manager)."""

_SCORER: Any = None
_SPEED_TO_LEAD = True  # the policy's speed_to_lead in the trials (--no-speed-to-lead: off)


# --- workers (run in forked children) --------------------------------------------------


def _open(workdir: Path) -> tuple[Any, Any]:
    from sales_operator import Deps, build_operator

    deps = Deps.offline(workdir, sample=True)
    deps.scorer = _SCORER
    if deps.policy.speed_to_lead.enabled != _SPEED_TO_LEAD:  # set explicitly, either way
        from sales_operator.policy import SpeedToLeadPolicy

        update = {"speed_to_lead": SpeedToLeadPolicy(enabled=_SPEED_TO_LEAD)}
        deps.policy = deps.policy.model_copy(update=update)
    return deps, build_operator(deps, checkpointer=deps.checkpointer())


def _approve(graph: Any, deps: Any, *, decision: str = "approve", go: Path | None = None) -> bool:
    """Answer the pending request (read before `go` appears, as a reviewer reads the inbox)."""
    from sales_operator.demo import SEED_DEAL_ID
    from sales_operator.runner import pending_request, resume_deal

    request = pending_request(graph, SEED_DEAL_ID)
    if go is not None:
        (go.parent / f"ready-{os.getpid()}").touch()
        _wait_for(go)
    if request is None or request.get("recovery"):
        return False
    payload: dict[str, Any] = {
        "decisions": [
            {"type": decision, **({"message": "chaos"} if decision == "reject" else {})}
            for _ in request["action_requests"]
        ],
        "request_id": request["request_id"],
    }
    resume_deal(graph, SEED_DEAL_ID, payload, policy=deps.policy, reviewer=REVIEWER)
    return True


def _ack(workdir: Path, name: str, value: Any) -> None:
    path = workdir / "acks" / f"{name}-{os.getpid()}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(value))


def _wait_for(go: Path) -> None:
    while not go.exists():
        time.sleep(0.005)


def _worker(kind: str, workdir: Path, arg: Any) -> int:
    from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
    from sales_operator.errors import ApprovalError, DealBusyError, TransientAdapterError
    from sales_operator.runner import pending_request, recover_deal, send_event, thread_config

    deps, graph = _open(workdir)
    if kind == "setup":
        send_event(graph, lifecycle_events()[0])
        _ack(workdir, "event", lifecycle_events()[0]["type"] + ":0")
        return 0
    if kind == "approve_and_die":
        k, before = arg
        calls = [0]

        def hooked(real: Any) -> Any:
            def call(*a: Any, **kw: Any) -> Any:
                calls[0] += 1
                if calls[0] == k and before:
                    os.kill(os.getpid(), signal.SIGKILL)
                out = real(*a, **kw)
                if calls[0] == k:
                    os.kill(os.getpid(), signal.SIGKILL)
                return out

            return call

        deps.mailer.send = hooked(deps.mailer.send)
        deps.messenger.post = hooked(deps.messenger.post)
        deps.crm.assign_owner = hooked(deps.crm.assign_owner)
        deps.crm.update_deal_fields = hooked(deps.crm.update_deal_fields)
        _approve(graph, deps)
        return 0
    if kind == "approve":
        _approve(graph, deps)
        return 0
    if kind == "decide_at_go":
        decision, go = arg
        try:
            answered = _approve(graph, deps, decision=decision, go=Path(go))
        except ApprovalError:
            return 3
        return 0 if answered else 4
    if kind == "event_at_go":
        index, go = arg
        event = {
            "type": "activity_logged",
            "at": f"2026-11-0{3 + index}T10:00:00Z",
            "payload": {"deal_id": SEED_DEAL_ID, "kind": "email", "summary": f"reply {index}"},
        }
        (workdir / f"ready-{os.getpid()}").touch()
        _wait_for(Path(go))
        while True:
            try:
                send_event(graph, event)
                break
            except DealBusyError:
                time.sleep(0.05)
        _ack(workdir, "event", f"activity_logged:{index}")
        return 0
    if kind == "flaky_approve":
        failures = [int(arg)]
        real_post = deps.messenger.post

        def flaky(**kw: Any) -> Any:
            if failures[0] > 0:
                failures[0] -= 1
                raise TransientAdapterError("503 (chaos)", adapter="slack", operation="post")
            return real_post(**kw)

        deps.messenger.post = flaky
        _approve(graph, deps)
        return 0
    if kind == "bypass":
        from sales_operator.runner import deal_state

        config = thread_config(SEED_DEAL_ID)
        state = deal_state(graph, SEED_DEAL_ID)
        forged = [a.model_copy(update={"status": "approved"}) for a in state.proposed_actions]
        graph.update_state(config, {"proposed_actions": forged}, as_node="approval_gate")
        try:
            graph.invoke(None, config)
        except ApprovalError:
            return 0
        return 5  # the bypass was not refused
    if kind == "recover":
        request = pending_request(graph, SEED_DEAL_ID)
        if request is not None and request.get("recovery"):
            recover_deal(graph, SEED_DEAL_ID)
        elif request is not None and arg:
            try:
                _approve(graph, deps)
            except ApprovalError:
                recover_deal(graph, SEED_DEAL_ID)
        return 0
    if kind == "check":
        result = _check(workdir, deps, graph)
        (workdir / "check.json").write_text(json.dumps(result))
        return 0
    raise ValueError(kind)


def _check(workdir: Path, deps: Any, graph: Any) -> dict[str, Any]:
    from sales_operator.demo import SEED_DEAL_ID
    from sales_operator.events import event_id_for, parse_event
    from sales_operator.runner import pending_request

    values = graph.get_state({"configurable": {"thread_id": SEED_DEAL_ID}}).values
    handled = {f"{e.type}:{e.at.isoformat()}" for e in values.get("events", [])}
    crm = deps.crm
    log = crm.audit_log(SEED_DEAL_ID)
    receipts = crm.list_receipts(SEED_DEAL_ID)
    approved_keys = {e.idempotency_key for e in log if e.decision in ("approve", "edit")}
    duplicates = 0
    losses = 0
    unauthorised = 0
    # side effects
    slack = workdir / "slack.jsonl"
    keys = (
        Counter(json.loads(line)["key"] for line in slack.read_text().splitlines() if line.strip())
        if slack.exists()
        else Counter()
    )
    duplicates += sum(n - 1 for n in keys.values() if n > 1)
    unauthorised += sum(1 for key in keys if key not in approved_keys)
    emails = [p.stem for p in (workdir / "outbox").glob("*.eml")]
    unauthorised += sum(1 for key in emails if key not in approved_keys)
    done = [r for r in receipts if r.status == "done"]
    unauthorised += sum(1 for r in done if r.idempotency_key not in approved_keys)
    for kind, table in (("create_task", "tasks"), ("log_note", "notes")):
        rows = len(getattr(crm, f"list_{table}")(SEED_DEAL_ID)) if crm.get_deal(SEED_DEAL_ID) else 0
        duplicates += max(0, rows - sum(r.kind == kind for r in done))
    # decisions: one answer per request
    by_request: dict[str, set[tuple[str, str]]] = {}
    for e in log:
        if e.decision in ("approve", "edit", "reject") and e.request_id:
            by_request.setdefault(e.request_id, set()).add((e.decision, e.actor))
    duplicates += sum(1 for answers in by_request.values() if len(answers) > 1)
    # losses: acknowledged events, approved actions without a final receipt
    acked = []
    for path in (workdir / "acks").glob("event-*.json"):
        acked.append(json.loads(path.read_text()))
    final = {r.idempotency_key for r in receipts if r.status in ("done", "failed")}
    losses += sum(1 for key in approved_keys if key not in final)
    request = pending_request(graph, SEED_DEAL_ID)
    stuck = bool(request and request.get("recovery"))
    del event_id_for, parse_event
    return {
        "duplicates": duplicates,
        "losses": losses,
        "unauthorised": unauthorised,
        "acked": acked,
        "handled": sorted(handled),
        "events": [f"{e.type}" for e in values.get("events", [])],
        "stuck": stuck,
        "receipts": len(receipts),
    }


def _fork(kind: str, workdir: Path, arg: Any = None) -> int:
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            code = _worker(kind, workdir, arg)
        except BaseException:
            traceback.print_exc(file=sys.stderr)
            code = 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    return pid


def _wait_ready(workdir: Path, n: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while len(list(workdir.glob("ready-*"))) < n and time.monotonic() < deadline:
        time.sleep(0.01)


def _wait(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _run(kind: str, workdir: Path, arg: Any = None) -> int:
    return _wait(_fork(kind, workdir, arg))


# --- trials ----------------------------------------------------------------------------


def run_trial(scenario: str, rng: random.Random, template: Path, root: Path) -> dict[str, Any]:
    """Run one trial of `scenario` in a fresh folder under `root`; return its counts."""
    workdir = Path(tempfile.mkdtemp(dir=root))
    for path in template.iterdir():  # the CRM and the thread, holding the first request
        if path.is_file() and ".sqlite" in path.name or path.name == "acks":
            (shutil.copytree if path.is_dir() else shutil.copy)(path, workdir / path.name)
    codes: dict[str, Any] = {}
    extra = {"duplicates": 0, "losses": 0, "unauthorised": 0}
    if scenario == "kill_in_executor":
        arg = (rng.randint(1, 4), rng.random() < 0.5)
        codes["approve"] = _run("approve_and_die", workdir, arg)
        codes["recover"] = _run("recover", workdir, True)
    elif scenario == "kill_at_random":
        pid = _fork("approve", workdir)
        time.sleep(rng.uniform(0.0, 1.5))
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        codes["approve"] = _wait(pid)
        codes["recover"] = _run("recover", workdir, True)
    elif scenario == "racing_reviewers":
        go = workdir / "go"
        order = ["approve", "reject"]
        rng.shuffle(order)
        pids = [_fork("decide_at_go", workdir, (d, str(go))) for d in order]
        _wait_ready(workdir, 2)
        time.sleep(rng.uniform(0.0, 0.05))
        go.touch()
        results = [_wait(p) for p in pids]
        codes["reviewers"] = dict(zip(order, results, strict=True))
        if results.count(0) != 1:
            extra["duplicates"] += 1  # both told they succeeded, or neither
    elif scenario == "racing_events":
        codes["approve"] = _run("approve", workdir)
        go = workdir / "go"
        pids = [_fork("event_at_go", workdir, (i, str(go))) for i in (1, 2)]
        _wait_ready(workdir, 2)
        time.sleep(rng.uniform(0.0, 0.05))
        go.touch()
        codes["events"] = [_wait(p) for p in pids]
        if any(codes["events"]):
            extra["losses"] += 1
        codes["recover"] = _run("recover", workdir, True)
    elif scenario == "transient":
        codes["approve"] = _run("flaky_approve", workdir, rng.randint(1, 5))
        codes["recover"] = _run("recover", workdir, False)
    elif scenario == "bypass":
        codes["bypass"] = _run("bypass", workdir)
        if codes["bypass"] != 0:
            extra["unauthorised"] += 1
    codes["check"] = _run("check", workdir)
    check = json.loads((workdir / "check.json").read_text())
    for event in check["acked"]:
        kind, _, index = event.partition(":")
        if kind not in check["events"]:
            extra["losses"] += 1
    activity_acked = sum(1 for e in check["acked"] if e.startswith("activity_logged"))
    extra["losses"] += max(0, activity_acked - check["events"].count("activity_logged"))
    if check["stuck"]:
        extra["losses"] += 1  # recovery did not finish
    result = {
        "scenario": scenario,
        "codes": codes,
        "duplicates": check["duplicates"] + extra["duplicates"],
        "losses": check["losses"] + extra["losses"],
        "unauthorised": check["unauthorised"] + extra["unauthorised"],
    }
    if not any(result[k] for k in ("duplicates", "losses", "unauthorised")):
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        result["workdir"] = str(workdir)
    return result


def _prepare(root: Path) -> Path:
    """Seed a template CRM and train the scorer once, before any worker is forked."""
    global _SCORER
    import sales_operator.demo
    import sales_operator.errors
    import sales_operator.runner  # noqa: F401  (imported once, before the forks)
    from sales_operator import Deps

    template = root / "template"
    deps = Deps.offline(template, sample=True)
    _SCORER = deps.get_scorer()
    deps.crm.close()  # type: ignore[attr-defined]
    if _run("setup", template) != 0:
        raise SystemExit("chaos: could not send the seed lead to the template folder")
    return template


def main(argv: list[str] | None = None) -> int:
    """Run the trials; return 1 when any duplicate, loss or unauthorised action is found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--each", action="store_true", help="run every scenario once first")
    parser.add_argument(
        "--speed-to-lead",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="policy speed_to_lead on: the trials start at the lead's first request (owner, "
        "rep notice), and its approval runs research and drafting up to the second request; "
        "--no-speed-to-lead: one request with everything (default: the bundled policy's, on)",
    )
    args = parser.parse_args(argv)
    global _SPEED_TO_LEAD
    from benchmarks.load import speed_to_lead

    _SPEED_TO_LEAD = speed_to_lead(args)
    rng = random.Random(args.seed)
    scenarios = [s for s in args.scenarios.split(",") if s]
    root = Path(tempfile.mkdtemp(prefix="so-chaos-"))
    started = time.perf_counter()
    template = _prepare(root)
    results = []
    plan = [rng.choice(scenarios) for _ in range(args.trials)]
    if args.each:
        plan = [*scenarios, *plan]
    for i, scenario in enumerate(plan):
        result = run_trial(scenario, rng, template, root)
        results.append(result)
        flag = "" if not any(result[k] for k in ("duplicates", "losses", "unauthorised")) else " !!"
        print(f"trial {i + 1:3d} {scenario:<18} {json.dumps(result['codes'])}{flag}", flush=True)
    totals = {k: sum(r[k] for r in results) for k in ("duplicates", "losses", "unauthorised")}
    summary = {
        "trials": len(results),
        "seed": args.seed,
        "speed_to_lead": _SPEED_TO_LEAD,
        "by_scenario": dict(Counter(r["scenario"] for r in results)),
        **totals,
        "seconds": round(time.perf_counter() - started, 1),
        "failed_trials": [r for r in results if any(r[k] for k in totals)],
        "results": results,
    }
    write_result(args.out, "chaos", summary)
    print(
        f"chaos: {summary['trials']} trials in {summary['seconds']} s: "
        f"duplicates {totals['duplicates']}, losses {totals['losses']}, "
        f"actions without a recorded decision {totals['unauthorised']}"
    )
    if not summary["failed_trials"]:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if any(totals.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())

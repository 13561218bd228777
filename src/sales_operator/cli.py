"""The `sales-operator` command line.

```text
sales-operator demo [--yes]               replay the seed deal's lifecycle offline
sales-operator event FILE.json            send one business event to its deal's thread
sales-operator inbox                      list pending approvals across deals
sales-operator approve DEAL [ID ...]      approve all (or the listed) pending actions
sales-operator reject DEAL [ID ...] -m M  reject all (or the listed) pending actions
sales-operator edit DEAL ID --patch JSON  run an action with edited arguments (merge patch)
sales-operator resume DEAL                finish a deal whose run stopped after its decisions
sales-operator show DEAL                  print a deal's state
sales-operator audit [DEAL]               print the audit trail
sales-operator init WORKDIR               create an empty workspace for your own data
sales-operator import KIND CSV            import reps/accounts/contacts/deals/activities
```

Deciding needs `--reviewer NAME`: a rep or manager of the CRM (id, email or full name) whose
role the policy allows for each action. Every command works in one folder (`--workdir`, default
`.sales-operator/default`) that holds the SQLite CRM, the checkpoints, the outbox, the Slack log
and the invites: a workspace made by `init`, or, with `--sample`, a folder with the bundled demo
CRM.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sales_operator.errors import SalesOperatorError

DEFAULT_WORKDIR = ".sales-operator/default"


def _deps(args: argparse.Namespace) -> Any:
    from sales_operator.workspace.cli import deps_for

    return deps_for(args)


def _graph(deps: Any) -> tuple[Any, Any]:
    from sales_operator.graph import build_operator

    checkpointer = deps.checkpointer()
    return build_operator(deps, checkpointer=checkpointer), checkpointer


def _progress(node: str, update: dict[str, Any]) -> None:
    sys.stderr.write(f"  .. {node} done\n")


def cmd_demo(args: argparse.Namespace) -> int:
    """Replay the seed deal's lifecycle."""
    from sales_operator.demo import SEED_DEAL_ID, run_demo
    from sales_operator.deps import Deps
    from sales_operator.policy import load_policy

    workdir = Path(args.workdir if args.workdir != DEFAULT_WORKDIR else ".sales-operator/demo")
    if (workdir / "checkpoints.sqlite").exists():
        if not args.reset:
            print(
                f"{workdir} already holds a demo run of {SEED_DEAL_ID}; pass --reset to start "
                "over, or --workdir to use another folder",
                file=sys.stderr,
            )
            return 2
        import shutil

        shutil.rmtree(workdir)
    policy = load_policy(args.policy) if args.policy else None
    deps = Deps.offline(workdir, policy=policy, sample=True)
    run_demo(workdir, assume_yes=args.yes, deps=deps)
    return 0


def cmd_event(args: argparse.Namespace) -> int:
    """Send one event file to its deal's thread."""
    from sales_operator.errors import InputError
    from sales_operator.limits import load_json
    from sales_operator.runner import deal_id_of, pending_request, send_event

    deps = _deps(args)
    try:  # UTF-8 and within the policy's limits, or a typed error
        event = load_json(Path(args.file).read_bytes(), deps.policy.limits, name=args.file)
    except (OSError, InputError) as err:
        print(f"cannot read event file {args.file}: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
    if not isinstance(event, dict):
        print(f"{args.file}: an event must be a JSON object", file=sys.stderr)
        return 2
    graph, _ = _graph(deps)
    deal_id = args.deal or deal_id_of(event)
    if not deal_id:
        print("which deal? pass --deal or put payload.deal_id in the event", file=sys.stderr)
        return 2
    send_event(graph, event, deal_id=deal_id, on_update=_progress)
    request = pending_request(graph, deal_id)
    if request:
        print(f"{deal_id}: {len(request['action_requests'])} action(s) wait for approval:")
        _print_request(request)
        _say_if_first(request)
    else:
        print(f"{deal_id}: event handled; nothing to approve")
    return 0


def _say_if_first(request: dict[str, Any]) -> None:
    from sales_operator.approval import FIRST_REQUEST_SUFFIX

    if str(request.get("request_id", "")).endswith(FIRST_REQUEST_SUFFIX):
        print("  (speed-to-lead: the lead's first request; research and drafting run once it")
        print("   is decided, and their actions come in a second request)")


def _print_next(graph: Any, deal_id: str, deps: Any, answered: Any) -> None:
    """Print what waits on the deal after a decision: a second request, or a recovery."""
    from sales_operator.runner import pending_request

    nxt = pending_request(graph, deal_id, deps=deps)
    if nxt is None or nxt.get("request_id") == answered:
        return
    if nxt.get("recovery"):
        _print_recovery(nxt)
        return
    print(f"{deal_id}: {len(nxt['action_requests'])} more action(s) wait for approval:")
    _print_request(nxt)


def _print_request(request: dict[str, Any]) -> None:
    from sales_operator.review_view import format_request

    print(format_request(request))


def cmd_inbox(args: argparse.Namespace) -> int:
    """List pending approvals across deals."""
    from sales_operator.runner import inbox

    deps = _deps(args)
    graph, checkpointer = _graph(deps)
    items = list(inbox(graph, checkpointer, deps=deps))
    if args.json:
        print(
            json.dumps([{"deal_id": i.deal_id, **i.request} for i in items], indent=2, default=str)
        )
        return 0
    if not items:
        print("inbox empty: no pending approvals")
        return 0
    for item in items:
        if item.request.get("recovery"):
            _print_recovery(item.request)
            continue
        print(f"{item.deal_id}: {len(item.request['action_requests'])} pending")
        _print_request(item.request)
    return 0


def _print_recovery(request: dict[str, Any]) -> None:
    print(f"{request['deal_id']}: {request['message']}")
    for a in request["unfinished"]:
        print(f"  {a['id']}  [{a['name']}] approved, not yet run")


def cmd_resume(args: argparse.Namespace) -> int:
    """Finish a deal whose run stopped after its decisions were recorded."""
    from sales_operator.runner import deal_state, pending_request, recover_deal

    deps = _deps(args)
    graph, _ = _graph(deps)
    request = pending_request(graph, args.deal, deps=deps)
    if request is None or not request.get("recovery"):
        print(f"{args.deal}: nothing to resume", file=sys.stderr)
        return 2
    _print_recovery(request)
    recover_deal(graph, args.deal, deps=deps, on_update=_progress)
    state = deal_state(graph, args.deal)
    wanted = {a["id"] for a in request["unfinished"]}
    for a in state.proposed_actions:
        if a.id in wanted or not wanted:
            print(f"  {a.id} [{a.kind}] {a.status}")
    _print_next(graph, args.deal, deps, request.get("request_id"))
    return 0


def _decide(args: argparse.Namespace, kind: str) -> int:
    from sales_operator.runner import pending_request, resume_deal

    if not args.reviewer:
        print(
            "who decides? pass --reviewer NAME (a rep or manager of the CRM: id, email or name)",
            file=sys.stderr,
        )
        return 2
    deps = _deps(args)
    graph, _ = _graph(deps)
    request = pending_request(graph, args.deal, deps=deps)
    if request is None:
        print(f"{args.deal}: nothing pending", file=sys.stderr)
        return 2
    if request.get("recovery"):
        _print_recovery(request)
        return 2
    ids = [a["id"] for a in request["action_requests"]]
    listed = [args.id] if kind == "edit" else list(getattr(args, "ids", None) or [])
    chosen = set(listed or ids)
    unknown = chosen - set(ids)
    if unknown:
        print(f"unknown action id(s) {sorted(unknown)}; pending: {ids}", file=sys.stderr)
        return 2
    rest = getattr(args, "rest", None)
    decisions = []
    for a in request["action_requests"]:
        if kind == "edit" and a["id"] == args.id:
            if args.patch is not None:  # RFC 7396 merge patch of the proposed arguments
                from sales_operator.merge_patch import parse_args_patch

                new_args = parse_args_patch(args.patch, a["args"])
            else:
                try:
                    new_args = json.loads(args.args)
                except json.JSONDecodeError as err:
                    print(f"--args is not JSON: {err}", file=sys.stderr)
                    return 2
            decisions.append(
                {"type": "edit", "edited_action": {"name": a["name"], "args": new_args}}
            )
        elif kind != "edit" and a["id"] in chosen:
            decisions.append(_simple(kind, args))
        elif rest:
            decisions.append(_simple(rest, args))
        else:
            print(
                f"action {a['id']} ({a['name']}) needs a decision too: list it, or pass "
                "--rest approve|reject",
                file=sys.stderr,
            )
            return 2
    resume_deal(
        graph,
        args.deal,
        {"decisions": decisions, "request_id": request.get("request_id")},
        policy=deps.policy,
        reviewer=args.reviewer,
        on_update=_progress,
        deps=deps,
    )
    from sales_operator.runner import deal_state

    state = deal_state(graph, args.deal)
    done = [a for a in state.proposed_actions if a.id in ids]
    for a in done:
        print(f"  {a.id} [{a.kind}] {a.status}")
    _print_next(graph, args.deal, deps, request.get("request_id"))
    return 0


def _simple(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    d: dict[str, Any] = {"type": kind}
    if kind == "reject" and getattr(args, "message", None):
        d["message"] = args.message  # the policy may require one (reject_message_required)
    return d


def cmd_show(args: argparse.Namespace) -> int:
    """Print a deal's state as JSON."""
    from sales_operator.runner import deal_state

    deps = _deps(args)
    graph, _ = _graph(deps)
    state = deal_state(graph, args.deal)
    print(state.model_dump_json(indent=2, exclude={"transcript"}))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Print the audit trail."""
    deps = _deps(args)
    for e in deps.crm.audit_log(args.deal):
        print(
            f"{e.at.isoformat()}  {e.actor:<14} {e.decision:<9} {e.kind:<13} {e.action_id}"
            + (f"  edited={json.dumps(e.edited_args)}" if e.edited_args else "")
            + (f"  message={e.message!r}" if e.message else "")
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(
        prog="sales-operator",
        description="The AI Sales Operator: one LangGraph graph for the sales-ops job.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workdir", default=DEFAULT_WORKDIR, help="folder of the stores")
    common.add_argument("--policy", help="RevOps policy YAML (default: the bundled one)")
    common.add_argument("--offline", action="store_true", help="ignore API keys in the environment")
    common.add_argument(
        "--sample", action="store_true", help="use the bundled demo CRM in a non-workspace folder"
    )
    common.add_argument(
        "--reviewer",
        default=None,
        help="who decides: a rep or manager of the CRM (id, email or full name)",
    )
    common.add_argument(
        "--progress",
        action="store_true",
        help="draw progress bars of long steps on stderr even when it is not a terminal",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "demo", parents=[common], help="replay the seed deal's lifecycle (no key, no network)"
    )
    p.add_argument("--yes", "-y", action="store_true", help="approve every action")
    p.add_argument("--reset", action="store_true", help="start over in an existing folder")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "event", parents=[common], help="send one event (JSON file) to its deal's thread"
    )
    p.add_argument("file")
    p.add_argument("--deal", help="deal id (default: from the event)")
    p.set_defaults(func=cmd_event)

    p = sub.add_parser("inbox", parents=[common], help="list pending approvals across deals")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_inbox)

    for name in ("approve", "reject"):
        p = sub.add_parser(name, parents=[common], help=f"{name} pending actions of a deal")
        p.add_argument("deal")
        p.add_argument("ids", nargs="*", help="action ids (default: all pending)")
        p.add_argument("--rest", choices=["approve", "reject"], help="decision for the others")
        if name == "reject":
            p.add_argument("--message", "-m", help="why")
        p.set_defaults(func=lambda a, k=name: _decide(a, k))

    p = sub.add_parser("edit", parents=[common], help="approve one action with edited arguments")
    p.add_argument("deal")
    p.add_argument("id")
    given = p.add_mutually_exclusive_group(required=True)
    given.add_argument(
        "--patch", help='the changes, as a JSON merge patch (RFC 7396): {"subject": "New"}'
    )
    given.add_argument("--args", help="the whole new arguments, as JSON")
    p.add_argument("--rest", choices=["approve", "reject"], help="decision for the others")
    p.add_argument("--message", "-m", help="why the others are rejected (with --rest reject)")
    p.set_defaults(func=lambda a: _decide(a, "edit"))

    p = sub.add_parser(
        "resume",
        parents=[common],
        help="finish a deal whose run stopped after its decisions (approved actions not yet run)",
    )
    p.add_argument("deal")
    p.set_defaults(func=cmd_resume)

    p = sub.add_parser("show", parents=[common], help="print a deal's state as JSON")
    p.add_argument("deal")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("audit", parents=[common], help="print the audit trail")
    p.add_argument("deal", nargs="?")
    p.set_defaults(func=cmd_audit)

    from sales_operator import maintenance, mcp_server
    from sales_operator.meetings import cli as meetings_cli
    from sales_operator.research import cli as research_cli
    from sales_operator.scoring import cli as scoring_cli
    from sales_operator.workspace import cli as workspace_cli

    scoring_cli.add_commands(sub, common)
    meetings_cli.add_commands(sub, common)
    workspace_cli.add_commands(sub, common)
    research_cli.add_commands(sub, common)
    mcp_server.add_commands(sub, common)
    maintenance.add_commands(sub, common)
    return parser


def _run_with_progress(args: argparse.Namespace) -> int:
    # Long steps (training, transcription, research, call analysis) report progress; on a
    # terminal, or with --progress, it is drawn as bars on stderr.
    from sales_operator.progress import ProgressBar, progress_sink

    bar = ProgressBar(enabled=True if getattr(args, "progress", False) else None)
    try:
        with progress_sink(bar):
            return int(args.func(args))
    finally:
        bar.close()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _run_with_progress(args)
    except SalesOperatorError as err:
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `sales-operator demo | head`: the reader left, not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())

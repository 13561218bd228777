"""`sales-operator gc`: collect blobs no checkpoint or audit entry references.

```text
sales-operator gc [--delete] [--grace-hours H] [--json] [--workdir DIR]
```

An executor that crashes between storing an executed action's text (or a transcript) in
the blob folder and writing the checkpoint that references it leaves an orphan blob. `gc`
reads every checkpoint and the audit log, and reports the blobs nothing references: their
count and bytes. It deletes them only with `--delete`, and only those older than the grace
period (24 hours by default), so it never races a running executor. Registered by
`sales_operator.cli`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_commands", "cmd_gc"]


def cmd_gc(args: argparse.Namespace) -> int:
    """Report (and with `--delete`, remove) unreferenced blobs older than the grace period."""
    from sales_operator.cli import _deps
    from sales_operator.runner import collect_blobs

    deps = _deps(args)
    report = collect_blobs(  # the checkpointer alone: no graph is built (seconds at start-up)
        deps=deps,
        checkpointer=deps.checkpointer(),
        grace_s=args.grace_hours * 3600.0,
        dry_run=not args.delete,
    )
    if args.json:
        _say(json.dumps(report.as_dict(), indent=2))
        return 0
    verb = "would delete" if report.dry_run else "deleted"
    _say(
        f"{report.blobs} blobs ({report.bytes} bytes): {report.referenced} referenced, "
        f"{report.young} unreferenced but younger than {args.grace_hours:g} h (kept)"
    )
    _say(
        f"{verb} {len(report.unreferenced)} unreferenced blobs and {report.temp_files} "
        f"leftover temporary files ({report.unreferenced_bytes} bytes)"
    )
    if report.dry_run and (report.unreferenced or report.temp_files):
        _say("run again with --delete to remove them")
    return 0


def _say(text: str) -> None:
    """Write one line of command output."""
    sys.stdout.write(text + "\n")


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `gc` on the `sales-operator` parser's subcommands."""
    p = sub.add_parser(
        "gc",
        parents=[common],
        help="report (--delete: remove) blobs no checkpoint or audit entry references",
    )
    p.add_argument("--delete", action="store_true", help="delete them (default: dry run)")
    p.add_argument(
        "--grace-hours",
        type=_non_negative,
        default=24.0,
        help="only blobs older than this are collected (default 24)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_gc)


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value

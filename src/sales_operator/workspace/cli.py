"""CLI commands for your own data: `sales-operator init` and `sales-operator import`.

```text
sales-operator init WORKDIR                          an empty workspace and a policy template
sales-operator init --check WORKDIR                  validate the workspace's policy.yaml
sales-operator import KIND CSV [--map COL=FIELD ...] load reps|accounts|contacts|deals|activities
```

`deps_for(args)` is how every command picks its deps: a workspace gives `Deps.from_workspace`;
`--sample` loads the bundled demo CRM into a plain folder; anything else is refused, so that a
new deal is never routed to the sample's fictional reps by accident.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sales_operator.errors import ConfigurationError


def deps_for(args: argparse.Namespace, *, offline: bool | None = None) -> Any:
    """Return the `Deps` the CLI arguments ask for.

    Args:
        args: Parsed arguments with `workdir`, `policy`, `offline` and `sample`.
        offline: Override `args.offline` (True: ignore the environment's keys).

    Raises:
        ConfigurationError: when `workdir` is neither a workspace, nor a folder that already
            holds a CRM, and `--sample` was not given.
    """
    from sales_operator.deps import Deps
    from sales_operator.policy import load_policy
    from sales_operator.workspace import is_workspace

    workdir = Path(args.workdir)
    policy = load_policy(args.policy) if getattr(args, "policy", None) else None
    use_env = not (getattr(args, "offline", False) if offline is None else offline)
    sample = bool(getattr(args, "sample", False))
    if is_workspace(workdir):
        if sample:
            raise ConfigurationError(
                f"{workdir} is a workspace with your own data; --sample is for demo folders"
            )
        return Deps.from_workspace(workdir, policy=policy, use_env=use_env)
    if not sample and not (workdir / "crm.sqlite").is_file():
        raise ConfigurationError(
            f"{workdir} is not a workspace: create one with `sales-operator init {workdir}` "
            "and import your records, or pass --sample to use the bundled demo data"
        )
    if use_env:
        return Deps.from_env(workdir, policy=policy, sample=sample)
    return Deps.offline(workdir, policy=policy, sample=sample)


def cmd_init(args: argparse.Namespace) -> int:
    """Create an empty workspace, or check an existing one's policy."""
    from sales_operator.policy import load_policy
    from sales_operator.workspace import init_workspace, require_workspace

    if args.check:
        from sales_operator.workspace import workspace_problems

        root = require_workspace(args.path)
        policy = load_policy(root / "policy.yaml")
        _say(f"{root / 'policy.yaml'}: valid ({policy.company.name}, {len(policy.stages)} stages)")
        problems = workspace_problems(root)
        for problem in problems:
            _say(f"  to do: {problem}")
        if not problems:
            _say(f"{root} is ready")
        return 1 if problems else 0
    root = init_workspace(args.path)
    _say(
        f"created the workspace {root}\n"
        f"  1. edit {root / 'policy.yaml'} (company, rep email domains, stages, routing)\n"
        f"  2. sales-operator import reps reps.csv --workdir {root}\n"
        f"     (include the routing fallback queue as a rep with role queue)\n"
        f"     then accounts, contacts, deals and activities the same way\n"
        f"  3. put account documents under {root / 'documents'}/<account-slug>/\n"
        f"  4. sales-operator init --check {root}   (says what is still missing)\n"
        f"  5. sales-operator event lead.json --workdir {root}"
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import one CSV of records into the workspace's CRM, all rows or none."""
    from sales_operator.adapters.sqlite_crm import SQLiteCRM
    from sales_operator.policy import load_policy
    from sales_operator.workspace import import_csv, parse_mapping, require_workspace
    from sales_operator.workspace.importer import result_json

    root = require_workspace(args.workdir)
    policy = load_policy(args.policy or root / "policy.yaml")
    mapping = parse_mapping(args.map or [])
    with SQLiteCRM(root / "crm.sqlite") as crm:
        result = import_csv(crm, args.kind, args.csv, mapping=mapping, policy=policy)
    if args.json:
        _say(result_json(result))
    else:
        _say(
            f"{result.source}: {result.rows} {result.kind} row(s): {result.created} created, "
            f"{result.updated} updated, {result.skipped} already stored"
        )
    return 0


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `init` and `import` on the CLI's subparsers."""
    from sales_operator.workspace import IMPORT_KINDS

    p = sub.add_parser(
        "init", help="create an empty workspace (no sample data) with a policy template"
    )
    p.add_argument("path", help="the workspace folder to create")
    p.add_argument(
        "--check", action="store_true", help="check an existing workspace: policy, reps, queue"
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser(
        "import",
        parents=[common],
        help="import reps, accounts, contacts, deals or activities from a CSV (all or nothing)",
    )
    p.add_argument("kind", choices=IMPORT_KINDS)
    p.add_argument("csv", help="the CSV file (UTF-8, header row first)")
    p.add_argument(
        "--map",
        action="append",
        metavar="COL=FIELD",
        help="rename a CSV column to a field (repeatable); COL= drops the column",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_import)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")

"""`sales-operator research`: write an account brief from the command line.

sales-operator research --account NAME [--domain DOMAIN] [--docs DIR] [--as-of DATE]
[--format json|markdown] [--no-web]
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sales_operator.errors import InputError


def _as_of(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise InputError(f"--as-of must be a date like 2024-05-31, got {text!r}") from err


def brief_json(brief: Any) -> dict[str, Any]:
    """Return the brief as the CLI prints it (the issue's keys, then headline and notes)."""
    data: dict[str, Any] = brief.model_dump(mode="json")
    keys = (
        "account",
        "as_of",
        "engine",
        "sections",
        "sources",
        "dropped",
        "headline",
        "searches",
        "missing",
    )
    return {k: data[k] for k in keys}


def cmd_research(args: argparse.Namespace) -> int:
    """Research `--account` and print its brief."""
    from sales_operator.deps import Deps
    from sales_operator.policy import default_policy, load_policy
    from sales_operator.research.documents import FolderDocuments
    from sales_operator.research.render import render_markdown
    from sales_operator.research.run import research_account
    from sales_operator.state import Account

    name = args.account.strip()
    if not name:
        raise InputError("--account must name a company")
    as_of = _as_of(args.as_of)
    policy = load_policy(args.policy) if args.policy else default_policy()
    if args.offline:
        deps = Deps.offline(args.workdir, policy=policy)
    else:
        deps = Deps.from_env(args.workdir, policy=policy)
    finder = getattr(deps.crm, "find_account", None)
    account = finder(name) if callable(finder) else None
    if account is None:
        account = Account(id="", name=name, domain=args.domain)
    elif args.domain:
        account = account.model_copy(update={"domain": args.domain})
    contacts = deps.crm.list_contacts(account.id) if account.id else []
    documents = deps.documents
    if args.docs:
        documents = FolderDocuments(Path(args.docs), max_bytes=policy.research.max_document_bytes)
    now = datetime.now(UTC)
    if as_of is not None:
        now = datetime.combine(as_of, time(23, 59), UTC)
    brief = research_account(
        account=account,
        contacts=contacts,
        lead=None,
        crm=deps.crm if account.id else None,
        documents=documents,
        search=None if args.no_web else deps.search,
        llm=deps.llm,
        policy=policy,
        now=now,
        as_of=as_of,
        domain=args.domain,
        web_cache_dir=Path(args.workdir) / "web-cache",
    )
    if args.format == "json":
        sys.stdout.write(json.dumps(brief_json(brief), indent=2) + "\n")
    else:
        sys.stdout.write(render_markdown(brief))
    return 0


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add `research` to the `sales-operator` parser.

    Args:
        sub: The parser's subparsers action.
        common: The parent parser with `--workdir`, `--policy`, `--offline`, `--reviewer`.
    """
    p = sub.add_parser(
        "research", parents=[common], help="write a cited account brief (documents, CRM, web)"
    )
    p.add_argument("--account", required=True, help="company name (looked up in the CRM)")
    p.add_argument("--domain", help="the company's web domain (grounds web results)")
    p.add_argument("--docs", help="folder of the account's documents (txt, md, html)")
    p.add_argument("--as-of", help="read nothing dated after this day (YYYY-MM-DD)")
    p.add_argument("--format", choices=["markdown", "json"], default="markdown")
    p.add_argument("--no-web", action="store_true", help="do not search the web")
    p.set_defaults(func=cmd_research)

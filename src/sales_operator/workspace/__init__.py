"""Your own data: a workspace folder, and CSV imports into its CRM.

A workspace is one folder that holds everything the operator keeps for a team:

```text
WORKDIR/
  workspace.json     marks the folder as a workspace (format version, creation time)
  policy.yaml        the RevOps policy, from a commented template; edit it first
  crm.sqlite         the SQLite CRM, empty until you import your records
  documents/         account documents for research: documents/<account-slug>/*.md|*.txt
  checkpoints.sqlite, outbox/, slack.jsonl, invites/, models/   (written as the operator runs)
```

`init_workspace(path)` creates one with no sample data; `import_csv(...)` (the CLI's
`sales-operator import`) loads reps, accounts, contacts, deals and activities from CSV files;
`Deps.from_workspace(path)` builds the operator's deps from it. The bundled sample CRM is used
only by the demo (`Deps.offline(workdir, sample=True)`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sales_operator._lazy import lazy_exports
from sales_operator.errors import ConfigurationError

if TYPE_CHECKING:
    from sales_operator.deps import Deps
    from sales_operator.workspace.importer import ImportResult, import_csv, parse_mapping

ImportKind = Literal["reps", "accounts", "contacts", "deals", "activities"]

IMPORT_KINDS: tuple[ImportKind, ...] = ("reps", "accounts", "contacts", "deals", "activities")
"""The record kinds `import_csv` loads, in the order references need them."""

# The importer (pydantic models, the SQLite CRM) loads on first use: the CLI's parser needs
# only IMPORT_KINDS.
__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {"sales_operator.workspace.importer": ("ImportResult", "import_csv", "parse_mapping")},
)

__all__ = [
    "IMPORT_KINDS",
    "server_deps",
    "MARKER",
    "ImportResult",
    "import_csv",
    "init_workspace",
    "is_workspace",
    "parse_mapping",
    "policy_template",
    "require_workspace",
    "workspace_problems",
]

MARKER = "workspace.json"
"""The file that marks a folder as a workspace."""

FORMAT_VERSION = 1
"""Version of the workspace layout this module writes."""

_TEMPLATE_HEADER = """\
# RevOps policy of this workspace (created by `sales-operator init`).
#
# Edit it before the operator drafts anything for your team:
#   1. `company`: your company and product, and the email domains of your reps. Mail and
#      invites go only to a deal's contacts and to these internal domains.
#   2. `stages`: your pipeline stages, in order (imported deals must use these names).
#   3. `routing` and `approval`: who gets which leads, and who approves which action.
# Every other setting below is the library's default, with its explanation. Check the file
# with `sales-operator init --check WORKDIR`, or load it with `sales_operator.load_policy`.

"""

_COMPANY_TEMPLATE = """\
company:
  name: Your Company            # CHANGE ME: shown in drafts and briefs
  product: Your Product         # CHANGE ME: what your reps sell
  currency: USD
  rep_email_domains: [example.com]   # CHANGE ME: your reps' email domain(s)
"""


def policy_template() -> str:
    """Return the commented policy template a new workspace starts from.

    It is the bundled policy (so every key is present with its explanation), with a header
    that says what to edit and the bundled company replaced by placeholders.
    """
    from sales_operator.policy import default_policy_text

    text = default_policy_text()
    # drop the bundled header comment: the template has its own
    body = re.sub(r"\A(?:#[^\n]*\n)+\n?", "", text)
    body = re.sub(r"(?ms)^company:\n(?:[ \t]+[^\n]*\n)+", _COMPANY_TEMPLATE, body, count=1)
    return _TEMPLATE_HEADER + body


def is_workspace(path: str | Path) -> bool:
    """Return True when `path` is a folder made by `init_workspace`."""
    return (Path(path) / MARKER).is_file()


def require_workspace(path: str | Path) -> Path:
    """Return `path` as a Path, or raise when it is not a workspace.

    Raises:
        ConfigurationError: naming the folder and the command that makes it one.
    """
    root = Path(path)
    if not is_workspace(root):
        raise ConfigurationError(
            f"{root} is not a sales-operator workspace (no {MARKER}); create one with "
            f"`sales-operator init {root}`"
        )
    return root


def init_workspace(path: str | Path) -> Path:
    """Create an empty workspace in `path`: no sample data, a commented policy template.

    The folder may exist but must not hold a workspace or a CRM already, so that nothing of
    yours is overwritten.

    Returns:
        The workspace folder.

    Raises:
        ConfigurationError: when the folder already holds a workspace, a CRM or a policy, or
            is a file.
    """
    from sales_operator.adapters.sqlite_crm import SQLiteCRM

    root = Path(path)
    if root.exists() and not root.is_dir():
        raise ConfigurationError(f"{root} exists and is not a folder")
    for name in (MARKER, "crm.sqlite", "policy.yaml"):
        if (root / name).exists():
            raise ConfigurationError(
                f"{root} already holds {name}; nothing was changed (use another folder)"
            )
    root.mkdir(parents=True, exist_ok=True)
    (root / "documents").mkdir(exist_ok=True)
    (root / "policy.yaml").write_text(policy_template(), encoding="utf-8")
    SQLiteCRM(root / "crm.sqlite").close()
    marker = {"format": FORMAT_VERSION, "created_at": datetime.now(UTC).isoformat()}
    (root / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return root


def server_deps() -> Deps:
    """Return the deps of the Studio / LangGraph server entry points in `graphs/`.

    `SALES_OPERATOR_WORKDIR` names the folder (default `.sales-operator/studio`). A workspace
    made by `sales-operator init` gives `Deps.from_workspace`. Any other folder runs the demo:
    the bundled sample CRM is loaded, and a warning says so, so that Studio works out of the
    box and nobody mistakes the sample's reps for their own.
    """
    import logging
    import os

    from sales_operator.deps import Deps

    workdir = Path(os.environ.get("SALES_OPERATOR_WORKDIR", ".sales-operator/studio"))
    if is_workspace(workdir):
        return Deps.from_workspace(workdir)
    logging.getLogger(__name__).warning(
        "%s is not a workspace: the server runs on the bundled sample CRM (demo data). Set "
        "SALES_OPERATOR_WORKDIR to a folder made by `sales-operator init` to use your own.",
        workdir,
    )
    return Deps.from_env(workdir, sample=True)


def workspace_problems(path: str | Path) -> list[str]:
    """Return what still keeps a workspace from routing and drafting for your team.

    Checks that the policy loads and no longer has the template's company, that reps are
    imported, that the routing fallback queue is one of them, and that every rep's email is in
    the policy's `company.rep_email_domains`. An empty list means ready.

    Raises:
        ConfigurationError: when `path` is not a workspace.
        PolicyError: when its `policy.yaml` is invalid.
    """
    from sales_operator.adapters.sqlite_crm import SQLiteCRM
    from sales_operator.policy import load_policy

    root = require_workspace(path)
    policy = load_policy(root / "policy.yaml")
    problems: list[str] = []
    if policy.company.name == "Your Company" or "example.com" in policy.company.rep_email_domains:
        problems.append(
            "policy.yaml still has the template's company: set company.name, company.product "
            "and company.rep_email_domains"
        )
    with SQLiteCRM(root / "crm.sqlite") as crm:
        reps = crm.list_reps()
    if not reps:
        problems.append("no reps in the CRM: `sales-operator import reps reps.csv`")
    queue = policy.routing.fallback_queue
    if reps and queue and queue not in {r.id for r in reps}:
        problems.append(
            f"routing.fallback_queue {queue!r} is not a rep in the CRM: import it as a rep with "
            "role queue, or name one of yours in policy.yaml"
        )
    domains = {d.lower() for d in policy.company.rep_email_domains}
    for rep in reps:
        domain = rep.email.rpartition("@")[2].lower()
        if domain not in domains:
            problems.append(
                f"rep {rep.id} ({rep.email}) is outside company.rep_email_domains {sorted(domains)}"
            )
    return problems

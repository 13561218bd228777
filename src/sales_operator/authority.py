"""Who may decide: reviewers are CRM identities with roles, or an embedder's callback.

`review_configs` name a role per action kind (`rep` or `manager`). A decision counts only when
its reviewer resolves to a person allowed to take that role:

- `crm_authorizer(crm)` (the default) looks the reviewer up among the CRM's reps by id, email
  or full name (case-insensitive). `rep` is satisfied by any seller or manager (`sdr`, `ae`,
  `cs`, `manager`, `cro`); `manager` only by `manager` or `cro`. Queues decide nothing.
- An embedder with its own identity system passes `Deps(authorize=...)`: a callable
  `(reviewer, role, action_kind) -> identity` that returns the name to record in the audit, or
  raises `ApprovalError`.

Anything else, an unknown or misspelt name included, is an `ApprovalError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sales_operator.errors import ApprovalError

Authorize = Callable[[str, str, str], str]
"""`(reviewer, role, action_kind) -> identity recorded in the audit`; raises `ApprovalError`."""

ROLE_HOLDERS: dict[str, frozenset[str]] = {
    "rep": frozenset({"sdr", "ae", "cs", "manager", "cro"}),
    "manager": frozenset({"manager", "cro"}),
}
"""The CRM roles that may take each reviewer role of the policy."""


def find_rep(reps: list[Any], reviewer: str) -> Any | None:
    """Return the rep whose id, email or name is `reviewer` (case-insensitive), or None."""
    wanted = reviewer.strip().casefold()
    for rep in reps:
        if wanted in (rep.id.casefold(), rep.email.casefold(), rep.name.casefold()):
            return rep
    return None


def crm_authorizer(crm: Any) -> Authorize:
    """Return an authoriser that accepts the CRM's reps and managers by role."""

    def authorize(reviewer: str, role: str, action_kind: str) -> str:
        rep = find_rep(list(crm.list_reps()), reviewer)
        if rep is None:
            raise ApprovalError(
                f"unknown reviewer {reviewer!r}: not a rep or manager in the CRM "
                "(give their id, email or full name)"
            )
        holders = ROLE_HOLDERS.get(role)
        if holders is None:
            raise ApprovalError(f"{action_kind}: unknown reviewer role {role!r} in the policy")
        if rep.role not in holders:
            raise ApprovalError(
                f"{rep.name} ({rep.id}, {rep.role}) may not decide {action_kind}: "
                f"the policy asks for a {role}"
            )
        return str(rep.id)

    return authorize

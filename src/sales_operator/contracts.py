"""Argument contracts: what a proposed or edited action may do, beyond its argument types.

The approval gate checks every action against these rules when it builds the review request,
and checks every reviewer's edit against the same rules before anything runs:

- Each recipient (`to`, `cc`) and attendee is ONE plain address (`dana@acme.com`, or
  `Dana Reyes <dana@acme.com>`): no groups, no lists, no commas, no comments, no quoted
  display names, no control characters. It must belong to a contact of the deal's account or
  sit in one of our own domains (`company.rep_email_domains` plus `contracts.internal_domains`).
- The sender (`from` of an email, `organizer` of an invite) is the deal's owning rep (after a
  won deal, also customer success). A message to our own people only may come from any rep
  the CRM knows.
- `update_crm` never sets a protected field (`contracts.protected_fields`: the stage, the
  owner, the outcome, ids); the stage moves through `change_stage` (manager review) only.
- `assign_owner` names a rep the CRM knows.

The facts these rules need (the contacts' addresses, the owner's address, the reps) are taken
from the deal's state and the CRM when the request is built, and travel with the request
(`request["contract"]`), so a decision checked outside the graph (`resume_deal`, the CLI) meets
the same rules as the gate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.headerregistry import HeaderRegistry
from typing import Any

from sales_operator.errors import ContractError
from sales_operator.policy import Policy

__all__ = ["ContractFacts", "contract_facts", "enforce_contract", "parse_address"]

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR_SPEC = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")
_FORBIDDEN = set(',;:"()[]\\')
_REGISTRY = HeaderRegistry()


def parse_address(value: Any, *, where: str) -> str:
    """Return the one address `value` names, lower-cased.

    Accepts `user@example.com`, `<user@example.com>` or `Display Name <user@example.com>`,
    parsed with the standard library's RFC 5322 parser and then held to a strict form.

    Raises:
        ContractError: for anything else: not a string, a list or group of addresses, commas,
            semicolons, quotes, comments, a display name holding `@`, control characters.
    """
    if not isinstance(value, str):
        raise ContractError(f"{where}: an address must be a string, got {type(value).__name__}")
    if len(value) > 320:
        raise ContractError(f"{where}: address longer than 320 characters")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise ContractError(f"{where}: control or format characters in address {value!r}")
    bad = sorted(set(value) & _FORBIDDEN)
    if bad:
        raise ContractError(
            f"{where}: {value!r} is not one plain address (it holds {''.join(bad)!r}); "
            "name each recipient on its own, without groups, lists or quoting"
        )
    try:
        header: Any = _REGISTRY("To", value)  # an AddressHeader
    except (ValueError, IndexError) as err:
        raise ContractError(f"{where}: cannot parse address {value!r}: {err}") from err
    if header.defects or len(header.groups) != 1:
        raise ContractError(f"{where}: {value!r} is not one valid address")
    group = header.groups[0]
    if group.display_name is not None or len(group.addresses) != 1:
        raise ContractError(f"{where}: {value!r} is a group or list, not one address")
    address = group.addresses[0]
    if "@" in address.display_name or "<" in address.display_name:
        raise ContractError(
            f"{where}: the display name of {value!r} looks like an address; write the address alone"
        )
    spec = str(address.addr_spec)
    if not _ADDR_SPEC.fullmatch(spec):
        raise ContractError(f"{where}: {spec!r} is not a plain user@domain address")
    return spec.lower()


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[1]


@dataclass(frozen=True)
class ContractFacts:
    """What the contracts of one deal's actions are checked against."""

    deal_id: str
    """The deal (thread)."""
    contacts: frozenset[str] = frozenset()
    """Addresses of the deal's account contacts, lower-cased."""
    internal_domains: tuple[str, ...] = ()
    """Our own email domains, lower-cased."""
    owners: frozenset[str] | None = None
    """Addresses that may write to customers (the owning rep, and customer success after a
    won deal); None when the CRM's reps are unknown (then only our own domains may send)."""
    reps: frozenset[str] | None = None
    """Every rep's address; None when unknown."""
    rep_ids: frozenset[str] | None = None
    """Every rep id; None when unknown."""
    protected_fields: tuple[str, ...] = ()
    """Deal fields `update_crm` may not set."""
    slack_mentions: bool = False
    """Whether Slack broadcast mentions are allowed (the text is escaped otherwise)."""
    notes: tuple[str, ...] = field(default=())
    """Why a fact is missing (shown to the reviewer)."""

    def is_internal(self, address: str) -> bool:
        """Return whether `address` is in one of our own domains."""
        domain = _domain(address)
        return any(domain == d or domain.endswith("." + d) for d in self.internal_domains)

    def to_json(self) -> dict[str, Any]:
        """Return the facts as JSON-ready data (carried in the review request)."""
        return {
            "deal_id": self.deal_id,
            "contacts": sorted(self.contacts),
            "internal_domains": list(self.internal_domains),
            "owners": None if self.owners is None else sorted(self.owners),
            "reps": None if self.reps is None else sorted(self.reps),
            "rep_ids": None if self.rep_ids is None else sorted(self.rep_ids),
            "protected_fields": list(self.protected_fields),
            "slack_mentions": self.slack_mentions,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Any) -> ContractFacts:
        """Read facts written by `to_json()`.

        Raises:
            ContractError: when `data` is not such an object.
        """
        if not isinstance(data, dict) or not isinstance(data.get("deal_id"), str):
            raise ContractError("the request's contract facts are missing or malformed")

        def opt(key: str) -> frozenset[str] | None:
            raw = data.get(key)
            return None if raw is None else frozenset(str(x) for x in raw)

        return cls(
            deal_id=data["deal_id"],
            contacts=frozenset(str(x) for x in data.get("contacts") or ()),
            internal_domains=tuple(str(x) for x in data.get("internal_domains") or ()),
            owners=opt("owners"),
            reps=opt("reps"),
            rep_ids=opt("rep_ids"),
            protected_fields=tuple(str(x) for x in data.get("protected_fields") or ()),
            slack_mentions=bool(data.get("slack_mentions", False)),
            notes=tuple(str(x) for x in data.get("notes") or ()),
        )


def owner_id_of(state: Any) -> str | None:
    """Return the id of the deal's owning rep, who writes to its customers.

    Once an `assign_owner` has run, the deal's owner (its reviewer may have edited the routed
    rep); before, the routed rep (`state.assignment`); without either, the deal's owner on
    record.
    """
    deal = getattr(state, "deal", None)
    assigned = any(
        a.kind == "assign_owner" and a.status == "executed"
        for a in getattr(state, "proposed_actions", [])
    )
    if assigned and deal is not None and deal.owner_id:
        return str(deal.owner_id)
    assignment = getattr(state, "assignment", None)
    if assignment is not None:
        return str(assignment.rep_id)
    return str(deal.owner_id) if deal is not None and deal.owner_id else None


def contract_facts(state: Any, policy: Policy, reps: Sequence[Any] | None = None) -> ContractFacts:
    """Gather the contract facts of a deal from its state, the policy and the CRM's reps.

    Args:
        state: The `DealState`.
        policy: The policy (internal domains, protected fields, Slack mentions).
        reps: The CRM's reps (`Rep` objects); None when unknown.
    """
    contacts = frozenset(
        c.email.strip().lower()
        for c in getattr(state, "contacts", [])
        if c.email and "@" in c.email
    )
    domains = tuple(
        dict.fromkeys(
            d.strip().lower().lstrip("@")
            for d in [*policy.company.rep_email_domains, *policy.contracts.internal_domains]
            if d.strip()
        )
    )
    owners: frozenset[str] | None = None
    rep_emails: frozenset[str] | None = None
    rep_ids: frozenset[str] | None = None
    notes: list[str] = []
    if reps is not None:
        by_id = {r.id: r for r in reps}
        rep_emails = frozenset(r.email.lower() for r in reps if r.email)
        rep_ids = frozenset(by_id)
        deal = getattr(state, "deal", None)
        owner_id = owner_id_of(state)
        owner = by_id.get(owner_id) if owner_id else None
        allowed = {owner.email.lower()} if owner is not None and owner.email else set()
        if owner is None:
            notes.append("the deal has no owning rep yet: nobody may write to its customers")
        if deal is not None and deal.outcome == "won":
            allowed |= {r.email.lower() for r in reps if r.role == "cs" and r.email}
        owners = frozenset(allowed)
    return ContractFacts(
        deal_id=str(getattr(state, "deal_id", "")),
        contacts=contacts,
        internal_domains=domains,
        owners=owners,
        reps=rep_emails,
        rep_ids=rep_ids,
        protected_fields=tuple(policy.contracts.protected_fields),
        slack_mentions=policy.contracts.slack_mentions,
        notes=tuple(notes),
    )


def _field_key(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "_", unicodedata.normalize("NFKC", name).casefold()).strip("_")


def _recipients(kind: str, role: str, values: Iterable[Any], facts: ContractFacts) -> list[str]:
    out = []
    for i, raw in enumerate(values):
        where = f"{kind}: {role}[{i}]"
        address = parse_address(raw, where=where)
        if address not in facts.contacts and not facts.is_internal(address):
            raise ContractError(
                f"{where}: {address} is neither a contact of the deal's account nor in our "
                f"domains {list(facts.internal_domains)}; only those may be addressed"
            )
        out.append(address)
    return out


def _sender(kind: str, role: str, raw: Any, recipients: list[str], facts: ContractFacts) -> None:
    if raw is None:
        return
    where = f"{kind}: {role}"
    sender = parse_address(raw, where=where)
    internal_only = all(facts.is_internal(r) for r in recipients)
    if internal_only:
        if facts.reps is not None and sender in facts.reps:
            return
        if facts.reps is None and facts.is_internal(sender):
            return
        raise ContractError(f"{where}: {sender} is not one of our reps")
    if facts.owners is None:
        if facts.is_internal(sender):
            return
        raise ContractError(f"{where}: {sender} is not in our domains")
    if sender not in facts.owners:
        who = ", ".join(sorted(facts.owners)) or "nobody (the deal has no owning rep)"
        raise ContractError(
            f"{where}: {sender} may not write to the customer; it must come from the deal's "
            f"owning rep ({who})"
        )


def enforce_contract(kind: str, args: Any, facts: ContractFacts) -> None:
    """Check one action's validated arguments (`approval.ARGS_BY_KIND` models) against `facts`.

    Raises:
        ContractError: naming the action kind, the argument and the rule it breaks.
    """
    if kind == "send_email":
        recipients = _recipients(kind, "to", args.to, facts)
        recipients += _recipients(kind, "cc", args.cc, facts)
        _sender(kind, "from", args.sender, recipients, facts)
    elif kind == "send_invite":
        attendees = _recipients(kind, "attendees", args.attendees, facts)
        _sender(kind, "organizer", args.organizer, attendees, facts)
    elif kind == "update_crm":
        protected = {_field_key(f) for f in facts.protected_fields}
        for name in args.fields:
            if not isinstance(name, str) or not name.strip():
                raise ContractError(f"update_crm: field name {name!r} must be a non-empty string")
            if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
                raise ContractError(f"update_crm: control characters in field name {name!r}")
            if _field_key(name) in protected:
                hint = " (use change_stage)" if _field_key(name) == "stage" else ""
                raise ContractError(
                    f"update_crm: field {name!r} is protected and cannot be set here{hint}; "
                    f"protected: {list(facts.protected_fields)}"
                )
    elif kind == "assign_owner":
        if facts.rep_ids is not None and args.rep_id not in facts.rep_ids:
            raise ContractError(f"assign_owner: {args.rep_id!r} is not a rep the CRM knows")
    elif kind == "post_slack":
        if any(unicodedata.category(c) in ("Cc", "Cf") for c in args.channel):
            raise ContractError(f"post_slack: control characters in channel {args.channel!r}")

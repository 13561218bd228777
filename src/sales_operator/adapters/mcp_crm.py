"""A CRM reached through the vendor's MCP server, with its write scopes mapped onto our approvals.

CRM vendors publish MCP servers (HubSpot, Salesforce, Attio, Close). `MCPCRM` connects to one
with the MCP Python SDK's client, reads accounts, contacts, deals and history through the
server's read tools, and performs the executor's writes through its write tools. Receipts,
the audit trail and reps stay in the operator's ledger, as with the other connectors.

**Approval tiers.** On connecting, the adapter reads every tool's annotations and classifies
it (`classify_tool`): `read` (`readOnlyHint`), `rep` (a write the server declares
non-destructive), `manager` (a destructive write, and — as the MCP specification's defaults
say — any write that declares nothing). Then:

- a read operation mapped to a tool that is not read-only is refused (`ConfigurationError`):
  patterns read through it, and patterns must never be able to write;
- `review_overrides()` names the action kinds whose vendor tool is destructive, and
  `apply_to_policy(policy)` raises their reviewer to `manager`, so the gate asks a manager
  before anything runs that the vendor itself calls destructive.

Creating a new lead's records (`upsert_records`) stays in the ledger: vendor MCP servers
differ most there, so that one write is not mapped.

**Tool contract.** Each operation calls the tool named in `MCPToolMap` with the arguments
shown there (rename them with `MCPToolMap.arguments` for a server that spells them otherwise)
and reads a JSON object (structured content, or the first text block). Every write carries
`external_key` (a digest of the idempotency key); `find_by_key` is called first, so a retry
returns the first record.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sales_operator.adapters.base import CRM, HistoryRecord
from sales_operator.adapters.vendor import LedgerBacked, parse_vendor_datetime, permanent, transient
from sales_operator.errors import ConfigurationError
from sales_operator.policy import Policy
from sales_operator.state import Account, Activity, Contact, Deal

ADAPTER = "mcp_crm"
Tier = Literal["read", "rep", "manager"]


class MCPToolMap(BaseModel):
    """Which vendor tool serves each operation (arguments in the docstrings)."""

    model_config = ConfigDict(extra="forbid")

    get_account: str = "get_company"
    """`{"company_id"}` → `{"id", "name", "domain", "industry", "employees", "country"}`."""
    list_contacts: str = "list_company_contacts"
    """`{"company_id"}` → `{"contacts": [{"id", "name", "email", "title"}]}`."""
    get_deal: str = "get_deal"
    """`{"deal_id"}` → `{"id", "name", "stage", "amount", "close_date", "owner_email"}`."""
    account_history: str = "list_company_activities"
    """`{"company_id"}` → `{"activities": [{"id", "kind", "at", "title", "text"}]}`."""
    find_by_key: str = "find_by_external_key"
    """`{"external_key"}` → `{"id"}` or `{}`."""
    add_note: str = "create_note"
    """`{"deal_id", "body", "external_key"}` → `{"id"}`."""
    create_task: str = "create_task"
    """`{"deal_id", "title", "body", "due_date", "owner_email", "external_key"}` → `{"id"}`."""
    update_deal: str = "update_deal"
    """`{"deal_id", "properties"}` → `{"id"}` (stage, owner and fields)."""
    arguments: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Per tool, our argument name → the server's (for servers that spell them otherwise)."""


READ_OPERATIONS = ("get_account", "list_contacts", "get_deal", "account_history", "find_by_key")
WRITE_KINDS: dict[str, tuple[str, ...]] = {
    "add_note": ("log_note",),
    "create_task": ("create_task",),
    "update_deal": ("update_crm", "change_stage", "assign_owner"),
}
"""Write operation → the action kinds that execute through it."""


def classify_tool(annotations: Any) -> Tier:
    """Return a tool's approval tier from its MCP annotations (spec defaults when absent)."""
    if annotations is None:
        return "manager"
    read_only = getattr(annotations, "read_only_hint", None)
    if read_only:
        return "read"
    destructive = getattr(annotations, "destructive_hint", None)
    return "rep" if destructive is False else "manager"


def external_key(idempotency_key: str) -> str:
    """Return the external key written with a record (a digest of the idempotency key)."""
    return "so-" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:40]


class MCPCRM(LedgerBacked):
    """A `CRM` whose business records are reached through a vendor's MCP server."""

    def __init__(
        self,
        server: Any,
        ledger: CRM,
        *,
        tools: MCPToolMap | None = None,
        stage_names: dict[str, str] | None = None,
    ) -> None:
        """Connect to `server` and check its tools against the map.

        Args:
            server: What `mcp.Client` accepts: a URL (Streamable HTTP), `StdioServerParameters`,
                a transport, or an in-process server.
            ledger: The operator's own store (reps, receipts, audit).
            tools: The tool map.
            stage_names: Our stage names onto the vendor's.

        Raises:
            ConfigurationError: for a mapped tool the server lacks, or a read operation
                mapped to a tool that can write.
        """
        super().__init__(ledger)
        self.tools = tools or MCPToolMap()
        self.stage_names = dict(stage_names or {})
        self._server = server
        self._portal_cm: Any = None
        self._client_cm: Any = None
        self._client: Any = None
        self.tiers: dict[str, Tier] = {}
        self._connect()

    # -- connection ----------------------------------------------------------------------

    def _connect(self) -> None:
        from anyio.from_thread import start_blocking_portal
        from mcp import Client

        self._portal_cm = start_blocking_portal()
        portal = self._portal_cm.__enter__()
        self._portal = portal
        try:
            self._client_cm = portal.wrap_async_context_manager(Client(self._server))
            self._client = self._client_cm.__enter__()
            listed = portal.call(self._client.list_tools)
        except Exception as exc:
            self.close()
            raise ConfigurationError(f"cannot connect to the CRM's MCP server: {exc}") from exc
        self.tiers = {tool.name: classify_tool(tool.annotations) for tool in listed.tools}
        problems = []
        for operation in (*READ_OPERATIONS, *WRITE_KINDS):
            name = getattr(self.tools, operation)
            if name not in self.tiers:
                problems.append(f"{operation} → {name!r} is not a tool of this server")
            elif operation in READ_OPERATIONS and self.tiers[name] != "read":
                problems.append(
                    f"{operation} → {name!r} is not read-only; patterns read through it and "
                    "must not be able to write"
                )
        if problems:
            self.close()
            raise ConfigurationError(
                "the CRM's MCP server does not fit the tool map: "
                + "; ".join(problems)
                + f" (its tools: {sorted(self.tiers)})"
            )

    def close(self) -> None:
        """Close the MCP session."""
        if self._client_cm is not None:
            self._client_cm.__exit__(None, None, None)
            self._client_cm = None
        if self._portal_cm is not None:
            self._portal_cm.__exit__(None, None, None)
            self._portal_cm = None

    def __enter__(self) -> MCPCRM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- approval tiers ------------------------------------------------------------------

    def review_overrides(self) -> dict[str, Literal["manager"]]:
        """Return the action kinds whose vendor tool is destructive: a manager reviews them."""
        out: dict[str, Literal["manager"]] = {}
        for operation, kinds in WRITE_KINDS.items():
            if self.tiers.get(getattr(self.tools, operation)) == "manager":
                for kind in kinds:
                    out[kind] = "manager"
        return out

    def apply_to_policy(self, policy: Policy) -> Policy:
        """Return a copy of `policy` with a manager reviewing every destructive vendor write."""
        approval = policy.approval.model_copy(deep=True)
        for kind in self.review_overrides():
            if kind in approval.actions:
                approval.actions[kind] = approval.actions[kind].model_copy(
                    update={"reviewer": "manager"}
                )
        return policy.model_copy(update={"approval": approval})

    # -- calls ---------------------------------------------------------------------------

    def _call(self, operation: str, args: dict[str, Any]) -> dict[str, Any]:
        name = getattr(self.tools, operation)
        renames = self.tools.arguments.get(name, {})
        sent = {renames.get(k, k): v for k, v in args.items()}
        try:
            result = self._portal.call(self._client.call_tool, name, sent)
        except Exception as exc:
            raise transient(f"{name}: {exc}", adapter=ADAPTER, operation=operation) from exc
        text = next((c.text for c in result.content if getattr(c, "text", None)), "")
        if result.is_error:
            if "not found" in text.lower():
                return {"_not_found": True}
            raise permanent(f"{name} failed: {text[:300]}", adapter=ADAPTER, operation=operation)
        structured = getattr(result, "structured_content", None)
        if isinstance(structured, dict) and structured:
            return (
                structured.get("result", structured)
                if len(structured) == 1 and isinstance(structured.get("result"), dict)
                else structured
            )
        try:
            value = json.loads(text) if text else {}
        except ValueError as exc:
            raise permanent(
                f"{name} answered no JSON: {text[:200]}", adapter=ADAPTER, operation=operation
            ) from exc
        return value if isinstance(value, dict) else {"value": value}

    def _write(self, operation: str, args: dict[str, Any], key: str) -> tuple[str, bool]:
        ext = external_key(key)
        found = self._call("find_by_key", {"external_key": ext})
        if found.get("id"):
            return str(found["id"]), False
        made = self._call(operation, {**args, "external_key": ext})
        if not made.get("id"):
            raise permanent(f"{operation} returned no id", adapter=ADAPTER, operation=operation)
        return str(made["id"]), True

    # -- reads ---------------------------------------------------------------------------

    def get_account(self, account_id: str) -> Account | None:
        """Return the company, or None."""
        data = self._call("get_account", {"company_id": account_id})
        if data.get("_not_found"):
            return None
        return Account(
            id=str(data.get("id", account_id)),
            name=str(data.get("name") or account_id),
            domain=data.get("domain"),
            industry=data.get("industry"),
            employees=data.get("employees"),
            country=data.get("country"),
        )

    def list_contacts(self, account_id: str) -> list[Contact]:
        """Return the company's contacts."""
        data = self._call("list_contacts", {"company_id": account_id})
        return [
            Contact(
                id=str(c["id"]),
                name=str(c.get("name") or c.get("email") or c["id"]),
                email=c.get("email"),
                title=c.get("title"),
            )
            for c in data.get("contacts", [])
        ]

    def get_deal(self, deal_id: str) -> Deal | None:
        """Return the deal, or None."""
        data = self._call("get_deal", {"deal_id": deal_id})
        if data.get("_not_found"):
            return None
        reverse = {v: k for k, v in self.stage_names.items()}
        stage = reverse.get(data.get("stage") or "", data.get("stage") or "new")
        owner = self.rep_by_email(data.get("owner_email"))
        close = data.get("close_date")
        return Deal(
            id=deal_id,
            name=str(data.get("name") or deal_id),
            stage=stage,
            amount=data.get("amount"),
            close_date=date.fromisoformat(close[:10]) if close else None,
            owner_id=owner.id if owner else None,
            outcome={"closed_won": "won", "closed_lost": "lost"}.get(stage),
        )

    def account_history(self, account_id: str) -> list[HistoryRecord]:
        """Return the company's activities, oldest first."""
        data = self._call("account_history", {"company_id": account_id})
        out = []
        for item in data.get("activities", []):
            kind = (
                item.get("kind")
                if item.get("kind") in ("activity", "note", "deal", "task")
                else "activity"
            )
            out.append(
                HistoryRecord(
                    ref=f"mcp:{kind}/{item['id']}",
                    kind=kind,
                    at=parse_vendor_datetime(item.get("at")) or datetime(1970, 1, 1, tzinfo=UTC),
                    title=str(item.get("title") or kind),
                    text=str(item.get("text") or ""),
                )
            )
        return sorted(out, key=lambda h: (h.at, h.ref))

    # -- writes --------------------------------------------------------------------------

    def add_note(self, deal_id: str, text: str, *, idempotency_key: str) -> dict[str, Any]:
        """Create a note through the vendor's tool (once per key)."""
        note_id, created = self._write(
            "add_note", {"deal_id": deal_id, "body": text}, idempotency_key
        )
        return {"note_id": note_id, "deal_id": deal_id, "created": created}

    def create_task(
        self,
        deal_id: str,
        *,
        title: str,
        owner_id: str | None,
        due: date | None,
        notes: str,
        idempotency_key: str,
        created_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Create a task through the vendor's tool (once per key); `created_at` in the body."""
        if created_at is not None:
            notes = f"{notes}\n\nProposed {created_at.isoformat()}".strip()
        rep = self.rep_by_id(owner_id)
        task_id, created = self._write(
            "create_task",
            {
                "deal_id": deal_id,
                "title": title,
                "body": notes,
                "due_date": due.isoformat() if due else None,
                "owner_email": rep.email if rep else None,
            },
            idempotency_key,
        )
        return {"task_id": task_id, "deal_id": deal_id, "created": created}

    def _update(self, deal_id: str, properties: dict[str, Any], operation: str) -> dict[str, Any]:
        data = self._call("update_deal", {"deal_id": deal_id, "properties": properties})
        if data.get("_not_found"):
            raise permanent(f"no deal {deal_id!r}", adapter=ADAPTER, operation=operation)
        return data

    def change_stage(
        self, deal_id: str, stage: str, *, idempotency_key: str, at: datetime | None = None
    ) -> dict[str, Any]:
        """Set the deal's stage (harmless to repeat); closing with `at` sets `close_date`."""
        properties: dict[str, Any] = {"stage": self.stage_names.get(stage, stage)}
        if at is not None and stage in ("closed_won", "closed_lost"):
            properties["close_date"] = at.date().isoformat()
        self._update(deal_id, properties, "change_stage")
        return {"deal_id": deal_id, "stage": stage}

    def assign_owner(self, deal_id: str, rep_id: str, *, idempotency_key: str) -> dict[str, Any]:
        """Set the deal's owner by the rep's email (harmless to repeat)."""
        rep = self.rep_by_id(rep_id)
        if rep is None:
            raise permanent(f"unknown rep {rep_id!r}", adapter=ADAPTER, operation="assign_owner")
        self._update(deal_id, {"owner_email": rep.email}, "assign_owner")
        return {"deal_id": deal_id, "owner_id": rep_id}

    def update_deal_fields(
        self, deal_id: str, fields: dict[str, Any], *, idempotency_key: str
    ) -> dict[str, Any]:
        """Set deal fields (harmless to repeat)."""
        clean = {
            k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in fields.items()
        }
        self._update(deal_id, clean, "update_deal_fields")
        return {"deal_id": deal_id, "fields": sorted(clean)}

    def log_activity(
        self, deal_id: str, activity: Activity, *, idempotency_key: str
    ) -> dict[str, Any]:
        """Log the activity as a note (once per key)."""
        return self.add_note(
            deal_id,
            f"[{activity.kind}, {activity.direction}] {activity.summary}",
            idempotency_key=idempotency_key,
        )

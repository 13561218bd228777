"""Salesforce as the operator's CRM, through `simple-salesforce` (the REST API client).

Reads accounts, contacts, opportunities, tasks and users; writes tasks, notes (as completed
tasks), the opportunity's stage, owner and fields, and creates the account, contacts and
opportunity of a new lead. Receipts, the audit trail and the reps' routing settings stay in
the operator's ledger (see `sales_operator.adapters.vendor`).

Set up once in Setup → Object Manager, then `SalesforceCRM.from_env`:

- a text field `Sales_Operator_Key__c` marked **External ID** and **Unique** on Task,
  Account, Contact and Opportunity: every record the operator writes is an *upsert* on that
  field (`PATCH /sobjects/Task/Sales_Operator_Key__c/<key>`), so a retry updates the first
  record instead of creating a second. The field holds a digest of the idempotency key
  (`so-` and 40 hex characters), which is safe in a URL whatever the key contains;
- a text field `Sales_Operator_Deal_Id__c` (External ID, Unique) on Opportunity, so the
  operator's deal ids (`D-2001`) address opportunities; an id that looks like a Salesforce
  opportunity id (`006…`, 15 or 18 characters) is used as it is.

Environment: `SALESFORCE_INSTANCE_URL` and `SALESFORCE_ACCESS_TOKEN` (an OAuth access token),
or `SALESFORCE_USERNAME`, `SALESFORCE_PASSWORD` and `SALESFORCE_SECURITY_TOKEN`
(`SALESFORCE_DOMAIN=test` for a sandbox). `503` and `REQUEST_LIMIT_EXCEEDED` answers are
retried with exponential backoff, then raised as `TransientAdapterError`.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sales_operator.adapters.base import CRM, HistoryRecord
from sales_operator.adapters.vendor import (
    LedgerBacked,
    parse_vendor_datetime,
    permanent,
    require_env,
    transient,
    with_backoff,
)
from sales_operator.state import Account, Activity, Contact, Deal, Lead

ADAPTER = "salesforce"

DEFAULT_SALESFORCE_STAGES: dict[str, str] = {
    "new": "Prospecting",
    "discovery": "Qualification",
    "demo": "Needs Analysis",
    "proposal": "Proposal/Price Quote",
    "negotiation": "Negotiation/Review",
    "closed_won": "Closed Won",
    "closed_lost": "Closed Lost",
}
"""Our policy's stages onto Salesforce's default opportunity stages."""

OPPORTUNITY_FIELD_MAP: dict[str, str] = {
    "name": "Name",
    "amount": "Amount",
    "close_date": "CloseDate",
    "next_step": "NextStep",
}
"""Our deal fields onto standard Opportunity fields; others go into one note."""

_SF_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


def external_key(idempotency_key: str) -> str:
    """Return the URL-safe external-id value stored for an idempotency key."""
    return "so-" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:40]


def soql_quote(value: str) -> str:
    """Quote a string literal for SOQL (backslash and single quote escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class SalesforceCRM(LedgerBacked):
    """A `CRM` whose business records live in a Salesforce org."""

    def __init__(
        self,
        sf: Any,
        ledger: CRM,
        *,
        stage_map: Mapping[str, str] | None = None,
        field_map: Mapping[str, str] | None = None,
        key_field: str = "Sales_Operator_Key__c",
        deal_id_field: str = "Sales_Operator_Deal_Id__c",
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """Wrap a `simple_salesforce.Salesforce` session.

        Args:
            sf: `Salesforce(instance_url=..., session_id=...)`.
            ledger: The operator's own store (reps, receipts, audit).
            stage_map: Our stage names onto the org's `StageName` values.
            field_map: Our deal field names onto Opportunity fields.
            key_field: The external-id field that carries idempotency keys.
            deal_id_field: The external-id Opportunity field that carries our deal ids.
            sleep: Injected for tests of the backoff.
        """
        super().__init__(ledger)
        self.sf = sf
        self.stage_map = dict(stage_map or DEFAULT_SALESFORCE_STAGES)
        self.field_map = dict(field_map or OPPORTUNITY_FIELD_MAP)
        self.key_field = key_field
        self.deal_id_field = deal_id_field
        self._sleep = sleep
        self._user_ids: dict[str, str] = {}

    @classmethod
    def from_env(cls, ledger: CRM, env: Mapping[str, str] | None = None) -> SalesforceCRM:
        """Build from a token (`SALESFORCE_INSTANCE_URL`, `SALESFORCE_ACCESS_TOKEN`) or a login.

        Raises:
            ConfigurationError: when neither a token nor a full login is configured.
        """
        from simple_salesforce.api import Salesforce

        values = dict(os.environ if env is None else env)
        if values.get("SALESFORCE_ACCESS_TOKEN"):
            url = require_env(values, "SALESFORCE_INSTANCE_URL", "SalesforceCRM")
            sf = Salesforce(instance_url=url, session_id=values["SALESFORCE_ACCESS_TOKEN"])
        else:
            sf = Salesforce(
                username=require_env(values, "SALESFORCE_USERNAME", "SalesforceCRM"),
                password=require_env(values, "SALESFORCE_PASSWORD", "SalesforceCRM"),
                security_token=require_env(values, "SALESFORCE_SECURITY_TOKEN", "SalesforceCRM"),
                domain=values.get("SALESFORCE_DOMAIN") or None,
            )
        return cls(sf, ledger)

    # -- plumbing ------------------------------------------------------------------------

    def _call(self, operation: str, call: Callable[[], Any]) -> Any:
        """Run one call with backoff on limits, and typed errors for the rest."""
        from simple_salesforce.exceptions import SalesforceError

        kwargs: dict[str, Any] = {}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        try:
            return with_backoff(
                call, is_rate_limited=_limited, adapter=ADAPTER, operation=operation, **kwargs
            )
        except SalesforceError as exc:
            message = f"Salesforce answered {exc.status}: {_error_text(exc)}"
            if exc.status >= 500:
                raise transient(message, adapter=ADAPTER, operation=operation) from exc
            raise permanent(message, adapter=ADAPTER, operation=operation) from exc

    def _sobject(self, name: str) -> Any:
        return getattr(self.sf, name)

    def _get(self, name: str, record_id: str, operation: str) -> dict[str, Any] | None:
        from simple_salesforce.exceptions import SalesforceResourceNotFound

        try:
            return dict(self._call(operation, lambda: self._sobject(name).get(record_id)))
        except Exception as exc:
            if isinstance(exc.__cause__, SalesforceResourceNotFound):
                return None
            raise

    def _query(self, soql: str, operation: str) -> list[dict[str, Any]]:
        result = self._call(operation, lambda: self.sf.query_all(soql))
        return [dict(r) for r in result.get("records", [])]

    def _upsert(self, name: str, key: str, data: dict[str, Any], operation: str) -> str:
        """Upsert `data` on the key's external id; return the record id."""
        ext = external_key(key)
        response = self._call(
            operation,
            lambda: self._sobject(name).upsert(
                f"{self.key_field}/{ext}",
                {k: v for k, v in data.items() if v is not None},
                raw_response=True,
            ),
        )
        body: dict[str, Any] = {}
        if getattr(response, "content", b""):
            try:
                body = dict(response.json())
            except ValueError:
                body = {}
        if body.get("id"):
            return str(body["id"])
        record = self._call(
            operation, lambda: self._sobject(name).get_by_custom_id(self.key_field, ext)
        )
        return str(record["Id"])

    def _opportunity(self, deal_id: str, operation: str) -> dict[str, Any] | None:
        from simple_salesforce.exceptions import SalesforceResourceNotFound

        if _SF_ID.match(deal_id) and deal_id.startswith("006"):
            return self._get("Opportunity", deal_id, operation)
        try:
            return dict(
                self._call(
                    operation,
                    lambda: self.sf.Opportunity.get_by_custom_id(self.deal_id_field, deal_id),
                )
            )
        except Exception as exc:
            if isinstance(exc.__cause__, SalesforceResourceNotFound):
                return None
            raise

    def _opportunity_id(self, deal_id: str, operation: str) -> str:
        record = self._opportunity(deal_id, operation)
        if record is None:
            raise permanent(
                f"Salesforce has no opportunity {deal_id!r}", adapter=ADAPTER, operation=operation
            )
        return str(record["Id"])

    def _user_id_for(self, rep_id: str | None, operation: str) -> str | None:
        """Map our rep id to a Salesforce user id through the rep's email."""
        if rep_id is None:
            return None
        rep = self.rep_by_id(rep_id)
        if rep is None:
            raise permanent(f"unknown rep {rep_id!r}", adapter=ADAPTER, operation=operation)
        email = rep.email.lower()
        if email not in self._user_ids:
            rows = self._query(
                f"SELECT Id, Email FROM User WHERE Email = {soql_quote(rep.email)} "
                "AND IsActive = true LIMIT 1",
                operation,
            )
            if not rows:
                raise permanent(
                    f"rep {rep.id} ({rep.email}) is not an active Salesforce user",
                    adapter=ADAPTER,
                    operation=operation,
                )
            self._user_ids[email] = str(rows[0]["Id"])
        return self._user_ids[email]

    # -- reads ---------------------------------------------------------------------------

    def get_account(self, account_id: str) -> Account | None:
        """Return the Salesforce account, or None."""
        record = self._get("Account", account_id, "get_account")
        if record is None:
            return None
        website = record.get("Website") or None
        domain = re.sub(r"^https?://(www\.)?", "", website).rstrip("/") if website else None
        return Account(
            id=str(record["Id"]),
            name=record.get("Name") or f"Salesforce account {record['Id']}",
            domain=domain,
            industry=record.get("Industry") or None,
            employees=record.get("NumberOfEmployees"),
            territory=record.get("Sales_Territory__c") or None,
            country=record.get("BillingCountry") or None,
        )

    def list_contacts(self, account_id: str) -> list[Contact]:
        """Return the account's contacts."""
        rows = self._query(
            "SELECT Id, Name, Email, Title FROM Contact "
            f"WHERE AccountId = {soql_quote(account_id)} ORDER BY Id",
            "list_contacts",
        )
        return [
            Contact(
                id=str(r["Id"]),
                name=r.get("Name") or r.get("Email") or str(r["Id"]),
                email=r.get("Email"),
                title=r.get("Title"),
            )
            for r in rows
        ]

    def get_deal(self, deal_id: str) -> Deal | None:
        """Return the opportunity, by Salesforce id or by our deal id."""
        record = self._opportunity(deal_id, "get_deal")
        if record is None:
            return None
        reverse = {v: k for k, v in self.stage_map.items()}
        raw_stage = record.get("StageName") or ""
        stage = reverse.get(raw_stage, raw_stage or "new")
        close = record.get("CloseDate")
        fields: dict[str, Any] = {"salesforce_id": str(record["Id"])}
        if record.get("NextStep"):
            fields["next_step"] = record["NextStep"]
        owner_rep = None
        if record.get("OwnerId"):
            user = self._get("User", str(record["OwnerId"]), "get_deal")
            owner_rep = self.rep_by_email(user.get("Email") if user else None)
        return Deal(
            id=deal_id,
            name=record.get("Name") or f"Salesforce opportunity {record['Id']}",
            stage=stage,
            amount=record.get("Amount"),
            close_date=date.fromisoformat(close) if close else None,
            owner_id=owner_rep.id if owner_rep else record.get("OwnerId"),
            outcome={"closed_won": "won", "closed_lost": "lost"}.get(stage),
            fields=fields,
        )

    def account_history(self, account_id: str) -> list[HistoryRecord]:
        """Return the account's tasks, events (meetings) and opportunities, oldest first."""
        quoted = soql_quote(account_id)
        history: list[HistoryRecord] = []
        for task in self._query(
            "SELECT Id, Subject, Description, ActivityDate, CreatedDate FROM Task "
            f"WHERE AccountId = {quoted}",
            "account_history",
        ):
            at = parse_vendor_datetime(task.get("CreatedDate")) or datetime(1970, 1, 1, tzinfo=UTC)
            if task.get("ActivityDate"):
                day = date.fromisoformat(task["ActivityDate"])
                at = datetime(day.year, day.month, day.day, tzinfo=UTC)
            history.append(
                HistoryRecord(
                    ref=f"salesforce:task/{task['Id']}",
                    kind="task",
                    at=at,
                    title=task.get("Subject") or "Task",
                    text=task.get("Description") or "",
                )
            )
        for event in self._query(
            "SELECT Id, Subject, Description, ActivityDateTime FROM Event "
            f"WHERE AccountId = {quoted}",
            "account_history",
        ):
            history.append(
                HistoryRecord(
                    ref=f"salesforce:event/{event['Id']}",
                    kind="activity",
                    at=parse_vendor_datetime(event.get("ActivityDateTime"))
                    or datetime(1970, 1, 1, tzinfo=UTC),
                    title=event.get("Subject") or "Meeting",
                    text=event.get("Description") or "",
                )
            )
        for opp in self._query(
            "SELECT Id, Name, StageName, CloseDate, Description FROM Opportunity "
            f"WHERE AccountId = {quoted}",
            "account_history",
        ):
            day = date.fromisoformat(opp["CloseDate"]) if opp.get("CloseDate") else date(1970, 1, 1)
            history.append(
                HistoryRecord(
                    ref=f"salesforce:opportunity/{opp['Id']}",
                    kind="deal",
                    at=datetime(day.year, day.month, day.day, tzinfo=UTC),
                    title=opp.get("Name") or "Opportunity",
                    text=f"Stage {opp.get('StageName') or 'unknown'}. "
                    f"{opp.get('Description') or ''}".strip(),
                )
            )
        return sorted(history, key=lambda h: (h.at, h.ref))

    # -- writes --------------------------------------------------------------------------

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
        """Upsert an open task on the opportunity, owned by the rep's Salesforce user.

        Salesforce sets `CreatedDate` itself; `created_at` (when the task was proposed) goes
        into the description.
        """
        if created_at is not None:
            notes = f"{notes}\n\nProposed {created_at.isoformat()}".strip()
        opp = self._opportunity_id(deal_id, "create_task")
        task_id = self._upsert(
            "Task",
            idempotency_key,
            {
                "WhatId": opp,
                "Subject": title[:255],
                "Description": notes,
                "ActivityDate": due.isoformat() if due else None,
                "OwnerId": self._user_id_for(owner_id, "create_task"),
                "Status": "Not Started",
            },
            "create_task",
        )
        return {"task_id": task_id, "ref": f"salesforce:task/{task_id}", "deal_id": deal_id}

    def add_note(self, deal_id: str, text: str, *, idempotency_key: str) -> dict[str, Any]:
        """Upsert a completed task that holds the note (how Salesforce logs notes by API)."""
        opp = self._opportunity_id(deal_id, "add_note")
        first_line = (text.strip().splitlines() or ["Note"])[0]
        task_id = self._upsert(
            "Task",
            idempotency_key,
            {
                "WhatId": opp,
                "Subject": f"Note: {first_line}"[:255],
                "Description": text,
                "Status": "Completed",
                "ActivityDate": datetime.now(UTC).date().isoformat(),
            },
            "add_note",
        )
        return {"note_id": task_id, "ref": f"salesforce:task/{task_id}", "deal_id": deal_id}

    def log_activity(
        self, deal_id: str, activity: Activity, *, idempotency_key: str
    ) -> dict[str, Any]:
        """Upsert a completed task for the email, call or reply."""
        opp = self._opportunity_id(deal_id, "log_activity")
        task_id = self._upsert(
            "Task",
            idempotency_key,
            {
                "WhatId": opp,
                "Subject": f"{activity.kind.title()} ({activity.direction}): {activity.summary}"[
                    :255
                ],
                "Description": activity.summary,
                "Status": "Completed",
                "ActivityDate": activity.at.date().isoformat(),
            },
            "log_activity",
        )
        return {"task_id": task_id, "deal_id": deal_id}

    def change_stage(
        self, deal_id: str, stage: str, *, idempotency_key: str, at: datetime | None = None
    ) -> dict[str, Any]:
        """Set the opportunity's `StageName` (setting it twice is harmless).

        Closing (`closed_won`/`closed_lost`) with `at` also sets `CloseDate` to that day.
        """
        if stage not in self.stage_map:
            raise permanent(
                f"stage {stage!r} has no Salesforce StageName; known: {sorted(self.stage_map)}",
                adapter=ADAPTER,
                operation="change_stage",
            )
        opp = self._opportunity_id(deal_id, "change_stage")
        fields: dict[str, Any] = {"StageName": self.stage_map[stage]}
        if at is not None and stage in ("closed_won", "closed_lost"):
            fields["CloseDate"] = at.date().isoformat()
        self._call("change_stage", lambda: self.sf.Opportunity.update(opp, fields))
        return {"deal_id": deal_id, "stage": stage, "salesforce_stage": self.stage_map[stage]}

    def assign_owner(self, deal_id: str, rep_id: str, *, idempotency_key: str) -> dict[str, Any]:
        """Make the rep's Salesforce user the opportunity's owner."""
        user = self._user_id_for(rep_id, "assign_owner")
        opp = self._opportunity_id(deal_id, "assign_owner")
        self._call("assign_owner", lambda: self.sf.Opportunity.update(opp, {"OwnerId": user}))
        return {"deal_id": deal_id, "owner_id": rep_id, "salesforce_user_id": user}

    def update_deal_fields(
        self, deal_id: str, fields: dict[str, Any], *, idempotency_key: str
    ) -> dict[str, Any]:
        """Set mapped Opportunity fields; fields with no mapping go into one note."""
        opp = self._opportunity_id(deal_id, "update_deal_fields")
        mapped = {self.field_map[k]: _value(v) for k, v in fields.items() if k in self.field_map}
        rest = {k: v for k, v in fields.items() if k not in self.field_map}
        if mapped:
            self._call("update_deal_fields", lambda: self.sf.Opportunity.update(opp, mapped))
        result: dict[str, Any] = {"deal_id": deal_id, "fields": sorted(mapped)}
        note_id = self.note_unmapped(deal_id, rest, idempotency_key=idempotency_key, render=_value)
        if note_id is not None:
            result["note_id"] = note_id
        return result

    def upsert_records(
        self,
        *,
        deal: Deal,
        account: Account | None,
        contacts: list[Contact],
        lead: Lead | None,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """Upsert the account, contacts and opportunity of a new lead (once per key)."""
        op = "upsert_records"
        account_id = None
        if account is not None:
            account_id = self._upsert(
                "Account",
                f"{idempotency_key}:account",
                {
                    "Name": account.name,
                    "Website": account.domain,
                    "Industry": account.industry,
                    "NumberOfEmployees": account.employees,
                    "BillingCountry": account.country,
                },
                op,
            )
        contact_ids = []
        for contact in contacts:
            first, _, last = contact.name.rpartition(" ")
            contact_ids.append(
                self._upsert(
                    "Contact",
                    f"{idempotency_key}:contact:{contact.id}",
                    {
                        "FirstName": first or None,
                        "LastName": last or contact.name,
                        "Email": contact.email,
                        "Title": contact.title,
                        "AccountId": account_id,
                    },
                    op,
                )
            )
        opp_id = self._upsert(
            "Opportunity",
            f"{idempotency_key}:deal",
            {
                "Name": deal.name,
                "StageName": self.stage_map.get(deal.stage, deal.stage),
                "Amount": deal.amount,
                "CloseDate": (deal.close_date or datetime.now(UTC).date()).isoformat(),
                "AccountId": account_id,
                self.deal_id_field: deal.id,
            },
            op,
        )
        if lead is not None:
            self.ledger.upsert_records(
                deal=deal,
                account=account,
                contacts=contacts,
                lead=lead,
                idempotency_key=idempotency_key,
            )
        return {
            "deal_id": deal.id,
            "salesforce_opportunity_id": opp_id,
            "account_id": account_id,
            "contact_ids": contact_ids,
        }


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


def _limited(exc: Exception) -> float | None:
    """0 (use the backoff) for 503, 429 and REQUEST_LIMIT_EXCEEDED answers, else None."""
    status = getattr(exc, "status", None)
    if status in (429, 503):
        return 0.0
    if status == 403 and "REQUEST_LIMIT_EXCEEDED" in _error_text(exc):
        return 0.0
    return None


def _error_text(exc: Any) -> str:
    content = getattr(exc, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return "; ".join(f"{c.get('errorCode')}: {c.get('message')}" for c in content)
    return str(content)[:300]

"""HubSpot as the operator's CRM, through HubSpot's own Python client (`hubspot-api-client`).

Reads companies, contacts, deals, notes, tasks and owners; writes notes, tasks, the deal's
stage, owner and fields, and creates the company, contacts and deal of a new lead. Receipts,
the audit trail and the reps' routing settings stay in the operator's ledger
(see `sales_operator.adapters.vendor`).

Set up once in the HubSpot portal (Settings → Properties), then `HubSpotCRM.from_env`:

- a single-line text property `sales_operator_key` with **unique values** on notes, tasks,
  companies, contacts and deals: every record the operator creates carries its idempotency
  key there, and the connector searches for the key before creating, so a retry never
  duplicates;
- a single-line text property `sales_operator_deal_id` with unique values on deals, so the
  operator's deal ids (`D-2001`) address HubSpot deals (`?idProperty=`); an all-digit deal id
  is taken as HubSpot's own record id.

Environment: `HUBSPOT_ACCESS_TOKEN` (a private app's token with the `crm.objects.*` and
`crm.objects.owners.read` scopes), optional `HUBSPOT_BASE_URL`. A 429 answer is retried with
HubSpot's `Retry-After` and exponential backoff; a 5xx answer is a `TransientAdapterError`
that the executor retries with the same key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, Literal

from sales_operator.adapters.base import CRM, HistoryRecord
from sales_operator.adapters.vendor import (
    DEFAULT_STAGE_MAP,
    LedgerBacked,
    iso_millis,
    parse_vendor_datetime,
    permanent,
    require_env,
    transient,
    with_backoff,
)
from sales_operator.state import Account, Activity, Contact, Deal, Lead

ADAPTER = "hubspot"

# HubSpot-defined association type ids (developers.hubspot.com, "Associations v4").
NOTE_TO_DEAL = 214
TASK_TO_DEAL = 216
DEAL_TO_COMPANY = 5
CONTACT_TO_COMPANY = 1
DEAL_TO_CONTACT = 3

HISTORY_OBJECTS: tuple[
    tuple[str, Literal["activity", "note", "deal", "task"], str | None, str], ...
] = (
    ("notes", "note", None, "hs_note_body"),
    ("tasks", "task", "hs_task_subject", "hs_task_body"),
    ("calls", "activity", "hs_call_title", "hs_call_body"),
    ("emails", "activity", "hs_email_subject", "hs_email_text"),
    ("meetings", "activity", "hs_meeting_title", "hs_meeting_body"),
    ("deals", "deal", "dealname", "closed_lost_reason"),
)
"""Company associations read as history: object type, our kind, title and text properties."""

DEAL_FIELD_MAP: dict[str, str] = {
    "name": "dealname",
    "amount": "amount",
    "close_date": "closedate",
    "next_step": "hs_next_step",
}
"""Our deal fields onto HubSpot's default deal properties; others go into one note."""


class HubSpotCRM(LedgerBacked):
    """A `CRM` whose business records live in a HubSpot portal."""

    def __init__(
        self,
        client: Any,
        ledger: CRM,
        *,
        stage_map: Mapping[str, str] | None = None,
        field_map: Mapping[str, str] | None = None,
        key_property: str = "sales_operator_key",
        deal_id_property: str = "sales_operator_deal_id",
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """Wrap a `hubspot.HubSpot` client.

        Args:
            client: `hubspot.HubSpot(access_token=...)`.
            ledger: The operator's own store (reps, receipts, audit).
            stage_map: Our stage names onto the portal's `dealstage` values.
            field_map: Our deal field names onto HubSpot deal properties.
            key_property: The unique property that carries idempotency keys.
            deal_id_property: The unique deal property that carries our deal ids.
            sleep: Injected for tests of the rate-limit backoff.
        """
        super().__init__(ledger)
        self.client = client
        self.stage_map = dict(stage_map or DEFAULT_STAGE_MAP)
        self.field_map = dict(field_map or DEAL_FIELD_MAP)
        self.key_property = key_property
        self.deal_id_property = deal_id_property
        self._sleep = sleep
        self._owner_ids: dict[str, str] | None = None

    @classmethod
    def from_env(cls, ledger: CRM, env: Mapping[str, str] | None = None) -> HubSpotCRM:
        """Build from `HUBSPOT_ACCESS_TOKEN` (and optional `HUBSPOT_BASE_URL`).

        Raises:
            ConfigurationError: when the token is missing.
        """
        from hubspot import HubSpot

        values = dict(os.environ if env is None else env)
        token = require_env(values, "HUBSPOT_ACCESS_TOKEN", "HubSpotCRM")
        kwargs: dict[str, Any] = {"access_token": token}
        if values.get("HUBSPOT_BASE_URL"):
            kwargs["host"] = values["HUBSPOT_BASE_URL"].rstrip("/")
        return cls(HubSpot(**kwargs), ledger)

    # -- plumbing ------------------------------------------------------------------------

    def _call(self, operation: str, call: Callable[[], Any]) -> Any:
        """Run one client call with backoff on 429 and typed errors for the rest."""
        kwargs: dict[str, Any] = {}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        try:
            return with_backoff(
                call,
                is_rate_limited=_retry_after,
                adapter=ADAPTER,
                operation=operation,
                **kwargs,
            )
        except Exception as exc:
            status = getattr(exc, "status", None)
            if not isinstance(status, int):
                raise
            body = _error_message(exc)
            if status >= 500:
                raise transient(
                    f"HubSpot answered {status}: {body}", adapter=ADAPTER, operation=operation
                ) from exc
            raise permanent(
                f"HubSpot answered {status}: {body}", adapter=ADAPTER, operation=operation
            ) from exc

    def _get(self, object_type: str, object_id: str, *, operation: str, **kwargs: Any) -> Any:
        """Read one object, or None when HubSpot has no such record."""
        try:
            return self._call(
                operation,
                lambda: self.client.crm.objects.basic_api.get_by_id(
                    object_type, object_id, **kwargs
                ),
            )
        except Exception as exc:
            if getattr(exc.__cause__, "status", None) == 404:
                return None
            raise

    def _find_by(self, object_type: str, prop: str, value: str, *, operation: str) -> Any:
        """Return the first object whose `prop` equals `value`, or None."""
        from hubspot.crm.objects import Filter, FilterGroup, PublicObjectSearchRequest

        request = PublicObjectSearchRequest(
            filter_groups=[
                FilterGroup(filters=[Filter(property_name=prop, operator="EQ", value=value)])
            ],
            properties=[prop],
            limit=1,
        )
        page = self._call(
            operation, lambda: self.client.crm.objects.search_api.do_search(object_type, request)
        )
        results = list(page.results or [])
        return results[0] if results else None

    def _create(
        self,
        object_type: str,
        properties: dict[str, Any],
        *,
        key: str,
        associations: list[tuple[str, int]] = (),  # type: ignore[assignment]
        operation: str,
    ) -> tuple[Any, bool]:
        """Create an object carrying `key`, unless one with that key exists already.

        Returns:
            The object, and whether this call created it.
        """
        from hubspot.crm.objects import (
            AssociationSpec,
            PublicAssociationsForObject,
            PublicObjectId,
            SimplePublicObjectInputForCreate,
        )

        existing = self._find_by(object_type, self.key_property, key, operation=operation)
        if existing is not None:
            return existing, False
        payload = SimplePublicObjectInputForCreate(
            properties={
                **{k: _text(v) for k, v in properties.items() if v is not None},
                self.key_property: key,
            },
            associations=[
                PublicAssociationsForObject(
                    to=PublicObjectId(id=to_id),
                    types=[
                        AssociationSpec(
                            association_category="HUBSPOT_DEFINED", association_type_id=type_id
                        )
                    ],
                )
                for to_id, type_id in associations
            ],
        )
        created = self._call(
            operation, lambda: self.client.crm.objects.basic_api.create(object_type, payload)
        )
        return created, True

    def _update(
        self, object_type: str, object_id: str, properties: dict[str, Any], *, operation: str
    ) -> Any:
        from hubspot.crm.objects import SimplePublicObjectInput

        payload = SimplePublicObjectInput(properties={k: _text(v) for k, v in properties.items()})
        return self._call(
            operation,
            lambda: self.client.crm.objects.basic_api.update(object_type, object_id, payload),
        )

    def _deal_record(self, deal_id: str, *, operation: str, **kwargs: Any) -> Any:
        """Read a deal by HubSpot id (all digits) or by our `sales_operator_deal_id`."""
        if not deal_id.isdigit():
            kwargs["id_property"] = self.deal_id_property
        return self._get("deals", deal_id, operation=operation, **kwargs)

    def _hubspot_deal_id(self, deal_id: str, operation: str) -> str:
        record = self._deal_record(deal_id, operation=operation, properties=["dealname"])
        if record is None:
            raise permanent(
                f"HubSpot has no deal {deal_id!r}", adapter=ADAPTER, operation=operation
            )
        return str(record.id)

    def _owner_id_for(self, rep_id: str | None, operation: str) -> str | None:
        """Map our rep id to a HubSpot owner id through the rep's email."""
        rep = self.rep_by_id(rep_id)
        if rep is None:
            if rep_id is None:
                return None
            raise permanent(f"unknown rep {rep_id!r}", adapter=ADAPTER, operation=operation)
        owners = self._owners(operation)
        owner = owners.get(rep.email.lower())
        if owner is None:
            raise permanent(
                f"rep {rep.id} ({rep.email}) is not a HubSpot owner in this portal",
                adapter=ADAPTER,
                operation=operation,
            )
        return owner

    def _owners(self, operation: str) -> dict[str, str]:
        """Return HubSpot owner ids by lower-case email (read once per connector)."""
        if self._owner_ids is None:
            owners: dict[str, str] = {}
            after: str | None = None
            while True:
                kwargs: dict[str, Any] = {"limit": 100}
                if after:
                    kwargs["after"] = after
                page = self._call(
                    operation, partial(self.client.crm.owners.owners_api.get_page, **kwargs)
                )
                for owner in page.results or []:
                    if owner.email:
                        owners[owner.email.lower()] = str(owner.id)
                nxt = getattr(getattr(page, "paging", None), "next", None)
                after = getattr(nxt, "after", None)
                if not after:
                    break
            self._owner_ids = owners
        return self._owner_ids

    def _rep_id_for_owner(self, owner_id: str | None) -> str | None:
        if not owner_id:
            return None
        email = next((e for e, o in self._owners("get_deal").items() if o == str(owner_id)), None)
        rep = self.rep_by_email(email)
        return rep.id if rep else f"hubspot-owner:{owner_id}"

    # -- reads ---------------------------------------------------------------------------

    def get_account(self, account_id: str) -> Account | None:
        """Return the HubSpot company, or None."""
        record = self._get(
            "companies",
            account_id,
            operation="get_account",
            properties=[
                "name",
                "domain",
                "industry",
                "numberofemployees",
                "country",
                "sales_operator_territory",
            ],
        )
        if record is None:
            return None
        props = record.properties or {}
        employees = props.get("numberofemployees")
        return Account(
            id=str(record.id),
            name=props.get("name") or f"HubSpot company {record.id}",
            domain=props.get("domain") or None,
            industry=props.get("industry") or None,
            employees=int(float(employees)) if employees not in (None, "") else None,
            territory=props.get("sales_operator_territory") or None,
            country=props.get("country") or None,
        )

    def _associated_ids(
        self, object_type: str, object_id: str, to_type: str, operation: str
    ) -> list[str]:
        record = self._get(object_type, object_id, operation=operation, associations=[to_type])
        if record is None:
            return []
        associations = record.associations or {}
        found = associations.get(to_type)
        results = getattr(found, "results", None) or []
        return [str(item.id) for item in results]

    def _batch_read(
        self, object_type: str, ids: list[str], properties: list[str], operation: str
    ) -> list[Any]:
        from hubspot.crm.objects import BatchReadInputSimplePublicObjectId, SimplePublicObjectId

        out: list[Any] = []
        for start in range(0, len(ids), 100):
            request = BatchReadInputSimplePublicObjectId(
                properties=properties,
                inputs=[SimplePublicObjectId(id=i) for i in ids[start : start + 100]],
                properties_with_history=[],
            )
            page = self._call(
                operation, partial(self.client.crm.objects.batch_api.read, object_type, request)
            )
            out.extend(page.results or [])
        return out

    def list_contacts(self, account_id: str) -> list[Contact]:
        """Return the company's associated contacts."""
        ids = self._associated_ids("companies", account_id, "contacts", "list_contacts")
        records = self._batch_read(
            "contacts",
            ids,
            ["firstname", "lastname", "email", "jobtitle", "hs_buying_role"],
            "list_contacts",
        )
        contacts = []
        for record in records:
            props = record.properties or {}
            name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
            contacts.append(
                Contact(
                    id=str(record.id),
                    name=name or props.get("email") or f"HubSpot contact {record.id}",
                    email=props.get("email") or None,
                    title=props.get("jobtitle") or None,
                    role=props.get("hs_buying_role") or None,
                )
            )
        return sorted(contacts, key=lambda c: c.id)

    def get_deal(self, deal_id: str) -> Deal | None:
        """Return the deal, by HubSpot id or by our deal id."""
        record = self._deal_record(
            deal_id,
            operation="get_deal",
            properties=[
                "dealname",
                "dealstage",
                "amount",
                "closedate",
                "hubspot_owner_id",
                "hs_next_step",
                self.deal_id_property,
            ],
        )
        if record is None:
            return None
        props = record.properties or {}
        reverse = {v: k for k, v in self.stage_map.items()}
        stage = reverse.get(props.get("dealstage") or "", props.get("dealstage") or "new")
        close = parse_vendor_datetime(props.get("closedate"))
        amount = props.get("amount")
        fields: dict[str, Any] = {"hubspot_id": str(record.id)}
        if props.get("hs_next_step"):
            fields["next_step"] = props["hs_next_step"]
        return Deal(
            id=deal_id,
            name=props.get("dealname") or f"HubSpot deal {record.id}",
            stage=stage,
            amount=float(amount) if amount not in (None, "") else None,
            close_date=close.date() if close else None,
            owner_id=self._rep_id_for_owner(props.get("hubspot_owner_id")),
            outcome={"closed_won": "won", "closed_lost": "lost"}.get(stage),
            fields=fields,
        )

    def account_history(self, account_id: str) -> list[HistoryRecord]:
        """Return the company's notes, tasks, calls, emails, meetings and deals, oldest first."""
        record = self._get(
            "companies",
            account_id,
            operation="account_history",
            associations=[spec[0] for spec in HISTORY_OBJECTS],
        )
        if record is None:
            return []
        associations = record.associations or {}
        history: list[HistoryRecord] = []
        for to_type, kind, title_prop, text_prop in HISTORY_OBJECTS:
            found = getattr(associations.get(to_type), "results", None) or []
            ids = [str(item.id) for item in found]
            props = [p for p in (title_prop, text_prop) if p] + [
                "hs_timestamp",
                "closedate",
                "createdate",
                "dealstage",
            ]
            for item in self._batch_read(to_type, ids, props, "account_history"):
                p = item.properties or {}
                at = (
                    parse_vendor_datetime(p.get("hs_timestamp"))
                    or parse_vendor_datetime(p.get("closedate"))
                    or parse_vendor_datetime(p.get("createdate"))
                    or datetime(1970, 1, 1, tzinfo=UTC)
                )
                text = p.get(text_prop) or ""
                if kind == "deal":
                    text = f"Stage {p.get('dealstage') or 'unknown'}. {text}".strip()
                history.append(
                    HistoryRecord(
                        ref=f"hubspot:{to_type.rstrip('s')}/{item.id}",
                        kind=kind,
                        at=at,
                        title=(p.get(title_prop) if title_prop else None) or kind.title(),
                        text=text,
                    )
                )
        return sorted(history, key=lambda h: (h.at, h.ref))

    # -- writes --------------------------------------------------------------------------

    def add_note(self, deal_id: str, text: str, *, idempotency_key: str) -> dict[str, Any]:
        """Create a note on the deal (once per key)."""
        hs_deal = self._hubspot_deal_id(deal_id, "add_note")
        note, created = self._create(
            "notes",
            {"hs_note_body": text, "hs_timestamp": iso_millis(datetime.now(UTC))},
            key=idempotency_key,
            associations=[(hs_deal, NOTE_TO_DEAL)],
            operation="add_note",
        )
        return {
            "note_id": str(note.id),
            "ref": f"hubspot:note/{note.id}",
            "deal_id": deal_id,
            "created": created,
        }

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
        """Create a task on the deal (once per key), owned by the rep's HubSpot owner.

        HubSpot sets a record's create date itself; `created_at` (when the task was proposed)
        goes into the task body.
        """
        if created_at is not None:
            notes = f"{notes}\n\nProposed {created_at.isoformat()}".strip()
        hs_deal = self._hubspot_deal_id(deal_id, "create_task")
        properties: dict[str, Any] = {
            "hs_task_subject": title,
            "hs_task_body": notes,
            "hs_task_status": "NOT_STARTED",
            "hs_timestamp": iso_millis(due or datetime.now(UTC)),
            "hubspot_owner_id": self._owner_id_for(owner_id, "create_task"),
        }
        task, created = self._create(
            "tasks",
            properties,
            key=idempotency_key,
            associations=[(hs_deal, TASK_TO_DEAL)],
            operation="create_task",
        )
        return {
            "task_id": str(task.id),
            "ref": f"hubspot:task/{task.id}",
            "deal_id": deal_id,
            "created": created,
        }

    def change_stage(
        self, deal_id: str, stage: str, *, idempotency_key: str, at: datetime | None = None
    ) -> dict[str, Any]:
        """Set the deal's `dealstage` (setting it twice is harmless).

        Closing a deal (`closed_won`/`closed_lost`) with `at` also sets `closedate` to that
        business time, not the approval time.
        """
        if stage not in self.stage_map:
            raise permanent(
                f"stage {stage!r} has no HubSpot dealstage; known: {sorted(self.stage_map)}",
                adapter=ADAPTER,
                operation="change_stage",
            )
        hs_deal = self._hubspot_deal_id(deal_id, "change_stage")
        properties: dict[str, Any] = {"dealstage": self.stage_map[stage]}
        if at is not None and stage in ("closed_won", "closed_lost"):
            properties["closedate"] = iso_millis(at)
        self._update("deals", hs_deal, properties, operation="change_stage")
        return {"deal_id": deal_id, "stage": stage, "hubspot_stage": self.stage_map[stage]}

    def assign_owner(self, deal_id: str, rep_id: str, *, idempotency_key: str) -> dict[str, Any]:
        """Make the rep's HubSpot owner the deal's owner."""
        owner = self._owner_id_for(rep_id, "assign_owner")
        hs_deal = self._hubspot_deal_id(deal_id, "assign_owner")
        self._update("deals", hs_deal, {"hubspot_owner_id": owner}, operation="assign_owner")
        return {"deal_id": deal_id, "owner_id": rep_id, "hubspot_owner_id": owner}

    def update_deal_fields(
        self, deal_id: str, fields: dict[str, Any], *, idempotency_key: str
    ) -> dict[str, Any]:
        """Set mapped deal properties; fields HubSpot has no property for go into one note."""
        hs_deal = self._hubspot_deal_id(deal_id, "update_deal_fields")
        mapped = {self.field_map[k]: v for k, v in fields.items() if k in self.field_map}
        if "closedate" in mapped and mapped["closedate"] is not None:
            mapped["closedate"] = iso_millis(date.fromisoformat(str(mapped["closedate"])[:10]))
        rest = {k: v for k, v in fields.items() if k not in self.field_map}
        if mapped:
            self._update("deals", hs_deal, mapped, operation="update_deal_fields")
        result: dict[str, Any] = {"deal_id": deal_id, "properties": sorted(mapped)}
        note_id = self.note_unmapped(deal_id, rest, idempotency_key=idempotency_key, render=_text)
        if note_id is not None:
            result["note_id"] = note_id
        return result

    def log_activity(
        self, deal_id: str, activity: Activity, *, idempotency_key: str
    ) -> dict[str, Any]:
        """Log the activity as a timestamped note on the deal."""
        hs_deal = self._hubspot_deal_id(deal_id, "log_activity")
        body = f"[{activity.kind}, {activity.direction}] {activity.summary}".strip()
        note, created = self._create(
            "notes",
            {"hs_note_body": body, "hs_timestamp": iso_millis(activity.at)},
            key=idempotency_key,
            associations=[(hs_deal, NOTE_TO_DEAL)],
            operation="log_activity",
        )
        return {"note_id": str(note.id), "deal_id": deal_id, "created": created}

    def upsert_records(
        self,
        *,
        deal: Deal,
        account: Account | None,
        contacts: list[Contact],
        lead: Lead | None,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """Create the company, contacts and deal of a new lead, or find them by key.

        The lead itself and its signals stay in the ledger (HubSpot has no lead object of
        the same shape in every tier).
        """
        op = "upsert_records"
        company_id: str | None = None
        if account is not None:
            company, _ = self._create(
                "companies",
                {
                    "name": account.name,
                    "domain": account.domain,
                    "industry": account.industry,
                    "numberofemployees": account.employees,
                    "country": account.country,
                },
                key=f"{idempotency_key}:company",
                operation=op,
            )
            company_id = str(company.id)
        contact_ids = []
        for contact in contacts:
            first, _, last = contact.name.partition(" ")
            record, _ = self._create(
                "contacts",
                {
                    "firstname": first,
                    "lastname": last,
                    "email": contact.email,
                    "jobtitle": contact.title,
                },
                key=f"{idempotency_key}:contact:{contact.id}",
                associations=[(company_id, CONTACT_TO_COMPANY)] if company_id else [],
                operation=op,
            )
            contact_ids.append(str(record.id))
        associations = [(company_id, DEAL_TO_COMPANY)] if company_id else []
        associations += [(cid, DEAL_TO_CONTACT) for cid in contact_ids]
        record, created = self._create(
            "deals",
            {
                "dealname": deal.name,
                "dealstage": self.stage_map.get(deal.stage, deal.stage),
                "amount": deal.amount,
                "closedate": iso_millis(deal.close_date) if deal.close_date else None,
                self.deal_id_property: deal.id,
            },
            key=f"{idempotency_key}:deal",
            associations=associations,
            operation=op,
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
            "hubspot_deal_id": str(record.id),
            "company_id": company_id,
            "contact_ids": contact_ids,
            "created": created,
        }


def _text(value: Any) -> str:
    """Render a property value as HubSpot stores it (text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def _retry_after(exc: Exception) -> float | None:
    """Seconds to wait when HubSpot said 429 (its `Retry-After`, else 0), else None."""
    if getattr(exc, "status", None) != 429:
        return None
    headers = getattr(exc, "headers", None) or {}
    try:
        return float(headers.get("Retry-After", 0))
    except (TypeError, ValueError):
        return 0.0


def _error_message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    try:
        return str(json.loads(body).get("message", body)) if body else str(exc)
    except (ValueError, AttributeError):
        return str(body)[:300]

"""In-memory adapters for tests, notebooks and evals: real, small implementations.

Like httpx's `MockTransport` or pydantic-ai's `TestModel`, these are not mocks: each one
implements its protocol from `adapters/base.py` with the semantics of the embedded default,
only in memory.

- `InMemoryCRM` implements `CRMReader` and `CRM` the way `SQLiteCRM` does: writes are
  idempotent per (idempotency key, operation) and replay the first result, a failed write
  changes nothing, receipts are stored once per key (a `done` receipt may replace a `failed`
  one), and the audit trail is append-only. A parity test runs the same writes against both.
- `RecordingMailer`, `RecordingMessenger` and `RecordingCalendar` keep what they were asked to
  send in `.sent`, `.posts` and `.invites`, once per idempotency key.
- `StaticSearch` and `StaticDocuments` serve fixed search results and documents.
- `fake_pattern_deps` builds the `PatternDeps` a pattern subgraph needs, all offline.

```python
crm = InMemoryCRM(reps=[sam], accounts=[northwind], history={"A-NWL": records})
graph = research.build(fake_pattern_deps(crm=crm, search=StaticSearch(hits))).compile()
```
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sales_operator.adapters._records import (
    account_model,
    activity_history,
    check_capacity,
    closed_deal_row,
    column_value,
    contact_model,
    created_result,
    deal_history,
    deal_model,
    iso,
    jsonable,
    lead_model,
    merged_deal_values,
    new_deal_row,
    note_history,
    parse_datetime,
    plan_field_update,
    receipt_supersedes,
    request_decisions,
    require_key,
    similar_loss_history,
    stage_values,
    task_history,
    unknown_deal,
    unknown_lead_contact,
    unknown_rep,
    utc,
)
from sales_operator.adapters.base import (
    CRMReader,
    Document,
    DocumentStore,
    HistoryRecord,
    Rep,
    Search,
    SearchResult,
)
from sales_operator.errors import DataError, InputError, PermanentAdapterError
from sales_operator.state import (
    Account,
    Activity,
    AuditEntry,
    Contact,
    Deal,
    Lead,
    Receipt,
)
from sales_operator.vocabulary import (
    CLOSED_DEAL_COLUMNS,
    segment_from_employees,
    seniority_from_title,
)

if TYPE_CHECKING:
    from sales_operator.deps import PatternDeps, Scorer
    from sales_operator.llm import LLM
    from sales_operator.policy import Policy

__all__ = [
    "InMemoryCRM",
    "RecordingCalendar",
    "RecordingMailer",
    "RecordingMessenger",
    "StaticDocuments",
    "StaticSearch",
    "fake_pattern_deps",
]

ADAPTER = "in_memory_crm"
"""Adapter name used in the `AdapterError`s of `InMemoryCRM`."""

_NUMBERED_REF = re.compile(r"^crm:(activity|note|task)/(\d+)$")


# ---------------------------------------------------------------------------------------------
# Stage matching (stored forms and row builders are shared with SQLiteCRM, in `_records`)
# ---------------------------------------------------------------------------------------------


def _is_closed_like(stage: str) -> bool:
    """Match SQLite's case-insensitive `LIKE 'closed_%'` with `_` escaped (a literal `_`)."""
    return stage[:7].lower() == "closed_"


# ---------------------------------------------------------------------------------------------
# The CRM
# ---------------------------------------------------------------------------------------------


@dataclass
class _DealRow:
    id: str
    account_id: str | None
    lead_id: str | None
    name: str
    stage: str
    amount: float | None
    close_date: str | None
    owner_id: str | None
    outcome: str | None
    fields: dict[str, Any]
    created_at: str
    closed_at: str | None
    updated_at: str


@dataclass
class _Store:
    """Everything a write may change; copied before a write and restored if it fails."""

    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    deals: dict[str, _DealRow] = field(default_factory=dict)
    stage_history: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    next_id: dict[str, int] = field(default_factory=lambda: {"activity": 1, "note": 1, "task": 1})
    applied: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def take_id(self, kind: str) -> int:
        number = self.next_id[kind]
        self.next_id[kind] = number + 1
        return number


class InMemoryCRM:
    """Implement `CRMReader` and `CRM` in memory, with the semantics of `SQLiteCRM`.

    Writes are idempotent per (idempotency key, operation): a repeated call returns the first
    result and changes nothing. A write that raises changes nothing either. Receipts are stored
    once per key (a `done` receipt replaces a `failed` one); the audit trail is append-only and
    no method changes or removes an entry. Reads return copies, so changing what a read
    returned never changes the CRM. Safe to share across threads.

    Contacts and deals given to the constructor belong to no account unless `account_of` links
    them; a deal has a lead only through `lead_of`. Records written with `upsert_records` are
    linked the way `SQLiteCRM` links them.

    Args:
        reps: Reps, managers and queues.
        accounts: Companies (the segment is derived from the head count).
        contacts: People (the seniority is derived from the title).
        deals: Deals; one created without a lead is timestamped by `clock`.
        leads: Leads; each must name one of `contacts`.
        history: Account id to prepared history records, returned by `account_history`
            together with the records the CRM writes itself (numbered after the highest
            `crm:activity/<n>`, `crm:note/<n>` and `crm:task/<n>` given here).
        closed_rows: Training rows returned by `closed_deal_rows` ahead of the rows of the
            closed deals the CRM holds; each has the keys of `CLOSED_DEAL_COLUMNS`.
        account_of: Contact id or deal id to the account it belongs to.
        lead_of: Deal id to the lead that opened it.
        clock: Returns "now" for the records the CRM timestamps itself; defaults to the
            current UTC time.

    Raises:
        DataError: for a duplicate id, a link to an unknown record, or a training row
            without the expected columns.
    """

    adapter = ADAPTER
    """Adapter name used in errors."""

    def __init__(
        self,
        *,
        reps: Iterable[Rep] = (),
        accounts: Iterable[Account] = (),
        contacts: Iterable[Contact] = (),
        deals: Iterable[Deal] = (),
        leads: Iterable[Lead] = (),
        history: dict[str, list[HistoryRecord]] | None = None,
        closed_rows: Iterable[Mapping[str, Any]] = (),
        account_of: Mapping[str, str] | None = None,
        lead_of: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._store = _Store()
        self._reps: dict[str, Rep] = {}
        self._receipts: dict[str, tuple[str, Receipt]] = {}
        self._audit: list[tuple[str, str]] = []
        self._leases: dict[str, tuple[str, float]] = {}
        self._history: dict[str, list[HistoryRecord]] = {}
        self._closed_rows: list[dict[str, Any]] = []
        self._seed(
            list(reps),
            list(accounts),
            list(contacts),
            list(deals),
            list(leads),
            history or {},
            list(closed_rows),
            dict(account_of or {}),
            dict(lead_of or {}),
        )

    # -- construction ---------------------------------------------------------------------

    def _seed(
        self,
        reps: list[Rep],
        accounts: list[Account],
        contacts: list[Contact],
        deals: list[Deal],
        leads: list[Lead],
        history: dict[str, list[HistoryRecord]],
        closed_rows: list[Mapping[str, Any]],
        account_of: dict[str, str],
        lead_of: dict[str, str],
    ) -> None:
        store = self._store
        for kind, items in (
            ("rep", reps),
            ("account", accounts),
            ("contact", contacts),
            ("deal", deals),
            ("lead", leads),
        ):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise DataError(f"InMemoryCRM: duplicate {kind} id {item.id!r}")
                seen.add(item.id)
        account_ids = {a.id for a in accounts}
        linkable = {c.id for c in contacts} | {d.id for d in deals}
        for record_id, account_id in account_of.items():
            if record_id not in linkable:
                raise DataError(f"InMemoryCRM: account_of names {record_id!r}, no contact or deal")
            if account_id not in account_ids:
                raise DataError(
                    f"InMemoryCRM: account_of links {record_id!r} to unknown account {account_id!r}"
                )
        lead_by_id = {lead.id: lead for lead in leads}
        deal_ids = {d.id for d in deals}
        for deal_id, linked_lead in lead_of.items():
            if deal_id not in deal_ids:
                raise DataError(f"InMemoryCRM: lead_of names {deal_id!r}, which is no deal")
            if linked_lead not in lead_by_id:
                raise DataError(
                    f"InMemoryCRM: lead_of links deal {deal_id!r} to unknown lead {linked_lead!r}"
                )
        contact_ids = {c.id for c in contacts}
        for lead in leads:
            if lead.contact_id not in contact_ids:
                raise DataError(
                    f"InMemoryCRM: lead {lead.id!r} names unknown contact {lead.contact_id!r}"
                )
        for i, row in enumerate(closed_rows):
            missing = [c for c in CLOSED_DEAL_COLUMNS if c not in row]
            extra = [k for k in row if k not in CLOSED_DEAL_COLUMNS]
            if missing or extra:
                raise DataError(
                    f"InMemoryCRM: closed_rows[{i}] has missing column(s) {missing} "
                    f"and unexpected column(s) {extra}; expected CLOSED_DEAL_COLUMNS"
                )
            if row["deal_id"] in deal_ids:
                raise DataError(
                    f"InMemoryCRM: closed_rows[{i}] deal id {row['deal_id']!r} is also a deal"
                )
        for rep in reps:
            self._reps[rep.id] = rep.model_copy(deep=True)
        for account in accounts:
            _upsert_account(store, account)
        for contact in contacts:
            _upsert_contact(store, contact, account_of.get(contact.id))
        for lead in leads:
            _upsert_lead(store, lead)
        for deal in deals:
            lead_id = lead_of.get(deal.id)
            created = iso(lead_by_id[lead_id].created_at) if lead_id else iso(self._clock())
            closed_at = (
                deal.close_date.isoformat()
                if deal.stage.startswith("closed_") and deal.close_date
                else None
            )
            store.deals[deal.id] = _DealRow(
                **new_deal_row(
                    deal,
                    account_id=account_of.get(deal.id),
                    lead_id=lead_id,
                    created_at=created,
                    closed_at=closed_at,
                    updated_at=created,
                )
            )
        for account_id, records in history.items():
            self._history[account_id] = [r.model_copy(deep=True) for r in records]
            for record in records:
                match = _NUMBERED_REF.match(record.ref)
                if match:
                    kind, number = match.group(1), int(match.group(2))
                    store.next_id[kind] = max(store.next_id[kind], number + 1)
        self._closed_rows = [copy.deepcopy(dict(row)) for row in closed_rows]

    # -- the write machinery --------------------------------------------------------------

    def _write(
        self, operation: str, idempotency_key: str, apply: Callable[[_Store], dict[str, Any]]
    ) -> dict[str, Any]:
        """Apply a write once per (key, operation); restore everything if it raises."""
        require_key(idempotency_key, ADAPTER, operation)
        with self._lock:
            first = self._store.applied.get((idempotency_key, operation))
            if first is not None:
                return copy.deepcopy(first)
            backup = copy.deepcopy(self._store)
            try:
                result = jsonable(apply(self._store))
            except BaseException:
                self._store = backup
                raise
            self._store.applied[(idempotency_key, operation)] = result
            return copy.deepcopy(result)

    def _require_deal(self, store: _Store, deal_id: str, operation: str) -> _DealRow:
        row = store.deals.get(deal_id)
        if row is None:
            raise unknown_deal(deal_id, adapter=ADAPTER, operation=operation)
        return row

    def _now(self) -> str:
        return iso(self._clock())

    # -- read side ------------------------------------------------------------------------

    def get_account(self, account_id: str) -> Account | None:
        """Return the account, or None."""
        with self._lock:
            row = self._store.accounts.get(account_id)
            return account_model(row) if row is not None else None

    def list_contacts(self, account_id: str) -> list[Contact]:
        """Return the account's contacts, in the order they were added."""
        with self._lock:
            return [
                contact_model(row)
                for row in self._store.contacts.values()
                if row["account_id"] == account_id
            ]

    def get_deal(self, deal_id: str) -> Deal | None:
        """Return the deal, or None."""
        with self._lock:
            row = self._store.deals.get(deal_id)
            return deal_model(asdict(row)) if row is not None else None

    def list_deals(self) -> list[Deal]:
        """Return every deal, in the order they were created."""
        with self._lock:
            return [deal_model(asdict(row)) for row in self._store.deals.values()]

    def get_lead(self, lead_id: str) -> Lead | None:
        """Return the lead, or None."""
        with self._lock:
            row = self._store.leads.get(lead_id)
            return lead_model(row) if row is not None else None

    def list_reps(self) -> list[Rep]:
        """Return every rep and queue, in the order they were added."""
        with self._lock:
            return [rep.model_copy(deep=True) for rep in self._reps.values()]

    def open_deal_counts(self) -> dict[str, int]:
        """Return rep id to the number of open deals (stage not `closed_*`) the rep owns.

        Every rep appears, with 0 when the rep owns no open deal.
        """
        with self._lock:
            counts = dict.fromkeys(self._reps, 0)
            owned: dict[str, int] = {}
            for row in self._store.deals.values():
                if row.owner_id is not None and not _is_closed_like(row.stage):
                    owned[row.owner_id] = owned.get(row.owner_id, 0) + 1
            counts.update(owned)
            return counts

    def account_history(self, account_id: str) -> list[HistoryRecord]:
        """Return the account's activities, notes, tasks and closed deals, oldest first.

        Records given to the constructor come first among records of the same time. Refs
        are `crm:activity/<n>`, `crm:note/<n>`, `crm:task/<n>` and `crm:deal/<id>`.
        """
        with self._lock:
            store = self._store
            deal_ids = {d.id for d in store.deals.values() if d.account_id == account_id}

            def concerns(row: dict[str, Any]) -> bool:
                return bool(row["account_id"] == account_id or row["deal_id"] in deal_ids)

            records = [r.model_copy(deep=True) for r in self._history.get(account_id, [])]
            for rows, build in (
                (store.activities, activity_history),
                (store.notes, note_history),
                (store.tasks, task_history),
            ):
                records.extend(build(row) for row in rows if concerns(row))
            for deal in store.deals.values():
                if deal.account_id == account_id and _is_closed_like(deal.stage):
                    records.append(deal_history(asdict(deal)))
            records.sort(key=lambda record: record.at)
            return records

    def find_account(self, name: str) -> Account | None:
        """Return the account whose name is `name` (case-insensitive), or None."""
        with self._lock:
            ids = sorted(
                key
                for key, row in self._store.accounts.items()
                if str(row.get("name", "")).lower() == name.strip().lower()
            )
        return self.get_account(ids[0]) if ids else None

    def similar_lost_deals(self, account_id: str, *, limit: int = 20) -> list[HistoryRecord]:
        """Return lost deals, with a loss reason, of other accounts in the same industry or segment.

        Newest first, at most `limit`; the same records `SQLiteCRM.similar_lost_deals` returns.
        """
        with self._lock:
            store = self._store
            own = store.accounts.get(account_id)
            if own is None:
                return []
            industry, segment = own.get("industry"), own.get("segment")
            found: list[tuple[str, HistoryRecord]] = []
            for deal in store.deals.values():
                account = store.accounts.get(deal.account_id or "")
                if account is None or deal.account_id == account_id:
                    continue
                if not (deal.outcome == "lost" or deal.stage == "closed_lost"):
                    continue
                same = (industry is not None and account.get("industry") == industry) or (
                    segment is not None and account.get("segment") == segment
                )
                if not same:
                    continue
                record = similar_loss_history(asdict(deal), account)
                if record is not None:
                    found.append((deal.closed_at or deal.close_date or deal.created_at, record))
            found.sort(key=lambda item: item[0], reverse=True)
            return [record for _, record in found[:limit]]

    def closed_deal_rows(self) -> list[dict[str, Any]]:
        """Return the training rows given to the constructor, then one per closed deal held.

        Each row has exactly the keys of `CLOSED_DEAL_COLUMNS`. Rows given to the
        constructor come back as given; rows of closed_won / closed_lost deals are built the
        way `SQLiteCRM` builds them (counts as ints, `demo_requested` and `webinar_attended`
        as 0/1, ISO strings for the times, missing values as None).
        """
        with self._lock:
            store = self._store
            result = [copy.deepcopy(row) for row in self._closed_rows]
            for deal in store.deals.values():
                if deal.stage not in ("closed_won", "closed_lost"):
                    continue
                account = store.accounts.get(deal.account_id or "", {})
                lead = store.leads.get(deal.lead_id or "", {})
                contact = store.contacts.get(lead.get("contact_id") or "", {})
                row = closed_deal_row(
                    deal_id=deal.id,
                    stage=deal.stage,
                    outcome=deal.outcome,
                    amount=deal.amount,
                    created_at=deal.created_at,
                    closed_at=deal.closed_at,
                    close_date=deal.close_date,
                    account_name=account.get("name"),
                    industry=account.get("industry"),
                    employees=account.get("employees"),
                    territory=account.get("territory"),
                    segment=account.get("segment"),
                    lead_source=lead.get("source"),
                    signals=lead.get("signals", {}),
                    lead_created_at=lead.get("created_at"),
                    contact_title=contact.get("title"),
                    seniority=contact.get("seniority"),
                )
                result.append(copy.deepcopy(row))
            return result

    def get_receipt(self, idempotency_key: str) -> Receipt | None:
        """Return the receipt recorded under `idempotency_key`, or None."""
        with self._lock:
            stored = self._receipts.get(idempotency_key)
            return stored[1].model_copy(deep=True) if stored is not None else None

    def list_receipts(self, deal_id: str | None = None) -> list[Receipt]:
        """Return the receipts, oldest first, for one deal or all."""
        with self._lock:
            return [
                receipt.model_copy(deep=True)
                for owner, receipt in self._receipts.values()
                if deal_id is None or owner == deal_id
            ]

    def audit_log(self, deal_id: str | None = None) -> list[AuditEntry]:
        """Return the audit trail, oldest first, for one deal or all."""
        with self._lock:
            return [
                AuditEntry.model_validate_json(entry)
                for owner, entry in self._audit
                if deal_id is None or owner == deal_id
            ]

    def _rows_of(self, table: str, ref_kind: str, deal_id: str) -> list[dict[str, Any]]:
        """Return copies of the deal's rows in `table`, each with its `crm:<ref_kind>/<n>` ref."""
        with self._lock:
            rows: list[dict[str, Any]] = getattr(self._store, table)
            return [
                {**copy.deepcopy(row), "ref": f"crm:{ref_kind}/{row['id']}"}
                for row in rows
                if row["deal_id"] == deal_id
            ]

    def list_tasks(self, deal_id: str) -> list[dict[str, Any]]:
        """Return the deal's tasks as dicts (id, ref, title, owner_id, due, notes, status, ...)."""
        return self._rows_of("tasks", "task", deal_id)

    def list_notes(self, deal_id: str) -> list[dict[str, Any]]:
        """Return the deal's notes as dicts (id, ref, text, created_at, ...)."""
        return self._rows_of("notes", "note", deal_id)

    def list_activities(self, deal_id: str) -> list[dict[str, Any]]:
        """Return the deal's activities as dicts (id, ref, at, kind, direction, summary, ...)."""
        return self._rows_of("activities", "activity", deal_id)

    def stage_history(self, deal_id: str) -> list[dict[str, Any]]:
        """Return the deal's stage changes, oldest first (from_stage, to_stage, at)."""
        with self._lock:
            return [
                {"from_stage": h["from_stage"], "to_stage": h["to_stage"], "at": h["at"]}
                for h in self._store.stage_history
                if h["deal_id"] == deal_id
            ]

    # -- write side -----------------------------------------------------------------------

    def upsert_records(
        self,
        *,
        deal: Deal,
        account: Account | None,
        contacts: list[Contact],
        lead: Lead | None,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """Create or update the deal with its account, contacts and lead.

        Values that are None never clear what the CRM already holds; the deal's `fields`
        are merged key by key. A changed stage is recorded in the stage history.

        Returns:
            `deal_id`, `account_id`, `contact_ids`, `lead_id` and `created` (whether the
            deal is new).

        Raises:
            PermanentAdapterError: when the lead names a contact that is neither given nor
                known.
        """
        operation = "upsert_records"

        def apply(store: _Store) -> dict[str, Any]:
            now = self._now()
            existing = store.deals.get(deal.id)
            account_id = account.id if account else (existing.account_id if existing else None)
            if account is not None:
                _upsert_account(store, account)
            for contact in contacts:
                _upsert_contact(store, contact, account_id)
            if lead is not None:
                if lead.contact_id not in store.contacts:
                    raise unknown_lead_contact(lead, adapter=ADAPTER, operation=operation)
                _upsert_lead(store, lead)
            lead_id = lead.id if lead else (existing.lead_id if existing else None)
            if existing is None:
                store.deals[deal.id] = _DealRow(
                    **new_deal_row(
                        deal,
                        account_id=account_id,
                        lead_id=lead_id,
                        created_at=iso(lead.created_at) if lead else now,
                        closed_at=now if deal.stage.startswith("closed_") else None,
                        updated_at=now,
                    )
                )
                _record_stage(store, deal.id, None, deal.stage, now)
            else:
                merged = merged_deal_values(
                    asdict(existing), deal, account_id=account_id, lead_id=lead_id, now=now
                )
                _assign(existing, merged)
                if deal.stage != existing.stage:
                    _set_stage(store, existing, deal.stage, now)
            return {
                "deal_id": deal.id,
                "account_id": account_id,
                "contact_ids": [contact.id for contact in contacts],
                "lead_id": lead_id,
                "created": existing is None,
            }

        return self._write(operation, idempotency_key, apply)

    def assign_owner(self, deal_id: str, rep_id: str, *, idempotency_key: str) -> dict[str, Any]:
        """Make `rep_id` the deal's owner.

        Returns:
            `deal_id`, `owner_id` and `previous_owner_id`.

        Raises:
            PermanentAdapterError: for an unknown deal or rep.
        """
        operation = "assign_owner"

        def apply(store: _Store) -> dict[str, Any]:
            row = self._require_deal(store, deal_id, operation)
            if rep_id not in self._reps:
                raise unknown_rep(rep_id, adapter=ADAPTER, operation=operation)
            if row.owner_id != rep_id and not _is_closed_like(row.stage):
                load = sum(
                    1
                    for other in store.deals.values()
                    if other.owner_id == rep_id and not _is_closed_like(other.stage)
                )
                check_capacity(
                    rep_id, self._reps[rep_id].capacity, load, adapter=ADAPTER, operation=operation
                )
            previous = row.owner_id
            row.owner_id = rep_id
            row.updated_at = self._now()
            return {"deal_id": deal_id, "owner_id": rep_id, "previous_owner_id": previous}

        return self._write(operation, idempotency_key, apply)

    def update_deal_fields(
        self, deal_id: str, fields: dict[str, Any], *, idempotency_key: str
    ) -> dict[str, Any]:
        """Set deal fields.

        `name`, `amount`, `close_date` and `stage` are columns; any other key is merged into
        the deal's custom `fields`, key by key.

        Returns:
            `deal_id`, `changed` (field to new value) and `previous` (field to old value).

        Raises:
            PermanentAdapterError: for an unknown deal or a malformed value.
        """
        operation = "update_deal_fields"

        def apply(store: _Store) -> dict[str, Any]:
            row = self._require_deal(store, deal_id, operation)
            now = self._now()
            plan = plan_field_update(asdict(row), fields, adapter=ADAPTER, operation=operation)
            if plan.stage is not None:
                _set_stage(store, row, plan.stage, now)
            _assign(row, {**plan.columns, "fields": plan.fields, "updated_at": now})
            return {"deal_id": deal_id, "changed": plan.changed, "previous": plan.previous}

        return self._write(operation, idempotency_key, apply)

    def change_stage(
        self, deal_id: str, stage: str, *, idempotency_key: str, at: datetime | None = None
    ) -> dict[str, Any]:
        """Move the deal to `stage` and record the change in the stage history.

        Stage names are not checked here (the policy owns them); a `closed_won` or
        `closed_lost` stage also sets the outcome and the close time.

        Returns:
            `deal_id`, `from_stage`, `to_stage` and `changed`.
        """
        operation = "change_stage"

        def apply(store: _Store) -> dict[str, Any]:
            row = self._require_deal(store, deal_id, operation)
            stage_name = column_value("stage", stage, adapter=ADAPTER, operation=operation)
            from_stage = row.stage
            changed = stage_name != from_stage
            if changed:
                _set_stage(store, row, stage_name, iso(at) if at else self._now())
            return {
                "deal_id": deal_id,
                "from_stage": from_stage,
                "to_stage": stage_name,
                "changed": changed,
            }

        return self._write(operation, idempotency_key, apply)

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
        """Create an open task on the deal (`created_at`: business time; None: now).

        Returns:
            `task_id`, `ref` (`crm:task/<n>`), `deal_id`, `title`, `owner_id` and `due`.
        """
        operation = "create_task"

        def apply(store: _Store) -> dict[str, Any]:
            row = self._require_deal(store, deal_id, operation)
            due_text = column_value("close_date", due, adapter=ADAPTER, operation=operation)
            task_id = store.take_id("task")
            store.tasks.append(
                {
                    "id": task_id,
                    "deal_id": deal_id,
                    "account_id": row.account_id,
                    "title": title,
                    "owner_id": owner_id,
                    "due": due_text,
                    "notes": notes,
                    "status": "open",
                    "created_at": iso(created_at) if created_at else self._now(),
                }
            )
            return created_result(
                "task", task_id, deal_id, title=title, owner_id=owner_id, due=due_text
            )

        return self._write(operation, idempotency_key, apply)

    def add_note(self, deal_id: str, text: str, *, idempotency_key: str) -> dict[str, Any]:
        """Attach a note to the deal.

        Returns:
            `note_id`, `ref` (`crm:note/<n>`) and `deal_id`.
        """
        operation = "add_note"

        def apply(store: _Store) -> dict[str, Any]:
            row = self._require_deal(store, deal_id, operation)
            note_id = store.take_id("note")
            store.notes.append(
                {
                    "id": note_id,
                    "deal_id": deal_id,
                    "account_id": row.account_id,
                    "text": text,
                    "created_at": self._now(),
                }
            )
            return created_result("note", note_id, deal_id)

        return self._write(operation, idempotency_key, apply)

    def log_activity(
        self, deal_id: str, activity: Activity, *, idempotency_key: str
    ) -> dict[str, Any]:
        """Record an activity on the deal.

        Returns:
            `activity_id`, `ref` (`crm:activity/<n>`) and `deal_id`.
        """
        operation = "log_activity"

        def apply(store: _Store) -> dict[str, Any]:
            row = self._require_deal(store, deal_id, operation)
            activity_id = store.take_id("activity")
            store.activities.append(
                {
                    "id": activity_id,
                    "account_id": row.account_id,
                    "deal_id": deal_id,
                    "at": iso(activity.at),
                    "kind": activity.kind,
                    "direction": activity.direction,
                    "summary": activity.summary,
                }
            )
            return created_result("activity", activity_id, deal_id)

        return self._write(operation, idempotency_key, apply)

    def record_receipt(self, deal_id: str, receipt: Receipt) -> None:
        """Store a receipt, once per idempotency key.

        A second receipt with the same key is ignored, except that a `done` receipt
        replaces a `failed` one (a retry that succeeded).
        """
        stored = Receipt(
            action_id=receipt.action_id,
            idempotency_key=receipt.idempotency_key,
            kind=receipt.kind,
            status=receipt.status,
            result=jsonable(receipt.result),
            executed_at=parse_datetime(iso(receipt.executed_at)),
        )
        with self._lock:
            current = self._receipts.get(receipt.idempotency_key)
            if receipt_supersedes(current[1].status if current else None, receipt.status):
                # Replacing a value keeps the key's place, so list order stays by first write.
                self._receipts[receipt.idempotency_key] = (deal_id, stored)

    def append_audit(self, deal_id: str, entry: AuditEntry) -> None:
        """Append an entry to the audit log; entries are never changed or deleted."""
        with self._lock:
            self._audit.append((deal_id, entry.model_dump_json()))

    def record_decisions(
        self, deal_id: str, request_id: str, entries: list[AuditEntry]
    ) -> list[AuditEntry]:
        """Append a request's decisions unless some are recorded already (first answer wins)."""
        with self._lock:
            recorded = request_decisions(self.audit_log(deal_id), request_id)
            if recorded:
                return recorded
            for entry in entries:
                self._audit.append((deal_id, entry.model_dump_json()))
            return list(entries)

    def acquire_lease(self, deal_id: str, holder: str, *, ttl_s: float) -> str | None:
        """Take the deal's lease for `holder`; return None, or the current holder's name."""
        now = time.monotonic()
        with self._lock:
            current = self._leases.get(deal_id)
            if current is not None and current[0] != holder and current[1] > now:
                return current[0]
            self._leases[deal_id] = (holder, now + ttl_s)
            return None

    def release_lease(self, deal_id: str, holder: str) -> None:
        """Give the deal's lease back, when `holder` holds it."""
        with self._lock:
            if self._leases.get(deal_id, ("", 0.0))[0] == holder:
                del self._leases[deal_id]


def _assign(row: _DealRow, values: dict[str, Any]) -> None:
    """Set the given columns of a deal row."""
    for name, value in values.items():
        setattr(row, name, value)


def _record_stage(
    store: _Store, deal_id: str, from_stage: str | None, to_stage: str, at: str
) -> None:
    store.stage_history.append(
        {"deal_id": deal_id, "from_stage": from_stage, "to_stage": to_stage, "at": at}
    )


def _set_stage(store: _Store, row: _DealRow, to_stage: str, at: str) -> None:
    _record_stage(store, row.id, row.stage, to_stage, at)
    _assign(row, stage_values(to_stage, at))


def _upsert_account(store: _Store, account: Account) -> None:
    segment = segment_from_employees(account.employees)
    old = store.accounts.get(account.id)
    if old is None:
        store.accounts[account.id] = {**account.model_dump(), "segment": segment}
        return
    old["name"] = account.name
    for key in ("domain", "industry", "employees", "territory", "country"):
        value = getattr(account, key)
        if value is not None:
            old[key] = value
    if segment is not None:
        old["segment"] = segment


def _upsert_contact(store: _Store, contact: Contact, account_id: str | None) -> None:
    seniority = seniority_from_title(contact.title) if contact.title else None
    old = store.contacts.get(contact.id)
    if old is None:
        store.contacts[contact.id] = {
            "id": contact.id,
            "account_id": account_id,
            "name": contact.name,
            "email": contact.email,
            "title": contact.title,
            "role": contact.role,
            "seniority": seniority,
            "timezone": contact.timezone,
        }
        return
    if account_id is not None:
        old["account_id"] = account_id
    old["name"] = contact.name
    for key in ("email", "title", "role", "timezone"):
        value = getattr(contact, key)
        if value is not None:
            old[key] = value
    if contact.title is not None:
        old["seniority"] = seniority


def _upsert_lead(store: _Store, lead: Lead) -> None:
    store.leads[lead.id] = {
        "id": lead.id,
        "contact_id": lead.contact_id,
        "source": lead.source,
        "created_at": iso(lead.created_at),
        "signals": jsonable(lead.signals),
    }


# ---------------------------------------------------------------------------------------------
# Writers that record
# ---------------------------------------------------------------------------------------------


class _RecordOnce:
    """Keep the first result per idempotency key and replay it (base of the recorders)."""

    adapter = "recording"
    """Adapter name used in errors."""

    def __init__(self) -> None:
        self._results: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _once(
        self, idempotency_key: str, operation: str, record: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        """Run `record` for a new key and keep its result; a repeated key returns that result.

        Raises:
            PermanentAdapterError: for an empty key (and whatever `record` raises, which
                records nothing).
        """
        require_key(idempotency_key, self.adapter, operation)
        with self._lock:
            result = self._results.get(idempotency_key)
            if result is None:
                result = record()
                self._results[idempotency_key] = result
            return copy.deepcopy(result)


class RecordingMailer(_RecordOnce):
    """Record email instead of sending it (a `Mailer`), once per idempotency key.

    Every message sent for the first time is appended to `sent` as a dict with `to`, `cc`,
    `sender`, `subject`, `body` and `idempotency_key`.
    """

    adapter = "recording_mailer"
    """Adapter name used in errors."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[dict[str, Any]] = []
        """The messages, in the order they were first sent."""

    def send(
        self,
        *,
        to: list[str],
        subject: str,
        body: str,
        cc: list[str] | None = None,
        sender: str | None = None,
        idempotency_key: str,
        in_reply_to: str | None = None,
        references: list[str] | None = None,
        attachments: list[str] | None = None,
    ) -> dict[str, Any]:
        """Record one message; a repeated key records nothing and returns the first result.

        Returns:
            `message_id` and `recipients` (`to` then `cc`).

        Raises:
            PermanentAdapterError: for an empty key or no recipient.
        """

        def record() -> dict[str, Any]:
            if not to:
                raise PermanentAdapterError(
                    "a message needs at least one recipient", adapter=self.adapter, operation="send"
                )
            self.sent.append(
                {
                    "to": list(to),
                    "cc": list(cc or []),
                    "sender": sender,
                    "subject": subject,
                    "body": body,
                    "idempotency_key": idempotency_key,
                    "in_reply_to": in_reply_to,
                    "references": list(references or []),
                    "attachments": list(attachments or []),
                }
            )
            return {
                "message_id": f"<{len(self.sent)}@recording-mailer>",
                "recipients": [*to, *(cc or [])],
            }

        return self._once(idempotency_key, "send", record)


class RecordingMessenger(_RecordOnce):
    """Record chat messages instead of posting them (a `Messenger`), once per key.

    Every message posted for the first time is appended to `posts` as a dict with `channel`,
    `text` and `idempotency_key`.
    """

    adapter = "recording_messenger"
    """Adapter name used in errors."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[dict[str, Any]] = []
        """The messages, in the order they were first posted."""

    def post(self, *, channel: str, text: str, idempotency_key: str) -> dict[str, Any]:
        """Record `text` for `channel`; a repeated key returns the first result.

        Returns:
            `channel` and `ts` (a Slack-style `seconds.micros` counter).

        Raises:
            PermanentAdapterError: for an empty key, channel or text.
        """

        def record() -> dict[str, Any]:
            if not channel.strip() or not text.strip():
                raise PermanentAdapterError(
                    "a message needs a channel and a text", adapter=self.adapter, operation="post"
                )
            self.posts.append(
                {"channel": channel, "text": text, "idempotency_key": idempotency_key}
            )
            return {"channel": channel, "ts": f"{len(self.posts)}.000000"}

        return self._once(idempotency_key, "post", record)


class RecordingCalendar(_RecordOnce):
    """Record calendar invites instead of sending them (a `Calendar`), once per key.

    Every invite made for the first time is appended to `invites` as a dict with `title`,
    `start`, `end`, `attendees`, `description`, `organizer` and `idempotency_key` (times in
    UTC; a naive time is read as UTC).
    """

    adapter = "recording_calendar"
    """Adapter name used in errors."""

    def __init__(self) -> None:
        super().__init__()
        self.invites: list[dict[str, Any]] = []
        """The invites, in the order they were first made."""

    def invite(
        self,
        *,
        title: str,
        start: datetime,
        end: datetime,
        attendees: list[str],
        description: str,
        organizer: str | None = None,
        idempotency_key: str,
        timezone: str | None = None,
    ) -> dict[str, Any]:
        """Record an invite; a repeated key returns the first result.

        Returns:
            `uid` and `attendees`.

        Raises:
            PermanentAdapterError: for an empty key, no attendee, or an end not after the
                start.
        """

        def record() -> dict[str, Any]:
            if not attendees:
                raise PermanentAdapterError(
                    "an invite needs at least one attendee",
                    adapter=self.adapter,
                    operation="invite",
                )
            if utc(end) <= utc(start):
                raise PermanentAdapterError(
                    f"the invite ends ({end.isoformat()}) before it starts ({start.isoformat()})",
                    adapter=self.adapter,
                    operation="invite",
                )
            self.invites.append(
                {
                    "title": title,
                    "start": utc(start),
                    "end": utc(end),
                    "attendees": list(attendees),
                    "description": description,
                    "organizer": organizer,
                    "idempotency_key": idempotency_key,
                    "timezone": timezone,
                }
            )
            return {
                "uid": f"{len(self.invites)}@recording-calendar",
                "attendees": list(attendees),
            }

        return self._once(idempotency_key, "invite", record)


# ---------------------------------------------------------------------------------------------
# Readers that serve fixed data
# ---------------------------------------------------------------------------------------------


class StaticSearch:
    """Answer every query with the same results (a `Search`), and record the queries.

    Args:
        results: The hits, best first; a search returns at most `max_results` of them.
        error: When given, every search records its query and then raises this error (to
            exercise a failing provider).
    """

    def __init__(
        self, results: Sequence[SearchResult] = (), *, error: Exception | None = None
    ) -> None:
        self.results = [r.model_copy(deep=True) for r in results]
        """The hits served."""
        self.error = error
        """The error every search raises, if any."""
        self.queries: list[tuple[str, int]] = []
        """Each query and its `max_results`, in the order they were asked."""

    def search(self, query: str, *, max_results: int = 5) -> list[SearchResult]:
        """Return up to `max_results` of the results.

        Raises:
            InputError: for an empty query, like `TavilySearch`.
        """
        if not query.strip():
            raise InputError("search query is empty")
        self.queries.append((query, max_results))
        if self.error is not None:
            raise self.error
        return [r.model_copy(deep=True) for r in self.results[: max(max_results, 0)]]


class StaticDocuments:
    """Serve fixed documents per account id (a `DocumentStore`).

    Args:
        docs_by_account_id: Account id to the account's documents; an account not in it
            has none.
    """

    def __init__(self, docs_by_account_id: Mapping[str, Sequence[Document]] | None = None) -> None:
        self.docs_by_account_id = {
            account_id: [d.model_copy(deep=True) for d in docs]
            for account_id, docs in (docs_by_account_id or {}).items()
        }
        """The documents served."""

    def documents_for(self, account: Account) -> list[Document]:
        """Return the documents about `account` (matched by its id)."""
        return [d.model_copy(deep=True) for d in self.docs_by_account_id.get(account.id, [])]


# ---------------------------------------------------------------------------------------------
# Pattern deps
# ---------------------------------------------------------------------------------------------


def fake_pattern_deps(
    *,
    crm: CRMReader | None = None,
    policy: Policy | None = None,
    llm: LLM | None = None,
    documents: DocumentStore | None = None,
    search: Search | None = None,
    scorer: Scorer | None = None,
) -> PatternDeps:
    """Return the `PatternDeps` a pattern subgraph needs, offline and in memory.

    The CRM is wrapped in `ReadOnlyCRM`, as `Deps.for_patterns` does, so a pattern that
    tries to write fails here as it would in production; keep a reference to `crm` to look
    at it after a run.

    Args:
        crm: The CRM (default: an empty `InMemoryCRM`).
        policy: The RevOps policy (default: the bundled policy).
        llm: The language engine (default: the offline engine).
        documents: Account documents (default: none for any account).
        search: Web search (default: None, no web search).
        scorer: The scoring model (default: the policy's `RulesScorer`).
    """
    from sales_operator.deps import PatternDeps, ReadOnlyCRM
    from sales_operator.llm import LLM
    from sales_operator.policy import default_policy

    policy = policy if policy is not None else default_policy()
    if scorer is None:
        from sales_operator.scoring.model import RulesScorer

        scorer = RulesScorer(policy)
    reader = ReadOnlyCRM(crm if crm is not None else InMemoryCRM())
    return PatternDeps(
        policy=policy,
        crm=reader,
        llm=llm if llm is not None else LLM(),
        documents=documents if documents is not None else StaticDocuments(),
        search=search,
        scorer=scorer,
    )

"""The adapter protocols.

Patterns see only the read side (`CRMReader`, `Search`, `DocumentStore`); the
`execute_actions` node alone holds the write-capable `CRM`, `Mailer`, `Messenger` and
`Calendar`. User classes fit these protocols without subclassing.

Every write method takes an `idempotency_key`: called twice with the same key, it performs
the side effect once and returns the first result.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from sales_operator.state import (
    Account,
    Activity,
    AuditEntry,
    Contact,
    Deal,
    Lead,
    Receipt,
)

Day = date
"""Alias of `datetime.date` for fields that are themselves called `date`."""


class Rep(BaseModel):
    """A seller, a manager or a queue that leads can be routed to."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Rep id."""
    name: str
    """Display name."""
    email: str
    """Email address."""
    role: Literal["sdr", "ae", "manager", "cro", "queue", "cs"] = "ae"
    """Job role; `queue` marks a fallback queue."""
    territory: str | None = None
    """Territory covered (None: any)."""
    segments: list[str] = Field(default_factory=list)
    """Segments covered (empty: any)."""
    capacity: int = 25
    """Most open deals the rep may hold."""
    weight: float = 1.0
    """Share in weighted round-robin."""
    manager_id: str | None = None
    """The rep's manager."""
    slack: str | None = None
    """Slack handle or channel for notifications."""
    timezone: str = "UTC"
    """IANA time zone of the rep's working hours."""
    working_hours: tuple[int, int] = (9, 18)
    """Start and end hour of the working day, local time."""
    out_of_office: list[tuple[date, date]] = Field(default_factory=list)
    """Inclusive date ranges the rep is away."""
    active: bool = True
    """Whether the rep takes new leads."""


class HistoryRecord(BaseModel):
    """One CRM record about an account, citable in a brief."""

    model_config = ConfigDict(extra="forbid")

    ref: str
    """Stable reference such as `crm:activity/12`, `crm:note/3`, `crm:deal/D-100`."""
    kind: Literal["activity", "note", "deal", "task"]
    """Record type."""
    at: datetime
    """When it happened."""
    title: str
    """Short title."""
    text: str
    """Body."""


class SearchResult(BaseModel):
    """A web search hit."""

    model_config = ConfigDict(extra="forbid")

    title: str
    """Page title."""
    url: str
    """Page address."""
    content: str
    """The relevant passage."""
    score: float | None = None
    """Relevance, when the provider gives one."""
    published_date: str | None = None
    """When the page was published, as the provider writes it (news results)."""


class Document(BaseModel):
    """A local document about an account."""

    model_config = ConfigDict(extra="forbid")

    path: str
    """Path relative to the documents folder."""
    title: str
    """First heading or file name."""
    text: str
    """Full text."""
    date: Day | None = None
    """The document's date (from its file name or its text), when it has one."""


@runtime_checkable
class CRMReader(Protocol):
    """The read side of the CRM, which patterns may use."""

    def get_account(self, account_id: str) -> Account | None:
        """Return the account, or None."""
        ...

    def list_contacts(self, account_id: str) -> list[Contact]:
        """Return the account's contacts."""
        ...

    def get_deal(self, deal_id: str) -> Deal | None:
        """Return the deal, or None."""
        ...

    def get_lead(self, lead_id: str) -> Lead | None:
        """Return the lead, or None."""
        ...

    def list_reps(self) -> list[Rep]:
        """Return every rep and queue."""
        ...

    def open_deal_counts(self) -> dict[str, int]:
        """Return rep id to the number of open deals the rep owns."""
        ...

    def account_history(self, account_id: str) -> list[HistoryRecord]:
        """Return the account's activities, notes, tasks and past deals, oldest first."""
        ...

    def closed_deal_rows(self) -> list[dict[str, Any]]:
        """Return one flat feature row per closed deal (lead, account and deal fields).

        Each row has the keys of `sales_operator/data/closed_deals.csv`, `outcome` among them.
        """
        ...

    def get_receipt(self, idempotency_key: str) -> Receipt | None:
        """Return the receipt recorded under `idempotency_key`, or None."""
        ...

    def audit_log(self, deal_id: str | None = None) -> list[AuditEntry]:
        """Return the audit trail, oldest first, for one deal or all."""
        ...


@runtime_checkable
class CRM(CRMReader, Protocol):
    """The whole CRM; only the executor holds it."""

    def upsert_records(
        self,
        *,
        deal: Deal,
        account: Account | None,
        contacts: list[Contact],
        lead: Lead | None,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """Create or update the deal with its account, contacts and lead."""
        ...

    def assign_owner(self, deal_id: str, rep_id: str, *, idempotency_key: str) -> dict[str, Any]:
        """Make `rep_id` the deal's owner."""
        ...

    def update_deal_fields(
        self, deal_id: str, fields: dict[str, Any], *, idempotency_key: str
    ) -> dict[str, Any]:
        """Set deal fields (name, amount, close_date, or any custom field)."""
        ...

    def change_stage(
        self, deal_id: str, stage: str, *, idempotency_key: str, at: datetime | None = None
    ) -> dict[str, Any]:
        """Move the deal to `stage` (`at`: the business time of the change; None: now)."""
        ...

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
        """Create a task on the deal (`created_at`: business time; None: now)."""
        ...

    def add_note(self, deal_id: str, text: str, *, idempotency_key: str) -> dict[str, Any]:
        """Attach a note to the deal."""
        ...

    def log_activity(
        self, deal_id: str, activity: Activity, *, idempotency_key: str
    ) -> dict[str, Any]:
        """Record an activity on the deal."""
        ...

    def record_receipt(self, deal_id: str, receipt: Receipt) -> None:
        """Store a receipt (once per idempotency key)."""
        ...

    def append_audit(self, deal_id: str, entry: AuditEntry) -> None:
        """Append to the audit log; entries are never changed or deleted."""
        ...


def holder_alive(holder: str) -> bool:
    """Return False when a lease holder (`host:pid:token`) is a dead process on this host.

    A holder on another host, or in a form this does not know, counts as alive (its lease
    then ends at its expiry).
    """
    import os
    import socket

    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@runtime_checkable
class DecisionLedger(Protocol):
    """A CRM that records a request's decisions atomically (first answer wins)."""

    def record_decisions(
        self, deal_id: str, request_id: str, entries: list[AuditEntry]
    ) -> list[AuditEntry]:
        """Append `entries` unless decisions for `request_id` are already recorded.

        Returns:
            The decisions recorded for the request: `entries` when they were written now,
            otherwise the earlier ones, unchanged.
        """
        ...


@runtime_checkable
class DealLeases(Protocol):
    """Per-deal leases: one writer per deal across threads and processes."""

    def acquire_lease(self, deal_id: str, holder: str, *, ttl_s: float) -> str | None:
        """Take the deal's lease for `holder`; return None, or the other holder's name."""
        ...

    def release_lease(self, deal_id: str, holder: str) -> None:
        """Give the lease back (only when `holder` holds it)."""
        ...


@runtime_checkable
class Mailer(Protocol):
    """Sends email."""

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
        """Send one message; return where it went (file path, message id).

        `in_reply_to` and `references` thread it; `attachments` are file paths.
        """
        ...


@runtime_checkable
class Messenger(Protocol):
    """Posts chat messages (Slack)."""

    def post(self, *, channel: str, text: str, idempotency_key: str) -> dict[str, Any]:
        """Post `text` to `channel`."""
        ...


@runtime_checkable
class Calendar(Protocol):
    """Sends calendar invites."""

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
        """Create an invite; return where it went (`timezone`: the zone its times show in)."""
        ...


@runtime_checkable
class Search(Protocol):
    """Web search."""

    def search(self, query: str, *, max_results: int = 5) -> list[SearchResult]:
        """Return results for `query`."""
        ...


@runtime_checkable
class DocumentStore(Protocol):
    """Local documents about accounts."""

    def documents_for(self, account: Account) -> list[Document]:
        """Return the documents about `account`."""
        ...

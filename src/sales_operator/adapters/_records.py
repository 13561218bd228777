"""The CRM record logic shared by `SQLiteCRM` and `InMemoryCRM`.

Pure functions and constants only: how values are stored (ISO times in UTC, JSON-safe
dicts), how stored rows become models, history records and training rows, how an update
merges into a deal, and which receipt wins. Both CRMs call these, so they store and
return the same values (the parity test in `tests/unit/test_fakes.py` checks it).

A "row" here is anything indexable by column name: a `sqlite3.Row` or a plain dict. JSON
columns (a deal's `fields`, a lead's `signals`) are passed already decoded, as dicts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel

from sales_operator.adapters.base import HistoryRecord
from sales_operator.errors import PermanentAdapterError
from sales_operator.state import Account, AuditEntry, Contact, Deal, Lead
from sales_operator.vocabulary import iso_date, segment_from_employees, seniority_from_title

SIGNAL_COLUMNS: tuple[str, ...] = (
    "pages_visited",
    "pricing_page_visits",
    "emails_opened",
    "demo_requested",
    "webinar_attended",
    "days_to_first_touch",
)
"""Training columns that live in the lead's `signals`."""

BOOL_SIGNALS = frozenset({"demo_requested", "webinar_attended"})
"""Signals stored as booleans (0/1 in a training row)."""

INT_SIGNALS = frozenset({"pages_visited", "pricing_page_visits", "emails_opened"})
"""Signals that are whole counts."""

KNOWN_DEAL_FIELDS = frozenset({"name", "amount", "close_date", "stage"})
"""Deal fields that are columns; any other field goes into the deal's custom `fields`."""

T = TypeVar("T")


class Row(Protocol):
    """A stored record read by column name (a `sqlite3.Row` or a dict)."""

    def __getitem__(self, key: str, /) -> Any:
        """Return the value of column `key`."""


# ---------------------------------------------------------------------------------------------
# Value conversions
# ---------------------------------------------------------------------------------------------


def utc(value: datetime) -> datetime:
    """Return `value` in UTC; a naive time is read as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime) -> str:
    """Return `value` as the stored ISO string (UTC)."""
    return utc(value).isoformat()


def parse_datetime(text: str) -> datetime:
    """Parse an ISO date or date-time; a date is midnight UTC, a naive time is UTC."""
    text = text.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
    return utc(datetime.fromisoformat(text))


def json_default(value: Any) -> Any:
    """Encode the values `json` does not know: dates, pydantic models, sets and tuples."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, set | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """Return `value` as stored JSON text."""
    return json.dumps(value, default=json_default, ensure_ascii=False)


def jsonable(value: T) -> T:
    """Return `value` as it reads back after a JSON round trip (dates become strings)."""
    loaded: T = json.loads(dumps(value))
    return loaded


def as_bool_int(value: Any) -> int | None:
    """Return a boolean-ish value as 1 or 0 (None stays None).

    Raises:
        ValueError: for a text that is not a boolean.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value != 0)
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "t"}:
        return 1
    if text in {"0", "false", "no", "n", "f"}:
        return 0
    raise ValueError(f"expected a boolean (true/false/1/0), got {value!r}")


def outcome_for(stage: str) -> str | None:
    """Return the outcome a stage implies: `won`, `lost`, or None for an open stage."""
    return {"closed_won": "won", "closed_lost": "lost"}.get(stage)


def require_key(idempotency_key: str, adapter: str, operation: str) -> None:
    """Reject an empty idempotency key.

    Raises:
        PermanentAdapterError: when the key is empty or blank.
    """
    if not idempotency_key or not idempotency_key.strip():
        raise PermanentAdapterError(
            "idempotency_key must be a non-empty string", adapter=adapter, operation=operation
        )


def column_value(name: str, value: Any, *, adapter: str, operation: str) -> Any:
    """Validate a value for a known deal column and return it in its stored form.

    Raises:
        PermanentAdapterError: for a value the column cannot hold.
    """
    try:
        if name in ("name", "stage"):
            if not isinstance(value, str) or not value.strip():
                raise ValueError("must be a non-empty string")
            return value.strip() if name == "stage" else value
        if name == "amount":
            if value is None:
                return None
            if isinstance(value, bool):
                raise ValueError("must be a number")
            amount = float(value)
            if amount != amount or amount < 0:
                raise ValueError("must be a non-negative number")
            return amount
        if name == "close_date":
            return iso_date(value)
    except (TypeError, ValueError) as exc:
        raise PermanentAdapterError(
            f"bad value {value!r} for deal field {name!r}: {exc}",
            adapter=adapter,
            operation=operation,
        ) from exc
    raise AssertionError(name)  # pragma: no cover


def unknown_deal(deal_id: str, *, adapter: str, operation: str) -> PermanentAdapterError:
    """Return the error for a write on a deal the CRM does not hold."""
    return PermanentAdapterError(
        f"unknown deal id {deal_id!r}: no such deal in the CRM",
        adapter=adapter,
        operation=operation,
    )


def unknown_rep(rep_id: str, *, adapter: str, operation: str) -> PermanentAdapterError:
    """Return the error for an owner that is no rep or queue of the CRM."""
    return PermanentAdapterError(
        f"unknown rep id {rep_id!r}: no such rep or queue in the CRM",
        adapter=adapter,
        operation=operation,
    )


def unknown_lead_contact(lead: Lead, *, adapter: str, operation: str) -> PermanentAdapterError:
    """Return the error for a lead whose contact is neither given nor in the CRM."""
    return PermanentAdapterError(
        f"lead {lead.id!r} names contact {lead.contact_id!r}, which is neither "
        "among the contacts given nor in the CRM",
        adapter=adapter,
        operation=operation,
    )


def created_result(
    kind: Literal["activity", "note", "task"], number: int, deal_id: str, **extra: Any
) -> dict[str, Any]:
    """Return what a write that adds a numbered record returns.

    That is `<kind>_id`, `ref` (`crm:<kind>/<n>`), `deal_id`, then `extra` in order.
    """
    return {f"{kind}_id": number, "ref": f"crm:{kind}/{number}", "deal_id": deal_id, **extra}


# ---------------------------------------------------------------------------------------------
# Rows to models
# ---------------------------------------------------------------------------------------------


def account_model(row: Row) -> Account:
    """Return the `Account` of a stored account row."""
    return Account(**{name: row[name] for name in Account.model_fields})


def contact_model(row: Row) -> Contact:
    """Return the `Contact` of a stored contact row."""
    keys = set(row.keys()) if hasattr(row, "keys") else set(Contact.model_fields)
    # a row stored before a field was added lacks its column
    return Contact(**{name: row[name] for name in Contact.model_fields if name in keys})


def lead_model(row: Row) -> Lead:
    """Return the `Lead` of a stored lead row (`signals` decoded)."""
    return Lead(
        id=row["id"],
        contact_id=row["contact_id"],
        source=row["source"],
        created_at=parse_datetime(row["created_at"]),
        signals=dict(row["signals"]),
    )


def deal_model(row: Row) -> Deal:
    """Return the `Deal` of a stored deal row (`fields` decoded)."""
    return Deal(
        id=row["id"],
        name=row["name"],
        stage=row["stage"],
        amount=row["amount"],
        close_date=date.fromisoformat(row["close_date"][:10]) if row["close_date"] else None,
        owner_id=row["owner_id"],
        outcome=row["outcome"],
        fields=row["fields"],
    )


# ---------------------------------------------------------------------------------------------
# Deal rows: creation, merge, stage changes, field updates
# ---------------------------------------------------------------------------------------------


DEAL_ROW_COLUMNS: tuple[str, ...] = (
    "id",
    "account_id",
    "lead_id",
    "name",
    "stage",
    "amount",
    "close_date",
    "owner_id",
    "outcome",
    "fields",
    "created_at",
    "closed_at",
    "updated_at",
)
"""The columns of a stored deal row, in table order."""


def new_deal_row(
    deal: Deal,
    *,
    account_id: str | None,
    lead_id: str | None,
    created_at: str,
    closed_at: str | None,
    updated_at: str,
) -> dict[str, Any]:
    """Return the stored row of a new deal (keys of `DEAL_ROW_COLUMNS`, `fields` a dict)."""
    return {
        "id": deal.id,
        "account_id": account_id,
        "lead_id": lead_id,
        "name": deal.name,
        "stage": deal.stage,
        "amount": deal.amount,
        "close_date": deal.close_date.isoformat() if deal.close_date else None,
        "owner_id": deal.owner_id,
        "outcome": deal.outcome or outcome_for(deal.stage),
        "fields": jsonable(deal.fields),
        "created_at": created_at,
        "closed_at": closed_at,
        "updated_at": updated_at,
    }


def merged_deal_values(
    existing: Row,
    deal: Deal,
    *,
    account_id: str | None,
    lead_id: str | None,
    now: str,
) -> dict[str, Any]:
    """Return the columns to set when `deal` is upserted over `existing` (stage excluded).

    A value that is None never clears what is stored; `fields` are merged key by key.
    """
    fields = dict(existing["fields"])
    fields.update(jsonable(deal.fields))
    return {
        "account_id": account_id,
        "lead_id": lead_id,
        "name": deal.name,
        "amount": deal.amount if deal.amount is not None else existing["amount"],
        "close_date": deal.close_date.isoformat() if deal.close_date else existing["close_date"],
        "owner_id": deal.owner_id or existing["owner_id"],
        "outcome": deal.outcome or existing["outcome"],
        "fields": fields,
        "updated_at": now,
    }


def stage_values(to_stage: str, at: str) -> dict[str, Any]:
    """Return the columns a move to `to_stage` sets: a closed stage sets outcome and close time."""
    outcome = outcome_for(to_stage)
    return {
        "stage": to_stage,
        "outcome": outcome,
        "closed_at": at if outcome else None,
        "updated_at": at,
    }


@dataclass(frozen=True)
class FieldUpdate:
    """What `update_deal_fields` changes on one deal."""

    changed: dict[str, Any]
    """Field to new (stored) value."""
    previous: dict[str, Any]
    """Field to old value."""
    columns: dict[str, Any]
    """Known columns other than `stage` to set, in stored form."""
    stage: str | None
    """The new stage, when it differs from the current one."""
    fields: dict[str, Any]
    """The deal's custom fields after the merge."""


def plan_field_update(
    current: Row, updates: Mapping[str, Any], *, adapter: str, operation: str
) -> FieldUpdate:
    """Work out a deal field update against the `current` row (`fields` decoded).

    Raises:
        PermanentAdapterError: for a malformed value of a known column.
    """
    custom = dict(current["fields"])
    changed: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    columns: dict[str, Any] = {}
    stage: str | None = None
    for name, value in updates.items():
        if name in KNOWN_DEAL_FIELDS:
            stored = column_value(name, value, adapter=adapter, operation=operation)
            previous[name] = current[name]
            changed[name] = stored
            if name != "stage":
                columns[name] = stored
            elif stored != current["stage"]:
                stage = stored
        else:
            previous[name] = custom.get(name)
            custom[name] = jsonable(value)
            changed[name] = custom[name]
    return FieldUpdate(changed, previous, columns, stage, custom)


# ---------------------------------------------------------------------------------------------
# History records and training rows
# ---------------------------------------------------------------------------------------------


def activity_history(row: Row) -> HistoryRecord:
    """Return the history record of a stored activity row."""
    return HistoryRecord(
        ref=f"crm:activity/{row['id']}",
        kind="activity",
        at=parse_datetime(row["at"]),
        title=f"{row['kind'].replace('_', ' ').capitalize()} ({row['direction']})",
        text=row["summary"],
    )


def note_history(row: Row) -> HistoryRecord:
    """Return the history record of a stored note row."""
    return HistoryRecord(
        ref=f"crm:note/{row['id']}",
        kind="note",
        at=parse_datetime(row["created_at"]),
        title=f"Note on {row['deal_id']}" if row["deal_id"] else "Account note",
        text=row["text"],
    )


def task_history(row: Row) -> HistoryRecord:
    """Return the history record of a stored task row."""
    due = f", due {row['due']}" if row["due"] else ""
    body = f"{row['title']} ({row['status']}{due})"
    if row["notes"]:
        body += f": {row['notes']}"
    return HistoryRecord(
        ref=f"crm:task/{row['id']}",
        kind="task",
        at=parse_datetime(row["created_at"]),
        title=row["title"],
        text=body,
    )


def deal_history(row: Row) -> HistoryRecord:
    """Return the history record of a stored (closed) deal row (`fields` decoded)."""
    when = row["closed_at"] or row["close_date"] or row["created_at"]
    outcome = row["outcome"] or outcome_for(row["stage"]) or row["stage"]
    amount = f"{row['amount']:,.0f}" if row["amount"] is not None else "no amount"
    parts = [f"{row['name']}: {outcome} ({row['stage']}), amount {amount}"]
    if row["close_date"]:
        parts.append(f"closed {row['close_date'][:10]}")
    for key, value in row["fields"].items():
        if value not in (None, "", [], {}):
            parts.append(f"{key.replace('_', ' ')}: {value}")
    return HistoryRecord(
        ref=f"crm:deal/{row['id']}",
        kind="deal",
        at=parse_datetime(when),
        title=row["name"],
        text="; ".join(parts),
    )


LOSS_REASON_KEYS: tuple[str, ...] = ("loss_reason", "lost_reason")
"""Deal `fields` keys that hold why a deal was lost."""


def loss_reason(fields: Mapping[str, Any]) -> str | None:
    """Return the loss reason stored in a deal's custom `fields`, or None."""
    for key in LOSS_REASON_KEYS:
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def similar_loss_history(row: Row, account: Mapping[str, Any]) -> HistoryRecord | None:
    """Return a lost deal of a similar account as a history record (None: no loss reason).

    `row` is the deal row (`fields` decoded), `account` the row of its account (`name`,
    `industry`, `segment`). The text names the account, its industry and segment, and the
    reason, so a brief can quote it.
    """
    reason = loss_reason(row["fields"])
    if reason is None:
        return None
    when = row["closed_at"] or row["close_date"] or row["created_at"]
    kind = ", ".join(str(v) for v in (account.get("industry"), account.get("segment")) if v)
    name = account.get("name") or row["name"]
    text = f"{name}" + (f" ({kind})" if kind else "") + f" was lost; loss reason: {reason}."
    return HistoryRecord(
        ref=f"crm:deal/{row['id']}",
        kind="deal",
        at=parse_datetime(when),
        title=f"Lost deal {row['name']}",
        text=text,
    )


def closed_deal_row(
    *,
    deal_id: str,
    stage: str,
    outcome: str | None,
    amount: float | None,
    created_at: str | None,
    closed_at: str | None,
    close_date: str | None,
    account_name: str | None,
    industry: str | None,
    employees: int | None,
    territory: str | None,
    segment: str | None,
    lead_source: str | None,
    signals: Mapping[str, Any],
    lead_created_at: str | None,
    contact_title: str | None,
    seniority: str | None,
) -> dict[str, Any]:
    """Return the training row of a closed deal, with exactly the keys of `CLOSED_DEAL_COLUMNS`.

    Counts stay as stored, `demo_requested` and `webinar_attended` become 0/1, `amount` a
    float; a missing segment or seniority is derived; missing values are None.
    """
    out: dict[str, Any] = {
        "deal_id": deal_id,
        "account_name": account_name,
        "industry": industry,
        "employees": employees,
        "territory": territory,
        "segment": segment or segment_from_employees(employees),
        "lead_source": lead_source,
        "contact_title": contact_title,
        "seniority": seniority or (seniority_from_title(contact_title) if lead_source else None),
    }
    for name in SIGNAL_COLUMNS:
        value = signals.get(name)
        out[name] = as_bool_int(value) if name in BOOL_SIGNALS else value
    out["created_at"] = created_at or lead_created_at
    out["closed_at"] = closed_at or close_date
    out["outcome"] = outcome or ("won" if stage == "closed_won" else "lost")
    out["amount"] = None if amount is None else float(amount)
    return out


# ---------------------------------------------------------------------------------------------
# Receipts
# ---------------------------------------------------------------------------------------------


def receipt_supersedes(stored_status: str | None, new_status: str) -> bool:
    """Return whether a new receipt is stored over the one held under the same key.

    A receipt is stored once per key; the exceptions are a `done` receipt replacing a
    `failed` one (a retry that succeeded), and any receipt replacing a `retryable` one (a
    transient failure that recovery ran again). `stored_status` is None when no receipt is held.
    """
    if stored_status is None or stored_status == "retryable":
        return True
    return stored_status == "failed" and new_status == "done"


def check_capacity(
    rep_id: str, capacity: int, open_count: int, *, adapter: str, operation: str
) -> None:
    """Refuse to give a rep one more open deal than their capacity (checked in the write).

    Raises:
        PermanentAdapterError: naming the rep and the load; the deal must be routed again.
    """
    if open_count >= capacity:
        raise PermanentAdapterError(
            f"rep {rep_id!r} is at capacity ({open_count}/{capacity} open deals); "
            "route the deal again",
            adapter=adapter,
            operation=operation,
        )


DECISIONS = ("approve", "edit", "reject")
"""Audit `decision` values that answer an approval request (the others record execution)."""


def request_decisions(entries: Iterable[AuditEntry], request_id: str) -> list[AuditEntry]:
    """Return the audit entries that answer approval request `request_id`, in order."""
    return [e for e in entries if e.request_id == request_id and e.decision in DECISIONS]

"""What the vendor CRM connectors (HubSpot, Salesforce, an MCP server) share.

A vendor CRM holds the business records: companies, contacts, deals, notes, tasks. The
operator's own records stay in its **ledger**, a local CRM (`SQLiteCRM` by default): reps
with their routing settings, action receipts, the append-only audit trail, leases, and the
closed-deal rows the scoring model trains on. A connector answers the business reads and
writes itself and hands every other CRM method to the ledger unchanged, so whatever the
ledger learns to do (a new audit query, a lease) works behind every connector.

Retries: every write a connector makes carries the operator's idempotency key into the
vendor's record (a unique external-id or custom property), and the connector looks the key
up before it creates anything, so a retry after a timeout finds the first record instead of
making a second.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sales_operator.adapters.base import CRM, Rep
from sales_operator.errors import ConfigurationError, PermanentAdapterError, TransientAdapterError

T = TypeVar("T")

DEFAULT_STAGE_MAP: dict[str, str] = {
    "new": "appointmentscheduled",
    "discovery": "qualifiedtobuy",
    "demo": "presentationscheduled",
    "proposal": "decisionmakerboughtin",
    "negotiation": "contractsent",
    "closed_won": "closedwon",
    "closed_lost": "closedlost",
}
"""Our policy's stages onto HubSpot's default sales pipeline (override per portal)."""


class LedgerBacked:
    """Delegates every CRM method the connector does not define to the ledger."""

    def __init__(self, ledger: CRM) -> None:
        """Keep `ledger`, the operator's own store of reps, receipts and audit."""
        self.ledger = ledger
        """The operator's own records (reps, receipts, audit, leases, closed-deal rows)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "ledger":
            raise AttributeError(name)
        return getattr(self.ledger, name)

    def note_unmapped(
        self,
        deal_id: str,
        fields: dict[str, Any],
        *,
        idempotency_key: str,
        render: Callable[[Any], Any] = str,
    ) -> str | None:
        """Keep deal fields the vendor has no property for in one note; return its id.

        Nothing is dropped: pains, objections or MEDDPICC evidence with no CRM field of their
        own are written as `name: value` lines under the key `<idempotency_key>:fields`.
        """
        if not fields:
            return None
        lines = [f"{k}: {render(v)}" for k, v in sorted(fields.items())]
        add_note: Callable[..., dict[str, Any]] = getattr(self, "add_note")  # noqa: B009
        note = add_note(
            deal_id,
            "Sales operator fields\n" + "\n".join(lines),
            idempotency_key=f"{idempotency_key}:fields",
        )
        return str(note["note_id"])

    def rep_by_id(self, rep_id: str | None) -> Rep | None:
        """Return the ledger's rep with `rep_id`, or None."""
        if rep_id is None:
            return None
        return next((rep for rep in self.ledger.list_reps() if rep.id == rep_id), None)

    def rep_by_email(self, email: str | None) -> Rep | None:
        """Return the ledger's rep whose email is `email` (case-insensitive), or None."""
        if not email:
            return None
        wanted = email.strip().lower()
        return next((r for r in self.ledger.list_reps() if r.email.lower() == wanted), None)


def with_backoff(
    call: Callable[[], T],
    *,
    is_rate_limited: Callable[[Exception], float | None],
    adapter: str,
    operation: str,
    attempts: int = 5,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `call`, waiting and retrying while the vendor says it is rate-limited.

    Args:
        call: The request.
        is_rate_limited: Returns the seconds to wait (the vendor's `Retry-After`, or 0 for
            "use the backoff") when an exception is a rate limit, else None.
        adapter: Adapter name for errors.
        operation: Operation name for errors.
        attempts: Tries in all.
        base_delay: First backoff, doubled each time, with jitter.
        max_delay: Longest single wait.
        sleep: Injected for tests.

    Raises:
        TransientAdapterError: when the vendor is still rate-limiting after `attempts`.
    """
    for attempt in range(attempts):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - classified just below
            wait = is_rate_limited(exc)
            if wait is None:
                raise
            if attempt == attempts - 1:
                raise TransientAdapterError(
                    f"still rate-limited after {attempts} tries: {exc}",
                    adapter=adapter,
                    operation=operation,
                ) from exc
            backoff = min(max_delay, base_delay * 2**attempt) * (0.5 + random.random() / 2)
            sleep(min(max_delay, max(wait, backoff)))
    raise AssertionError("unreachable")  # pragma: no cover


def require_env(env: dict[str, str], name: str, adapter: str) -> str:
    """Return `env[name]`, or raise a `ConfigurationError` that names the variable."""
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{adapter} needs the environment variable {name}")
    return value


def iso_millis(value: datetime | date) -> str:
    """Return an ISO-8601 UTC timestamp with milliseconds, as HubSpot and Salesforce take."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, 17, tzinfo=UTC)
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_vendor_datetime(text: str | None) -> datetime | None:
    """Parse a vendor timestamp (ISO-8601, `Z` or offset, or epoch milliseconds)."""
    if not text:
        return None
    text = str(text).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def permanent(message: str, *, adapter: str, operation: str) -> PermanentAdapterError:
    """Shorthand for a `PermanentAdapterError`."""
    return PermanentAdapterError(message, adapter=adapter, operation=operation)


def transient(message: str, *, adapter: str, operation: str) -> TransientAdapterError:
    """Shorthand for a `TransientAdapterError`."""
    return TransientAdapterError(message, adapter=adapter, operation=operation)

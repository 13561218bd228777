"""Outlook drafts and calendar events through Microsoft Graph's REST API (httpx).

`GraphDraftMailer` creates the approved email as a draft in the rep's Outlook mailbox
(`POST /users/{id}/messages`), for the rep to read and send. `GraphCalendar` creates the
meeting in the rep's calendar (`POST /users/{id}/events`), and Exchange sends the invitations.

Retries never duplicate:

- each draft carries the idempotency key in a single-value extended property, and the mailer
  looks it up (`$filter=singleValueExtendedProperties/Any(...)`) before creating, so a retry
  returns the first draft, or reports that the rep already sent it (`isDraft` false);
- each event carries a `transactionId` derived from the key, which Graph itself uses to drop
  a repeated create.

Environment: `MSGRAPH_ACCESS_TOKEN` (an Entra ID token with `Mail.ReadWrite` and
`Calendars.ReadWrite`), `MSGRAPH_USER` (the mailbox: user id or principal name), optional
`MSGRAPH_BASE_URL`. A 429 or 503 answer is retried after Graph's `Retry-After`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import getaddresses
from typing import Any
from urllib.parse import quote

import httpx

from sales_operator.adapters.outbox import build_message
from sales_operator.adapters.vendor import permanent, require_env, transient, with_backoff

GRAPH_URL = "https://graph.microsoft.com/v1.0"
KEY_PROPERTY = "String {00020329-0000-0000-C000-000000000046} Name SalesOperatorKey"
"""The MAPI named property (PS_PUBLIC_STRINGS) that carries our idempotency key."""


class GraphError(Exception):
    """A non-2xx answer from Graph (internal: mapped to adapter errors)."""

    def __init__(self, status: int, message: str, retry_after: float | None) -> None:
        super().__init__(f"Graph answered {status}: {message}")
        self.status = status
        self.retry_after = retry_after


class GraphClient:
    """A small Graph REST client: bearer token, JSON, typed errors, 429 backoff."""

    def __init__(
        self,
        token: str,
        *,
        user: str,
        base_url: str = GRAPH_URL,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Bind a token and a mailbox.

        Args:
            token: The access token.
            user: The mailbox (user id or principal name).
            base_url: Graph's root (`https://graph.microsoft.com/v1.0`).
            transport: An httpx transport (tests).
            sleep: Injected for tests of the backoff.
            timeout: Seconds per request.
        """
        self.user = user
        self._sleep = sleep
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
            timeout=timeout,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GraphClient | None:
        """Build from `MSGRAPH_ACCESS_TOKEN` and `MSGRAPH_USER`; None when no token is set."""
        values = dict(os.environ if env is None else env)
        if not values.get("MSGRAPH_ACCESS_TOKEN"):
            return None
        return cls(
            values["MSGRAPH_ACCESS_TOKEN"],
            user=require_env(values, "MSGRAPH_USER", "Microsoft Graph"),
            base_url=values.get("MSGRAPH_BASE_URL") or GRAPH_URL,
        )

    def request(
        self, method: str, path: str, *, adapter: str, operation: str, **kwargs: Any
    ) -> Any:
        """Send one request; return its JSON (None for 204)."""
        user_path = f"/users/{quote(self.user, safe='@.')}{path}"

        def once() -> Any:
            try:
                response = self.http.request(method, user_path, **kwargs)
            except httpx.HTTPError as exc:
                raise transient(
                    f"cannot reach Graph: {exc}", adapter=adapter, operation=operation
                ) from exc
            if response.status_code >= 400:
                try:
                    message = response.json().get("error", {}).get("message", response.text)
                except ValueError:
                    message = response.text[:300]
                retry = response.headers.get("Retry-After")
                raise GraphError(
                    response.status_code,
                    message,
                    float(retry) if retry and retry.isdigit() else None,
                )
            return response.json() if response.content else None

        extra: dict[str, Any] = {"sleep": self._sleep} if self._sleep else {}
        try:
            return with_backoff(
                once, is_rate_limited=_limited, adapter=adapter, operation=operation, **extra
            )
        except GraphError as exc:
            if exc.status >= 500:
                raise transient(str(exc), adapter=adapter, operation=operation) from exc
            raise permanent(str(exc), adapter=adapter, operation=operation) from exc


def _limited(exc: Exception) -> float | None:
    if isinstance(exc, GraphError) and exc.status in (429, 503):
        return exc.retry_after or 0.0
    return None


def _recipients(addresses: list[str]) -> list[dict[str, Any]]:
    out = []
    for name, address in getaddresses(addresses):
        entry: dict[str, Any] = {"address": address}
        if name:
            entry["name"] = name
        out.append({"emailAddress": entry})
    return out


class GraphDraftMailer:
    """A `Mailer` that creates a draft in the rep's Outlook mailbox."""

    adapter = "msgraph_mail"
    """Adapter name used in errors."""

    def __init__(self, client: GraphClient, *, sender: str) -> None:
        """Wrap a `GraphClient` bound to the sender's mailbox."""
        self.client = client
        self.sender = sender

    def send(
        self,
        *,
        to: list[str],
        subject: str,
        body: str,
        cc: list[str] | None = None,
        sender: str | None = None,
        idempotency_key: str,
        **extra: Any,
    ) -> dict[str, Any]:
        """Create the draft, once per key.

        Returns:
            `draft_id`, `web_link` and `status` (`draft`, or `sent` once the rep sent it).
        """
        # The same checks and header rules as every other mailer (addresses, CR/LF, length).
        message = build_message(
            to=to,
            subject=subject,
            body=body,
            cc=cc,
            sender=sender or self.sender,
            idempotency_key=idempotency_key,
            at=datetime.now(UTC),
            adapter=self.adapter,
            **extra,
        )
        escaped = idempotency_key.replace("'", "''")
        found = self.client.request(
            "GET",
            "/messages",
            adapter=self.adapter,
            operation="send",
            params={
                "$filter": "singleValueExtendedProperties/Any(ep: ep/id eq "
                f"'{KEY_PROPERTY}' and ep/value eq '{escaped}')",
                "$select": "id,isDraft,webLink",
            },
        )
        existing = (found or {}).get("value") or []
        if existing:
            first = existing[0]
            return {
                "draft_id": first["id"],
                "web_link": first.get("webLink"),
                "status": "draft" if first.get("isDraft", True) else "sent",
            }
        payload = {
            "subject": str(message["Subject"]),
            "body": {"contentType": "Text", "content": body},
            "toRecipients": _recipients(to),
            "ccRecipients": _recipients(cc or []),
            "singleValueExtendedProperties": [{"id": KEY_PROPERTY, "value": idempotency_key}],
        }
        created = self.client.request(
            "POST", "/messages", adapter=self.adapter, operation="send", json=payload
        )
        return {"draft_id": created["id"], "web_link": created.get("webLink"), "status": "draft"}


def transaction_id_for(idempotency_key: str) -> str:
    """Return the Graph `transactionId` for a key."""
    return "so-" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:40]


class GraphCalendar:
    """A `Calendar` that creates the meeting in the rep's Outlook calendar."""

    adapter = "msgraph_calendar"
    """Adapter name used in errors."""

    def __init__(self, client: GraphClient) -> None:
        """Wrap a `GraphClient` bound to the organiser's mailbox."""
        self.client = client

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
        **extra: Any,
    ) -> dict[str, Any]:
        """Create the meeting with invitations, once per key (Graph's `transactionId`).

        Returns:
            `event_id` and `web_link`.
        """
        if end <= start:
            raise permanent(
                "the event ends before it starts", adapter=self.adapter, operation="invite"
            )
        zone = timezone or "UTC"

        def local(value: datetime) -> str:
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            if zone == "UTC":
                return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
            from zoneinfo import ZoneInfo

            return aware.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S")

        payload = {
            "subject": title,
            "body": {"contentType": "Text", "content": description},
            "start": {"dateTime": local(start), "timeZone": zone},
            "end": {"dateTime": local(end), "timeZone": zone},
            "attendees": [{**r, "type": "required"} for r in _recipients(attendees)],
            "transactionId": transaction_id_for(idempotency_key),
        }
        created = self.client.request(
            "POST", "/events", adapter=self.adapter, operation="invite", json=payload
        )
        return {"event_id": created["id"], "web_link": created.get("webLink")}

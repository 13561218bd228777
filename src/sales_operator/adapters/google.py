"""Gmail drafts and Google Calendar events, through Google's own `google-api-python-client`.

`GmailDraftMailer` puts each approved email into the rep's Gmail **Drafts**: the rep reads it
there and presses send, as the seed story has it. `GoogleCalendar` creates the event in the
rep's calendar and lets Google send the invitations.

Retries never duplicate:

- a draft's Message-ID is derived from the idempotency key (the same one the outbox and SMTP
  mailers use), and before creating a draft the mailer searches the mailbox for it
  (`rfc822msgid:`), so a retry returns the first draft, or reports that the rep already sent it;
- an event's id is derived from the key (Google accepts client-chosen ids in base32hex), so a
  second insert answers 409 and the calendar returns the first event.

Credentials: `GOOGLE_OAUTH_TOKEN` (an OAuth access token with the `gmail.compose` and
`calendar.events` scopes), or `GOOGLE_APPLICATION_CREDENTIALS` naming a service-account file
with domain-wide delegation plus `GOOGLE_DELEGATED_USER`. The discovery documents ship inside
the client, so building a service makes no request.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sales_operator.adapters.outbox import build_message, message_id_for
from sales_operator.adapters.vendor import permanent, require_env, transient
from sales_operator.errors import ConfigurationError

GMAIL_SCOPES = ("https://www.googleapis.com/auth/gmail.compose",)
CALENDAR_SCOPES = ("https://www.googleapis.com/auth/calendar.events",)


def google_service(
    api: str,
    version: str,
    *,
    credentials: Any = None,
    api_endpoint: str | None = None,
    env: Mapping[str, str] | None = None,
    scopes: tuple[str, ...] = (),
) -> Any:
    """Build a Google API client from the bundled discovery document (no request is made).

    Args:
        api: `gmail` or `calendar`.
        version: `v1` or `v3`.
        credentials: `google.auth` credentials; read from the environment when None.
        api_endpoint: Another base URL (a test server, a proxy); for Calendar it includes
            the service path (`.../calendar/v3/`), for Gmail not (its paths carry it).
        env: The environment to read (default `os.environ`).
        scopes: OAuth scopes for service-account credentials.

    Raises:
        ConfigurationError: when no credentials are configured.
    """
    from googleapiclient.discovery import build

    if credentials is None:
        credentials = _credentials_from_env(dict(os.environ if env is None else env), scopes)
    options = {"api_endpoint": api_endpoint} if api_endpoint else None
    return build(
        api,
        version,
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options=options,
    )


def _credentials_from_env(env: dict[str, str], scopes: tuple[str, ...]) -> Any:
    if env.get("GOOGLE_OAUTH_TOKEN"):
        from google.oauth2.credentials import Credentials

        return Credentials(token=env["GOOGLE_OAUTH_TOKEN"])  # type: ignore[no-untyped-call]
    if env.get("GOOGLE_APPLICATION_CREDENTIALS"):
        from google.oauth2 import service_account

        creds = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
            env["GOOGLE_APPLICATION_CREDENTIALS"], scopes=list(scopes)
        )
        subject = require_env(env, "GOOGLE_DELEGATED_USER", "Google")
        return creds.with_subject(subject)
    raise ConfigurationError(
        "Google needs GOOGLE_OAUTH_TOKEN, or GOOGLE_APPLICATION_CREDENTIALS with "
        "GOOGLE_DELEGATED_USER"
    )


def _execute(request: Any, *, adapter: str, operation: str, conflict_ok: bool = False) -> Any:
    """Run a googleapiclient request and turn its failures into adapter errors.

    Returns None for a 409 answer when `conflict_ok`.
    """
    from google.auth.exceptions import GoogleAuthError
    from googleapiclient.errors import HttpError

    try:
        return request.execute(num_retries=3)
    except HttpError as exc:
        status = int(exc.resp.status)
        if status == 409 and conflict_ok:
            return None
        message = f"Google answered {status}: {exc.reason or exc}"
        if status in (429, 500, 502, 503, 504):
            raise transient(message, adapter=adapter, operation=operation) from exc
        raise permanent(message, adapter=adapter, operation=operation) from exc
    except GoogleAuthError as exc:
        raise permanent(
            f"Google refused the credentials (401) and they cannot be refreshed: {exc}",
            adapter=adapter,
            operation=operation,
        ) from exc
    except OSError as exc:
        raise transient(
            f"cannot reach Google: {exc}", adapter=adapter, operation=operation
        ) from exc


class GmailDraftMailer:
    """A `Mailer` that creates a draft in the sender's Gmail for the rep to send."""

    adapter = "gmail"
    """Adapter name used in errors."""

    def __init__(self, service: Any, *, sender: str, user_id: str = "me") -> None:
        """Wrap a Gmail service (`google_service("gmail", "v1")`).

        Args:
            service: The Gmail API client.
            sender: The From address when a call names none (the mailbox owner).
            user_id: The mailbox (`me` for the token's owner).
        """
        self.service = service
        self.sender = sender
        self.user_id = user_id

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GmailDraftMailer | None:
        """Build from `GMAIL_SENDER` and Google credentials; None when `GMAIL_SENDER` is unset."""
        values = dict(os.environ if env is None else env)
        if not values.get("GMAIL_SENDER"):
            return None
        service = google_service("gmail", "v1", env=values, scopes=GMAIL_SCOPES)
        return cls(service, sender=values["GMAIL_SENDER"])

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
            `draft_id`, `message_id` (RFC 5322) and `status` (`draft`, or `sent` when the rep
            has already sent the draft this key made).
        """
        from_address = sender or self.sender
        mid = message_id_for(idempotency_key, from_address)
        users = self.service.users()
        found = _execute(
            users.drafts().list(userId=self.user_id, q=f"rfc822msgid:{mid}"),
            adapter=self.adapter,
            operation="send",
        )
        drafts = found.get("drafts") or []
        if drafts:
            return {"draft_id": drafts[0]["id"], "message_id": mid, "status": "draft"}
        sent = _execute(
            users.messages().list(
                userId=self.user_id, q=f"rfc822msgid:{mid}", includeSpamTrash=True
            ),
            adapter=self.adapter,
            operation="send",
        )
        if sent.get("messages"):
            return {
                "draft_id": None,
                "message_id": mid,
                "status": "sent",
                "gmail_message_id": sent["messages"][0]["id"],
            }
        message = build_message(
            to=to,
            subject=subject,
            body=body,
            cc=cc,
            sender=from_address,
            idempotency_key=idempotency_key,
            at=datetime.now(UTC),
            adapter=self.adapter,
            **extra,
        )
        raw = base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")
        draft = _execute(
            users.drafts().create(userId=self.user_id, body={"message": {"raw": raw}}),
            adapter=self.adapter,
            operation="send",
        )
        return {"draft_id": draft["id"], "message_id": mid, "status": "draft"}


def event_id_for(idempotency_key: str) -> str:
    """Return a Google Calendar event id for the key (base32hex: `0-9a-v`, 5–1024 chars)."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).digest()[:20]
    return "so" + base64.b32hexencode(digest).decode("ascii").lower().rstrip("=")


class GoogleCalendar:
    """A `Calendar` that creates the event in the organiser's Google Calendar."""

    adapter = "google_calendar"
    """Adapter name used in errors."""

    def __init__(
        self, service: Any, *, calendar_id: str = "primary", send_updates: str = "all"
    ) -> None:
        """Wrap a Calendar service (`google_service("calendar", "v3")`).

        Args:
            service: The Calendar API client.
            calendar_id: The calendar to write to.
            send_updates: Who Google emails the invitation to (`all`, `externalOnly`, `none`).
        """
        self.service = service
        self.calendar_id = calendar_id
        self.send_updates = send_updates

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GoogleCalendar | None:
        """Build from `GOOGLE_CALENDAR_ID` and Google credentials; None when it is unset."""
        values = dict(os.environ if env is None else env)
        if not values.get("GOOGLE_CALENDAR_ID"):
            return None
        service = google_service("calendar", "v3", env=values, scopes=CALENDAR_SCOPES)
        return cls(service, calendar_id=values["GOOGLE_CALENDAR_ID"])

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
        """Create the event with invitations, once per key.

        Returns:
            `event_id`, `html_link` and `created` (False when the key's event existed).
        """
        if end <= start:
            raise permanent(
                "the event ends before it starts", adapter=self.adapter, operation="invite"
            )
        event_id = event_id_for(idempotency_key)
        zone = timezone or "UTC"
        body = {
            "id": event_id,
            "summary": title,
            "description": description,
            "start": {"dateTime": _local_iso(start), "timeZone": zone},
            "end": {"dateTime": _local_iso(end), "timeZone": zone},
            "attendees": [{"email": a} for a in attendees],
            "extendedProperties": {"private": {"sales_operator_key": idempotency_key[:1000]}},
        }
        events = self.service.events()
        created = _execute(
            events.insert(calendarId=self.calendar_id, body=body, sendUpdates=self.send_updates),
            adapter=self.adapter,
            operation="invite",
            conflict_ok=True,
        )
        if created is None:  # the key's event exists: a retry
            created = _execute(
                events.get(calendarId=self.calendar_id, eventId=event_id),
                adapter=self.adapter,
                operation="invite",
            )
            return {
                "event_id": created["id"],
                "html_link": created.get("htmlLink"),
                "created": False,
            }
        return {"event_id": created["id"], "html_link": created.get("htmlLink"), "created": True}


def _local_iso(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.isoformat()

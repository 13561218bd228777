"""Gmail drafts and Google Calendar through `google-api-python-client` on a local server."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes

import pytest

pytest.importorskip("googleapiclient")

from google.oauth2.credentials import Credentials  # noqa: E402

from sales_operator.adapters.google import (  # noqa: E402
    GmailDraftMailer,
    GoogleCalendar,
    event_id_for,
    google_service,
)
from sales_operator.errors import ConfigurationError, PermanentAdapterError  # noqa: E402
from tests.servers.google_api import GoogleServer  # noqa: E402


@pytest.fixture
def google() -> Iterator[tuple[GoogleServer, str]]:
    server = GoogleServer()
    with server.serve() as url:
        yield server, url


def _service(api: str, version: str, url: str, token: str = "ya29.test") -> object:
    return google_service(api, version, credentials=Credentials(token=token), api_endpoint=url)


def test_gmail_draft_is_created_once_and_a_sent_draft_is_not_recreated(google) -> None:  # type: ignore[no-untyped-def]
    server, url = google
    mailer = GmailDraftMailer(_service("gmail", "v1", url), sender="sam.rivera@orbitalfreight.com")
    args = dict(
        to=["dana.whitfield@northwind-logistics.com"],
        subject="Recap of our call",
        body="Hi Dana,\n\nThanks for the time today.",
        idempotency_key="D-2001:a1",
    )
    first = mailer.send(**args)  # type: ignore[arg-type]
    second = mailer.send(**args)  # type: ignore[arg-type]
    assert first == second and first["status"] == "draft" and len(server.drafts) == 1
    raw = server.drafts[first["draft_id"]]["raw"]
    message = message_from_bytes(raw)
    assert message["To"] == "dana.whitfield@northwind-logistics.com"
    assert message["From"] == "sam.rivera@orbitalfreight.com"
    assert message["Message-ID"] == first["message_id"]
    server.send_draft(first["draft_id"])  # the rep hits send
    third = mailer.send(**args)  # type: ignore[arg-type]
    assert third["status"] == "sent" and not server.drafts and server.count("POST", "/drafts") == 1
    assert base64  # the raw message went over the wire base64url-encoded, as Gmail takes it


def test_gmail_refuses_bad_addresses_before_any_request(google) -> None:  # type: ignore[no-untyped-def]
    server, url = google
    mailer = GmailDraftMailer(_service("gmail", "v1", url), sender="sam.rivera@orbitalfreight.com")
    with pytest.raises(PermanentAdapterError, match="not an email address"):
        mailer.send(to=["nobody"], subject="x", body="y", idempotency_key="k")
    assert not server.drafts


def test_gmail_bad_token_is_permanent(google) -> None:  # type: ignore[no-untyped-def]
    server, url = google
    mailer = GmailDraftMailer(_service("gmail", "v1", url, token="wrong"), sender="s@x.com")
    with pytest.raises(PermanentAdapterError, match="401"):
        mailer.send(to=["a@b.com"], subject="x", body="y", idempotency_key="k")


def test_calendar_event_once_per_key_with_google_sending_invites(google) -> None:  # type: ignore[no-untyped-def]
    server, url = google
    calendar = GoogleCalendar(_service("calendar", "v3", url + "/calendar/v3/"))
    args = dict(
        title="Northwind pricing call",
        start=datetime(2026, 12, 10, 15, tzinfo=UTC),
        end=datetime(2026, 12, 10, 15, 30, tzinfo=UTC),
        attendees=["dana.whitfield@northwind-logistics.com"],
        description="Agenda",
        idempotency_key="D-2001:inv1",
        timezone="America/New_York",
    )
    first = calendar.invite(**args)  # type: ignore[arg-type]
    second = calendar.invite(**args)  # type: ignore[arg-type]
    assert first["event_id"] == second["event_id"] == event_id_for("D-2001:inv1")
    assert first["created"] and not second["created"] and len(server.events) == 1
    event = server.events[first["event_id"]]
    assert event["sendUpdates"] == "all" and event["start"]["timeZone"] == "America/New_York"
    assert event["attendees"] == [{"email": "dana.whitfield@northwind-logistics.com"}]
    with pytest.raises(PermanentAdapterError, match="ends before"):
        calendar.invite(**{**args, "end": args["start"], "idempotency_key": "k2"})  # type: ignore[arg-type]


def test_event_ids_are_valid_base32hex() -> None:
    ids = {event_id_for(f"key-{i}") for i in range(200)}
    assert len(ids) == 200
    assert all(
        set(i) <= set("0123456789abcdefghijklmnopqrstuv") and 5 <= len(i) <= 1024 for i in ids
    )


def test_from_env() -> None:
    assert GmailDraftMailer.from_env(env={}) is None
    with pytest.raises(ConfigurationError, match="GOOGLE_OAUTH_TOKEN"):
        GmailDraftMailer.from_env(env={"GMAIL_SENDER": "s@x.com"})
    mailer = GmailDraftMailer.from_env(env={"GMAIL_SENDER": "s@x.com", "GOOGLE_OAUTH_TOKEN": "t"})
    assert mailer is not None and mailer.sender == "s@x.com"
    assert GoogleCalendar.from_env(env={}) is None

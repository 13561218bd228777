"""Email and invite quality of the copilot's adapters: threading, HTML, attachments, TZID."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sales_operator.adapters.calendar import ICSCalendar
from sales_operator.adapters.outbox import OutboxMailer, plain_to_html
from sales_operator.approval import check_args
from sales_operator.copilot.collateral import collateral_folder
from sales_operator.errors import ApprovalError, PermanentAdapterError
from sales_operator.policy import default_policy

NOW = datetime(2026, 11, 4, 17, 30, tzinfo=UTC)
POLICY = default_policy()
PACK = collateral_folder(POLICY.copilot) / "orbital-dispatch-security-pack.pdf"


def parse(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_threaded_email_with_names_html_and_an_attachment(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path, clock=lambda: NOW)
    subject = "Our call today: recap and next steps for Northwind Logistics and a long tail"
    body = "Hi Dana,\n\nWhat I heard:\n- Three hours a day\n- 91 % on time\n\nhttps://x.example/p"
    result = mailer.send(
        to=["Dana Whitfield <dana.whitfield@northwind-logistics.com>"],
        subject=subject,
        body=body,
        sender="Sam Rivera <sam.rivera@orbitalfreight.com>",
        idempotency_key="send_email-thread",
        in_reply_to="<so-1@orbitalfreight.com>",
        references=["<so-0@orbitalfreight.com>", "<so-1@orbitalfreight.com>"],
        attachments=[str(PACK)],
    )
    raw = Path(result["path"]).read_bytes()
    message = parse(Path(result["path"]))
    assert message["From"] == "Sam Rivera <sam.rivera@orbitalfreight.com>"
    assert message["To"].addresses[0].display_name == "Dana Whitfield"
    assert message["In-Reply-To"] == "<so-1@orbitalfreight.com>"
    assert message["References"].split() == [
        "<so-0@orbitalfreight.com>",
        "<so-1@orbitalfreight.com>",
    ]
    assert message["Date"].datetime == NOW  # the send time
    assert f"Subject: {subject}\r\n".encode() in raw  # one line: no folded, leading-space subject
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip() == body
    html = message.get_body(("html",)).get_content()
    assert "<li>Three hours a day</li>" in html and '<a href="https://x.example/p">' in html
    files = [(p.get_filename(), p.get_content_type()) for p in message.iter_attachments()]
    assert files == [("orbital-dispatch-security-pack.pdf", "application/pdf")]
    part = next(message.iter_attachments())
    assert part.get_content() == PACK.read_bytes()


def test_a_missing_attachment_is_a_clear_error(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path, clock=lambda: NOW)
    with pytest.raises(PermanentAdapterError, match="cannot attach"):
        mailer.send(
            to=["a@b.example"],
            subject="s",
            body="b",
            idempotency_key="k1",
            attachments=[str(tmp_path / "nope.pdf")],
        )
    assert list(tmp_path.glob("*.eml")) == []  # nothing half-written


def test_html_escapes_the_text() -> None:
    assert "&lt;script&gt;" in plain_to_html("<script>alert(1)</script>")


def test_an_edit_cannot_attach_a_file_outside_the_collateral_folder(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    args = {"to": ["a@b.example"], "subject": "s", "body": "b", "attachments": [str(secret)]}
    with pytest.raises(ApprovalError, match="collateral folder"):
        check_args("send_email", args, deal_id="D", policy=POLICY)
    check_args("send_email", {**args, "attachments": [str(PACK)]}, deal_id="D", policy=POLICY)


def test_an_invite_in_the_recipients_zone_has_tzid_vtimezone_names_and_roles(
    tmp_path: Path,
) -> None:
    calendar = ICSCalendar(tmp_path, clock=lambda: NOW)
    chicago = ZoneInfo("America/Chicago")
    result = calendar.invite(
        title="Call",
        start=datetime(2026, 11, 10, 10, 0, tzinfo=chicago),
        end=datetime(2026, 11, 10, 10, 30, tzinfo=chicago),
        attendees=[
            "Sam Rivera <sam.rivera@orbitalfreight.com>",
            "Dana Whitfield <dana.whitfield@northwind-logistics.com>",
        ],
        organizer="Sam Rivera <sam.rivera@orbitalfreight.com>",
        description="x",
        idempotency_key="send_invite-tz",
        timezone="America/Chicago",
    )
    text = Path(result["path"]).read_bytes().decode("utf-8").replace("\r\n ", "")
    lines = text.split("\r\n")
    assert "DTSTART;TZID=America/Chicago:20261110T100000" in lines
    assert "DTEND;TZID=America/Chicago:20261110T103000" in lines
    assert lines.index("BEGIN:VTIMEZONE") < lines.index("BEGIN:VEVENT")
    assert "TZID:America/Chicago" in lines
    # 2026: CDT until 1 November 02:00 local, CST after
    assert "DTSTART:20261101T020000" in lines and "TZOFFSETTO:-0600" in lines
    assert 'ORGANIZER;CN="Sam Rivera":mailto:sam.rivera@orbitalfreight.com' in lines
    chair = [line for line in lines if line.startswith('ATTENDEE;CN="Sam Rivera"')]
    guest = [line for line in lines if line.startswith('ATTENDEE;CN="Dana Whitfield"')]
    assert chair and "ROLE=CHAIR" in chair[0]
    assert guest and "ROLE=REQ-PARTICIPANT" in guest[0] and "RSVP=TRUE" in guest[0]


def test_an_unknown_invite_zone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PermanentAdapterError, match="unknown time zone"):
        ICSCalendar(tmp_path, clock=lambda: NOW).invite(
            title="t",
            start=NOW,
            end=NOW.replace(hour=18),
            attendees=["a@b.example"],
            description="",
            idempotency_key="k",
            timezone="Mars/Olympus",
        )

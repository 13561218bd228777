from __future__ import annotations

import base64
import http.server
import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from sales_operator.adapters.base import Calendar, Mailer, Messenger
from sales_operator.adapters.calendar import ICSCalendar, escape_text, fold_line
from sales_operator.adapters.outbox import OutboxMailer, SMTPMailer, artefact_name
from sales_operator.adapters.slack import SlackLogMessenger, SlackWebhookMessenger
from sales_operator.errors import (
    AdapterError,
    ConfigurationError,
    PermanentAdapterError,
    TransientAdapterError,
)

NOW = datetime(2026, 11, 4, 17, 30, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def parse_eml(path: Path) -> EmailMessage:
    message = message_from_bytes(path.read_bytes(), policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    return message


# ---------------------------------------------------------------------------- outbox


def test_outbox_writes_one_rfc5322_file_per_key(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path / "outbox", sender="sam.rivera@orbitalfreight.com", clock=clock)
    assert isinstance(mailer, Mailer)
    args: dict[str, Any] = {
        "to": ["Dana Whitfield <dana.whitfield@northwind-logistics.com>"],
        "cc": ["marcus.chen@northwind-logistics.com"],
        "subject": "Follow-up: ROI model and pricing",
        "body": "Hi Dana,\n\nThanks for the call. Ünïcode works too.\n",
        "idempotency_key": "send_email-0123456789abcdef",
    }
    first = mailer.send(**args)
    path = Path(first["path"])
    assert path == tmp_path / "outbox" / "send_email-0123456789abcdef.eml"
    message = parse_eml(path)
    assert message["From"] == "sam.rivera@orbitalfreight.com"
    assert message["To"] == "Dana Whitfield <dana.whitfield@northwind-logistics.com>"
    assert message["Cc"] == "marcus.chen@northwind-logistics.com"
    assert message["Subject"] == "Follow-up: ROI model and pricing"
    assert message["Date"].datetime == NOW
    assert message["Message-ID"] == first["message_id"]
    assert first["message_id"].startswith("<so-") and first["message_id"].endswith(
        "@orbitalfreight.com>"
    )
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == args["body"]
    assert b"\r\n" in path.read_bytes()  # RFC 5322 line endings
    content = path.read_bytes()

    later = OutboxMailer(tmp_path / "outbox", clock=lambda: NOW + timedelta(days=1))
    assert later.send(**{**args, "body": "changed"}) == first
    assert path.read_bytes() == content
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == [path.name]

    other = mailer.send(**{**args, "idempotency_key": "send_email-2"})
    assert other["message_id"] != first["message_id"]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2


def test_outbox_is_safe_with_odd_keys_and_bad_addresses(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path, clock=clock)
    result = mailer.send(to=["a@b.c"], subject="s", body="b", idempotency_key="../../etc/passwd")
    path = Path(result["path"])
    assert path.parent == tmp_path and path.suffix == ".eml"
    assert artefact_name("a/b") != artefact_name("a_b")
    with pytest.raises(PermanentAdapterError, match="not an email address"):
        mailer.send(to=["dana"], subject="s", body="b", idempotency_key="k1")
    with pytest.raises(PermanentAdapterError, match="no recipient"):
        mailer.send(to=[], subject="s", body="b", idempotency_key="k2")
    with pytest.raises(PermanentAdapterError, match="idempotency_key"):
        mailer.send(to=["a@b.c"], subject="s", body="b", idempotency_key="")
    injected = mailer.send(
        to=["a@b.c"], subject="Hi\r\nBcc: evil@x.y", body="b", idempotency_key="k3"
    )
    message = parse_eml(Path(injected["path"]))
    assert message["Bcc"] is None and message["Subject"] == "Hi Bcc: evil@x.y"
    assert not (tmp_path / "k1.eml").exists()


def test_outbox_threads_racing_on_one_key_write_one_file(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path, clock=clock)
    results: list[dict[str, Any]] = []

    def send() -> None:
        results.append(mailer.send(to=["a@b.c"], subject="s", body="b", idempotency_key="race"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({json.dumps(r, sort_keys=True) for r in results}) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["race.eml"]


# ---------------------------------------------------------------------------- SMTP


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages: list[dict[str, Any]] = []
        self.rcpt_reply = "250 OK"
        self.data_reply = "250 OK queued"
        self.credentials: tuple[str, str] | None = None


class _SMTPHandler(socketserver.StreamRequestHandler):
    server: _SMTPServer

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 localhost test SMTP")
        mail_from, rcpts = "", list[str]()
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-localhost\r\n250-AUTH PLAIN\r\n250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 localhost")
            elif verb == "AUTH":
                _, _, blob = line.split(" ", 2)
                _, user, password = base64.b64decode(blob).decode().split("\0")
                if self.server.credentials == (user, password):
                    self.reply("235 Authentication successful")
                else:
                    self.reply("535 Authentication failed")
            elif verb == "MAIL":
                mail_from, rcpts = line[10:], []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpts.append(line[8:])
                self.reply(self.server.rcpt_reply)
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines: list[bytes] = []
                while True:
                    data_line = self.rfile.readline()
                    if data_line in (b".\r\n", b""):
                        break
                    lines.append(data_line[1:] if data_line.startswith(b"..") else data_line)
                if self.server.data_reply.startswith("250"):
                    self.server.messages.append(
                        {"from": mail_from, "rcpts": rcpts, "data": b"".join(lines)}
                    )
                self.reply(self.server.data_reply)
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


@pytest.fixture
def smtp_server() -> Iterator[_SMTPServer]:
    server = _SMTPServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def make_smtp(server: _SMTPServer, ledger: Path, **kwargs: Any) -> SMTPMailer:
    return SMTPMailer(
        "127.0.0.1",
        server.server_address[1],
        sender="sam.rivera@orbitalfreight.com",
        ledger_folder=ledger,
        timeout=5,
        clock=clock,
        **kwargs,
    )


def test_smtp_sends_once_per_key(smtp_server: _SMTPServer, tmp_path: Path) -> None:
    mailer = make_smtp(smtp_server, tmp_path / "ledger")
    assert isinstance(mailer, Mailer)
    args: dict[str, Any] = {
        "to": ["dana.whitfield@northwind-logistics.com"],
        "cc": ["marcus.chen@northwind-logistics.com"],
        "subject": "Follow-up",
        "body": "Hi Dana,\n.\nA line with a leading dot above.\n",
        "idempotency_key": "send_email-1",
    }
    result = mailer.send(**args)
    assert len(smtp_server.messages) == 1
    sent = smtp_server.messages[0]
    assert sent["from"].strip("<>") == "sam.rivera@orbitalfreight.com"
    assert [r.strip("<>") for r in sent["rcpts"]] == args["to"] + args["cc"]
    message = message_from_bytes(sent["data"], policy=email_policy.default)
    assert message["Message-ID"] == result["message_id"]
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == args["body"]
    assert result["refused"] == [] and Path(result["ledger"]).is_file()

    assert mailer.send(**args) == result
    fresh = make_smtp(smtp_server, tmp_path / "ledger")  # another process, same ledger
    assert fresh.send(**args) == result
    assert len(smtp_server.messages) == 1
    fresh.send(**{**args, "idempotency_key": "send_email-2"})
    assert len(smtp_server.messages) == 2


def test_smtp_login(smtp_server: _SMTPServer, tmp_path: Path) -> None:
    smtp_server.credentials = ("sam", "s3cret")
    good = make_smtp(smtp_server, tmp_path / "l1", username="sam", password="s3cret")
    good.send(to=["a@b.c"], subject="s", body="b", idempotency_key="k")
    assert len(smtp_server.messages) == 1
    bad = make_smtp(smtp_server, tmp_path / "l2", username="sam", password="wrong")
    with pytest.raises(PermanentAdapterError, match="login"):
        bad.send(to=["a@b.c"], subject="s", body="b", idempotency_key="k")
    assert "s3cret" not in repr(good)


@pytest.mark.parametrize(
    ("where", "reply", "error"),
    [
        ("data_reply", "451 Try again later", TransientAdapterError),
        ("data_reply", "554 Message rejected", PermanentAdapterError),
        ("rcpt_reply", "550 No such user", PermanentAdapterError),
        ("rcpt_reply", "450 Mailbox busy", TransientAdapterError),
    ],
)
def test_smtp_failures_map_to_adapter_errors(
    smtp_server: _SMTPServer, tmp_path: Path, where: str, reply: str, error: type[AdapterError]
) -> None:
    setattr(smtp_server, where, reply)
    mailer = make_smtp(smtp_server, tmp_path / "ledger")
    with pytest.raises(error) as info:
        mailer.send(to=["a@b.c"], subject="s", body="b", idempotency_key="k")
    assert info.value.adapter == "smtp" and info.value.operation == "send"
    assert type(info.value) is error
    # Nothing was recorded, so a retry after the server recovers does send.
    setattr(smtp_server, where, "250 OK")
    mailer.send(to=["a@b.c"], subject="s", body="b", idempotency_key="k")
    assert len(smtp_server.messages) == 1


def test_smtp_unreachable_server_is_transient(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailer = SMTPMailer(
        "127.0.0.1", port, sender="a@b.c", ledger_folder=tmp_path, timeout=2, clock=clock
    )
    with pytest.raises(TransientAdapterError, match="cannot reach"):
        mailer.send(to=["a@b.c"], subject="s", body="b", idempotency_key="k")
    assert not list(tmp_path.glob("*.json"))


def test_smtp_from_env(tmp_path: Path) -> None:
    assert SMTPMailer.from_env(tmp_path, environ={}) is None
    mailer = SMTPMailer.from_env(
        tmp_path,
        environ={
            "SMTP_HOST": "mail.example.com",
            "SMTP_STARTTLS": "true",
            "SMTP_USERNAME": "sam",
            "SMTP_PASSWORD": "pw",
            "SMTP_FROM": "sam@orbitalfreight.com",
        },
    )
    assert mailer is not None
    assert (mailer.host, mailer.port, mailer.starttls, mailer.username, mailer.sender) == (
        "mail.example.com",
        587,
        True,
        "sam",
        "sam@orbitalfreight.com",
    )
    assert mailer.ledger_folder == tmp_path
    plain = SMTPMailer.from_env(environ={"SMTP_HOST": "h", "SMTP_PORT": "2525", "SMTP_FROM": "a@b"})
    assert plain is not None and plain.port == 2525 and not plain.starttls
    with pytest.raises(ConfigurationError, match="SMTP_FROM"):
        SMTPMailer.from_env(environ={"SMTP_HOST": "h"})
    with pytest.raises(ConfigurationError, match="SMTP_PORT"):
        SMTPMailer.from_env(environ={"SMTP_HOST": "h", "SMTP_PORT": "x", "SMTP_FROM": "a@b"})


# ---------------------------------------------------------------------------- Slack


def test_slack_log_appends_one_line_per_key(tmp_path: Path) -> None:
    log = tmp_path / "slack.jsonl"
    messenger = SlackLogMessenger(log, clock=clock)
    assert isinstance(messenger, Messenger)
    first = messenger.post(
        channel="@sam.rivera", text="New A lead: Northwind", idempotency_key="p1"
    )
    assert first == {"channel": "@sam.rivera", "ts": f"{NOW.timestamp():.6f}", "path": str(log)}
    assert messenger.post(channel="@sam.rivera", text="other", idempotency_key="p1") == first
    messenger.post(channel="#inbound-leads", text="line two", idempotency_key="p2")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["channel"], e["text"], e["key"]) for e in lines] == [
        ("@sam.rivera", "New A lead: Northwind", "p1"),
        ("#inbound-leads", "line two", "p2"),
    ]
    assert all(e["ts"] == first["ts"] for e in lines)
    assert [m["key"] for m in SlackLogMessenger(log).messages()] == ["p1", "p2"]
    with pytest.raises(PermanentAdapterError, match="empty"):
        messenger.post(channel="", text="x", idempotency_key="p3")


def test_slack_log_survives_a_torn_last_line(tmp_path: Path) -> None:
    log = tmp_path / "slack.jsonl"
    messenger = SlackLogMessenger(log, clock=clock)
    messenger.post(channel="#a", text="one", idempotency_key="k1")
    with open(log, "a", encoding="utf-8") as handle:
        handle.write('{"channel": "#a", "te')  # a crash mid-write
    messenger.post(channel="#a", text="two", idempotency_key="k2")
    assert [m["key"] for m in messenger.messages()] == ["k1", "k2"]
    assert messenger.post(channel="#a", text="one", idempotency_key="k1")["channel"] == "#a"
    assert len(messenger.messages()) == 2


class _Hook(http.server.BaseHTTPRequestHandler):
    status = 200
    requests: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        type(self).requests.append(json.loads(self.rfile.read(length)))
        body = b"ok" if type(self).status == 200 else b"error"
        self.send_response(type(self).status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, type[_Hook]]]:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    handler = type("Hook", (_Hook,), {"status": 200, "requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/xyz", handler
    server.shutdown()
    server.server_close()


def test_slack_webhook_posts_once_per_key(webhook: tuple[str, type[_Hook]], tmp_path: Path) -> None:
    url, hook = webhook
    ledger = tmp_path / "ledger.jsonl"
    messenger = SlackWebhookMessenger(url, ledger, clock=clock)
    assert isinstance(messenger, Messenger)
    result = messenger.post(channel="@jordan.lee", text="Deal at risk", idempotency_key="s1")
    assert result == {
        "channel": "@jordan.lee",
        "status": 200,
        "ledger": str(ledger),
        "posted_at": NOW.isoformat(),
    }
    assert hook.requests == [{"text": "Deal at risk"}]
    assert messenger.post(channel="@jordan.lee", text="again", idempotency_key="s1") == result
    assert (
        SlackWebhookMessenger(url, ledger).post(
            channel="@jordan.lee", text="again", idempotency_key="s1"
        )
        == result
    )
    assert len(hook.requests) == 1
    assert "xyz" not in repr(messenger)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransientAdapterError),
        (503, TransientAdapterError),
        (429, TransientAdapterError),
        (400, PermanentAdapterError),
        (404, PermanentAdapterError),
    ],
)
def test_slack_webhook_failures(
    webhook: tuple[str, type[_Hook]], tmp_path: Path, status: int, error: type[AdapterError]
) -> None:
    url, hook = webhook
    hook.status = status
    messenger = SlackWebhookMessenger(url, tmp_path / "ledger.jsonl", clock=clock)
    with pytest.raises(error, match=str(status)) as info:
        messenger.post(channel="#x", text="hi", idempotency_key="k")
    assert type(info.value) is error and info.value.adapter == "slack_webhook"
    assert not (tmp_path / "ledger.jsonl").exists()
    hook.status = 200
    assert messenger.post(channel="#x", text="hi", idempotency_key="k")["status"] == 200
    assert len(hook.requests) == 2


def test_slack_webhook_unreachable_is_transient(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    messenger = SlackWebhookMessenger(
        f"http://127.0.0.1:{port}/hook", tmp_path / "l.jsonl", timeout=2
    )
    with pytest.raises(TransientAdapterError, match="cannot reach Slack"):
        messenger.post(channel="#x", text="hi", idempotency_key="k")


def test_slack_webhook_from_env(tmp_path: Path) -> None:
    assert SlackWebhookMessenger.from_env(tmp_path / "l.jsonl", environ={}) is None
    messenger = SlackWebhookMessenger.from_env(
        tmp_path / "l.jsonl", environ={"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/x"}
    )
    assert messenger is not None and messenger.ledger_path == tmp_path / "l.jsonl"
    with pytest.raises(PermanentAdapterError, match="https"):
        SlackWebhookMessenger("ftp://nope", tmp_path / "l.jsonl")


# ---------------------------------------------------------------------------- calendar


def unfold(text: str) -> list[str]:
    assert "\n" not in text.replace("\r\n", ""), "bare LF in the file"
    physical = text.split("\r\n")
    assert physical[-1] == ""
    for line in physical:
        assert len(line.encode("utf-8")) <= 75, line
    logical: list[str] = []
    for line in physical[:-1]:
        if line.startswith(" "):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def test_ics_invite_parses_back(tmp_path: Path) -> None:
    calendar = ICSCalendar(
        tmp_path / "invites", organizer="sam.rivera@orbitalfreight.com", clock=clock
    )
    assert isinstance(calendar, Calendar)
    berlin = timezone(timedelta(hours=1))
    title = "Kickoff; Northwind, Orbital Dispatch \\ onboarding"
    description = (
        "Agenda:\n1. Goals, success criteria; timeline\n2. Data import from the TMS\n"
        + "Long line with ümlauts and emoji 🚚 " * 6
    )
    result = calendar.invite(
        title=title,
        start=datetime(2026, 12, 3, 16, 0, tzinfo=berlin),
        end=datetime(2026, 12, 3, 17, 0, tzinfo=berlin),
        attendees=[
            "Maya Brooks <maya.brooks@orbitalfreight.com>",
            "dana.whitfield@northwind-logistics.com",
        ],
        description=description,
        idempotency_key="send_invite-42",
    )
    path = Path(result["path"])
    assert path.name == "send_invite-42.ics"
    raw = path.read_bytes().decode("utf-8")
    lines = unfold(raw)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert lines.index("BEGIN:VEVENT") < lines.index("END:VEVENT")
    props: dict[str, list[str]] = {}
    for line in lines:
        name, _, value = line.partition(":")
        props.setdefault(name, []).append(value)
    assert props["VERSION"] == ["2.0"] and props["METHOD"] == ["REQUEST"]
    assert props["PRODID"][0].startswith("-//sales-operator")
    assert props["UID"] == [result["uid"]]
    assert props["DTSTAMP"] == ["20261104T173000Z"]
    assert props["DTSTART"] == ["20261203T150000Z"] and props["DTEND"] == ["20261203T160000Z"]
    assert unescape(props["SUMMARY"][0]) == title
    assert unescape(props["DESCRIPTION"][0]) == description
    assert props["ORGANIZER"] == ["mailto:sam.rivera@orbitalfreight.com"]
    attendee = "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE"
    assert props[f'ATTENDEE;CN="Maya Brooks";{attendee[9:]}'] == [
        "mailto:maya.brooks@orbitalfreight.com"
    ]
    assert props[attendee] == ["mailto:dana.whitfield@northwind-logistics.com"]
    assert any(line.startswith(" ") for line in raw.split("\r\n"))  # the description was folded

    again = calendar.invite(
        title="changed",
        start=datetime(2027, 1, 1, tzinfo=UTC),
        end=datetime(2027, 1, 1, 1, tzinfo=UTC),
        attendees=["x@y.z"],
        description="",
        idempotency_key="send_invite-42",
    )
    assert again == result and path.read_bytes().decode("utf-8") == raw
    assert len(list((tmp_path / "invites").iterdir())) == 1


def test_ics_refuses_bad_invites(tmp_path: Path) -> None:
    calendar = ICSCalendar(tmp_path, clock=clock)
    start = datetime(2026, 12, 3, 15, tzinfo=UTC)
    with pytest.raises(PermanentAdapterError, match="before it starts"):
        calendar.invite(
            title="t",
            start=start,
            end=start,
            attendees=["a@b.c"],
            description="",
            idempotency_key="k",
        )
    with pytest.raises(PermanentAdapterError, match="attendee"):
        calendar.invite(
            title="t",
            start=start,
            end=start + timedelta(hours=1),
            attendees=[],
            description="",
            idempotency_key="k",
        )
    with pytest.raises(PermanentAdapterError, match="not an email address"):
        calendar.invite(
            title="t",
            start=start,
            end=start + timedelta(hours=1),
            attendees=["Dana"],
            description="",
            idempotency_key="k",
        )
    assert list(tmp_path.iterdir()) == []


def test_ics_naive_times_are_utc(tmp_path: Path) -> None:
    calendar = ICSCalendar(tmp_path, clock=clock)
    result = calendar.invite(
        title="t",
        start=datetime(2026, 12, 3, 15),
        end=datetime(2026, 12, 3, 15, 30),
        attendees=["a@b.c"],
        description="d",
        idempotency_key="k",
    )
    lines = unfold(Path(result["path"]).read_bytes().decode("utf-8"))
    assert "DTSTART:20261203T150000Z" in lines and "DTEND:20261203T153000Z" in lines


def test_fold_and_escape_helpers() -> None:
    assert escape_text("a,b;c\\d\r\ne\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    line = "DESCRIPTION:" + "é" * 100
    folded = fold_line(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert parts[0] + "".join(p[1:] for p in parts[1:]) == line
    assert fold_line("short") == "short"

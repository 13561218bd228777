"""Email: an outbox folder of `.eml` files by default, SMTP when configured.

Both mailers are idempotent by key, across processes too: the outbox writes one file per
key (`<key>.eml`) and never rewrites it; the SMTP mailer keeps a ledger file per key and
does not send again once the key is in the ledger.

This module also holds the small file helpers the other file-based adapters use
(`artefact_name`, `write_once`, `file_lock`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import smtplib
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

from sales_operator.errors import (
    AdapterError,
    ConfigurationError,
    PermanentAdapterError,
    TransientAdapterError,
)

try:  # POSIX only; elsewhere the in-process lock is all there is.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

DEFAULT_SENDER = "sales-operator@localhost"
"""The From address when neither the call nor the mailer names one."""

DEFAULT_LEDGER_FOLDER = Path(".sales-operator") / "smtp-ledger"
"""Where `SMTPMailer.from_env()` keeps its ledger when no folder is given."""

_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}")

# ---------------------------------------------------------------------------------------------
# File helpers shared by the file-based adapters
# ---------------------------------------------------------------------------------------------


def artefact_name(idempotency_key: str) -> str:
    """Return a file-name stem for an idempotency key.

    A key made of letters, digits, `.`, `_` and `-` (at most 151 characters, not starting
    with a dot) is used as it is; any other key is cleaned and suffixed with a hash, so two
    different keys never share a file.

    Raises:
        PermanentAdapterError: for an empty key.
    """
    if not idempotency_key or not idempotency_key.strip():
        raise PermanentAdapterError(
            "idempotency_key must be a non-empty string", adapter="files", operation="name"
        )
    if _SAFE_KEY.fullmatch(idempotency_key) and ".." not in idempotency_key:
        return idempotency_key
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:16]
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", idempotency_key).strip("_")[:80]
    return f"{cleaned or 'key'}-{digest}"


def key_digest(idempotency_key: str, length: int = 32) -> str:
    """Return a stable hex digest of an idempotency key (for message ids and UIDs)."""
    return hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:length]


def write_once(path: Path, data: bytes) -> bool:
    """Create `path` with `data` atomically, unless it already exists.

    The bytes go to a temporary file in the same folder first, which is then linked (or,
    where hard links are not supported, `os.replace`d) into place; a reader never sees a
    partial file, and of two concurrent writers exactly one wins.

    Returns:
        True when this call created the file, False when it already existed.
    """
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:
            if path.exists():
                return False
            os.replace(tmp, path)
        return True
    finally:
        tmp.unlink(missing_ok=True)


_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


@contextmanager
def file_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (threads of this process and, on POSIX, others)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with _THREAD_LOCKS_GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(str(lock_path.resolve()), threading.Lock())
    with thread_lock, open(lock_path, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def _domain_of(address: str) -> str:
    _, email = parseaddr(address)
    return email.rpartition("@")[2] or "sales-operator.local"


def message_id_for(idempotency_key: str, sender: str) -> str:
    """Return the Message-ID derived from the idempotency key (`<so-<hash>@<domain>>`)."""
    return f"<so-{key_digest(idempotency_key)}@{_domain_of(sender)}>"


_MESSAGE_POLICY = email_policy.SMTP.clone(max_line_length=998)
"""SMTP line endings; headers are not folded below the RFC 5322 limit, so a subject is
never broken onto a continuation line (which some clients show with a leading space)."""

_LINK = re.compile(r"(https?://[^\s<>()\"']+[^\s<>()\"'.,;:!?])")


def plain_to_html(body: str) -> str:
    """Return the HTML alternative of a plain-text body.

    Blank-line separated paragraphs become `<p>`, runs of `- ` lines become a `<ul>`, line
    breaks inside a paragraph become `<br>`, and URLs become links. The text is escaped.
    """
    import html

    parts: list[str] = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = block.split("\n")
        out: list[str] = []
        items: list[str] = []
        for line in lines:
            text = _LINK.sub(r'<a href="\1">\1</a>', html.escape(line.strip(), quote=False))
            if line.lstrip().startswith(("- ", "• ")):
                items.append(f"<li>{text[2:].strip()}</li>")
                continue
            if items:
                out.append("<ul>" + "".join(items) + "</ul>")
                items = []
            out.append(text)
        paragraph = "<br>\n".join(x for x in out if not x.startswith("<ul>"))
        lists = "".join(x for x in out if x.startswith("<ul>"))
        if paragraph:
            parts.append(f"<p>{paragraph}</p>")
        if lists:
            parts.append(lists)
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
    return (
        '<!DOCTYPE html>\n<html><body style="font-family: sans-serif">\n'
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def _attach(message: EmailMessage, paths: list[str], adapter: str) -> None:
    import mimetypes

    for name in paths:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PermanentAdapterError(
                f"cannot attach {path}: {exc.strerror or exc}", adapter=adapter, operation="send"
            ) from exc
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)


def build_message(
    *,
    to: list[str],
    subject: str,
    body: str,
    cc: list[str] | None,
    sender: str,
    idempotency_key: str,
    at: datetime,
    adapter: str,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    attachments: list[str] | None = None,
) -> EmailMessage:
    """Build an RFC 5322 message whose Message-ID is derived from the idempotency key.

    The message has a plain-text body and an HTML alternative, `Date` is `at` (the send
    time), `In-Reply-To`/`References` thread it when given, and each path in `attachments`
    becomes a MIME attachment. Addresses may carry display names (`Name <email>`).

    Raises:
        PermanentAdapterError: for no recipient, an address without `@`, a header value
            that cannot be encoded, or an attachment that cannot be read.
    """
    recipients = [*to, *(cc or [])]
    if not to:
        raise PermanentAdapterError(
            "no recipient: `to` is empty", adapter=adapter, operation="send"
        )
    for address in [*recipients, sender]:
        if "@" not in parseaddr(address)[1] or "\n" in address or "\r" in address:
            raise PermanentAdapterError(
                f"not an email address: {address!r}", adapter=adapter, operation="send"
            )
    message = EmailMessage(policy=_MESSAGE_POLICY)
    try:
        message["From"] = sender
        message["To"] = ", ".join(to)
        if cc:
            message["Cc"] = ", ".join(cc)
        message["Subject"] = " ".join(subject.split())
        message["Date"] = format_datetime(
            at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
        )
        message["Message-ID"] = message_id_for(idempotency_key, sender)
        message["X-Idempotency-Key"] = idempotency_key
        if in_reply_to:
            message["In-Reply-To"] = in_reply_to
        thread = [r for r in (references or []) if r]
        if in_reply_to and in_reply_to not in thread:
            thread.append(in_reply_to)
        if thread:
            message["References"] = " ".join(thread)
        message.set_content(body)
        message.add_alternative(plain_to_html(body), subtype="html")
        _attach(message, list(attachments or []), adapter)
    except (ValueError, TypeError) as exc:
        raise PermanentAdapterError(
            f"cannot build the message: {exc}", adapter=adapter, operation="send"
        ) from exc
    return message


# ---------------------------------------------------------------------------------------------
# The outbox
# ---------------------------------------------------------------------------------------------


class OutboxMailer:
    """Write each email as an RFC 5322 `.eml` file named `<idempotency_key>.eml`.

    Args:
        folder: The outbox folder (created on first use).
        sender: The From address when a call names none.
        clock: Returns "now" for the Date header; defaults to the current UTC time.
    """

    adapter = "outbox"
    """Adapter name used in errors."""

    def __init__(
        self,
        folder: str | Path,
        *,
        sender: str = DEFAULT_SENDER,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.folder = Path(folder)
        """The outbox folder."""
        self.sender = sender
        """The default From address."""
        self._clock = clock or (lambda: datetime.now(UTC))

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
        """Write the message to the outbox, once per key.

        Returns:
            `path` (the `.eml` file) and `message_id`; a repeated key returns the first
            file's path and Message-ID and writes nothing.
        """
        path = self.folder / f"{artefact_name(idempotency_key)}.eml"
        if not path.exists():
            message = build_message(
                to=to,
                subject=subject,
                body=body,
                cc=cc,
                sender=sender or self.sender,
                idempotency_key=idempotency_key,
                at=self._clock(),
                adapter=self.adapter,
                in_reply_to=in_reply_to,
                references=references,
                attachments=attachments,
            )
            try:
                write_once(path, message.as_bytes())
            except OSError as exc:
                raise TransientAdapterError(
                    f"cannot write {path}: {exc}", adapter=self.adapter, operation="send"
                ) from exc
        return {"path": str(path), "message_id": _read_message_id(path)}


def _read_message_id(path: Path) -> str:
    with open(path, "rb") as handle:
        headers = BytesParser(policy=email_policy.default).parse(handle, headersonly=True)
    return str(headers["Message-ID"])


# ---------------------------------------------------------------------------------------------
# SMTP
# ---------------------------------------------------------------------------------------------


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on", "y"}


class SMTPMailer:
    """Send email over SMTP, at most once per idempotency key.

    A key is written to the ledger (`<ledger_folder>/<key>.json`) right after the server
    accepts the message; a later call with the same key returns the ledger entry and sends
    nothing. A crash between the server's acceptance and the ledger write can still lead
    to one resend; the Message-ID, derived from the key, lets receivers drop the duplicate.

    Args:
        host: SMTP server host.
        port: SMTP server port.
        username: Login user, if the server needs one.
        password: Login password.
        starttls: Upgrade the connection with STARTTLS before logging in.
        sender: The From address when a call names none.
        ledger_folder: Where sent keys are recorded.
        timeout: Socket timeout in seconds.
        use_ssl: Connect with implicit TLS (SMTPS, usually port 465) instead.
        clock: Returns "now" for the Date header.
    """

    adapter = "smtp"
    """Adapter name used in errors."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        sender: str,
        ledger_folder: str | Path,
        timeout: float = 30.0,
        use_ssl: bool = False,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.host = host
        """SMTP server host."""
        self.port = port
        """SMTP server port."""
        self.username = username
        """Login user."""
        self._password = password
        self.starttls = starttls
        """Whether STARTTLS is used."""
        self.sender = sender
        """The default From address."""
        self.ledger_folder = Path(ledger_folder)
        """The ledger folder."""
        self.timeout = timeout
        """Socket timeout in seconds."""
        self.use_ssl = use_ssl
        """Whether implicit TLS is used."""
        self._clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"SMTPMailer(host={self.host!r}, port={self.port}, username={self.username!r})"

    @classmethod
    def from_env(
        cls,
        ledger_folder: str | Path | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> SMTPMailer | None:
        """Build a mailer from `SMTP_*` variables, or return None when `SMTP_HOST` is unset.

        Reads `SMTP_HOST`, `SMTP_PORT` (default 587 with STARTTLS, else 25),
        `SMTP_USERNAME`, `SMTP_PASSWORD`, `SMTP_STARTTLS` (true/false) and `SMTP_FROM`.

        Args:
            ledger_folder: Where sent keys are recorded (default `.sales-operator/smtp-ledger`).
            environ: The variables to read (default `os.environ`).

        Raises:
            ConfigurationError: when `SMTP_FROM` is missing or `SMTP_PORT` is not a number.
        """
        env = os.environ if environ is None else environ
        host = (env.get("SMTP_HOST") or "").strip()
        if not host:
            return None
        starttls = _truthy(env.get("SMTP_STARTTLS", ""))
        port_text = (env.get("SMTP_PORT") or "").strip()
        try:
            port = int(port_text) if port_text else (587 if starttls else 25)
        except ValueError as exc:
            raise ConfigurationError(f"SMTP_PORT must be a port number, got {port_text!r}") from exc
        sender = (env.get("SMTP_FROM") or "").strip()
        if not sender:
            raise ConfigurationError("SMTP_HOST is set but SMTP_FROM (the From address) is not")
        return cls(
            host,
            port,
            username=(env.get("SMTP_USERNAME") or None),
            password=(env.get("SMTP_PASSWORD") or None),
            starttls=starttls,
            sender=sender,
            ledger_folder=ledger_folder if ledger_folder is not None else DEFAULT_LEDGER_FOLDER,
        )

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
        """Send the message, once per key.

        Returns:
            `message_id`, `host`, `recipients`, `refused` (recipients the server refused
            while accepting others) and `ledger` (the ledger file).

        Raises:
            TransientAdapterError: for connection failures, timeouts and 4xx replies.
            PermanentAdapterError: for refused logins, senders or recipients and 5xx replies.
        """
        stem = artefact_name(idempotency_key)
        ledger = self.ledger_folder / f"{stem}.json"
        with file_lock(self.ledger_folder / f".{stem}.lock"):
            if ledger.exists():
                recorded: dict[str, Any] = json.loads(ledger.read_text(encoding="utf-8"))
                return recorded
            message = build_message(
                to=to,
                subject=subject,
                body=body,
                cc=cc,
                sender=sender or self.sender,
                idempotency_key=idempotency_key,
                at=self._clock(),
                adapter=self.adapter,
                in_reply_to=in_reply_to,
                references=references,
                attachments=attachments,
            )
            refused = self._deliver(message)
            result = {
                "message_id": str(message["Message-ID"]),
                "host": f"{self.host}:{self.port}",
                "recipients": [*to, *(cc or [])],
                "refused": sorted(refused),
                "ledger": str(ledger),
                "sent_at": self._clock().isoformat(),
            }
            write_once(ledger, json.dumps(result, indent=2).encode("utf-8"))
            return result

    def _deliver(self, message: EmailMessage) -> dict[str, Any]:
        try:
            smtp: smtplib.SMTP
            if self.use_ssl:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self._password or "")
                refused = smtp.send_message(message)
            return dict(refused)
        except (smtplib.SMTPException, OSError) as exc:
            raise _smtp_error(exc, self.adapter) from exc


def _smtp_error(exc: BaseException, adapter: str) -> AdapterError:
    """Map an smtplib or socket failure to a transient or permanent adapter error."""
    operation = "send"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        message = f"every recipient was refused: {exc.recipients}"
        if codes and all(400 <= code < 500 for code in codes):
            return TransientAdapterError(message, adapter=adapter, operation=operation)
        return PermanentAdapterError(message, adapter=adapter, operation=operation)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return PermanentAdapterError(
            f"the server refused the login ({exc.smtp_code})", adapter=adapter, operation=operation
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        message = f"the server replied {exc.smtp_code} {text}"
        if 400 <= exc.smtp_code < 500:
            return TransientAdapterError(message, adapter=adapter, operation=operation)
        return PermanentAdapterError(message, adapter=adapter, operation=operation)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TransientAdapterError(
            f"the server disconnected: {exc}", adapter=adapter, operation=operation
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentAdapterError(
            f"the server's TLS certificate was rejected: {exc}",
            adapter=adapter,
            operation=operation,
        )
    if isinstance(exc, OSError):
        return TransientAdapterError(
            f"cannot reach the SMTP server: {exc}", adapter=adapter, operation=operation
        )
    return PermanentAdapterError(f"SMTP failure: {exc}", adapter=adapter, operation=operation)

"""Calendar invites as RFC 5545 `.ics` files, one per idempotency key.

The file is written by hand: CRLF line endings, lines folded at 75 octets, TEXT values
escaped (backslash, `;`, `,` and newlines), times in UTC, `METHOD:REQUEST` with an organizer and
RSVP-requesting attendees, so any calendar client can import it as an invitation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from sales_operator.adapters.outbox import artefact_name, key_digest, write_once
from sales_operator.errors import PermanentAdapterError, TransientAdapterError
from sales_operator.escaping import ics_param, ics_text

DEFAULT_ORGANIZER = "sales-operator@localhost"
"""The organizer when neither the call nor the calendar names one."""

PRODID = "-//sales-operator//ICSCalendar 1.0//EN"
"""The PRODID of every file."""


def escape_text(value: str) -> str:
    """Escape an RFC 5545 TEXT value (see `sales_operator.escaping.ics_text`)."""
    return ics_text(value)


def fold_line(line: str, limit: int = 75) -> str:
    """Fold a content line into CRLF-joined chunks of at most `limit` octets.

    Continuation lines start with one space (counted in the limit); a multi-byte UTF-8
    character is never split.
    """
    chunks: list[str] = []
    current = ""
    size = 0
    budget = limit
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > budget:
            chunks.append(current)
            current, size, budget = "", 0, limit - 1
        current += char
        size += width
    chunks.append(current)
    return "\r\n ".join(chunks)


def _utc_stamp(value: datetime) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y%m%dT%H%M%SZ")


def _cal_address(address: str) -> tuple[str, str]:
    """Return (common name, email) of `Name <email>` or a bare address."""
    name, email = parseaddr(address)
    unprintable = any(not c.isprintable() for c in address)  # CR/LF would start a new property
    if unprintable or "@" not in email or any(c.isspace() for c in email):
        raise PermanentAdapterError(
            f"not an email address: {address!r}", adapter=ICSCalendar.adapter, operation="invite"
        )
    return ics_param(name), email


def _address_line(prop: str, params: list[str], address: str) -> str:
    name, email = _cal_address(address)
    if name:
        params = [*params, f'CN="{name}"']
    head = ";".join([prop, *params])
    return f"{head}:mailto:{email}"


class ICSCalendar:
    """Write each invite as an RFC 5545 file named `<idempotency_key>.ics`.

    Args:
        folder: The invites folder (created on first use).
        organizer: The ORGANIZER when a call names none.
        clock: Returns "now" for DTSTAMP; defaults to the current UTC time.
    """

    adapter = "ics_calendar"
    """Adapter name used in errors."""

    def __init__(
        self,
        folder: str | Path,
        *,
        organizer: str = DEFAULT_ORGANIZER,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.folder = Path(folder)
        """The invites folder."""
        self.organizer = organizer
        """The default organizer."""
        self._clock = clock or (lambda: datetime.now(UTC))

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
    ) -> dict[str, Any]:
        """Write the invite, once per key (a naive time is read as UTC).

        Returns:
            `path` (the `.ics` file) and `uid`; a repeated key returns the first file's
            values and writes nothing.

        Raises:
            PermanentAdapterError: for no attendee, a bad address or an end before the start.
        """
        stem = artefact_name(idempotency_key)
        path = self.folder / f"{stem}.ics"
        uid = f"{key_digest(idempotency_key)}@sales-operator"
        if not path.exists():
            data = self.render(
                title=title,
                start=start,
                end=end,
                attendees=attendees,
                description=description,
                organizer=organizer or self.organizer,
                uid=uid,
            )
            try:
                write_once(path, data.encode("utf-8"))
            except OSError as exc:
                raise TransientAdapterError(
                    f"cannot write {path}: {exc}", adapter=self.adapter, operation="invite"
                ) from exc
        return {"path": str(path), "uid": uid}

    def render(
        self,
        *,
        title: str,
        start: datetime,
        end: datetime,
        attendees: list[str],
        description: str,
        organizer: str,
        uid: str,
    ) -> str:
        """Return the calendar text of one invite (CRLF line endings, folded lines)."""
        if not attendees:
            raise PermanentAdapterError(
                "an invite needs at least one attendee", adapter=self.adapter, operation="invite"
            )
        if _utc_stamp(end) <= _utc_stamp(start):
            raise PermanentAdapterError(
                f"the invite ends ({end.isoformat()}) before it starts ({start.isoformat()})",
                adapter=self.adapter,
                operation="invite",
            )
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:{PRODID}",
            "CALSCALE:GREGORIAN",
            "METHOD:REQUEST",
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTAMP:{_utc_stamp(self._clock())}",
            f"DTSTART:{_utc_stamp(start)}",
            f"DTEND:{_utc_stamp(end)}",
            f"SUMMARY:{escape_text(title)}",
            f"DESCRIPTION:{escape_text(description)}",
            _address_line("ORGANIZER", [], organizer),
        ]
        for attendee in attendees:
            lines.append(
                _address_line(
                    "ATTENDEE",
                    ["RSVP=TRUE"],
                    attendee,
                )
            )
        lines += ["SEQUENCE:0", "STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
        return "".join(fold_line(line) + "\r\n" for line in lines)

"""Calendar invites as RFC 5545 `.ics` files, one per idempotency key.

The file is written by hand: CRLF line endings, lines folded at 75 octets, TEXT values
escaped (backslash, `;`, `,` and newlines), `METHOD:REQUEST` with the organizer (`CN` name,
also listed as the `CHAIR` attendee) and RSVP-requesting attendees (`CN`, `ROLE`, `PARTSTAT`),
so any calendar client can import it as an invitation. With a `timezone`, DTSTART/DTEND carry
`TZID` and the file holds a VTIMEZONE for that zone (its offsets and transitions in the
event's year, read from the system's zoneinfo); without one, times are in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
        params = [f'CN="{name}"', *params]
    head = ";".join([prop, *params])
    return f"{head}:mailto:{email}"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PermanentAdapterError(
            f"unknown time zone {name!r}", adapter=ICSCalendar.adapter, operation="invite"
        ) from exc


def _offset(delta: timedelta | None) -> str:
    seconds = int((delta or timedelta(0)).total_seconds())
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}{seconds % 3600 // 60:02d}"


def _transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    """Return the UTC instants in `year` at which `zone`'s offset changes (hour precision)."""
    found: list[datetime] = []
    start = datetime(year, 1, 1, tzinfo=UTC)
    day = start
    previous = day.astimezone(zone).utcoffset()
    while day.year == year:
        nxt = day + timedelta(days=1)
        offset = nxt.astimezone(zone).utcoffset()
        if offset != previous:
            hour = day
            while hour.astimezone(zone).utcoffset() == previous:
                hour += timedelta(hours=1)
            found.append(hour)
            previous = offset
        day = nxt
    return found


def vtimezone(zone: ZoneInfo, year: int) -> list[str]:
    """Return VTIMEZONE lines for `zone` covering `year` (one component per offset period)."""
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone.key}"]
    changes = _transitions(zone, year)
    if not changes:
        moment = datetime(year, 1, 1, tzinfo=UTC).astimezone(zone)
        offset = _offset(moment.utcoffset())
        lines += [
            "BEGIN:STANDARD",
            f"DTSTART:{year}0101T000000",
            f"TZOFFSETFROM:{offset}",
            f"TZOFFSETTO:{offset}",
            f"TZNAME:{moment.tzname()}",
            "END:STANDARD",
        ]
    for change in changes:
        before = (change - timedelta(hours=1)).astimezone(zone)
        after = change.astimezone(zone)
        kind = "DAYLIGHT" if after.dst() else "STANDARD"
        local = change.replace(tzinfo=None) + (before.utcoffset() or timedelta(0))
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{local:%Y%m%dT%H%M%S}",
            f"TZOFFSETFROM:{_offset(before.utcoffset())}",
            f"TZOFFSETTO:{_offset(after.utcoffset())}",
            f"TZNAME:{after.tzname()}",
            f"END:{kind}",
        ]
    lines.append("END:VTIMEZONE")
    return lines


def _local_stamp(value: datetime, zone: ZoneInfo) -> str:
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return value.astimezone(zone).strftime("%Y%m%dT%H%M%S")


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
        timezone: str | None = None,
    ) -> dict[str, Any]:
        """Write the invite, once per key (a naive time is read as UTC).

        With `timezone` (an IANA name), the times are written in that zone with a TZID.

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
                timezone=timezone,
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
        timezone: str | None = None,
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
        zone = _zone(timezone)
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:{PRODID}",
            "CALSCALE:GREGORIAN",
            "METHOD:REQUEST",
        ]
        if zone is not None:
            start_local = start.replace(tzinfo=UTC) if start.tzinfo is None else start
            lines += vtimezone(zone, start_local.astimezone(zone).year)
            times = [
                f"DTSTART;TZID={zone.key}:{_local_stamp(start, zone)}",
                f"DTEND;TZID={zone.key}:{_local_stamp(end, zone)}",
            ]
        else:
            times = [f"DTSTART:{_utc_stamp(start)}", f"DTEND:{_utc_stamp(end)}"]
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTAMP:{_utc_stamp(self._clock())}",
            *times,
            f"SUMMARY:{escape_text(title)}",
            f"DESCRIPTION:{escape_text(description)}",
            _address_line("ORGANIZER", [], organizer),
        ]
        organizer_email = _cal_address(organizer)[1].lower()
        for attendee in attendees:
            chair = _cal_address(attendee)[1].lower() == organizer_email
            role = "ROLE=CHAIR" if chair else "ROLE=REQ-PARTICIPANT"
            status = "PARTSTAT=ACCEPTED" if chair else "PARTSTAT=NEEDS-ACTION"
            lines.append(
                _address_line(
                    "ATTENDEE",
                    ["CUTYPE=INDIVIDUAL", role, status, f"RSVP={'FALSE' if chair else 'TRUE'}"],
                    attendee,
                )
            )
        lines += ["SEQUENCE:0", "STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
        return "".join(fold_line(line) + "\r\n" for line in lines)

"""Time zones of contacts and reps, and call slots within both parties' working hours.

A contact's zone is, in order: the CRM field (`Contact.timezone`), the policy's default for
the account's country, then for its territory (`copilot.timezones`), then the rep's zone. A
rep without a valid zone is read as UTC, with a note for the reviewer. Times in a draft are
written in the recipient's zone ("Tuesday 10 November at 10:00 EST").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sales_operator.adapters.base import Rep
from sales_operator.policy import CopilotPolicy
from sales_operator.state import Account, Contact


@dataclass(frozen=True)
class Zone:
    """A resolved time zone and where it came from."""

    name: str
    """IANA name (`America/New_York`)."""
    source: str
    """`crm`, `policy:<key>`, `rep` or `fallback`."""
    note: str | None = None
    """Why a fallback was used, for the reviewer."""

    @property
    def tz(self) -> tzinfo:
        """The zone as a `tzinfo`."""
        return ZoneInfo(self.name)


def valid_zone(name: str | None) -> str | None:
    """Return `name` when it is a known IANA zone, else None."""
    if not name or not str(name).strip():
        return None
    try:
        ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return str(name).strip()


def rep_zone(rep: Rep | None) -> Zone:
    """Return the rep's zone; UTC with a note when the rep has none or an unknown one."""
    if rep is None:
        return Zone("UTC", "fallback", "no rep: times assume UTC")
    name = valid_zone(rep.timezone)
    if name is None:
        return Zone(
            "UTC", "fallback", f"{rep.name} has no valid time zone ({rep.timezone!r}); UTC assumed"
        )
    return Zone(name, "rep")


def contact_zone(
    contact: Contact | None, account: Account | None, policy: CopilotPolicy, rep: Rep | None
) -> Zone:
    """Return the contact's zone: CRM field, policy default for country/territory, rep's."""
    crm = valid_zone(getattr(contact, "timezone", None)) if contact is not None else None
    if crm is not None:
        return Zone(crm, "crm")
    for key in (account.country if account else None, account.territory if account else None):
        if key and valid_zone(policy.timezones.get(key)):
            return Zone(policy.timezones[key], f"policy:{key}")
    fallback = rep_zone(rep)
    who = contact.name if contact is not None else "the contact"
    return Zone(fallback.name, "rep", f"no time zone for {who}; {fallback.name} (the rep's) used")


def _inside(start: datetime, end: datetime, tz: tzinfo, hours: tuple[int, int]) -> bool:
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if local_start.weekday() >= 5 or local_start.date() != local_end.date():
        return False
    opens = local_start.replace(hour=hours[0], minute=0, second=0, microsecond=0)
    closes = local_start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        hours=hours[1]
    )
    return opens <= local_start and local_end <= closes


def call_slot(
    day: date,
    *,
    minutes: int,
    recipient: tuple[tzinfo, tuple[int, int]],
    others: list[tuple[tzinfo, tuple[int, int]]],
    prefer_hour: int = 10,
    search_days: int = 5,
) -> tuple[datetime, bool]:
    """Return a call start on `day` (or the next working days) inside everyone's hours.

    The start is expressed in the recipient's zone. Candidates run every 30 minutes from the
    preferred hour onwards, then earlier. When no slot fits anyone within `search_days`, the
    preferred hour on `day` is returned with False.
    """
    tz, hours = recipient
    for offset in range(search_days + 1):
        current = day + timedelta(days=offset)
        if current.weekday() >= 5:
            continue
        base = datetime.combine(current, time(0), tzinfo=tz)
        half_hours = list(range(prefer_hour * 2, 48)) + list(range(prefer_hour * 2 - 1, -1, -1))
        for half in half_hours:
            start = base + timedelta(minutes=30 * half)
            end = start + timedelta(minutes=minutes)
            if _inside(start, end, tz, hours) and all(_inside(start, end, z, h) for z, h in others):
                return start, True
    return datetime.combine(day, time(prefer_hour), tzinfo=tz), False


def when(moment: datetime, tz: tzinfo) -> str:
    """Return `moment` in `tz` as "Tuesday 10 November at 10:00 EST"."""
    local = moment.astimezone(tz)
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M} {local:%Z}"


def utc(moment: datetime) -> datetime:
    """Return `moment` in UTC."""
    return moment.astimezone(UTC)

"""Shared sales vocabulary: seniority from a title, segment from head count, training columns.

The CRM, the scorer and the sample-data script all use these, so a title or an account is
classified the same way everywhere.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any, Literal

CLOSED_DEAL_COLUMNS: tuple[str, ...] = (
    "deal_id",
    "account_name",
    "industry",
    "employees",
    "territory",
    "segment",
    "lead_source",
    "contact_title",
    "seniority",
    "pages_visited",
    "pricing_page_visits",
    "emails_opened",
    "demo_requested",
    "webinar_attended",
    "days_to_first_touch",
    "created_at",
    "closed_at",
    "outcome",
    "amount",
)
"""The keys of every `closed_deal_rows()` row, the columns of `data/closed_deals.csv`."""

DEFAULT_SEGMENTS: dict[str, tuple[int, int | None]] = {
    "smb": (0, 199),
    "mid_market": (200, 999),
    "enterprise": (1000, None),
}
"""Head-count ranges of the segments (the bundled policy's ranges)."""

Seniority = Literal["c_level", "vp", "director", "manager", "ic"]

_C_LEVEL = re.compile(
    r"\b(chief|ceo|cfo|coo|cro|cto|cio|cmo|cso|cpo|founder|co-founder|owner|"
    r"managing director|general manager|president)\b"
)
_VP = re.compile(r"\b(vp|svp|evp|avp|vice president|vice-president)\b")
_DIRECTOR = re.compile(r"\b(director|head of|head)\b")
_MANAGER = re.compile(r"\b(manager|supervisor|lead|superintendent)\b")


def seniority_from_title(title: str | None) -> Seniority:
    """Return the seniority level a job title implies.

    "VP of Operations" is `vp`, "Chief Revenue Officer (CRO)" is `c_level`, "Fleet Manager"
    is `manager`; an unknown or empty title is `ic`.
    """
    if not title:
        return "ic"
    text = title.casefold().replace(".", " ")
    if _VP.search(text):
        return "vp"
    if _C_LEVEL.search(text):
        return "c_level"
    if _DIRECTOR.search(text):
        return "director"
    if _MANAGER.search(text):
        return "manager"
    return "ic"


def segment_from_employees(
    employees: int | float | None, segments: dict[str, tuple[int, int | None]] | None = None
) -> str | None:
    """Return the segment whose inclusive head-count range holds `employees`, or None.

    Args:
        employees: Head count; None or NaN when unknown.
        segments: Segment name to range; `DEFAULT_SEGMENTS` when None.
    """
    if employees is None or (isinstance(employees, float) and math.isnan(employees)):
        return None
    for name, (low, high) in (segments or DEFAULT_SEGMENTS).items():
        if employees >= low and (high is None or employees <= high):
            return name
    return None


def iso_date(value: Any) -> str | None:
    """Return a CRM date field (`close_date`) as ISO `YYYY-MM-DD` text; None stays None.

    Takes a `date`, a `datetime` (its date) or text starting with an ISO date.

    Raises:
        ValueError: for text that does not start with an ISO date.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value).strip()[:10]).isoformat()

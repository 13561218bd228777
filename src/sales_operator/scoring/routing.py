"""Lead routing by policy: rules first, then a working, available rep by weighted balance.

`route_lead()` reads the routing rules of the RevOps policy in order. A rule matches when
every condition of its `when` holds (`territory`, `segment`, `min_band`, `source`, each a
value or a list); its candidates are the reps it names, or, when it names none, every active
AE or SDR whose territory and segments fit the account. Reps at capacity or out of office on
the day are skipped, with the reason written down. Of the rest, reps inside their working
hours (`Rep.working_hours` in `Rep.timezone`, on `routing.working_days`) go first; when none
is working, `routing.after_hours` decides: `hold` the lead for the rep whose day starts
soonest (the notification waits until then), try the `next_rule`, or `ignore` the hours.
Among the pool `routing.strategy` picks: `least_loaded` (open deals / weight) or weighted
`round_robin` (recent assignments / weight); ties go to whoever got a lead least recently and
then by name. When no rule places the lead, the policy's fallback queue takes it, so no lead
is ever left unassigned. The assignment records when the lead arrived, when the rep is to be
told and, once `mark_notified()` is called, the speed-to-lead.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sales_operator.adapters.base import CRMReader, Rep
from sales_operator.errors import DataError
from sales_operator.policy import Policy, RoutingRule
from sales_operator.scoring.model import segment_for
from sales_operator.state import Account, Assignment

BAND_ORDER = ("A", "B", "C", "D")
"""Score bands, best first."""

ROUTABLE_ROLES = ("ae", "sdr")
"""Roles that take leads when a rule names no reps."""

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""Weekday names, Monday first (as `datetime.weekday()` counts)."""


def _options(value: Any) -> list[str]:
    values = value if isinstance(value, list | tuple | set) else [value]
    return [str(v).casefold() for v in values]


def _band_rank(band: str) -> int:
    return BAND_ORDER.index(band) if band in BAND_ORDER else len(BAND_ORDER)


def rule_matches(
    rule: RoutingRule,
    *,
    territory: str | None,
    segment: str | None,
    band: str,
    source: str | None,
) -> tuple[bool, str]:
    """Return whether `rule`'s conditions hold, and the first one that does not.

    Conditions: `territory`, `segment`, `source` (a value or a list of values) and
    `min_band` (the lead's band must be at least as good; A is best). Unknown keys never hold.
    """
    facts = {"territory": territory, "segment": segment, "source": source}
    for key, wanted in rule.when.items():
        if key == "min_band":
            if _band_rank(band) > _band_rank(str(wanted)):
                return False, f"band {band} is below {wanted}"
        elif key in facts:
            actual = facts[key]
            if actual is None or actual.casefold() not in _options(wanted):
                return False, f"{key} {actual or 'unknown'} is not {wanted}"
        else:
            return False, f"unknown condition {key!r}"
    return True, ""


def _fits(rep: Rep, territory: str | None, segment: str | None) -> bool:
    if rep.territory is not None and (territory is None or rep.territory != territory):
        return False
    return not rep.segments or (segment is not None and segment in rep.segments)


def _away(rep: Rep, day: date) -> tuple[date, date] | None:
    for start, end in rep.out_of_office:
        if start <= day <= end:
            return start, end
    return None


def _zone(rep: Rep) -> ZoneInfo:
    try:
        return ZoneInfo(rep.timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise DataError(f"rep {rep.id}: unknown time zone {rep.timezone!r}") from err


def _days(policy: Policy) -> str:
    days = sorted({d for d in policy.routing.working_days if 0 <= d < len(WEEKDAYS)})
    if not days:
        return "no days"
    if len(days) > 1 and days == list(range(days[0], days[-1] + 1)):
        return f"{WEEKDAYS[days[0]]}-{WEEKDAYS[days[-1]]}"
    return ",".join(WEEKDAYS[d] for d in days)


def is_working(rep: Rep, at: datetime, policy: Policy) -> bool:
    """Return whether `rep` is inside working hours at `at` (queues always are).

    Working hours are `rep.working_hours` (start hour inclusive, end hour exclusive) in
    `rep.timezone`, on the policy's `routing.working_days`.

    Raises:
        DataError: when the rep's time zone is unknown.
    """
    if rep.role == "queue":
        return True
    local = at.astimezone(_zone(rep))
    start, end = rep.working_hours
    hour = local.hour + local.minute / 60 + local.second / 3600
    return local.weekday() in policy.routing.working_days and start <= hour < end


def next_working_start(rep: Rep, at: datetime, policy: Policy) -> datetime | None:
    """Return `at` when `rep` is working, else when the rep's next working day starts.

    Returns:
        The time (in the rep's zone), or None when the rep has no working hours in the next
        two weeks (no working days, an empty window, or away the whole time).
    """
    if is_working(rep, at, policy) and _away(rep, at.date()) is None:
        return at
    zone = _zone(rep)
    local = at.astimezone(zone)
    start, end = rep.working_hours
    if end <= start:
        return None
    for offset in range(15):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in policy.routing.working_days or _away(rep, day) is not None:
            continue
        begin = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(hours=start)
        if begin > at:
            return begin
    return None


def _hours_text(rep: Rep, at: datetime, policy: Policy) -> str:
    local = at.astimezone(_zone(rep))
    start, end = rep.working_hours
    return (
        f"{WEEKDAYS[local.weekday()]} {local:%H:%M} {rep.timezone}; works {start}-{end} "
        f"{_days(policy)}"
    )


def recent_assignments(crm: CRMReader, *, limit: int | None = None) -> list[str]:
    """Return the rep ids of the latest owner assignments, oldest first.

    This is the history weighted round-robin counts, and the tie-break among equally loaded
    reps (whoever got a lead least recently goes first).

    A CRM that keeps an assignments log and counters (`recent_assignees(limit)` and
    `last_assigned()`, as `SQLiteCRM` does) answers with two bounded reads: the latest
    `limit` assignments, preceded by every other rep once, in the order of their latest
    assignment, so the least-recent tie-break still sees the whole history. Other CRMs are
    read from the executed `assign_owner` actions of the audit log.

    Args:
        crm: The CRM reader.
        limit: Keep only the latest `limit` assignments (plus, from a CRM with counters,
            each other rep once, before them); None keeps the whole history.
    """
    recent_assignees = getattr(crm, "recent_assignees", None)
    last_assigned = getattr(crm, "last_assigned", None)
    if limit is not None and callable(recent_assignees) and callable(last_assigned):
        window: list[str] = list(recent_assignees(limit))
        if len(window) < limit:
            return window  # the whole history fits in the window
        latest: dict[str, int] = dict(last_assigned())
        inside = set(window)
        earlier = sorted((seq, rep) for rep, seq in latest.items() if rep not in inside)
        return [rep for _, rep in earlier] + window
    ids: list[str] = []
    for entry in crm.audit_log():
        if entry.kind != "assign_owner" or entry.decision != "executed":
            continue
        args = {**entry.original_args, **(entry.edited_args or {})}
        rep_id = args.get("rep_id")
        if isinstance(rep_id, str):
            ids.append(rep_id)
    return ids[-limit:] if limit else ids


def mark_notified(assignment: Assignment, at: datetime) -> Assignment:
    """Return `assignment` with the rep told at `at`, and the speed-to-lead it took.

    Speed-to-lead runs from `arrived_at` (or `assigned_at` when unknown) to `at`; a second
    call keeps the first notification time.
    """
    if assignment.notified_at is not None:
        return assignment
    start = assignment.arrived_at or assignment.assigned_at
    return assignment.model_copy(
        update={
            "notified_at": at,
            "speed_to_lead_seconds": max(0.0, (at - start).total_seconds()),
        }
    )


def route_lead(
    *,
    account: Account,
    score_band: str,
    lead_source: str | None,
    reps: list[Rep],
    open_counts: dict[str, int],
    policy: Policy,
    at: datetime,
    recent: list[str] | None = None,
    arrived_at: datetime | None = None,
) -> Assignment:
    """Decide who handles a new lead, and say why.

    Args:
        account: The lead's company (territory and head count decide the segment).
        score_band: The lead's score band (`A` best).
        lead_source: Where the lead came from.
        reps: Every rep and queue.
        open_counts: Rep id to the number of open deals the rep owns.
        policy: The RevOps policy (segments, rules, strategy, working days, fallback queue).
        at: When the decision is made; reps out of office on this date are skipped, and
            working hours are checked at this time.
        recent: Rep ids of the latest assignments, oldest first; weighted round-robin counts
            them, and among equally loaded reps the one who got a lead least recently goes
            first.
        arrived_at: When the lead arrived (the speed-to-lead timer's start); `at` if None.

    Returns:
        The assignment; `fallback=True` when the fallback queue takes the lead, `held_until`
        set when it waits for the rep's working day.

    Raises:
        DataError: when a candidate rep's time zone is unknown.
    """
    routing = policy.routing
    segment = segment_for(account.employees, routing)
    territory = account.territory
    by_id = {r.id: r for r in reps}
    recent = recent or []
    window = recent[-routing.round_robin_window :] if routing.round_robin_window > 0 else []
    day = at.date()
    arrived = arrived_at or at
    facts = (
        f"territory {territory or 'unknown'}, segment {segment or 'unknown'}, "
        f"band {score_band}, source {lead_source or 'unknown'}"
    )
    notes: list[str] = []

    def load(rep: Rep) -> float:
        return open_counts.get(rep.id, 0) / rep.weight if rep.weight > 0 else float("inf")

    def turns(rep: Rep) -> float:
        taken = taken_in_window.get(rep.id, 0)
        return taken / rep.weight if rep.weight > 0 else float("inf")

    last_index = {rid: i for i, rid in enumerate(recent)}
    taken_in_window: dict[str, int] = {}
    for rid in window:
        taken_in_window[rid] = taken_in_window.get(rid, 0) + 1

    def last_seen(rep: Rep) -> int:
        # -1 for reps not in `recent`: they go first among equals.
        return last_index.get(rep.id, -1)

    balance = turns if routing.strategy == "round_robin" else load

    for rule in routing.rules:
        matched, _why_not = rule_matches(
            rule, territory=territory, segment=segment, band=score_band, source=lead_source
        )
        if not matched:
            continue
        if rule.reps:
            candidates: list[Rep] = []
            for rep_id in rule.reps:
                if rep_id in by_id:
                    candidates.append(by_id[rep_id])
                else:
                    notes.append(f"{rep_id} skipped: no such rep")
        else:
            candidates = [
                r for r in reps if r.role in ROUTABLE_ROLES and _fits(r, territory, segment)
            ]
        available: list[Rep] = []
        for rep in sorted(candidates, key=lambda r: r.name):
            count = open_counts.get(rep.id, 0)
            away = _away(rep, day)
            if not rep.active:
                notes.append(f"{rep.name} skipped: inactive")
            elif rep.role == "queue":
                notes.append(f"{rep.name} skipped: a queue, not a rep")
            elif count >= rep.capacity:
                notes.append(f"{rep.name} skipped: at capacity {count}/{rep.capacity}")
            elif away is not None:
                notes.append(
                    f"{rep.name} skipped: out of office {away[0].isoformat()} to "
                    f"{away[1].isoformat()}"
                )
            else:
                available.append(rep)
        if not available:
            who = "no rep fits" if not candidates else "nobody available"
            notes.append(f"rule '{rule.name}' matched but {who}")
            continue

        held_until: datetime | None = None
        pool = available
        working: list[Rep] = []
        if routing.after_hours != "ignore":
            working = [r for r in available if is_working(r, at, policy)]
            off = [r for r in available if r not in working]
            if working:
                notes.extend(
                    f"{r.name} skipped: off hours ({_hours_text(r, at, policy)})" for r in off
                )
                pool = working
            elif routing.after_hours == "next_rule":
                notes.append(
                    f"rule '{rule.name}' matched but nobody is working now ("
                    + "; ".join(f"{r.name}: {_hours_text(r, at, policy)}" for r in off)
                    + ")"
                )
                continue
            else:
                starts = {r.id: next_working_start(r, at, policy) for r in available}
                soonest = min((t for t in starts.values() if t is not None), default=None)
                if soonest is not None:
                    pool = [r for r in available if starts[r.id] == soonest]
                    held_until = soonest

        chosen = min(pool, key=lambda r: (balance(r), last_seen(r), r.name))
        count = open_counts.get(chosen.id, 0)
        others = [r for r in available if r.id != chosen.id]
        if routing.strategy == "round_robin":
            taken = taken_in_window.get(chosen.id, 0)
            why = (
                f"weighted round-robin turn: {taken} of the last {len(window)} leads, weight "
                f"{chosen.weight:g}; {count}/{chosen.capacity} open deals"
            )
        else:
            why = f"lightest load: {count}/{chosen.capacity} open deals, weight {chosen.weight:g}"
        if others:
            why += "; also available: " + ", ".join(
                f"{r.name} ({open_counts.get(r.id, 0)}/{r.capacity})" for r in others
            )
        reason = f"rule '{rule.name}' matched ({facts}). "
        if notes:
            reason += "; ".join(notes) + ". "
        reason += f"{chosen.name} chosen: {why}."
        if held_until is not None:
            local = held_until.astimezone(_zone(chosen))
            reason += (
                f" Arrived out of hours (nobody working: {_hours_text(chosen, at, policy)}); "
                f"held until {local:%a %Y-%m-%d %H:%M} {chosen.timezone} "
                f"({held_until.astimezone(UTC):%H:%M} UTC)."
            )
        elif working and chosen.role != "queue":
            reason += f" Working now ({_hours_text(chosen, at, policy)})."
        elif routing.after_hours == "hold" and chosen.role != "queue":
            reason += (
                f" Arrived out of hours ({_hours_text(chosen, at, policy)}) and no candidate "
                "works in the next two weeks: not held."
            )
        return Assignment(
            rep_id=chosen.id,
            rep_name=chosen.name,
            rule=rule.name,
            reason=reason,
            assigned_at=at,
            arrived_at=arrived,
            notify_at=held_until.astimezone(UTC) if held_until is not None else at,
            held_until=held_until.astimezone(UTC) if held_until is not None else None,
        )

    queue_id = routing.fallback_queue
    queue = by_id.get(queue_id)
    reason = f"no rule placed the lead ({facts})"
    if notes:
        reason += ": " + "; ".join(notes)
    reason += f". Sent to the fallback queue {queue.name if queue else queue_id}."
    return Assignment(
        rep_id=queue_id,
        rep_name=queue.name if queue else queue_id,
        rule="fallback",
        reason=reason,
        assigned_at=at,
        fallback=True,
        arrived_at=arrived,
        notify_at=at,
    )

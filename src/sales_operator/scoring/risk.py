"""Deal risk: warnings with their evidence, and the probability they take away.

`assess_risk()` checks four things and cites the facts behind each warning:

- `inactivity`: days since the last engagement (lead creation, a call, a logged activity;
  scheduled `pipeline_review` ticks do not count) exceed `policy.risk.inactivity_days`;
- `close_date_near`: the close date is within `close_date_window_days` (or already past)
  while the deal is not in a late stage;
- `single_threaded`: after the first call, only one customer contact has engaged;
- `no_next_step`: no commitment (or CRM next-step date) falls due today or later.

`adjust_probability()` takes `policy.risk.penalties[code]` off the model probability in
log-odds for each warning, and explains the change in percentage points.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time
from typing import Literal

from sales_operator.policy import Policy
from sales_operator.state import Commitment, Contact, DealState, MeetingInsights, RiskWarning

CLOSED_STAGES = ("closed_won", "closed_lost")
"""Stages after which a deal carries no risk."""


def _pct(p: float) -> str:
    return f"{round(p * 100):d}%"


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _find_contact(text: str, contacts: list[Contact]) -> Contact | None:
    """Return the contact named earliest in `text` (full name first, then a unique first name)."""
    lowered = text.casefold()
    best: tuple[int, int, Contact] | None = None
    first_names: dict[str, list[Contact]] = {}
    for c in contacts:
        if c.name.split():
            first_names.setdefault(c.name.split()[0].casefold(), []).append(c)
    for c in contacts:
        names = [(0, c.name.casefold())]
        first = c.name.split()[0].casefold() if c.name.split() else ""
        if first and len(first_names.get(first, [])) == 1:
            names.append((1, first))
        for rank, name in names:
            m = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", lowered)
            if m and (best is None or (m.start(), rank) < (best[0], best[1])):
                best = (m.start(), rank, c)
    return best[2] if best else None


def _meetings(state: DealState) -> list[MeetingInsights]:
    seen: dict[str, MeetingInsights] = {m.call_id: m for m in state.meetings}
    if state.meeting is not None:
        seen.setdefault(state.meeting.call_id, state.meeting)
    return sorted(seen.values(), key=lambda m: m.call_date)


def _customer_speakers(meeting: MeetingInsights, state: DealState) -> list[str]:
    """Return the customer-side people heard on a call, as contact names where known."""
    matched: list[str] = []
    for speaker in meeting.talk_ratio:
        contact = _find_contact(speaker, state.contacts)
        if contact is not None and contact.name not in matched:
            matched.append(contact.name)
    for c in meeting.commitments:
        if c.side == "customer":
            contact = _find_contact(c.owner, state.contacts)
            name = contact.name if contact is not None else c.owner
            if name not in matched:
                matched.append(name)
    if matched:
        return matched
    # No speaker is a known contact: count everyone who is not on our side.
    ours = {c.owner.casefold() for c in meeting.commitments if c.side == "rep"}
    if state.assignment is not None:
        ours.add(state.assignment.rep_name.casefold())
    return [s for s in meeting.talk_ratio if s.casefold() not in ours]


def _at(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _last_engagement(state: DealState, now: datetime) -> tuple[datetime, str] | None:
    """Return the time and a description of the latest engagement up to `now`."""
    found: list[tuple[datetime, int, str]] = []
    for a in state.activities:
        if a.at > now:
            continue
        kind = a.kind.replace("_", " ")
        if a.direction == "inbound":
            who = _find_contact(a.summary, state.contacts)
            label = (
                f"{kind} from {who.name}"
                if who
                else (f"{kind}: {a.summary}" if a.summary else kind)
            )
            found.append((a.at, 2, label))
        else:
            label = f"{a.direction} {kind}" + (f": {a.summary}" if a.summary else "")
            found.append((a.at, 1, label))
    meeting_events = [e for e in state.events if e.type == "meeting_completed" and e.at <= now]
    for m in _meetings(state):
        at = next((e.at for e in meeting_events if e.at.date() == m.call_date), _at(m.call_date))
        if at > now:
            continue
        people = _customer_speakers(m, state)
        found.append((at, 3, "call with " + ", ".join(people) if people else f"call {m.call_id}"))
    for e in state.events:
        if e.at > now or e.type not in ("lead_created", "meeting_completed", "activity_logged"):
            continue
        found.append((e.at, 0, e.type.replace("_", " ")))
    if state.event is not None and state.event.type == "activity_logged" and state.event.at <= now:
        found.append((state.event.at, 0, "activity logged"))
    if state.lead is not None and state.lead.created_at <= now:
        found.append((state.lead.created_at, 0, f"lead created ({state.lead.source})"))
    if not found:
        return None
    at, _, label = max(found, key=lambda f: (f[0], f[1]))
    return at, label


def _commitments(state: DealState) -> list[Commitment]:
    return [c for m in _meetings(state) for c in m.commitments]


def _next_step_date(state: DealState) -> date | None:
    if state.deal is None:
        return None
    for key in ("next_step_date", "next_step_due"):
        value = state.deal.fields.get(key)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                continue
    return None


def _acronym(title: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z]+", title) if w.casefold() not in {"of", "and", "the"}]
    return "".join(w[0].upper() for w in words) if len(words) >= 2 else ""


def _mentioned(text: str, contacts: list[Contact]) -> list[Contact]:
    """Return the contacts `text` names (full, first or last name, or title acronym like CRO)."""
    found: list[Contact] = []
    for c in contacts:
        names = [c.name, *[part for part in c.name.split() if len(part) >= 3]]
        hit = any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text, re.I) for n in names)
        acronym = _acronym(c.title or "")
        if not hit and acronym and re.search(rf"(?<!\w){re.escape(acronym)}(?!\w)", text):
            hit = True
        if hit:
            found.append(c)
    return found


def _single_threaded(
    state: DealState, meetings: list[MeetingInsights], now: datetime
) -> RiskWarning | None:
    """Warn when only one customer contact has engaged since the first call.

    A customer commitment, due today or later, to bring in another named contact ("loop in
    Marcus by Tuesday") holds the warning back until it falls due.
    """
    today = now.date()
    engaged: dict[str, list[str]] = {}
    for m in meetings:
        for name in _customer_speakers(m, state):
            engaged.setdefault(name, []).append(f"call {m.call_date.isoformat()}")
    for a in state.activities:
        if a.direction == "inbound" and a.at <= now:
            who = _find_contact(a.summary, state.contacts)
            if who is not None:
                engaged.setdefault(who.name, []).append(f"{a.kind} {a.at.date().isoformat()}")
    if len(engaged) > 1:
        return None
    planned: list[tuple[Commitment, list[Contact]]] = []
    for m in meetings:
        for c in m.commitments:
            others = [x for x in _mentioned(c.text, state.contacts) if x.name not in engaged]
            if others:
                planned.append((c, others))
    if any(c.due is not None and c.due >= today for c, _ in planned):
        return None
    if engaged:
        ((name, where),) = engaged.items()
        evidence = f"only {name} has engaged ({'; '.join(dict.fromkeys(where))})"
        message = f"single-threaded: only {name} engaged"
    else:
        evidence = "no customer contact identified on the calls"
        message = "single-threaded: no customer contact engaged"
    for c, others in planned:
        due = f", due {c.due.isoformat()}" if c.due else ""
        evidence += (
            f'; {", ".join(o.name for o in others)} named in "{c.text}" ({c.owner}{due}) '
            "has not engaged"
        )
    waiting = [c.name for c in state.contacts if c.name not in engaged]
    if waiting and not planned:
        evidence += f"; not yet engaged: {', '.join(waiting)}"
    return RiskWarning(
        code="single_threaded",
        severity="low",
        message=message,
        evidence=evidence,
        raised_at=now,
    )


def assess_risk(state: DealState, now: datetime, policy: Policy) -> list[RiskWarning]:
    """Return the deal's risk warnings at `now`, each citing its evidence.

    A closed deal (stage `closed_won`/`closed_lost`, or an outcome set) has no warnings.
    """
    rules = policy.risk
    deal = state.deal
    if deal is not None and (deal.outcome is not None or deal.stage in CLOSED_STAGES):
        return []
    today = now.date()
    warnings: list[RiskWarning] = []

    last = _last_engagement(state, now)
    if last is not None:
        at, label = last
        days = (today - at.date()).days
        if days > rules.inactivity_days:
            severity: Literal["low", "medium", "high"] = (
                "high" if days >= 2 * rules.inactivity_days else "medium"
            )
            warnings.append(
                RiskWarning(
                    code="inactivity",
                    severity=severity,
                    message=f"{days} days without activity",
                    evidence=(
                        f"last activity {at.date().isoformat()} ({label}); {days} days ago; "
                        f"the policy allows {rules.inactivity_days}"
                    ),
                    raised_at=now,
                )
            )

    if deal is not None and deal.close_date is not None and deal.stage not in rules.late_stages:
        days = (deal.close_date - today).days
        if days < 0:
            warnings.append(
                RiskWarning(
                    code="close_date_near",
                    severity="high",
                    message=f"close date passed {-days} days ago at stage {deal.stage}",
                    evidence=(
                        f"close date {deal.close_date.isoformat()} is {-days} days before "
                        f"{today.isoformat()}; stage {deal.stage}"
                    ),
                    raised_at=now,
                )
            )
        elif days <= rules.close_date_window_days:
            warnings.append(
                RiskWarning(
                    code="close_date_near",
                    severity="high" if days <= 7 else "medium",
                    message=f"close date in {days} days at stage {deal.stage}",
                    evidence=(
                        f"close date {deal.close_date.isoformat()}, {days} days after "
                        f"{today.isoformat()}; stage {deal.stage} is not a late stage "
                        f"({', '.join(rules.late_stages)})"
                    ),
                    raised_at=now,
                )
            )

    meetings = [m for m in _meetings(state) if m.call_date <= today]
    if meetings:
        warning = _single_threaded(state, meetings, now)
        if warning is not None:
            warnings.append(warning)

    commitments = _commitments(state)
    upcoming = [c for c in commitments if c.due is not None and c.due >= today]
    field_date = _next_step_date(state)
    if not upcoming and not (field_date is not None and field_date >= today):
        dated = sorted((c for c in commitments if c.due is not None), key=lambda c: c.due or today)
        if dated:
            c = dated[-1]
            evidence = (
                f'latest commitment "{c.text}" ({c.owner}) was due '
                f"{c.due.isoformat() if c.due else ''}; nothing is due on or after "
                f"{today.isoformat()}"
            )
        elif commitments:
            evidence = f"{len(commitments)} commitment(s) without a due date; none scheduled"
        else:
            evidence = "no commitments recorded on any call"
        warnings.append(
            RiskWarning(
                code="no_next_step",
                severity="medium",
                message="no next step scheduled",
                evidence=evidence,
                raised_at=now,
            )
        )
    return warnings


def adjust_probability(
    base: float, warnings: list[RiskWarning], policy: Policy
) -> tuple[float, str]:
    """Take each warning's penalty off `base` in log-odds; explain the change.

    The drop is shared among the warnings in proportion to their penalties, so the points
    in the explanation add up to the whole change: "78% -> 52%: 9 days without activity
    (-13 pts); close date in 11 days at stage discovery (-9 pts); ...".

    Returns:
        The adjusted probability and the explanation.
    """
    penalties = [(w, float(policy.risk.penalties.get(w.code, 0.0))) for w in warnings]
    total = sum(p for _, p in penalties)
    prob = _sigmoid(_logit(base) - total) if total else base
    drop = base - prob
    head = f"{_pct(base)} -> {_pct(prob)}"
    parts = [
        f"{w.message} (-{round(drop * p / total * 100):d} pts)"
        for w, p in sorted(penalties, key=lambda wp: -wp[1])
        if p and total
    ]
    unpenalised = [w.message for w, p in penalties if not p]
    if unpenalised:
        parts.append("also noted without penalty: " + "; ".join(unpenalised))
    if not parts:
        return prob, f"{head}: no risk warnings"
    return prob, f"{head}: " + "; ".join(parts)


def is_at_risk(probability: float, warnings: list[RiskWarning], policy: Policy) -> bool:
    """Return whether the deal is at risk: any warning and a probability below the bar."""
    return bool(warnings) and probability < policy.risk.at_risk_below

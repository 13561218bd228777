"""Deal risk: warnings with their evidence, and the probability they take away.

`assess_risk()` checks seven things and cites the facts behind each warning:

- `inactivity`: days since the last engagement (lead creation, a call, a logged activity;
  scheduled `pipeline_review` ticks do not count) exceed `policy.risk.inactivity_days`;
- `close_date_near`: the close date is within `close_date_window_days` (or already past)
  while the deal is not in a late stage;
- `single_threaded`: after the first call, only one customer contact has engaged;
- `no_next_step`: no commitment (or CRM next-step date) falls due today or later;
- `close_date_slip`: the close date was pushed out by `close_date_slip_days` or more in all;
- `stage_stall`: the deal has sat in its stage longer than `stage_stall_days[stage]`;
- `pricing_not_discussed`: the deal reached one of `pricing_by_stages` (or a later open
  stage) and no call hit the pricing tracker, nor did any commitment or activity mention it.

The stage and close-date rules read the deal's change history, `deal_changes()`: the stage
and close date the lead came with, every executed `change_stage` / `update_crm` action at
the time of the event that ran it, changes seen in the CRM's stage history, and changes
first noticed on the current event.

`adjust_probability()` takes `policy.risk.penalties[code]` off the model probability in
log-odds for each warning, and explains the change in percentage points;
`explain_change()` itemises the move from the previous score point in whole points that add
up to the change.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from sales_operator.events import event_id_for
from sales_operator.policy import Policy
from sales_operator.scoring.tabular import to_datetime
from sales_operator.state import (
    Commitment,
    Contact,
    DealChange,
    DealState,
    MeetingInsights,
    RiskWarning,
    ScoreFactor,
)
from sales_operator.vocabulary import iso_date

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


def _as_datetime(value: Any) -> datetime | None:
    try:
        return to_datetime(value)
    except (TypeError, ValueError):
        return None


def _date_text(value: Any) -> str | None:
    """Return `iso_date(value)`, or None for a value that is not a date."""
    try:
        return iso_date(value)
    except (TypeError, ValueError):
        return None


def _executed_changes(state: DealState) -> list[DealChange]:
    """Return the stage and close-date changes made by executed actions, at their event time."""
    times = {event_id_for(state.deal_id, e): e.at for e in state.events}
    changes: list[DealChange] = []
    for action in state.proposed_actions:
        if action.status != "executed" or action.kind not in ("change_stage", "update_crm"):
            continue
        at = times.get(action.event_id)
        if at is None:
            continue
        args = action.args
        if action.decision is not None and action.decision.edited_args:
            args = {**args, **action.decision.edited_args}
        if action.kind == "change_stage" and isinstance(args.get("stage"), str):
            changes.append(
                DealChange(field="stage", new=args["stage"], at=at, source=f"action:{action.id}")
            )
        fields = args.get("fields")
        if action.kind == "update_crm" and isinstance(fields, dict) and "close_date" in fields:
            new = _date_text(fields["close_date"])
            if new is not None:
                changes.append(
                    DealChange(field="close_date", new=new, at=at, source=f"action:{action.id}")
                )
    return changes


def deal_changes(
    state: DealState,
    now: datetime,
    *,
    crm_stage_history: list[dict[str, Any]] | None = None,
) -> list[DealChange]:
    """Return the deal's stage and close-date changes up to `now`, oldest first.

    The history is rebuilt from the state on every call (so it is the same however often it
    runs): the stage and close date the `lead_created` event brought, every executed
    `change_stage` or `update_crm` (close date) action at the time of the event that ran
    it, and the changes already kept in `state.deal_changes` that came from elsewhere. When
    the current stage or close date still differs from the last known value, the change is
    taken from `crm_stage_history` (rows with `from_stage`, `to_stage`, `at`) when it has
    one, else recorded as first seen at `now` (`source="observed"`); a value never recorded
    before is dated from the lead's creation.

    Args:
        state: The deal state.
        now: The current event's time; later changes are ignored.
        crm_stage_history: The CRM's stage history of the deal, oldest first, if known.

    Returns:
        The changes, each with `old` filled from the one before it.
    """
    found: list[DealChange] = []
    created = next((e for e in state.events if e.type == "lead_created"), None)
    if created is not None and created.at <= now:
        payload_deal = created.payload.get("deal")
        if isinstance(payload_deal, dict):
            stage = payload_deal.get("stage", "new")  # the `Deal` model's default
            if isinstance(stage, str):
                found.append(
                    DealChange(field="stage", new=stage, at=created.at, source="lead_created")
                )
            close = _date_text(payload_deal.get("close_date"))
            if close is not None:
                found.append(
                    DealChange(field="close_date", new=close, at=created.at, source="lead_created")
                )
    found.extend(c for c in _executed_changes(state) if c.at <= now)
    # Kept changes from elsewhere (CRM history, observed); the two sources above are rebuilt.
    found.extend(
        c
        for c in state.deal_changes
        if c.at <= now and not c.source.startswith("action:") and c.source != "lead_created"
    )
    found.sort(key=lambda c: c.at)

    deal = state.deal
    if deal is not None:
        current = {"stage": deal.stage, "close_date": _date_text(deal.close_date)}
        for key in ("stage", "close_date"):
            last = next((c.new for c in reversed(found) if c.field == key), None)
            value = current[key]
            if value is None or value == last:
                continue
            at: datetime = now
            source = "observed"
            if last is None:
                # Never recorded: the deal has had this value since it was created.
                born = state.lead.created_at if state.lead is not None else None
                born = born or next((e.at for e in state.events), None)
                if born is not None and born <= now:
                    at, source = born, "lead_created"
            if key == "stage" and source == "observed":
                for row in reversed(crm_stage_history or []):
                    row_at = _as_datetime(row.get("at"))
                    if row.get("to_stage") == value and row_at is not None and row_at <= now:
                        at, source = row_at, "crm"
                        break
            found.append(DealChange(field=key, new=value, at=at, source=source))
        found.sort(key=lambda c: c.at)

    out: list[DealChange] = []
    last_value: dict[str, str | None] = {}
    for c in found:
        previous = last_value.get(c.field)
        if out and previous == c.new:
            continue  # the same value again: no change
        out.append(c.model_copy(update={"old": previous}))
        last_value[c.field] = c.new
    return out


def _how(change: DealChange) -> str:
    if change.source.startswith("action:"):
        return f"approved action {change.source.removeprefix('action:')}"
    return {
        "lead_created": "at lead creation",
        "crm": "CRM stage history",
        "observed": "first seen on this event",
    }.get(change.source, change.source)


def _close_date_slip(
    changes: list[DealChange], state: DealState, now: datetime, policy: Policy
) -> RiskWarning | None:
    """Warn when the close date was pushed out by `close_date_slip_days` or more in all."""
    deal = state.deal
    if deal is None or deal.close_date is None:
        return None
    dated = [c for c in changes if c.field == "close_date" and c.new is not None]
    if not dated or dated[0].new is None:
        return None
    first = date.fromisoformat(dated[0].new)
    pushed = (deal.close_date - first).days
    if pushed < policy.risk.close_date_slip_days:
        return None
    moves = [c for c in dated[1:] if c.old is not None and c.new is not None and c.new > c.old]
    steps = "; ".join(
        f"{c.old} -> {c.new} on {c.at.date().isoformat()} ({_how(c)})" for c in dated[1:] if c.old
    )
    times = len(moves)
    severity: Literal["low", "medium", "high"] = (
        "high" if times >= 2 or pushed >= 4 * policy.risk.close_date_slip_days else "medium"
    )
    return RiskWarning(
        code="close_date_slip",
        severity=severity,
        message=f"close date pushed out {pushed} days ({times} time{'s' if times != 1 else ''})",
        evidence=(
            f"close date {deal.close_date.isoformat()} is {pushed} days after the first close "
            f"date {first.isoformat()}; {steps}; the policy flags "
            f"{policy.risk.close_date_slip_days} days or more"
        ),
        raised_at=now,
    )


def _stage_stall(
    changes: list[DealChange], state: DealState, now: datetime, policy: Policy
) -> RiskWarning | None:
    """Warn when the deal has sat in its stage longer than the policy allows for it."""
    deal = state.deal
    if deal is None:
        return None
    limit = policy.risk.stage_stall_days.get(deal.stage)
    if limit is None:
        return None
    entered = next(
        (c for c in reversed(changes) if c.field == "stage" and c.new == deal.stage), None
    )
    if entered is not None:
        since, how = entered.at, _how(entered)
    elif state.lead is not None:
        since, how = state.lead.created_at, "lead creation (no stage change recorded)"
    else:
        return None
    days = (now.date() - since.date()).days
    if days <= limit:
        return None
    severity: Literal["low", "medium", "high"] = "high" if days >= 2 * limit else "medium"
    return RiskWarning(
        code="stage_stall",
        severity=severity,
        message=f"{days} days in stage {deal.stage}",
        evidence=(
            f"entered {deal.stage} on {since.date().isoformat()} ({how}); {days} days in the "
            f"stage; the policy allows {limit} in {deal.stage}"
        ),
        raised_at=now,
    )


def _pricing_words(policy: Policy) -> list[str]:
    words = policy.meetings.keyword_trackers.get(policy.risk.pricing_tracker)
    return list(words) if words else ["price", "pricing", "cost", "budget", "discount"]


def _pricing_due(stage: str, policy: Policy) -> bool:
    """Return whether pricing must have come up by `stage`."""
    if stage in CLOSED_STAGES:
        return False
    if stage in policy.risk.pricing_by_stages:
        return True
    order = [s for s in policy.stages if s not in CLOSED_STAGES]
    marks = [order.index(s) for s in policy.risk.pricing_by_stages if s in order]
    return bool(marks) and stage in order and order.index(stage) >= min(marks)


def _pricing_not_discussed(
    meetings: list[MeetingInsights], state: DealState, now: datetime, policy: Policy
) -> RiskWarning | None:
    """Warn when the deal is at a pricing stage and nobody has talked about pricing yet."""
    deal = state.deal
    if deal is None or not _pricing_due(deal.stage, policy):
        return None
    tracker = policy.risk.pricing_tracker
    if any(h.tracker.casefold() == tracker.casefold() for m in meetings for h in m.trackers):
        return None
    words = _pricing_words(policy)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")", re.I)
    texts = [c.text for m in meetings for c in m.commitments]
    texts += [i.text for m in meetings for i in (*m.objections, *m.pains, *m.risks)]
    texts += [a.summary for a in state.activities if a.at <= now]
    texts += [str(v) for k, v in deal.fields.items() if "pric" in k.casefold()]
    if any(pattern.search(t) for t in texts):
        return None
    calls = ", ".join(m.call_date.isoformat() for m in meetings) or "none"
    return RiskWarning(
        code="pricing_not_discussed",
        severity="medium",
        message=f"pricing never discussed at stage {deal.stage}",
        evidence=(
            f"stage {deal.stage} is at or past {', '.join(policy.risk.pricing_by_stages)}; "
            f"no '{tracker}' tracker hit on {len(meetings)} call(s) ({calls}); no commitment, "
            f"objection or activity mentions {', '.join(words)}"
        ),
        raised_at=now,
    )


def assess_risk(
    state: DealState,
    now: datetime,
    policy: Policy,
    *,
    changes: list[DealChange] | None = None,
) -> list[RiskWarning]:
    """Return the deal's risk warnings at `now`, each citing its evidence.

    A closed deal (stage `closed_won`/`closed_lost`, or an outcome set) has no warnings.

    Args:
        state: The deal state.
        now: The current event's time.
        policy: The RevOps policy (`policy.risk` thresholds).
        changes: The deal's stage and close-date history; `deal_changes(state, now)` when
            None.
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

    history = deal_changes(state, now) if changes is None else changes
    for check in (_close_date_slip, _stage_stall):
        found = check(history, state, now, policy)
        if found is not None:
            warnings.append(found)

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
    pricing = _pricing_not_discussed(meetings, state, now, policy)
    if pricing is not None:
        warnings.append(pricing)
    return warnings


def adjust_probability(
    base: float, warnings: list[RiskWarning], policy: Policy
) -> tuple[float, str]:
    """Take each warning's penalty off `base` in log-odds; explain the change.

    The drop is shared among the warnings in proportion to their penalties, in whole points
    that add up to the change of the rounded percentages: "78% -> 52%: 9 days without
    activity (-12 pts); close date in 11 days at stage discovery (-9 pts); ...".

    Returns:
        The adjusted probability and the explanation.
    """
    penalties = [(w, float(policy.risk.penalties.get(w.code, 0.0))) for w in warnings]
    total = sum(p for _, p in penalties)
    prob = _sigmoid(_logit(base) - total) if total else base
    head = f"{_pct(base)} -> {_pct(prob)}"
    charged = sorted(((w, p) for w, p in penalties if p), key=lambda wp: -wp[1])
    points = _whole_points(
        [(base - prob) * p / total * 100 for _, p in charged] if total else [],
        _points(base) - _points(prob),
    )
    parts = [f"{w.message} (-{pts:d} pts)" for (w, _), pts in zip(charged, points, strict=True)]
    unpenalised = [w.message for w, p in penalties if not p]
    if unpenalised:
        parts.append("also noted without penalty: " + "; ".join(unpenalised))
    if not parts:
        return prob, f"{head}: no risk warnings"
    return prob, f"{head}: " + "; ".join(parts)


def _points(p: float) -> int:
    return round(p * 100)


def _whole_points(raw: list[float], total: int) -> list[int]:
    """Round `raw` to whole numbers that add up to `total` (largest remainders first)."""
    if not raw:
        return []
    whole = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: whole[i] - raw[i])  # largest fraction first
    short = total - sum(whole)
    for k in range(abs(short)):
        if short > 0:
            whole[order[k % len(order)]] += 1
        else:
            whole[order[-1 - k % len(order)]] -= 1
    return whole


def explain_change(
    previous: float | None,
    previous_warnings: list[RiskWarning],
    base: float,
    warnings: list[RiskWarning],
    policy: Policy,
) -> list[ScoreFactor]:
    """Itemise the move from the previous score point to the new adjusted probability.

    The move is taken in up to three steps: the model base itself changing (a rescore or a
    policy change), the warnings that cleared (each giving back its share), and the warnings
    newly raised (each taking its share). Within a step the change is shared in proportion
    to the penalties, and the items are whole percentage points that add up to the change of
    the rounded percentages, so "78% -> 52%" is itemised as points summing to -26. Warnings
    present both times cost nothing new and are left out.

    Args:
        previous: The previous score point's probability (None: the base itself).
        previous_warnings: The warnings charged at the previous point.
        base: The model probability the adjustment starts from.
        warnings: The warnings charged now.
        policy: The policy (`risk.penalties`).

    Returns:
        `ScoreFactor`s with `feature` `risk:<code>` (a new warning), `cleared:<code>` or
        `model` (the base moved), `label` in words and `points` (whole, signed).
    """
    pen = policy.risk.penalties
    old = {w.code: w for w in previous_warnings if pen.get(w.code, 0.0)}
    new = {w.code: w for w in warnings if pen.get(w.code, 0.0)}
    start = base if previous is None else previous
    logit_base = _logit(base)

    def at(codes: set[str]) -> float:
        total = sum(pen[c] for c in codes)
        return _sigmoid(logit_base - total) if total else base

    kept = set(old) & set(new)
    p_old = at(set(old))
    p_kept = at(kept)
    p_new = at(set(new))
    items: list[tuple[str, str, float]] = []
    if abs(p_old - start) >= 0.0005:
        items.append(("model", "model score or policy changed", (p_old - start) * 100))
    cleared = [old[c] for c in old if c not in new]
    gained = [new[c] for c in new if c not in old]
    for group, sign, before, after in (
        (cleared, "cleared:", p_old, p_kept),
        (gained, "risk:", p_kept, p_new),
    ):
        weight = sum(pen[w.code] for w in group)
        for w in sorted(group, key=lambda w: -pen[w.code]):
            label = f"cleared: {w.message}" if sign == "cleared:" else w.message
            items.append((f"{sign}{w.code}", label, (after - before) * pen[w.code] / weight * 100))
    total = _points(p_new) - _points(start)
    whole = _whole_points([raw for _, _, raw in items], total)
    return [
        ScoreFactor(feature=feature, label=label, points=float(points))
        for (feature, label, _), points in zip(items, whole, strict=True)
        if points != 0
    ]


def is_at_risk(probability: float, warnings: list[RiskWarning], policy: Policy) -> bool:
    """Return whether the deal is at risk: any warning and a probability below the bar."""
    return bool(warnings) and probability < policy.risk.at_risk_below

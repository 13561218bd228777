"""Lead routing by policy: rules first, then the least-loaded available rep.

`route_lead()` reads the routing rules of the RevOps policy in order. A rule matches when
every condition of its `when` holds (`territory`, `segment`, `min_band`, `source`, each a
value or a list); its candidates are the reps it names, or, when it names none, every active
AE or SDR whose territory and segments fit the account. Reps at capacity or out of office on
the day are skipped, with the reason written down; among the rest the one with the lightest
weighted load (open deals / weight) wins, ties going to whoever got a lead least recently and
then by name. When no rule places the lead, the policy's fallback queue takes it, so no lead
is ever left unassigned.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sales_operator.adapters.base import Rep
from sales_operator.policy import Policy, RoutingRule
from sales_operator.scoring.model import segment_for
from sales_operator.state import Account, Assignment

BAND_ORDER = ("A", "B", "C", "D")
"""Score bands, best first."""

ROUTABLE_ROLES = ("ae", "sdr")
"""Roles that take leads when a rule names no reps."""


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
) -> Assignment:
    """Decide who handles a new lead, and say why.

    Args:
        account: The lead's company (territory and head count decide the segment).
        score_band: The lead's score band (`A` best).
        lead_source: Where the lead came from.
        reps: Every rep and queue.
        open_counts: Rep id to the number of open deals the rep owns.
        policy: The RevOps policy (segments, rules, fallback queue).
        at: When the decision is made; reps out of office on this date are skipped.
        recent: Rep ids of the latest assignments, oldest first; among equally loaded reps
            the one who got a lead least recently goes first.

    Returns:
        The assignment; `fallback=True` when the fallback queue takes the lead.
    """
    routing = policy.routing
    segment = segment_for(account.employees, routing)
    territory = account.territory
    by_id = {r.id: r for r in reps}
    recent = recent or []
    day = at.date()
    facts = (
        f"territory {territory or 'unknown'}, segment {segment or 'unknown'}, "
        f"band {score_band}, source {lead_source or 'unknown'}"
    )
    notes: list[str] = []
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

        def load(rep: Rep) -> float:
            return open_counts.get(rep.id, 0) / rep.weight if rep.weight > 0 else float("inf")

        def last_seen(rep: Rep) -> int:
            # -1 for reps not in `recent`: they go first among equals.
            seen = [i for i, rid in enumerate(recent) if rid == rep.id]
            return seen[-1] if seen else -1

        chosen = min(available, key=lambda r: (load(r), last_seen(r), r.name))
        count = open_counts.get(chosen.id, 0)
        others = [r for r in available if r.id != chosen.id]
        why = f"lightest load: {count}/{chosen.capacity} open deals, weight {chosen.weight:g}"
        if others:
            why += "; also available: " + ", ".join(
                f"{r.name} ({open_counts.get(r.id, 0)}/{r.capacity})" for r in others
            )
        reason = f"rule '{rule.name}' matched ({facts}). "
        if notes:
            reason += "; ".join(notes) + ". "
        reason += f"{chosen.name} chosen: {why}."
        return Assignment(
            rep_id=chosen.id,
            rep_name=chosen.name,
            rule=rule.name,
            reason=reason,
            assigned_at=at,
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
    )

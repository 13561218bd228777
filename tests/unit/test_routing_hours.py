"""Working hours, out-of-hours holds, weighted round-robin and the speed-to-lead timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from sales_operator.adapters.base import Rep
from sales_operator.adapters.fakes import InMemoryCRM, fake_pattern_deps
from sales_operator.errors import DataError
from sales_operator.patterns.scoring import build
from sales_operator.policy import Policy, RoutingPolicy, default_policy
from sales_operator.scoring.model import read_closed_deals_csv, train_scorer
from sales_operator.scoring.routing import (
    is_working,
    mark_notified,
    next_working_start,
    recent_assignments,
    route_lead,
)
from sales_operator.serde import make_serializer
from sales_operator.state import Account, AuditEntry
from tests.unit.test_scoring_pattern import _lead_created, _values, tiny_crm

# Monday 2026-11-02 14:05 UTC is 09:05 in New York (EST) and 15:05 in Berlin.
MONDAY = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)
EVENING = datetime(2026, 11, 3, 1, 30, tzinfo=UTC)  # Mon 20:30 New York, Tue 02:30 Berlin
SATURDAY = datetime(2026, 11, 7, 15, 0, tzinfo=UTC)

NORTHWIND = Account(id="A-NWL", name="Northwind", employees=450, territory="NA-East")


def _rep(rep_id: str, tz: str = "America/New_York", **kw: Any) -> Rep:
    return Rep(
        id=rep_id,
        name=kw.pop("name", rep_id.title()),
        email=f"{rep_id}@x.com",
        territory=kw.pop("territory", "NA-East"),
        segments=["mid_market"],
        capacity=kw.pop("capacity", 20),
        timezone=tz,
        **kw,
    )


QUEUE = Rep(id="queue-inbound", name="Inbound queue", email="q@x.com", role="queue", capacity=999)


def _policy(**routing: Any) -> Policy:
    policy = default_policy()
    return policy.model_copy(update={"routing": policy.routing.model_copy(update=routing)})


def _route(policy: Policy, reps: list[Rep], at: datetime = MONDAY, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "account": NORTHWIND,
        "score_band": "A",
        "lead_source": "demo_request",
        "reps": [*reps, QUEUE],
        "open_counts": {},
        "policy": policy,
        "at": at,
    }
    args.update(kw)
    return route_lead(**args)


# ------------------------------------------------------------------------ working hours


def test_working_hours_are_local_to_the_rep() -> None:
    policy = default_policy()
    sam = _rep("sam")
    assert is_working(sam, MONDAY, policy)  # 09:05 New York
    assert not is_working(sam, MONDAY - timedelta(minutes=10), policy)  # 08:55
    assert not is_working(sam, EVENING, policy)
    assert not is_working(sam, SATURDAY, policy)
    assert is_working(QUEUE, SATURDAY, policy)
    assert next_working_start(sam, MONDAY, policy) == MONDAY
    start = next_working_start(sam, EVENING, policy)
    assert start is not None and start.astimezone(UTC) == datetime(2026, 11, 3, 14, tzinfo=UTC)
    monday = next_working_start(sam, SATURDAY, policy)
    assert monday is not None and monday.astimezone(UTC) == datetime(2026, 11, 9, 14, tzinfo=UTC)
    with pytest.raises(DataError, match="rep bad: unknown time zone 'Mars/Olympus'"):
        is_working(_rep("bad", "Mars/Olympus"), MONDAY, policy)


def test_working_days_come_from_the_policy() -> None:
    weekend_shift = _policy(working_days=[5, 6])
    assert is_working(_rep("sam"), SATURDAY, weekend_shift)
    assert not is_working(_rep("sam"), MONDAY, weekend_shift)


def test_a_working_rep_beats_a_lighter_loaded_one_who_is_off() -> None:
    reps = [_rep("sam", name="Sam"), _rep("lena", "Asia/Tokyo", name="Lena")]
    a = _route(default_policy(), reps, open_counts={"sam": 10, "lena": 0})
    assert a.rep_id == "sam"
    assert "Lena skipped: off hours (Mon 23:05 Asia/Tokyo; works 9-18 Mon-Fri)" in a.reason
    assert "Working now (Mon 09:05 America/New_York" in a.reason
    assert a.held_until is None and a.notify_at == MONDAY


def test_out_of_hours_lead_is_held_for_the_rep_whose_day_starts_first() -> None:
    reps = [_rep("sam", name="Sam"), _rep("lena", "Europe/Berlin", name="Lena")]
    a = _route(default_policy(), reps, at=EVENING, open_counts={"sam": 0, "lena": 5})
    # Lena's Tuesday starts at 08:00 UTC, Sam's at 14:00 UTC.
    assert a.rep_id == "lena"
    assert a.held_until == datetime(2026, 11, 3, 8, tzinfo=UTC)
    assert a.notify_at == a.held_until
    assert a.arrived_at == EVENING
    assert "held until Tue 2026-11-03 09:00 Europe/Berlin (08:00 UTC)" in a.reason
    assert not a.fallback


def test_next_rule_sends_out_of_hours_leads_on_to_the_queue() -> None:
    a = _route(_policy(after_hours="next_rule"), [_rep("sam", name="Sam")], at=EVENING)
    assert a.fallback and a.rep_id == "queue-inbound"
    assert "nobody is working now (Sam: Mon 20:30 America/New_York" in a.reason
    assert a.notify_at == EVENING


def test_ignore_disregards_the_hours() -> None:
    a = _route(_policy(after_hours="ignore"), [_rep("sam", name="Sam")], at=EVENING)
    assert a.rep_id == "sam" and a.held_until is None
    assert "Working now" not in a.reason


def test_a_rep_away_all_fortnight_is_not_held_for() -> None:
    away = _rep("sam", out_of_office=[])
    policy = _policy(working_days=[])
    assert next_working_start(away, EVENING, policy) is None
    a = _route(policy, [away], at=EVENING)
    assert a.rep_id == "sam" and a.held_until is None  # nobody to wait for: routed as is
    assert "Working now" not in a.reason
    assert "no candidate works in the next two weeks: not held" in a.reason


# ------------------------------------------------------------------------ round-robin


def test_weighted_round_robin_gives_leads_in_proportion_to_weight() -> None:
    policy = _policy(strategy="round_robin", round_robin_window=100)
    reps = [_rep("sam", weight=2.0), _rep("priya"), _rep("omar")]
    recent: list[str] = []
    counts = {"sam": 0, "priya": 0, "omar": 0}
    for i in range(40):
        a = _route(policy, reps, at=MONDAY + timedelta(minutes=i), recent=recent)
        recent.append(a.rep_id)
        counts[a.rep_id] += 1
    assert counts == {"sam": 20, "priya": 10, "omar": 10}
    assert "weighted round-robin turn" in a.reason


def test_round_robin_ignores_open_deal_counts_but_still_honours_capacity() -> None:
    policy = _policy(strategy="round_robin")
    reps = [_rep("sam"), _rep("priya", capacity=3)]
    a = _route(policy, reps, open_counts={"sam": 15, "priya": 0}, recent=["priya"])
    assert a.rep_id == "sam"
    b = _route(policy, reps, open_counts={"sam": 15, "priya": 3}, recent=["sam"])
    assert b.rep_id == "sam" and "at capacity 3/3" in b.reason


def test_least_loaded_stays_the_default() -> None:
    assert RoutingPolicy().strategy == "least_loaded"
    assert default_policy().routing.after_hours == "hold"


def test_recent_assignments_come_from_executed_assign_owner_entries() -> None:
    crm = InMemoryCRM()
    entries = [
        ("assign_owner", "approve", {"rep_id": "rep-sam"}, None),
        ("assign_owner", "executed", {"rep_id": "rep-sam"}, None),
        ("post_slack", "executed", {"channel": "@x"}, None),
        ("assign_owner", "executed", {"rep_id": "rep-sam"}, {"rep_id": "rep-priya"}),
    ]
    for i, (kind, decision, args, edited) in enumerate(entries):
        crm.append_audit(
            "D-1",
            AuditEntry(
                at=MONDAY,
                actor="system",
                action_id=f"a{i}",
                kind=kind,
                decision=decision,
                original_args=args,
                edited_args=edited,
            ),
        )
    assert recent_assignments(crm) == ["rep-sam", "rep-priya"]
    assert recent_assignments(crm, limit=1) == ["rep-priya"]


# ---------------------------------------------------------------------- speed to lead


def test_speed_to_lead_runs_from_arrival_to_notification() -> None:
    arrived = MONDAY - timedelta(minutes=3)
    a = _route(default_policy(), [_rep("sam")], arrived_at=arrived)
    assert (a.arrived_at, a.assigned_at, a.notify_at) == (arrived, MONDAY, MONDAY)
    assert a.notified_at is None and a.speed_to_lead_seconds is None
    told = mark_notified(a, MONDAY + timedelta(seconds=30))
    assert told.speed_to_lead_seconds == 210.0
    assert mark_notified(told, MONDAY + timedelta(hours=1)) == told


def test_a_held_lead_counts_the_wait_in_its_speed_to_lead() -> None:
    a = _route(default_policy(), [_rep("sam")], at=EVENING)
    assert a.held_until is not None
    told = mark_notified(a, a.held_until)
    assert told.speed_to_lead_seconds == (a.held_until - EVENING).total_seconds() == 12.5 * 3600


def test_the_pattern_records_the_timer_and_uses_the_audit_history() -> None:

    policy = default_policy()
    crm = tiny_crm(sam_open=5, priya_open=5)  # equal loads: recency decides
    crm.append_audit(
        "D-1",
        AuditEntry(
            at=MONDAY,
            actor="system",
            action_id="a1",
            kind="assign_owner",
            decision="executed",
            original_args={"rep_id": "rep-priya"},
        ),
    )
    scorer = train_scorer(read_closed_deals_csv()[:50], policy)

    graph = build(fake_pattern_deps(crm=crm, policy=policy, scorer=scorer)).compile(
        checkpointer=InMemorySaver(serde=make_serializer())
    )
    config = {"configurable": {"thread_id": "D-2001"}}
    graph.invoke(_lead_created(), config)
    a = _values(graph, config).assignment
    assert a is not None
    # Priya got the latest lead, so Sam (equally loaded) goes first.
    assert a.rep_id == "rep-sam"
    assert a.arrived_at == MONDAY and a.notify_at == MONDAY and a.held_until is None

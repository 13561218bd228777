from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from sales_operator.adapters.base import Rep
from sales_operator.policy import Policy, RoutingRule, default_policy
from sales_operator.scoring.routing import route_lead, rule_matches
from sales_operator.state import Account

AT = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)

NORTHWIND = Account(
    id="A-NWL",
    name="Northwind Logistics",
    industry="Logistics",
    employees=450,
    territory="NA-East",
)


def _reps() -> list[Rep]:
    return [
        Rep(
            id="rep-sam",
            name="Sam Rivera",
            email="sam@x.com",
            territory="NA-East",
            segments=["mid_market"],
            capacity=20,
        ),
        Rep(
            id="rep-priya",
            name="Priya Nair",
            email="priya@x.com",
            territory="NA-East",
            segments=["mid_market"],
            capacity=12,
        ),
        Rep(
            id="rep-lena",
            name="Lena Fischer",
            email="lena@x.com",
            territory="EMEA",
            segments=["smb", "mid_market"],
            capacity=20,
        ),
        Rep(
            id="rep-tom",
            name="Tom Becker",
            email="tom@x.com",
            territory="NA-West",
            segments=["smb", "mid_market"],
            capacity=20,
        ),
        Rep(
            id="rep-grace",
            name="Grace Okafor",
            email="grace@x.com",
            territory=None,
            segments=["enterprise"],
            capacity=15,
        ),
        Rep(
            id="rep-omar",
            name="Omar Haddad",
            email="omar@x.com",
            role="sdr",
            territory="NA-East",
            segments=["smb"],
            capacity=40,
        ),
        Rep(id="mgr-jordan", name="Jordan Lee", email="jordan@x.com", role="manager", capacity=0),
        Rep(
            id="queue-inbound",
            name="Inbound SDR queue",
            email="inbound@x.com",
            role="queue",
            capacity=10_000,
        ),
    ]


COUNTS = {"rep-sam": 8, "rep-priya": 12, "rep-lena": 5, "rep-tom": 3, "rep-grace": 4}


@pytest.fixture
def policy() -> Policy:
    return default_policy()


def _route(policy: Policy, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "account": NORTHWIND,
        "score_band": "A",
        "lead_source": "demo_request",
        "reps": _reps(),
        "open_counts": COUNTS,
        "policy": policy,
        "at": AT,
    }
    args.update(kw)
    return route_lead(**args)


def test_seed_lead_goes_to_sam_because_priya_is_at_capacity(policy: Policy) -> None:
    a = _route(policy)
    assert (a.rep_id, a.rep_name) == ("rep-sam", "Sam Rivera")
    assert a.rule == "territory and segment"
    assert not a.fallback
    assert a.assigned_at == AT
    assert "Priya Nair skipped: at capacity 12/12" in a.reason
    assert "territory NA-East, segment mid_market, band A" in a.reason
    assert "Sam Rivera chosen" in a.reason


def test_out_of_office_rep_is_skipped(policy: Policy) -> None:
    reps = _reps()
    reps[0] = reps[0].model_copy(update={"out_of_office": [(date(2026, 11, 1), date(2026, 11, 6))]})
    a = _route(policy, reps=reps, open_counts={**COUNTS, "rep-priya": 4})
    assert a.rep_id == "rep-priya"
    assert "Sam Rivera skipped: out of office 2026-11-01 to 2026-11-06" in a.reason
    # Back from holiday: the lighter-loaded of the two wins again.
    later = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
    b = _route(policy, reps=reps, open_counts={**COUNTS, "rep-priya": 9}, at=later)
    assert b.rep_id == "rep-sam"


def test_nobody_available_goes_to_the_fallback_queue(policy: Policy) -> None:
    a = _route(policy, open_counts={**COUNTS, "rep-sam": 20})
    assert a.fallback
    assert (a.rep_id, a.rep_name, a.rule) == ("queue-inbound", "Inbound SDR queue", "fallback")
    assert "Sam Rivera skipped: at capacity 20/20" in a.reason
    assert "Priya Nair skipped: at capacity 12/12" in a.reason


def test_unknown_territory_falls_back(policy: Policy) -> None:
    apac = NORTHWIND.model_copy(update={"territory": "APAC"})
    a = _route(policy, account=apac)
    assert a.fallback
    assert "no rule placed the lead" in a.reason
    assert "no rep fits" in a.reason


@pytest.mark.parametrize(
    ("territory", "employees", "rep_id"),
    [
        ("EMEA", 300, "rep-lena"),
        ("NA-West", 120, "rep-tom"),
        ("NA-East", 90, "rep-omar"),  # the SDR covers NA-East smb
        ("NA-East", 450, "rep-sam"),
    ],
)
def test_territory_and_segment_decide(
    policy: Policy, territory: str, employees: int, rep_id: str
) -> None:
    account = NORTHWIND.model_copy(update={"territory": territory, "employees": employees})
    assert _route(policy, account=account).rep_id == rep_id


def test_enterprise_rule_wins_first(policy: Policy) -> None:
    big = NORTHWIND.model_copy(update={"employees": 2500, "territory": "EMEA"})
    a = _route(policy, account=big)
    assert a.rep_id == "rep-grace"
    assert a.rule == "enterprise accounts"


def test_rules_with_band_source_and_named_reps(policy: Policy) -> None:
    hot = RoutingRule(
        name="hot demo requests to the SDR",
        when={"min_band": "B", "source": ["demo_request", "referral"], "territory": "NA-East"},
        reps=["rep-omar", "rep-ghost"],
    )
    custom = policy.model_copy(
        update={
            "routing": policy.routing.model_copy(update={"rules": [hot, *policy.routing.rules]})
        }
    )
    a = _route(custom, score_band="A")
    assert (a.rep_id, a.rule) == ("rep-omar", "hot demo requests to the SDR")
    assert "rep-ghost skipped: no such rep" in a.reason
    assert _route(custom, score_band="C").rule == "territory and segment"
    assert _route(custom, lead_source="outbound").rule == "territory and segment"


def test_rule_matching_explains_misses() -> None:
    rule = RoutingRule(name="r", when={"min_band": "B", "segment": "enterprise"})
    assert rule_matches(rule, territory="EMEA", segment="enterprise", band="A", source=None)[0]
    ok, why = rule_matches(rule, territory="EMEA", segment="enterprise", band="C", source=None)
    assert not ok and why == "band C is below B"
    ok, why = rule_matches(rule, territory="EMEA", segment="smb", band="A", source=None)
    assert not ok and "segment smb" in why


def test_weighted_least_loaded_then_recency_then_name(policy: Policy) -> None:
    reps = _reps()
    reps[1] = reps[1].model_copy(update={"capacity": 30, "weight": 2.0})
    # Priya: 12 / 2 = 6 is lighter than Sam: 8 / 1.
    assert _route(policy, reps=reps).rep_id == "rep-priya"
    # Equal loads: whoever got a lead least recently, then by name.
    even = {**COUNTS, "rep-sam": 6}
    assert _route(policy, reps=reps, open_counts=even).rep_id == "rep-priya"
    assert (
        _route(policy, reps=reps, open_counts=even, recent=["rep-sam", "rep-priya"]).rep_id
        == "rep-sam"
    )


def test_inactive_reps_managers_and_queues_never_get_leads(policy: Policy) -> None:
    reps = _reps()
    reps[0] = reps[0].model_copy(update={"active": False})
    a = _route(policy, reps=reps)
    assert a.fallback
    assert "Sam Rivera skipped: inactive" in a.reason
    assert a.rep_id == "queue-inbound"

"""HubSpotCRM through the real `hubspot-api-client` against a local HubSpot on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

pytest.importorskip("hubspot")

from hubspot import HubSpot  # noqa: E402

from sales_operator.adapters.hubspot import HubSpotCRM  # noqa: E402
from sales_operator.adapters.sqlite_crm import SQLiteCRM  # noqa: E402
from sales_operator.errors import (  # noqa: E402
    ConfigurationError,
    PermanentAdapterError,
    TransientAdapterError,
)
from sales_operator.state import Account, Activity, Contact, Deal  # noqa: E402
from tests.servers.hubspot_api import HubSpotServer  # noqa: E402


@pytest.fixture
def portal() -> HubSpotServer:
    server = HubSpotServer()
    company = server.add(
        "companies",
        {
            "name": "Northwind Logistics",
            "domain": "northwind-logistics.com",
            "industry": "TRANSPORTATION_TRUCKING_RAILROAD",
            "numberofemployees": "450",
            "country": "United States",
        },
        object_id="101",
    )
    dana = server.add(
        "contacts",
        {
            "firstname": "Dana",
            "lastname": "Whitfield",
            "email": "dana.whitfield@northwind-logistics.com",
            "jobtitle": "VP of Operations",
        },
        object_id="201",
    )
    server.associate("contacts", dana, "companies", company)
    deal = server.add(
        "deals",
        {
            "dealname": "Northwind fleet",
            "dealstage": "qualifiedtobuy",
            "amount": "48000",
            "closedate": "2026-12-18T17:00:00.000Z",
            "hubspot_owner_id": "77",
            "sales_operator_deal_id": "D-2001",
        },
        object_id="301",
    )
    server.associate("deals", deal, "companies", company)
    lost = server.add(
        "deals",
        {
            "dealname": "Northwind 2025 pilot",
            "dealstage": "closedlost",
            "closed_lost_reason": "Chose FleetPilot on price",
            "closedate": "2025-06-01T17:00:00.000Z",
        },
        object_id="302",
    )
    server.associate("deals", lost, "companies", company)
    note = server.add(
        "notes",
        {
            "hs_note_body": "Dana asked about telematics integration",
            "hs_timestamp": "2026-11-20T15:00:00.000Z",
        },
        object_id="401",
    )
    server.associate("notes", note, "companies", company)
    call = server.add(
        "calls",
        {
            "hs_call_title": "Discovery call",
            "hs_call_body": "Dispatch pains",
            "hs_timestamp": "2026-11-25T15:00:00.000Z",
        },
        object_id="501",
    )
    server.associate("calls", call, "companies", company)
    server.add_owner("77", "sam.rivera@orbitalfreight.com", "Sam", "Rivera")
    server.add_owner("78", "priya.nair@orbitalfreight.com", "Priya", "Nair")
    return server


@pytest.fixture
def crm(portal: HubSpotServer, tmp_path: Path) -> Iterator[HubSpotCRM]:
    sleeps: list[float] = []
    with portal.serve() as url:
        client = HubSpot(access_token="pat-test", host=url)
        connector = HubSpotCRM(
            client, SQLiteCRM.open_seeded(tmp_path / "ledger.sqlite"), sleep=sleeps.append
        )
        connector.sleeps = sleeps  # type: ignore[attr-defined]
        yield connector


def test_reads_company_contacts_deal_and_history(crm: HubSpotCRM) -> None:
    account = crm.get_account("101")
    assert account is not None and account.name == "Northwind Logistics"
    assert account.employees == 450 and account.domain == "northwind-logistics.com"
    assert [c.email for c in crm.list_contacts("101")] == ["dana.whitfield@northwind-logistics.com"]
    deal = crm.get_deal("D-2001")
    assert deal is not None
    assert (deal.stage, deal.amount, deal.close_date) == ("discovery", 48000.0, date(2026, 12, 18))
    assert deal.owner_id == "rep-sam"  # HubSpot owner 77 is Sam by email
    assert crm.get_deal("301") is not None  # HubSpot's own id works too
    assert crm.get_deal("D-404") is None and crm.get_account("999") is None
    history = crm.account_history("101")
    refs = [h.ref for h in history]
    assert refs == ["hubspot:deal/302", "hubspot:note/401", "hubspot:call/501", "hubspot:deal/301"]
    assert history[2].kind == "activity" and history[2].title == "Discovery call"
    assert "Chose FleetPilot on price" in history[0].text


def test_writes_carry_the_key_and_a_retry_does_not_duplicate(
    crm: HubSpotCRM, portal: HubSpotServer
) -> None:
    first = crm.add_note("D-2001", "Call recap", idempotency_key="k-note-1")
    again = crm.add_note("D-2001", "Call recap", idempotency_key="k-note-1")
    assert first["note_id"] == again["note_id"] and first["created"] and not again["created"]
    notes = [
        n
        for n in portal.objects["notes"].values()
        if n["properties"].get("sales_operator_key") == "k-note-1"
    ]
    assert len(notes) == 1 and notes[0]["associations"]["deals"] == ["301"]

    task = crm.create_task(
        "D-2001",
        title="Send security pack",
        owner_id="rep-priya",
        due=date(2026, 12, 10),
        notes="Dana asked",
        idempotency_key="k-task",
    )
    stored = portal.objects["tasks"][task["task_id"]]["properties"]
    assert stored["hubspot_owner_id"] == "78" and stored["hs_timestamp"].startswith("2026-12-10")
    crm.create_task(
        "D-2001",
        title="Send security pack",
        owner_id="rep-priya",
        due=date(2026, 12, 10),
        notes="Dana asked",
        idempotency_key="k-task",
    )
    assert len(portal.objects["tasks"]) == 1


def test_stage_owner_and_fields(crm: HubSpotCRM, portal: HubSpotServer) -> None:
    crm.change_stage("D-2001", "proposal", idempotency_key="k1")
    assert portal.objects["deals"]["301"]["properties"]["dealstage"] == "decisionmakerboughtin"
    assert crm.get_deal("D-2001").stage == "proposal"  # type: ignore[union-attr]
    crm.assign_owner("D-2001", "rep-priya", idempotency_key="k2")
    assert portal.objects["deals"]["301"]["properties"]["hubspot_owner_id"] == "78"
    result = crm.update_deal_fields(
        "D-2001", {"next_step": "Pricing call", "pains": ["manual dispatch"]}, idempotency_key="k3"
    )
    assert portal.objects["deals"]["301"]["properties"]["hs_next_step"] == "Pricing call"
    note = portal.objects["notes"][result["note_id"]]["properties"]["hs_note_body"]
    assert "pains" in note and "manual dispatch" in note  # nothing lost for unmapped fields
    crm.change_stage(
        "D-2001", "closed_won", idempotency_key="k8", at=datetime(2026, 12, 1, 15, tzinfo=UTC)
    )
    props = portal.objects["deals"]["301"]["properties"]
    assert props["dealstage"] == "closedwon" and props["closedate"].startswith("2026-12-01")
    with pytest.raises(PermanentAdapterError, match="no HubSpot dealstage"):
        crm.change_stage("D-2001", "limbo", idempotency_key="k4")
    with pytest.raises(PermanentAdapterError, match="not a HubSpot owner"):
        crm.assign_owner("D-2001", "rep-lena", idempotency_key="k5")
    with pytest.raises(PermanentAdapterError, match="no deal"):
        crm.add_note("D-404", "x", idempotency_key="k6")


def test_rate_limits_back_off_with_retry_after(crm: HubSpotCRM, portal: HubSpotServer) -> None:
    portal.rate_limit_next = 2
    assert crm.get_account("101") is not None
    assert len(crm.sleeps) == 2  # type: ignore[attr-defined]
    portal.rate_limit_next = 3  # the key search and the create are POSTs
    crm.add_note("D-2001", "after a 429", idempotency_key="k-429")
    assert len(crm.sleeps) == 5  # type: ignore[attr-defined]
    assert (
        sum(
            1
            for n in portal.objects["notes"].values()
            if n["properties"].get("sales_operator_key") == "k-429"
        )
        == 1
    )
    portal.rate_limit_next = 50
    with pytest.raises(TransientAdapterError, match="rate-limited"):
        crm.get_account("101")


def test_server_errors_are_transient_and_the_retry_finds_the_first_write(
    crm: HubSpotCRM, portal: HubSpotServer
) -> None:
    portal.fail_next_with = [503]
    with pytest.raises(TransientAdapterError, match="503"):
        crm.add_note("D-2001", "x", idempotency_key="k-retry")
    crm.add_note("D-2001", "x", idempotency_key="k-retry")
    crm.add_note("D-2001", "x", idempotency_key="k-retry")
    keyed = [
        n
        for n in portal.objects["notes"].values()
        if n["properties"].get("sales_operator_key") == "k-retry"
    ]
    assert len(keyed) == 1


def test_new_lead_creates_company_contact_and_deal_once(
    crm: HubSpotCRM, portal: HubSpotServer
) -> None:
    deal = Deal(id="D-3001", name="Acme routing", stage="new", amount=12000.0)
    account = Account(id="A-ACME", name="Acme Freight", domain="acme.example")
    contact = Contact(id="C-1", name="Ann Lee", email="ann@acme.example")
    for _ in range(2):
        result = crm.upsert_records(
            deal=deal, account=account, contacts=[contact], lead=None, idempotency_key="lead-1"
        )
    assert (
        sum(
            1
            for d in portal.objects["deals"].values()
            if d["properties"].get("sales_operator_deal_id") == "D-3001"
        )
        == 1
    )
    assert crm.get_deal("D-3001").name == "Acme routing"  # type: ignore[union-attr]
    hs_deal = portal.objects["deals"][result["hubspot_deal_id"]]
    assert hs_deal["associations"]["companies"] == [result["company_id"]]
    crm.log_activity(
        "D-3001",
        Activity(
            at=datetime(2026, 12, 1, tzinfo=UTC),
            kind="reply",
            direction="inbound",
            summary="Reviewing with Marcus",
        ),
        idempotency_key="act-1",
    )
    assert any(
        "Reviewing with Marcus" in (n["properties"].get("hs_note_body") or "")
        for n in portal.objects["notes"].values()
    )


def test_ledger_keeps_receipts_reps_and_audit(crm: HubSpotCRM) -> None:
    assert {r.id for r in crm.list_reps()} >= {"rep-sam", "rep-priya"}
    assert crm.get_receipt("nope") is None
    assert crm.audit_log("D-2001") == []


def test_bad_token_is_permanent_and_missing_token_is_a_configuration_error(
    portal: HubSpotServer, tmp_path: Path
) -> None:
    with portal.serve() as url:
        crm = HubSpotCRM(
            HubSpot(access_token="wrong", host=url), SQLiteCRM.open_seeded(tmp_path / "l.sqlite")
        )
        with pytest.raises(PermanentAdapterError, match="401"):
            crm.get_account("101")
    with pytest.raises(ConfigurationError, match="HUBSPOT_ACCESS_TOKEN"):
        HubSpotCRM.from_env(SQLiteCRM.open_seeded(tmp_path / "m.sqlite"), env={})
    made = HubSpotCRM.from_env(
        SQLiteCRM.open_seeded(tmp_path / "n.sqlite"),
        env={"HUBSPOT_ACCESS_TOKEN": "pat-test", "HUBSPOT_BASE_URL": "http://127.0.0.1:9"},
    )
    assert made.client.crm.objects.basic_api.api_client.configuration.host == "http://127.0.0.1:9"

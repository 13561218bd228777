"""SalesforceCRM through the real `simple-salesforce` against a local org over TLS on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

pytest.importorskip("simple_salesforce")
pytest.importorskip("cryptography")

import requests  # noqa: E402
from simple_salesforce import Salesforce  # noqa: E402

from sales_operator.adapters.salesforce import SalesforceCRM, external_key  # noqa: E402
from sales_operator.adapters.sqlite_crm import SQLiteCRM  # noqa: E402
from sales_operator.errors import (  # noqa: E402
    ConfigurationError,
    PermanentAdapterError,
    TransientAdapterError,
)
from sales_operator.state import Account, Activity, Contact, Deal  # noqa: E402
from tests.servers.salesforce_api import SalesforceServer, tls_context  # noqa: E402


@pytest.fixture
def org() -> SalesforceServer:
    server = SalesforceServer()
    acct = server.add(
        "Account",
        {
            "Name": "Northwind Logistics",
            "Website": "https://www.northwind-logistics.com",
            "Industry": "Transportation",
            "NumberOfEmployees": 450,
            "BillingCountry": "US",
        },
    )
    server.add(
        "Contact",
        {
            "Name": "Dana Whitfield",
            "Email": "dana.whitfield@northwind-logistics.com",
            "Title": "VP of Operations",
            "AccountId": acct,
        },
    )
    sam = server.add("User", {"Email": "sam.rivera@orbitalfreight.com", "IsActive": True})
    server.add("User", {"Email": "priya.nair@orbitalfreight.com", "IsActive": True})
    opp = server.add(
        "Opportunity",
        {
            "Name": "Northwind fleet",
            "StageName": "Qualification",
            "Amount": 48000.0,
            "CloseDate": "2026-12-18",
            "OwnerId": sam,
            "AccountId": acct,
            "Sales_Operator_Deal_Id__c": "D-2001",
        },
    )
    server.add(
        "Task",
        {
            "Subject": "Intro call",
            "Description": "Asked about telematics",
            "ActivityDate": "2026-11-20",
            "WhatId": opp,
        },
    )
    server.add(
        "Event",
        {
            "Subject": "Discovery call",
            "Description": "Dispatch pains",
            "ActivityDateTime": "2026-11-25T15:00:00.000+0000",
            "WhatId": opp,
        },
    )
    server.account_id = acct  # type: ignore[attr-defined]
    server.opp_id = opp  # type: ignore[attr-defined]
    return server


@pytest.fixture
def crm(org: SalesforceServer, tmp_path: Path) -> Iterator[SalesforceCRM]:
    ctx, cert = tls_context(tmp_path)
    with org.serve(ssl_context=ctx) as url:
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would override `verify`
        session.verify = str(cert)
        sf = Salesforce(instance_url=url, session_id="00Dtoken", session=session)
        sleeps: list[float] = []
        connector = SalesforceCRM(
            sf, SQLiteCRM.open_seeded(tmp_path / "ledger.sqlite"), sleep=sleeps.append
        )
        connector.sleeps = sleeps  # type: ignore[attr-defined]
        yield connector


def test_reads(crm: SalesforceCRM, org: SalesforceServer) -> None:
    account = crm.get_account(org.account_id)  # type: ignore[attr-defined]
    assert account is not None and account.domain == "northwind-logistics.com"
    assert account.employees == 450
    assert [c.name for c in crm.list_contacts(account.id)] == ["Dana Whitfield"]
    deal = crm.get_deal("D-2001")
    assert deal is not None and deal.stage == "discovery" and deal.owner_id == "rep-sam"
    assert deal.close_date == date(2026, 12, 18)
    assert crm.get_deal(org.opp_id) is not None  # type: ignore[attr-defined]
    assert crm.get_deal("D-404") is None
    assert crm.get_account("001000000000999AAA") is None
    history = crm.account_history(account.id)
    assert [h.kind for h in history] == ["task", "activity", "deal"]
    assert history[0].text == "Asked about telematics"


def test_quotes_in_ids_cannot_break_the_query(crm: SalesforceCRM) -> None:
    assert crm.list_contacts("x' OR Name != '") == []


def test_keyed_upserts_never_duplicate(crm: SalesforceCRM, org: SalesforceServer) -> None:
    key = "D-2001:evt-3:create_task:1/with:odd chars?"
    first = crm.create_task(
        "D-2001",
        title="Send security pack",
        owner_id="rep-priya",
        due=date(2026, 12, 10),
        notes="Dana asked",
        idempotency_key=key,
    )
    again = crm.create_task(
        "D-2001",
        title="Send security pack",
        owner_id="rep-priya",
        due=date(2026, 12, 10),
        notes="Dana asked",
        idempotency_key=key,
    )
    assert first["task_id"] == again["task_id"]
    tasks = [
        t
        for t in org.records["Task"].values()
        if t.get("Sales_Operator_Key__c") == external_key(key)
    ]
    assert len(tasks) == 1
    assert tasks[0]["WhatId"] == org.opp_id and tasks[0]["ActivityDate"] == "2026-12-10"  # type: ignore[attr-defined]
    owner = next(
        u for u in org.records["User"].values() if u["Email"] == "priya.nair@orbitalfreight.com"
    )
    assert tasks[0]["OwnerId"] == owner["Id"]
    note = crm.add_note("D-2001", "Call recap\nThey want SSO", idempotency_key="n1")
    assert org.records["Task"][note["note_id"]]["Status"] == "Completed"


def test_stage_owner_fields_and_errors(crm: SalesforceCRM, org: SalesforceServer) -> None:
    opp = org.records["Opportunity"][org.opp_id]  # type: ignore[attr-defined]
    crm.change_stage("D-2001", "negotiation", idempotency_key="k1")
    assert opp["StageName"] == "Negotiation/Review"
    crm.assign_owner("D-2001", "rep-priya", idempotency_key="k2")
    assert org.records["User"][opp["OwnerId"]]["Email"] == "priya.nair@orbitalfreight.com"
    result = crm.update_deal_fields(
        "D-2001", {"close_date": date(2027, 1, 15), "pains": ["a", "b"]}, idempotency_key="k3"
    )
    assert opp["CloseDate"] == "2027-01-15"
    assert "pains: a; b" in org.records["Task"][result["note_id"]]["Description"]
    crm.change_stage(
        "D-2001", "closed_lost", idempotency_key="k8", at=datetime(2026, 12, 1, 15, tzinfo=UTC)
    )
    assert (opp["StageName"], opp["CloseDate"]) == ("Closed Lost", "2026-12-01")
    with pytest.raises(PermanentAdapterError, match="no Salesforce StageName"):
        crm.change_stage("D-2001", "limbo", idempotency_key="k4")
    with pytest.raises(PermanentAdapterError, match="not an active Salesforce user"):
        crm.assign_owner("D-2001", "rep-lena", idempotency_key="k5")
    with pytest.raises(PermanentAdapterError, match="no opportunity"):
        crm.add_note("D-404", "x", idempotency_key="k6")


def test_limits_back_off_then_turn_transient(crm: SalesforceCRM, org: SalesforceServer) -> None:
    org.fail_next_with = [503, 503]
    assert crm.get_deal("D-2001") is not None
    assert len(crm.sleeps) == 2  # type: ignore[attr-defined]
    org.fail_next_with = [503] * 10
    with pytest.raises(TransientAdapterError, match="rate-limited"):
        crm.get_deal("D-2001")


def test_new_lead_upserts_once(crm: SalesforceCRM, org: SalesforceServer) -> None:
    deal = Deal(id="D-3001", name="Acme routing", stage="new", amount=12000.0)
    account = Account(id="A-ACME", name="Acme Freight", domain="acme.example")
    contact = Contact(id="C-1", name="Ann Lee", email="ann@acme.example")
    for _ in range(2):
        out = crm.upsert_records(
            deal=deal, account=account, contacts=[contact], lead=None, idempotency_key="lead-1"
        )
    assert (
        sum(
            1
            for o in org.records["Opportunity"].values()
            if o.get("Sales_Operator_Deal_Id__c") == "D-3001"
        )
        == 1
    )
    assert org.records["Contact"][out["contact_ids"][0]]["AccountId"] == out["account_id"]
    crm.log_activity(
        "D-3001",
        Activity(
            at=datetime(2026, 12, 1, tzinfo=UTC),
            kind="reply",
            direction="inbound",
            summary="Reviewing with Marcus",
        ),
        idempotency_key="a1",
    )
    assert crm.get_deal("D-3001").stage == "new"  # type: ignore[union-attr]


def test_from_env_needs_a_token_or_a_login(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SALESFORCE_USERNAME"):
        SalesforceCRM.from_env(SQLiteCRM.open_seeded(tmp_path / "l.sqlite"), env={})
    with pytest.raises(ConfigurationError, match="SALESFORCE_INSTANCE_URL"):
        SalesforceCRM.from_env(
            SQLiteCRM.open_seeded(tmp_path / "m.sqlite"), env={"SALESFORCE_ACCESS_TOKEN": "t"}
        )

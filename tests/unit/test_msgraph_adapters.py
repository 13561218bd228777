"""Outlook drafts and events through Microsoft Graph's REST API on a local server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sales_operator.adapters.msgraph import (
    KEY_PROPERTY,
    GraphCalendar,
    GraphClient,
    GraphDraftMailer,
)
from sales_operator.errors import (
    ConfigurationError,
    PermanentAdapterError,
    TransientAdapterError,
)
from tests.servers.msgraph_api import GraphServer


@pytest.fixture
def graph() -> Iterator[tuple[GraphServer, GraphClient, list[float]]]:
    server = GraphServer()
    sleeps: list[float] = []
    with server.serve() as url:
        client = GraphClient(
            "eyJ0.graph",
            user="sam.rivera@orbitalfreight.com",
            base_url=url + "/v1.0",
            sleep=sleeps.append,
        )
        yield server, client, sleeps


def test_draft_once_per_key_and_a_sent_draft_is_not_recreated(graph) -> None:  # type: ignore[no-untyped-def]
    server, client, _ = graph
    mailer = GraphDraftMailer(client, sender="sam.rivera@orbitalfreight.com")
    key = "D-2001:evt'2:send_email:1"  # a quote in the key must not break the $filter
    args = dict(
        to=["Dana Whitfield <dana.whitfield@northwind-logistics.com>"],
        subject="Recap",
        body="Hi Dana",
        idempotency_key=key,
    )
    first = mailer.send(**args)  # type: ignore[arg-type]
    assert mailer.send(**args) == first and len(server.messages) == 1  # type: ignore[arg-type]
    stored = server.messages[first["draft_id"]]
    assert stored["toRecipients"] == [
        {
            "emailAddress": {
                "address": "dana.whitfield@northwind-logistics.com",
                "name": "Dana Whitfield",
            }
        }
    ]
    assert stored["singleValueExtendedProperties"] == [{"id": KEY_PROPERTY, "value": key}]
    assert stored["user"] == "sam.rivera@orbitalfreight.com"
    stored["isDraft"] = False  # the rep sent it
    assert mailer.send(**args)["status"] == "sent" and len(server.messages) == 1  # type: ignore[arg-type]


def test_rate_limit_waits_for_retry_after_then_gives_up(graph) -> None:  # type: ignore[no-untyped-def]
    server, client, sleeps = graph
    mailer = GraphDraftMailer(client, sender="sam.rivera@orbitalfreight.com")
    server.rate_limit_next = 1
    server.retry_after = "3"
    mailer.send(to=["a@b.com"], subject="x", body="y", idempotency_key="k1")
    assert sleeps and sleeps[0] >= 3
    server.rate_limit_next = 20
    with pytest.raises(TransientAdapterError, match="rate-limited"):
        mailer.send(to=["a@b.com"], subject="x", body="y", idempotency_key="k2")


def test_bad_address_and_bad_token(graph) -> None:  # type: ignore[no-untyped-def]
    server, client, _ = graph
    mailer = GraphDraftMailer(client, sender="sam.rivera@orbitalfreight.com")
    with pytest.raises(PermanentAdapterError, match="not an email address"):
        mailer.send(to=["nobody"], subject="x", body="y", idempotency_key="k")
    assert server.count("POST", "/messages") == 0
    bad = GraphClient("wrong", user="u@x.com", base_url=str(client.http.base_url))
    with pytest.raises(PermanentAdapterError, match="401"):
        GraphDraftMailer(bad, sender="u@x.com").send(
            to=["a@b.com"], subject="x", body="y", idempotency_key="k"
        )


def test_event_in_the_recipients_zone_once_per_key(graph) -> None:  # type: ignore[no-untyped-def]
    server, client, _ = graph
    calendar = GraphCalendar(client)
    args = dict(
        title="Pricing call",
        start=datetime(2026, 12, 10, 15, tzinfo=UTC),
        end=datetime(2026, 12, 10, 15, 30, tzinfo=UTC),
        attendees=["dana.whitfield@northwind-logistics.com"],
        description="Agenda",
        idempotency_key="D-2001:inv",
        timezone="America/New_York",
    )
    first = calendar.invite(**args)  # type: ignore[arg-type]
    assert calendar.invite(**args) == first and len(server.events) == 1  # type: ignore[arg-type]
    event = server.events[first["event_id"]]
    assert event["start"] == {"dateTime": "2026-12-10T10:00:00", "timeZone": "America/New_York"}
    assert event["attendees"][0]["type"] == "required"


def test_from_env() -> None:
    assert GraphClient.from_env(env={}) is None
    with pytest.raises(ConfigurationError, match="MSGRAPH_USER"):
        GraphClient.from_env(env={"MSGRAPH_ACCESS_TOKEN": "t"})


def test_connectors_follow_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sales_operator.adapters.connectors import apply_connectors
    from sales_operator.adapters.hubspot import HubSpotCRM
    from sales_operator.adapters.salesforce import SalesforceCRM
    from sales_operator.deps import Deps

    deps = Deps.offline(tmp_path / "w")
    ledger = deps.crm
    assert apply_connectors(deps, env={}) == []
    used = apply_connectors(
        deps,
        env={
            "HUBSPOT_ACCESS_TOKEN": "pat",
            "MSGRAPH_ACCESS_TOKEN": "t",
            "MSGRAPH_USER": "sam@x.com",
        },
    )
    assert used == ["hubspot", "msgraph_mail", "msgraph_calendar"]
    assert isinstance(deps.crm, HubSpotCRM) and deps.crm.ledger is ledger
    assert isinstance(deps.mailer, GraphDraftMailer) and isinstance(deps.calendar, GraphCalendar)
    with pytest.raises(ConfigurationError, match="SALES_OPERATOR_CRM"):
        apply_connectors(
            Deps.offline(tmp_path / "x"),
            env={"HUBSPOT_ACCESS_TOKEN": "a", "SALESFORCE_ACCESS_TOKEN": "b"},
        )
    chosen = Deps.offline(tmp_path / "y")
    apply_connectors(
        chosen,
        env={
            "HUBSPOT_ACCESS_TOKEN": "a",
            "SALESFORCE_ACCESS_TOKEN": "b",
            "SALESFORCE_INSTANCE_URL": "https://127.0.0.1:9",
            "SALES_OPERATOR_CRM": "salesforce",
        },
    )
    assert isinstance(chosen.crm, SalesforceCRM)

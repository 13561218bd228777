"""MCPCRM through a real MCP client session against a local vendor MCP server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from sales_operator.adapters.mcp_crm import MCPCRM, classify_tool, external_key  # noqa: E402
from sales_operator.adapters.sqlite_crm import SQLiteCRM  # noqa: E402
from sales_operator.errors import ConfigurationError, PermanentAdapterError  # noqa: E402
from sales_operator.policy import default_policy  # noqa: E402
from tests.servers.vendor_mcp import vendor_server  # noqa: E402


@pytest.fixture
def crm(tmp_path: Path) -> Iterator[tuple[MCPCRM, dict[str, Any]]]:
    server, db = vendor_server()
    connector = MCPCRM(
        server,
        SQLiteCRM.open_seeded(tmp_path / "ledger.sqlite"),
        stage_names={"discovery": "Discovery", "proposal": "Proposal"},
    )
    try:
        yield connector, db
    finally:
        connector.close()


def test_reads_through_read_only_tools(crm) -> None:  # type: ignore[no-untyped-def]
    connector, _ = crm
    assert connector.get_account("c1").name == "Northwind Logistics"  # type: ignore[union-attr]
    assert connector.get_account("c404") is None
    assert [c.email for c in connector.list_contacts("c1")] == [
        "dana.whitfield@northwind-logistics.com"
    ]
    deal = connector.get_deal("D-2001")
    assert deal is not None and deal.stage == "discovery" and deal.owner_id == "rep-sam"
    assert deal.close_date == date(2026, 12, 18)
    assert connector.get_deal("D-404") is None
    assert [h.ref for h in connector.account_history("c1")] == ["mcp:note/a1"]


def test_writes_are_keyed_and_a_retry_finds_the_first(crm) -> None:  # type: ignore[no-untyped-def]
    connector, db = crm
    first = connector.create_task(
        "D-2001",
        title="Send security pack",
        owner_id="rep-priya",
        due=date(2026, 12, 10),
        notes="asked",
        idempotency_key="k1",
    )
    again = connector.create_task(
        "D-2001",
        title="Send security pack",
        owner_id="rep-priya",
        due=date(2026, 12, 10),
        notes="asked",
        idempotency_key="k1",
    )
    assert first["task_id"] == again["task_id"] and first["created"] and not again["created"]
    [task] = [r for r in db["records"].values() if r["type"] == "task"]
    assert task["owner_email"] == "priya.nair@orbitalfreight.com"
    assert task["external_key"] == external_key("k1")
    connector.change_stage("D-2001", "proposal", idempotency_key="k2")
    assert db["deals"]["D-2001"]["stage"] == "Proposal"
    with pytest.raises(PermanentAdapterError, match="no deal"):
        connector.change_stage("D-404", "proposal", idempotency_key="k3")


def test_write_scopes_map_onto_approval_tiers(crm) -> None:  # type: ignore[no-untyped-def]
    connector, _ = crm
    assert connector.tiers["get_deal"] == "read"
    assert connector.tiers["create_note"] == "rep"
    assert connector.tiers["update_deal"] == "manager"  # declares nothing: MCP defaults
    assert connector.tiers["delete_deal"] == "manager"
    assert connector.review_overrides() == {
        "update_crm": "manager",
        "change_stage": "manager",
        "assign_owner": "manager",
    }
    policy = default_policy()
    assert policy.approval.actions["update_crm"].reviewer == "rep"
    raised = connector.apply_to_policy(policy)
    assert raised.approval.actions["update_crm"].reviewer == "manager"
    assert raised.approval.actions["log_note"].reviewer == "rep"
    assert policy.approval.actions["update_crm"].reviewer == "rep"  # the original is untouched
    assert classify_tool(None) == "manager"


def test_a_read_through_a_write_tool_is_refused(tmp_path: Path) -> None:
    server, _ = vendor_server(get_deal_read_only=False)
    with pytest.raises(ConfigurationError, match="get_deal.*not read-only"):
        MCPCRM(server, SQLiteCRM.open_seeded(tmp_path / "l.sqlite"))


def test_a_missing_tool_is_named(tmp_path: Path) -> None:
    from sales_operator.adapters.mcp_crm import MCPToolMap

    server, _ = vendor_server()
    with pytest.raises(ConfigurationError, match="'add_activity' is not a tool"):
        MCPCRM(
            server,
            SQLiteCRM.open_seeded(tmp_path / "l.sqlite"),
            tools=MCPToolMap(add_note="add_activity"),
        )

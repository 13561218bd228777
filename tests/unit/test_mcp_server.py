"""The operator's read tools through a real MCP client session (in-process transport)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("mcp")

from mcp import Client  # noqa: E402

from sales_operator import Deps, build_operator  # noqa: E402
from sales_operator.demo import lifecycle_events  # noqa: E402
from sales_operator.mcp_server import READ_TOOLS, build_mcp_server  # noqa: E402
from sales_operator.runner import send_event  # noqa: E402
from tests.policies import one_request  # noqa: E402


def _text(result: Any) -> Any:
    assert not result.is_error, result
    return json.loads(result.content[0].text)


def test_other_agents_read_state_brief_and_approvals_but_cannot_decide(tmp_path: Path) -> None:
    # one request per lead: the lead's request waits with its brief written (under the default
    # speed_to_lead the brief comes after the first request is decided)
    deps = one_request(Deps.offline(tmp_path / "w", sample=True))
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    send_event(graph, lifecycle_events()[0])  # lead_created: stops at the approval gate
    server = build_mcp_server(deps, graph)

    async def session() -> dict[str, Any]:
        async with Client(server) as client:
            tools = (await client.list_tools()).tools
            return {
                "tools": {t.name: t.annotations for t in tools},
                "pending": _text(await client.call_tool("list_pending_approvals", {})),
                "state": _text(await client.call_tool("get_deal_state", {"deal_id": "D-2001"})),
                "brief": _text(await client.call_tool("get_account_brief", {"deal_id": "D-2001"})),
                "missing": _text(await client.call_tool("get_deal_state", {"deal_id": "D-404"})),
                "audit": _text(await client.call_tool("get_audit_trail", {"deal_id": "D-2001"})),
            }

    out = anyio.run(session)
    assert tuple(out["tools"]) == READ_TOOLS
    assert all(a.read_only_hint and not a.destructive_hint for a in out["tools"].values())
    assert not any("approve" in name or "decide" in name for name in out["tools"])
    assert [p["deal_id"] for p in out["pending"]] == ["D-2001"]
    kinds = {a["name"] for a in out["pending"][0]["action_requests"]}
    assert "assign_owner" in kinds
    assert out["state"]["deal"]["id"] == "D-2001" and out["state"]["score"]["probability"] > 0
    assert "transcript" not in out["state"]
    assert out["brief"]["brief"] is not None
    assert "no thread" in out["missing"]["error"]
    assert out["audit"] == []  # nothing decided yet; the server cannot decide


def test_the_cli_serves_the_tools_over_stdio(tmp_path: Path) -> None:
    import sys

    from mcp import StdioServerParameters

    deps = Deps.offline(tmp_path / "w", sample=True)
    graph = build_operator(deps, checkpointer=deps.checkpointer())
    send_event(graph, lifecycle_events()[0])
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m",
            "sales_operator.cli",
            "mcp",
            "--offline",
            "--sample",
            "--workdir",
            str(tmp_path / "w"),
        ],
    )

    async def session() -> Any:
        async with Client(params, read_timeout_seconds=120) as client:
            return _text(await client.call_tool("list_pending_approvals", {}))

    pending = anyio.run(session)
    assert [p["deal_id"] for p in pending] == ["D-2001"]

"""The operator under `langgraph dev`: a lead to approval and execution through the SDK.

Starts the real LangGraph dev server (in-memory runtime) on a free port of 127.0.0.1 with the
graphs of `langgraph.json`, and drives it with `langgraph-sdk` as Studio or Agent Chat UI
would. The pending deal has a `close_date`: `/threads/{id}/state` and `/history` must answer
200 with the date intact, and the server's log must hold no deserialisation warning.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sales_operator.demo import SEED_DEAL_ID, lifecycle_events

ROOT = Path(__file__).resolve().parents[2]
LANGGRAPH = Path(sys.executable).with_name("langgraph")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not LANGGRAPH.exists(),
        reason="langgraph-cli[inmem] is not installed (dev group)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(tmp_path: Path) -> Path:
    """Return a copy of langgraph.json whose paths point into the repository.

    The server then runs in `tmp_path`, so its `.langgraph_api/` folder lands there.
    """
    config = json.loads((ROOT / "langgraph.json").read_text())
    config["dependencies"] = [str(ROOT / d) for d in config["dependencies"]]
    config["graphs"] = {
        name: f"{(ROOT / target.split(':')[0]).resolve()}:{target.split(':')[1]}"
        for name, target in config["graphs"].items()
    }
    config.pop("env", None)
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    tmp_path = tmp_path_factory.mktemp("langgraph-dev")
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_WEBHOOK_URL")) and not k.startswith("SMTP_")
    }
    env.update(
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        LANGGRAPH_NO_VERSION_CHECK="true",
        LANGSMITH_TRACING="false",
        SALES_OPERATOR_MODEL="offline",
        SALES_OPERATOR_WORKDIR=str(tmp_path / "studio"),
    )
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(LANGGRAPH), "dev", "--port", str(port), "--no-browser", "--no-reload"]
            + ["--config", str(_config(tmp_path))],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 240
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"langgraph dev exited:\n{log_path.read_text()[-4000:]}")
                try:
                    if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"langgraph dev did not start:\n{log_path.read_text()[-4000:]}")
                time.sleep(0.5)
            yield url, log_path, tmp_path / "studio"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _interrupt(state: dict[str, Any]) -> dict[str, Any]:
    values = [i["value"] for task in state["tasks"] for i in task.get("interrupts", [])]
    [request] = [v for v in values if isinstance(v, dict) and "action_requests" in v]
    return request


def test_a_lead_goes_to_approval_and_execution_through_the_server(
    server: tuple[str, Path, Path],
) -> None:
    from langgraph_sdk import get_sync_client

    url, log_path, workdir = server
    client = get_sync_client(url=url)
    thread = client.threads.create(metadata={"deal_id": SEED_DEAL_ID})
    tid = thread["thread_id"]
    lead = lifecycle_events()[0]
    client.runs.wait(tid, "sales_operator", input={"event": lead})

    # the raw endpoints Studio calls: 200, and the close date is still the date it was
    response = httpx.get(f"{url}/threads/{tid}/state", timeout=30)
    assert response.status_code == 200, response.text
    values = response.json()["values"]
    assert values["deal"]["close_date"] == lead["payload"]["deal"]["close_date"]
    response = httpx.post(f"{url}/threads/{tid}/history", json={"limit": 20}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() and all("values" in item for item in response.json())

    # speed_to_lead (the bundled policy's default): the lead asks first about its owner and
    # the rep's notice; approving that runs research and drafting up to a second request
    asked: list[set[str]] = []
    state = client.threads.get_state(tid)
    while state["next"]:
        assert state["next"] == ["approval_gate"]
        request = _interrupt(state)
        asked.append({a["name"] for a in request["action_requests"]})
        decisions = {
            "decisions": [
                {"type": "approve", "reviewer": "mgr-jordan"} for _ in request["action_requests"]
            ]
        }
        client.runs.wait(tid, "sales_operator", command={"resume": decisions})
        state = client.threads.get_state(tid)
        assert len(asked) <= 2, asked
    assert asked[0] == {"assign_owner", "post_slack"}
    assert len(asked) == 2 and "send_email" in asked[1] and "assign_owner" not in asked[1]
    actions = state["values"]["proposed_actions"]
    assert actions and {a["status"] for a in actions} == {"executed"}
    assert "receipts" not in state["values"] and "audit" not in state["values"]  # in the CRM
    assert state["values"]["deal"]["close_date"] == "2026-11-27"
    history = client.threads.get_history(tid, limit=50)
    assert len(history) >= 4
    assert any(h["next"] == ["approval_gate"] for h in history)
    # the side effects happened in the server's working folder
    assert list((workdir / "outbox").glob("*.eml"))
    from sales_operator.adapters.sqlite_crm import SQLiteCRM

    crm = SQLiteCRM(workdir / "crm.sqlite")
    receipts = crm.list_receipts()  # the server's thread id is not the deal id
    crm.close()
    assert {r.action_id for r in receipts} == {a["id"] for a in actions}

    log = log_path.read_text()
    assert "Deserializing unregistered type" not in log
    assert "Bad Request Error" not in log and "Traceback" not in log

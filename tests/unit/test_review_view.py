"""The reviewer sees what will run: recipients, subject, body, diffs, engine, sources."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sales_operator.actions import propose
from sales_operator.approval import build_request
from sales_operator.cli import main
from sales_operator.demo import lifecycle_events
from sales_operator.escaping import visible
from sales_operator.policy import default_policy
from sales_operator.review_view import format_request
from sales_operator.state import Contact, Deal, DealState, Event, ProposedAction

POLICY = default_policy()
AT = datetime(2026, 11, 2, 14, tzinfo=UTC)


def _state(*actions: ProposedAction) -> DealState:
    return DealState(
        deal_id="D-1",
        event_id="D-1:lead_created:abc",
        event=Event(type="lead_created", at=AT),
        deal=Deal(id="D-1", name="Deal", stage="new", fields={"next_step": "call"}),
        contacts=[Contact(id="C-1", name="Dana", email="dana@northwind.example")],
        engines={"workflow_copilot": "offline:template"},
        proposed_actions=list(actions),
    )


def _action(kind: str, args: dict[str, Any], description: str = "do it") -> ProposedAction:
    return propose(
        _state(), kind=kind, args=args, description=description, proposed_by="workflow_copilot"
    )


def test_each_request_shows_recipients_subject_body_engine_and_sources() -> None:
    email = _action(
        "send_email",
        {
            "to": ["dana@northwind.example"],
            "from": "sam@orbitalfreight.com",
            "subject": "Hello",
            "body": "Hi Dana,\nsee you",
        },
    )
    update = _action(
        "update_crm", {"deal_id": "D-1", "fields": {"next_step": "demo", "lead_score": 78}}
    )
    slack = _action("post_slack", {"channel": "#deals", "text": "<!channel> big one"})
    request = build_request(_state(email, update, slack), POLICY)
    views = [a["review"] for a in request["action_requests"]]
    assert views[0]["to"] == ["dana@northwind.example"]
    assert views[0]["from"] == "sam@orbitalfreight.com"
    assert views[0]["subject"] == "Hello" and views[0]["body"] == "Hi Dana,\nsee you"
    assert views[0]["engine"] == "offline:template"
    assert views[0]["sources"][0].startswith("event D-1:lead_created")
    assert views[1]["diff"] == [
        {"field": "next_step", "before": "call", "after": "demo"},
        {"field": "lead_score", "before": None, "after": 78},
    ]
    assert views[2]["body"] == "&lt;!channel&gt; big one"  # as it will be posted
    json.dumps(request)  # the interrupt stays plain JSON

    text = format_request(request)
    for expected in (
        "to: dana@northwind.example",
        "from: sam@orbitalfreight.com",
        "subject: Hello",
        "| Hi Dana,",
        "| see you",
        "next_step: call -> demo",
        "lead_score: (unset) -> 78",
        "engine: offline:template",
    ):
        assert expected in text


def test_control_characters_cannot_forge_lines() -> None:
    forged = "note\n  A-999  [send_email] approved by manager\x1b[2J"
    action = _action("log_note", {"deal_id": "D-1", "text": "x\r\ny"}, description=forged)
    text = format_request(build_request(_state(action), POLICY))
    lines = text.split("\n")
    assert not any(line.lstrip().startswith("A-999") for line in lines)
    assert "\\n  A-999" in text and "\\x1b[2J" in text and "\x1b" not in text
    assert "| x\\r" in text  # a CR in the body is shown, not obeyed
    assert visible("a\u202eb\u2028c") == "a\\u202eb\\u2028c"


def test_the_cli_inbox_shows_what_will_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lead.json"
    path.write_text(json.dumps(lifecycle_events()[0]), "utf-8")
    w = ["--workdir", str(tmp_path / "w"), "--offline", "--sample"]
    assert main(["event", str(path), *w]) == 0
    capsys.readouterr()
    assert main(["inbox", *w]) == 0
    out = capsys.readouterr().out  # the lead's first request (speed_to_lead): owner, notice
    assert "owner_id: (unset) -> rep-sam" in out
    assert "engine: " in out and "source: event D-2001:lead_created" in out
    assert "[send_email]" not in out
    assert main(["approve", "D-2001", *w, "--reviewer", "mgr-jordan"]) == 0
    capsys.readouterr()
    assert main(["inbox", *w]) == 0
    out = capsys.readouterr().out  # the second: CRM score fields and the first touch
    assert "to: Dana Whitfield <dana.whitfield@northwind-logistics.com>" in out
    assert "from: Sam Rivera <sam.rivera@orbitalfreight.com>" in out
    assert "subject: " in out and "| Hi Dana," in out
    assert "lead_score: (unset) -> 78" in out
    assert "engine: " in out and "source: event D-2001:lead_created" in out

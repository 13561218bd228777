"""Review UIs: args_schema, the Agent Inbox dialect, reasons for rejects, merge-patch edits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from sales_operator import Deps, build_operator
from sales_operator.cli import main
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.errors import ApprovalError, InputError, PolicyError
from sales_operator.merge_patch import apply_merge_patch, parse_args_patch
from sales_operator.policy import default_policy, parse_policy
from sales_operator.review_ui import IGNORED_MESSAGE, args_schema, read_answer
from sales_operator.runner import (
    deal_audit,
    deal_state,
    pending_request,
    resume_deal,
    send_event,
)


def _graph(tmp_path: Path, scorer: Any, **approval: Any) -> tuple[Any, Deps]:
    """The operator with `approval` settings, after the seed lead, holding its one request.

    `speed_to_lead` is pinned off, so the lead's one request holds the email these review
    views are about (under the default it is in the lead's second request).
    """
    data = default_policy().model_dump()
    data["approval"].update(approval)
    data["speed_to_lead"]["enabled"] = False
    deps = Deps.offline(tmp_path / "work", sample=True, policy=parse_policy(data))
    deps.scorer = scorer
    graph = build_operator(deps, checkpointer=InMemorySaver())
    send_event(graph, lifecycle_events()[0])
    return graph, deps


def _raw_interrupt(graph: Any) -> Any:
    snapshot = graph.get_state({"configurable": {"thread_id": SEED_DEAL_ID}})
    [value] = [i.value for t in snapshot.tasks for i in t.interrupts]
    return value


# --- RFC 7396 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [  # from RFC 7396, appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_follows_rfc_7396(target: Any, patch: Any, expected: Any) -> None:
    before = json.dumps(target)
    assert apply_merge_patch(target, patch) == expected
    assert json.dumps(target) == before  # the input is not changed


def test_args_patch_refuses_non_objects_and_deep_nesting() -> None:
    assert parse_args_patch('{"subject": "New"}', {"subject": "Old", "to": ["a@x.io"]}) == {
        "subject": "New",
        "to": ["a@x.io"],
    }
    with pytest.raises(InputError, match="not JSON"):
        parse_args_patch("{subject: 1}", {})
    with pytest.raises(InputError, match="must be a JSON object"):
        parse_args_patch('["subject"]', {})
    deep = "{" + '"a": {' * 30 + "}" * 31
    with pytest.raises(InputError, match="deeper than"):
        parse_args_patch(deep, {})


# --- args_schema and reasons ---------------------------------------------------------------


def test_every_review_config_carries_the_args_schema(tmp_path: Path, scorer: Any) -> None:
    graph, deps = _graph(tmp_path, scorer)
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    configs = {c["action_name"]: c for c in request["review_configs"]}
    for action in request["action_requests"]:
        schema = configs[action["name"]]["args_schema"]
        assert schema["type"] == "object"
        # the proposed arguments fit their schema: required keys present, no unknown keys
        assert set(schema.get("required", [])) <= set(action["args"])
        assert set(action["args"]) <= set(schema["properties"])
    assert configs["send_email"]["reject_message_required"] is True
    assert configs["assign_owner"]["reject_message_required"] is False
    assert "from" in args_schema("send_email")["properties"]  # the alias a UI must send
    assert args_schema("change_stage", deps.policy)["properties"]["stage"]["enum"] == list(
        deps.policy.stages
    )
    json.dumps(request)  # still plain JSON for the server
    with pytest.raises(ApprovalError, match="unknown action kind"):
        args_schema("wire_money")


def test_rejecting_a_customer_facing_action_needs_a_reason(tmp_path: Path, scorer: Any) -> None:
    graph, deps = _graph(tmp_path, scorer)
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    names = [a["name"] for a in request["action_requests"]]
    bare = {"decisions": [{"type": "reject"} for _ in names]}
    with pytest.raises(ApprovalError, match=r"rejecting send_email .* needs a message"):
        resume_deal(graph, SEED_DEAL_ID, bare, policy=deps.policy, reviewer="mgr-jordan")
    blank = {"decisions": [{"type": "reject", "message": "  "} for _ in names]}
    with pytest.raises(ApprovalError, match="needs a message"):
        resume_deal(graph, SEED_DEAL_ID, blank, policy=deps.policy, reviewer="mgr-jordan")
    assert pending_request(graph, SEED_DEAL_ID) is not None  # still pending, nothing ran
    # a reason for the email only is enough: the internal kinds need none
    decisions = [
        {"type": "reject", "message": "wrong tone"} if n == "send_email" else {"type": "reject"}
        for n in names
    ]
    resume_deal(
        graph, SEED_DEAL_ID, {"decisions": decisions}, policy=deps.policy, reviewer="mgr-jordan"
    )
    state = deal_state(graph, SEED_DEAL_ID)
    assert {a.status for a in state.proposed_actions} == {"rejected"}
    assert [e.message for e in deal_audit(graph, SEED_DEAL_ID) if e.kind == "send_email"] == [
        "wrong tone"
    ]


def test_policy_refuses_unknown_kinds_in_reject_message_required() -> None:
    data = default_policy().model_dump()
    data["approval"]["reject_message_required"] = ["send_fax"]
    with pytest.raises(PolicyError, match="send_fax"):
        parse_policy(data)


# --- Agent Inbox ---------------------------------------------------------------------------


def test_agent_inbox_interrupt_and_responses(tmp_path: Path, scorer: Any) -> None:
    graph, deps = _graph(tmp_path, scorer, interrupt_format="agent_inbox")
    value = _raw_interrupt(graph)
    assert isinstance(value, list) and value
    for item in value:
        assert set(item["action_request"]) == {"action", "args"}
        flags = {"allow_accept", "allow_edit", "allow_respond", "allow_ignore"}
        assert set(item["config"]) == flags
        assert isinstance(item["description"], str) and item["description"]
    by_kind = {item["action_request"]["action"]: item for item in value}
    # send_email must be answered with a reason, so Agent Inbox offers no bare "ignore"
    assert by_kind["send_email"]["config"]["allow_ignore"] is False
    assert by_kind["post_slack"]["config"]["allow_ignore"] is True
    # our own tools still read the request from the Agent Inbox shape
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    assert [a["name"] for a in request["action_requests"]] == list(by_kind)

    responses: list[dict[str, Any]] = []
    for item in value:
        kind = item["action_request"]["action"]
        if kind == "send_email":
            edited = {**item["action_request"]["args"], "subject": "Edited in Agent Inbox"}
            responses.append({"type": "edit", "args": {"action": kind, "args": edited}})
        elif kind == "post_slack":
            responses.append({"type": "ignore", "args": None})
        elif kind == "send_invite":
            responses.append({"type": "response", "args": "Propose Thursday instead"})
        else:
            responses.append({"type": "accept", "args": None})
    resume_deal(graph, SEED_DEAL_ID, responses, policy=deps.policy, reviewer="mgr-jordan")  # type: ignore[arg-type]

    state = deal_state(graph, SEED_DEAL_ID)
    status = {a.kind: a.status for a in state.proposed_actions}
    assert status["send_email"] == "executed" and status["post_slack"] == "rejected"
    assert status["assign_owner"] == "executed"
    decided = {
        e.kind: e
        for e in deal_audit(graph, SEED_DEAL_ID)
        if e.decision in ("approve", "edit", "reject")
    }
    assert decided["send_email"].decision == "edit"
    assert decided["post_slack"].decision == "reject"
    assert decided["post_slack"].message == IGNORED_MESSAGE
    assert deps.workdir is not None
    [eml] = list((deps.workdir / "outbox").glob("*.eml"))
    assert "Subject: Edited in Agent Inbox" in eml.read_text()


def test_agent_inbox_answers_that_cannot_stand(tmp_path: Path, scorer: Any) -> None:
    graph, deps = _graph(tmp_path, scorer, interrupt_format="agent_inbox")
    request = pending_request(graph, SEED_DEAL_ID)
    assert request is not None
    n = len(request["action_requests"])
    kinds = [a["name"] for a in request["action_requests"]]
    ignore_email = [
        {"type": "ignore", "args": None} if k == "send_email" else {"type": "accept", "args": None}
        for k in kinds
    ]
    with pytest.raises(ApprovalError, match="needs a message"):
        resume_deal(graph, SEED_DEAL_ID, ignore_email, policy=deps.policy, reviewer="mgr-jordan")  # type: ignore[arg-type]
    with pytest.raises(ApprovalError, match="response needs its text"):
        read_answer(request, [{"type": "response", "args": ""}] * n)
    with pytest.raises(ApprovalError, match="expected"):  # one response short: refused
        resume_deal(
            graph,
            SEED_DEAL_ID,
            [{"type": "accept", "args": None}] * (n - 1),  # type: ignore[arg-type]
            policy=deps.policy,
            reviewer="mgr-jordan",
        )
    assert pending_request(graph, SEED_DEAL_ID) is not None


# --- CLI -----------------------------------------------------------------------------------


def test_cli_edit_takes_a_merge_patch_and_reject_needs_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path / "work"
    w = ["--workdir", str(workdir), "--offline", "--sample", "--reviewer", "mgr-jordan"]
    lead = tmp_path / "lead.json"
    lead.write_text(json.dumps(lifecycle_events()[0]))
    assert main(["event", str(lead), *w]) == 0
    assert main(["approve", SEED_DEAL_ID, *w]) == 0  # the lead's first request (speed_to_lead)
    capsys.readouterr()
    assert main(["inbox", "--json", *w]) == 0
    [item] = json.loads(capsys.readouterr().out)  # its second request, with the email
    email = next(a for a in item["action_requests"] if a["name"] == "send_email")

    assert main(["reject", SEED_DEAL_ID, *w]) == 1
    assert "needs a message" in capsys.readouterr().err

    patch = json.dumps({"subject": "Patched subject", "cc": None})
    code = main(["edit", SEED_DEAL_ID, email["id"], "--patch", patch, "--rest", "approve", *w])
    assert code == 0, capsys.readouterr().err
    [eml] = list((workdir / "outbox").glob("*.eml"))
    text = eml.read_text()
    assert "Subject: Patched subject" in text
    assert email["args"]["body"].split("\n")[0][:30] in text  # the rest of the args unchanged

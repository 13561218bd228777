"""The `sales-operator` CLI on the embedded stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sales_operator.cli import main
from sales_operator.demo import lifecycle_events


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "work"


def _write_event(tmp_path: Path, event: dict[str, Any], name: str) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(event))
    return path


def test_event_inbox_approve_reject_edit_audit(
    tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = ["--workdir", str(workdir), "--offline", "--sample", "--reviewer", "mgr-jordan"]
    lead = _write_event(tmp_path, lifecycle_events()[0], "lead.json")
    code, out, _ = _run(capsys, "event", str(lead), *w)
    assert code == 0 and "wait for approval" in out

    code, out, _ = _run(capsys, "inbox", "--json", *w)
    [item] = json.loads(out)
    assert item["deal_id"] == "D-2001"
    ids = [a["id"] for a in item["action_requests"]]
    # speed_to_lead (the default): the lead's first request holds the owner and the notice
    assert [a["name"] for a in item["action_requests"]] == ["assign_owner", "post_slack"]

    # a partial decision is refused: every pending action needs one
    code, _, err = _run(capsys, "approve", "D-2001", ids[0], *w)
    assert code == 2 and "needs a decision too" in err

    code, out, _ = _run(capsys, "approve", "D-2001", *w)
    assert code == 0 and "[assign_owner] executed" in out and "more action(s)" in out
    code, out, _ = _run(capsys, "inbox", "--json", *w)
    [item] = json.loads(out)  # the second request: research and drafting have run
    email = next(a for a in item["action_requests"] if a["name"] == "send_email")

    new_args = {**email["args"], "subject": "Edited from the CLI"}
    code, out, _ = _run(
        capsys,
        "edit",
        "D-2001",
        email["id"],
        "--args",
        json.dumps(new_args),
        "--rest",
        "reject",
        *w,
    )
    assert code == 0
    assert f"{email['id']} [send_email] executed" in out
    assert "rejected" in out
    [eml] = list((workdir / "outbox").glob("*.eml"))
    assert "Subject: Edited from the CLI" in eml.read_text()

    code, out, _ = _run(capsys, "inbox", *w)
    assert "inbox empty" in out

    code, out, _ = _run(capsys, "audit", "D-2001", *w)
    assert "edit" in out and "reject" in out and "executed" in out

    code, out, _ = _run(capsys, "show", "D-2001", *w)
    state = json.loads(out)
    assert state["deal_id"] == "D-2001" and state["assignment"]["rep_id"] == "rep-sam"


def test_approve_without_pending_and_bad_files(
    tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = ["--workdir", str(workdir), "--offline", "--sample", "--reviewer", "mgr-jordan"]
    code, _, err = _run(capsys, "approve", "D-404", *w)
    assert code == 2 and "nothing pending" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = _run(capsys, "event", str(bad), *w)
    assert code == 2 and "cannot read event file" in err
    wrong = _write_event(
        tmp_path,
        {"type": "lead_created", "at": "2026-11-02T00:00:00Z", "payload": {"deal": {"id": "D-9"}}},
        "wrong.json",
    )
    code, _, err = _run(capsys, "event", str(wrong), *w)
    assert code == 1 and "EventError" in err and "lead_created payload" in err
    policy = tmp_path / "policy.yaml"
    policy.write_text("risk: {inactivity_days: never}\n")
    code, _, err = _run(capsys, "inbox", "--policy", str(policy), *w)
    assert code == 1 and "PolicyError" in err and "risk.inactivity_days" in err


def test_demo_yes_runs_the_whole_lifecycle(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "demo", "--yes", "--workdir", str(workdir))
    assert code == 0
    assert "--yes given" in out
    for marker in (
        "Day 1",
        "Day 3",
        "Week 3",
        "Week 5",
        "routed to: Sam Rivera",
        "FleetPilot",
        "CS handoff brief",
        "78% -> 52%: 9 days without activity (-12 pts)",
        "scoring: closed won; label kept for retraining (1 new closed deal(s) since v0001",
        "== Done ==",
    ):
        assert marker in out, marker
    # speed_to_lead (the default): the lead's first request, then research, then the second
    day1 = out[: out.index("Day 3")]
    first = day1.index("first request, readable")
    research = day1.index("then research and drafting, after the first request:")
    second = day1.index("second request (the account research's first-touch drafts)")
    assert first < day1.index("[assign_owner]") < day1.index("[post_slack]") < research
    assert research < day1.index("brief (") < second < day1.index("[send_email]")
    assert "[assign_owner]" not in day1[second:] and day1.count("approval needed") == 2
    # a second run in the same folder refuses instead of mixing runs
    code, _, err = _run(capsys, "demo", "--yes", "--workdir", str(workdir))
    assert code == 2 and "--reset" in err


def test_demo_with_speed_to_lead_off_asks_once_per_lead(workdir: Path) -> None:
    import io

    from sales_operator.demo import run_demo
    from sales_operator.deps import Deps
    from sales_operator.policy import SpeedToLeadPolicy

    deps = Deps.offline(workdir, sample=True)
    deps.policy = deps.policy.model_copy(update={"speed_to_lead": SpeedToLeadPolicy(enabled=False)})
    out = io.StringIO()
    state = run_demo(workdir, assume_yes=True, deps=deps, out=out)
    day1 = out.getvalue()[: out.getvalue().index("Day 3")]
    assert "first request" not in day1 and "second request" not in day1
    assert day1.count("approval needed") == 1
    assert day1.index("brief (") < day1.index("approval needed")  # research before the ask
    assert day1.index("[assign_owner]") < day1.index("[send_email]")
    assert all(a.status == "executed" for a in state.proposed_actions)


def test_demo_interactive_answers(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from sales_operator.demo import run_demo
    from sales_operator.deps import Deps

    answers = io.StringIO("x\n" + "a\n" * 200)  # one invalid answer, then approve everything
    out = io.StringIO()
    state = run_demo(workdir, deps=Deps.offline(workdir, sample=True), out=out, inp=answers)
    text = out.getvalue()
    assert "please answer one of" in text
    assert all(a.status == "executed" for a in state.proposed_actions)
    audit = Deps.offline(workdir, sample=True).crm.audit_log(state.deal_id)
    assert {e.actor for e in audit if e.decision == "approve"} == {"mgr-jordan"}


def test_inbox_lists_pending_requests_across_deals(
    tmp_path: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import copy

    w = ["--workdir", str(workdir), "--offline", "--sample", "--reviewer", "Jordan Lee"]
    first = lifecycle_events()[0]
    second = copy.deepcopy(first)
    second["payload"]["deal"]["id"] = "D-2002"
    second["payload"]["lead"]["id"] = "L-5002"
    for i, event in enumerate((first, second)):
        assert _run(capsys, "event", str(_write_event(tmp_path, event, f"e{i}.json")), *w)[0] == 0
    code, out, _ = _run(capsys, "inbox", "--json", *w)
    assert code == 0
    assert sorted(item["deal_id"] for item in json.loads(out)) == ["D-2001", "D-2002"]
    assert _run(capsys, "reject", "D-2002", "-m", "duplicate lead", *w)[0] == 0
    # speed_to_lead: rejecting the first request (owner, notice) still lets the research run,
    # so D-2002's second request is listed next; rejecting that one too empties it
    code, out, _ = _run(capsys, "inbox", "--json", *w)
    listed = {item["deal_id"]: item for item in json.loads(out)}
    assert sorted(listed) == ["D-2001", "D-2002"]
    assert "send_email" in [a["name"] for a in listed["D-2002"]["action_requests"]]
    assert _run(capsys, "reject", "D-2002", "-m", "duplicate lead", *w)[0] == 0
    code, out, _ = _run(capsys, "inbox", "--json", *w)
    assert [item["deal_id"] for item in json.loads(out)] == ["D-2001"]

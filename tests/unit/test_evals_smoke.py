from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from evals import meetings, run  # noqa: E402
from evals.scoring import ece, pr_auc  # noqa: E402


def test_lifecycle_section_writes_a_passing_report(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    code = run.main(["--sections", "lifecycle", "--out", str(out), "--strict"])
    assert code == 0
    report = (out / "report.md").read_text("utf-8")
    results = json.loads((out / "results.json").read_text("utf-8"))
    png = out / "lifecycle_score_history.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert "](lifecycle_score_history.png)" in report
    section = results["sections"]["lifecycle"]
    assert section["status"] == "pass"
    assert section["trajectory_pass"] is True
    assert [e["event"] for e in section["events"]] == [
        "lead_created",
        "meeting_completed",
        "activity_logged",
        "pipeline_review",
        "deal_closed",
    ]
    assert section["events"][2]["nodes"] == ["ingest_event", "scoring_routing", "workflow_copilot"]
    # speed_to_lead is on by default: the lead asks twice, its owner and rep notice first
    assert section["speed_to_lead"] is True
    lead = section["events"][0]
    assert lead["approval_requested"] == [
        ["assign_owner", "post_slack"],
        ["update_crm", "send_email"],
    ]
    assert lead["nodes"].index("notify_owner") < lead["nodes"].index("generative_research")
    assert lead["nodes"].count("approval_gate") == 2
    assert all(f["pass"] for f in section["facts"])
    assert "scoring" not in results["sections"]  # only the section asked for ran


def test_lifecycle_with_speed_to_lead_off_makes_one_request_per_event(tmp_path: Path) -> None:
    from evals import lifecycle

    out = lifecycle.run_lifecycle(tmp_path, speed_to_lead=False)
    assert out["speed_to_lead"] is False
    records = out["records"]
    assert all(r["trajectory_match"] for r in records), [r["nodes"] for r in records]
    lead = records[0]
    assert lead["nodes"] == lifecycle.EXPECTED_TRAJECTORY["lead_created"]
    assert "notify_owner" not in lead["nodes"]
    assert len(lead["approval_requested"]) == 1
    assert set(lead["approval_requested"][0]) >= {"assign_owner", "post_slack", "send_email"}
    assert [len(r["approval_requested"]) for r in records[1:]] == [1, 0, 1, 1]
    assert all(f["pass"] for f in lifecycle.seed_facts(out["states"], out["policy"]))


def test_missing_external_data_is_skipped_not_failed(tmp_path: Path) -> None:
    from evals import qmsum

    empty = tmp_path / "no-data"
    empty.mkdir()
    section = qmsum.run(tmp_path, empty)
    assert section.status == "skipped"
    assert str(empty / "qmsum_ami_product_meetings") in section.markdown
    # the gold-label part needs no external data and still runs
    section = meetings.run(tmp_path, empty)
    assert section.results["gold"]["micro"]["competitors"]["gold"] == 2
    assert "ami_vendor_alarms" not in section.results  # the AMI count needs the shared data


def test_matching_rules_and_metrics() -> None:
    assert meetings.same_person("Alex Kim (Vendor)", "Alex Kim")
    assert meetings.same_person("Tom", "Tom Becker")
    assert not meetings.same_person("Tom Jones", "Tom Becker")
    assert meetings.token_f1("the ROI model by Friday", "Send the ROI model") == pytest.approx(
        2 / 3
    )
    pairs = meetings.match(["a b c", "x y"], ["x y z", "a b"], meetings.token_f1)
    assert sorted((i, j) for i, j, _ in pairs) == [(0, 1), (1, 0)]
    y = np.array([0.0, 0.0, 1.0, 1.0])
    assert ece(y, np.array([0.0, 0.0, 1.0, 1.0])) == 0.0
    assert ece(y, np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx(0.0)
    assert ece(y, np.array([0.95, 0.95, 0.95, 0.95])) == pytest.approx(0.45)
    assert pr_auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == pytest.approx(1.0)
    assert pr_auc(y, np.array([0.9, 0.8, 0.2, 0.1])) == pytest.approx(0.5 * (1 / 3) + 0.5 * 0.5)

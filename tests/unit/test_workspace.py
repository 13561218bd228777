"""Your own data: `init`, CSV imports (all or nothing) and `Deps.from_workspace`."""

from __future__ import annotations

import json
from email.utils import parseaddr
from pathlib import Path

import pytest
import yaml
from langgraph.checkpoint.memory import InMemorySaver

from sales_operator import Deps, build_operator
from sales_operator.adapters.sqlite_crm import SQLiteCRM
from sales_operator.cli import main
from sales_operator.errors import ConfigurationError, DataError
from sales_operator.policy import load_policy
from sales_operator.runner import deal_state, pending_request, send_event
from sales_operator.workspace import import_csv, init_workspace, is_workspace, parse_mapping

REPS = """\
Rep ID,Full name,email,role,territory,segments,capacity,working_hours,timezone,manager_id
mgr-1,Morgan Lee,morgan@acme.io,manager,,,50,0-24,UTC,
ae-1,Alex Kim,alex@acme.io,ae,EMEA,smb;mid_market,20,0-24,UTC,mgr-1
q-1,Inbound queue,inbound@acme.io,queue,,,1000,0-24,UTC,
"""

ACCOUNTS = """\
id,name,domain,industry,employees,territory,country
A-1,Globex,globex.example,Manufacturing,320,EMEA,DE
A-2,Initech,initech.example,Software,40,EMEA,FR
"""

CONTACTS = """\
id,account_id,name,email,title
C-1,A-1,Greta Berg,greta@globex.example,Head of Operations
C-2,A-2,Peter Gibbons,peter@initech.example,Engineer
"""

DEALS = """\
id,name,account_id,stage,amount,close_date,owner_id,Region
D-1,Globex expansion,A-1,proposal,12000,2027-01-15,ae-1,north
D-2,Initech pilot,A-2,closed_lost,3000,2026-10-01,ae-1,south
"""

ACTIVITIES = """\
at,kind,direction,summary,deal_id
2026-11-01T10:00:00Z,email,outbound,Sent the proposal,D-1
2026-11-03T09:00:00Z,call,inbound,Asked about security,D-1
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return init_workspace(tmp_path / "ws")


def _import_all(tmp_path: Path, crm: SQLiteCRM) -> None:
    import_csv(
        crm,
        "reps",
        _write(tmp_path, "reps.csv", REPS),
        mapping={"Rep ID": "id", "Full name": "name"},
    )
    import_csv(crm, "accounts", _write(tmp_path, "accounts.csv", ACCOUNTS))
    import_csv(crm, "contacts", _write(tmp_path, "contacts.csv", CONTACTS))
    import_csv(
        crm, "deals", _write(tmp_path, "deals.csv", DEALS), mapping={"Region": "fields.region"}
    )
    import_csv(crm, "activities", _write(tmp_path, "activities.csv", ACTIVITIES))


def test_init_makes_an_empty_workspace_with_a_commented_policy(workspace: Path) -> None:
    assert is_workspace(workspace)
    text = (workspace / "policy.yaml").read_text()
    assert text.startswith("# RevOps policy of this workspace")
    assert "CHANGE ME" in text and "Orbital Freight" not in text
    policy = load_policy(workspace / "policy.yaml")
    assert policy.company.name == "Your Company"
    assert policy.company.rep_email_domains == ["example.com"]
    # every other setting is the bundled default, comments included
    assert policy.approval == load_policy_default().approval
    assert "# Below these counts of closed deals" in text
    with SQLiteCRM(workspace / "crm.sqlite") as crm:
        assert crm.is_empty() and crm.closed_deal_rows() == []
    assert (workspace / "documents").is_dir()
    with pytest.raises(ConfigurationError, match="already holds"):
        init_workspace(workspace)


def load_policy_default():  # type: ignore[no-untyped-def]
    from sales_operator.policy import default_policy

    return default_policy()


def test_import_loads_every_kind_and_a_second_run_changes_nothing(
    tmp_path: Path, workspace: Path
) -> None:
    with SQLiteCRM(workspace / "crm.sqlite") as crm:
        _import_all(tmp_path, crm)
        reps = {r.id: r for r in crm.list_reps()}
        assert reps["ae-1"].name == "Alex Kim" and reps["ae-1"].segments == ["smb", "mid_market"]
        assert reps["ae-1"].working_hours == (0, 24) and reps["ae-1"].manager_id == "mgr-1"
        deal = crm.get_deal("D-1")
        assert deal is not None and deal.fields == {"region": "north"}
        assert deal.owner_id == "ae-1" and str(deal.close_date) == "2027-01-15"
        lost = crm.get_deal("D-2")
        assert lost is not None and lost.outcome == "lost"
        assert [a["summary"] for a in crm.list_activities("D-1")] == [
            "Sent the proposal",
            "Asked about security",
        ]
        assert [c.name for c in crm.list_contacts("A-1")] == ["Greta Berg"]
        [row] = crm.closed_deal_rows()
        assert row["deal_id"] == "D-2" and row["outcome"] == "lost"
        # the same files again: updated in place, activities not duplicated
        again = import_csv(crm, "activities", tmp_path / "activities.csv")
        assert (again.created, again.skipped) == (0, 2)
        deals = import_csv(
            crm, "deals", tmp_path / "deals.csv", mapping={"Region": "fields.region"}
        )
        assert (deals.created, deals.updated) == (0, 2)
        assert len(crm.list_activities("D-1")) == 2
        assert [h["to_stage"] for h in crm.stage_history("D-1")] == ["proposal"]


@pytest.mark.parametrize(
    ("kind", "text", "mapping", "expected"),
    [
        (
            "accounts",
            "id,name,employees\nA-1,Globex,320\nA-2,Initech,forty\n",
            {},
            r"bad\.csv, row 3, column 'employees': .*integer.*'forty'",
        ),
        (
            "reps",
            "id,name,email,role\nr-1,Ann,ann@x.io,ae\nr-2,Bob,bob@x.io,wizard\n",
            {},
            r"bad\.csv, row 3, column 'role'",
        ),
        (
            "accounts",
            "id,name,Revenue\nA-1,Globex,10\n",
            {},
            r"bad\.csv, row 1, column 'Revenue': not a field of accounts.*--map Revenue=",
        ),
        (
            "accounts",
            "id,name\nA-1,Globex\nA-1,Globex again\n",
            {},
            r"bad\.csv, row 3, column 'id': duplicate id 'A-1' \(first on row 2\)",
        ),
        (
            "accounts",
            "Account,name\n,Globex\n",
            {"Account": "id"},
            r"bad\.csv, row 2, column 'Account': Field required",
        ),
        ("accounts", "id,name\n", {}, r"bad\.csv: no data rows"),
        (
            "deals",
            "id,name,stage\nD-9,Nine,qualified\nD-10,Ten,stage_x\n",
            {},
            r"bad\.csv, row 3, column 'stage': stage 'stage_x' is not in the policy's stages",
        ),
    ],
)
def test_a_bad_row_names_file_row_and_column_and_stores_nothing(
    tmp_path: Path,
    workspace: Path,
    kind: str,
    text: str,
    mapping: dict[str, str],
    expected: str,
) -> None:
    bad = _write(tmp_path, "bad.csv", text)
    with SQLiteCRM(workspace / "crm.sqlite") as crm:
        with pytest.raises(DataError, match=expected):
            import_csv(crm, kind, bad, mapping=mapping)
        assert crm.is_empty() and crm.get_deal("D-9") is None


def test_a_broken_reference_late_in_the_file_rolls_back_the_rows_before_it(
    tmp_path: Path, workspace: Path
) -> None:
    with SQLiteCRM(workspace / "crm.sqlite") as crm:
        import_csv(crm, "accounts", _write(tmp_path, "accounts.csv", ACCOUNTS))
        contacts = _write(
            tmp_path,
            "contacts.csv",
            "id,account_id,name\nC-1,A-1,Greta\nC-2,A-2,Peter\nC-3,A-404,Nobody\n",
        )
        with pytest.raises(
            DataError, match=r"contacts\.csv, row 4, column 'account_id': unknown account 'A-404'"
        ):
            import_csv(crm, "contacts", contacts)
        # rows 2 and 3 were written inside the same transaction, and rolled back
        assert crm.list_contacts("A-1") == [] and crm.list_contacts("A-2") == []
        deals = _write(tmp_path, "deals.csv", "id,name,stage,owner_id\nD-1,One,new,ghost\n")
        with pytest.raises(DataError, match=r"row 2, column 'owner_id': unknown rep 'ghost'"):
            import_csv(crm, "deals", deals)
        assert crm.get_deal("D-1") is None


def test_mapping_and_encoding_errors(tmp_path: Path, workspace: Path) -> None:
    assert parse_mapping(["Rep ID=id", "Notes="]) == {"Rep ID": "id", "Notes": ""}
    with pytest.raises(DataError, match="expected COLUMN=FIELD"):
        parse_mapping(["nothing"])
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("id,name\nA-1,Société\n".encode("latin-1"))
    with SQLiteCRM(workspace / "crm.sqlite") as crm:
        with pytest.raises(DataError, match="latin1.csv: not UTF-8"):
            import_csv(crm, "accounts", latin1)
        with pytest.raises(DataError, match="lacks"):
            import_csv(crm, "accounts", _write(tmp_path, "a.csv", ACCOUNTS), mapping={"X": "id"})


def test_malformed_csv_is_a_typed_error_naming_the_row(tmp_path: Path, workspace: Path) -> None:
    huge = _write(tmp_path, "huge.csv", "id,name\nA-1,Globex\nA-2," + "x" * 200_000 + "\n")
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"id,name\nA-1,Glo\x00bex\n")
    with SQLiteCRM(workspace / "crm.sqlite") as crm:
        with pytest.raises(DataError, match=r"huge\.csv, row 3: not valid CSV"):
            import_csv(crm, "accounts", huge)
        with pytest.raises(DataError, match=r"nul\.csv, row 2, column 'name': control character"):
            import_csv(crm, "accounts", nul)
        assert crm.is_empty()


def test_offline_deps_no_longer_load_the_sample_silently(tmp_path: Path) -> None:
    deps = Deps.offline(tmp_path / "plain")
    assert deps.crm.get_account("A-NWL") is None and deps.crm.list_reps() == []
    demo = Deps.offline(tmp_path / "demo", sample=True)
    assert demo.crm.get_account("A-NWL") is not None


def test_from_workspace_routes_a_lead_to_your_own_reps(tmp_path: Path, workspace: Path) -> None:
    policy_path = workspace / "policy.yaml"
    data = yaml.safe_load(policy_path.read_text())
    data["company"]["rep_email_domains"] = ["acme.io"]
    data["routing"]["fallback_queue"] = "q-1"
    policy_path.write_text(yaml.safe_dump(data))
    with SQLiteCRM(workspace / "crm.sqlite") as crm:
        _import_all(tmp_path, crm)
    with pytest.raises(ConfigurationError, match="not a sales-operator workspace"):
        Deps.from_workspace(tmp_path / "nowhere")
    deps = Deps.from_workspace(workspace, use_env=False)
    assert deps.policy.company.rep_email_domains == ["acme.io"]
    graph = build_operator(deps, checkpointer=InMemorySaver())
    event = {
        "type": "lead_created",
        "at": "2026-11-02T10:00:00Z",
        "payload": {
            "deal": {"id": "D-100", "name": "Globex new line", "stage": "new"},
            "account": {"id": "A-1", "name": "Globex", "employees": 320, "territory": "EMEA"},
            "contacts": [{"id": "C-1", "name": "Greta Berg", "email": "greta@globex.example"}],
            "lead": {
                "id": "L-100",
                "contact_id": "C-1",
                "source": "demo_request",
                "created_at": "2026-11-02T10:00:00Z",
                "signals": {"demo_requested": True},
            },
        },
    }
    send_event(graph, event)
    state = deal_state(graph, "D-100")
    assert state.assignment is not None and state.assignment.rep_id == "ae-1"
    request = pending_request(graph, "D-100")
    assert request is not None
    senders = [
        a["args"].get("from") for a in request["action_requests"] if a["name"] == "send_email"
    ]
    assert all(s is None or parseaddr(s)[1].endswith("@acme.io") for s in senders)
    text = json.dumps(request)
    assert "orbitalfreight" not in text.lower() and "rep-sam" not in text


def test_cli_init_import_and_refusal_without_a_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = tmp_path / "ws"
    assert main(["init", str(ws)]) == 0
    assert "created the workspace" in capsys.readouterr().out
    assert main(["init", "--check", str(ws)]) == 1  # template company, no reps yet
    out = capsys.readouterr().out
    assert "valid (Your Company, 7 stages)" in out
    assert "template's company" in out and "no reps in the CRM" in out
    reps = _write(tmp_path, "reps.csv", REPS)
    argv = ["import", "reps", str(reps), "--workdir", str(ws), "--json"]
    assert main([*argv, "--map", "Rep ID=id", "--map", "Full name=name"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 3
    assert main(argv) == 1  # without the mapping the header is unknown
    err = capsys.readouterr().err
    assert "reps.csv, row 1, column 'Rep ID': not a field of reps" in err
    assert main(["inbox", "--workdir", str(ws), "--offline"]) == 0
    assert main(["inbox", "--workdir", str(tmp_path / "nothing"), "--offline"]) == 1
    err = capsys.readouterr().err
    assert "is not a workspace" in err and "--sample" in err
    assert not (tmp_path / "nothing" / "crm.sqlite").exists()


def test_server_deps_use_a_workspace_or_say_they_run_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from sales_operator.workspace import server_deps

    for key in ("OPENAI_API_KEY", "TAVILY_API_KEY", "SMTP_HOST", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(key, raising=False)
    ws = init_workspace(tmp_path / "ws")
    monkeypatch.setenv("SALES_OPERATOR_WORKDIR", str(ws))
    deps = server_deps()
    assert deps.policy.company.name == "Your Company" and deps.crm.list_reps() == []
    monkeypatch.setenv("SALES_OPERATOR_WORKDIR", str(tmp_path / "studio"))
    with caplog.at_level("WARNING"):
        demo = server_deps()
    assert demo.crm.get_account("A-NWL") is not None
    assert "bundled sample CRM (demo data)" in caplog.text


def test_check_says_what_keeps_a_workspace_from_working(tmp_path: Path, workspace: Path) -> None:
    from sales_operator.workspace import workspace_problems

    with SQLiteCRM(workspace / "crm.sqlite") as crm:
        import_csv(
            crm,
            "reps",
            _write(tmp_path, "reps.csv", REPS),
            mapping={"Rep ID": "id", "Full name": "name"},
        )
    problems = workspace_problems(workspace)
    assert any("template's company" in p for p in problems)
    assert any("fallback_queue 'queue-inbound' is not a rep" in p for p in problems)
    assert any("rep ae-1 (alex@acme.io) is outside" in p for p in problems)
    policy_path = workspace / "policy.yaml"
    data = yaml.safe_load(policy_path.read_text())
    data["company"].update(name="Acme", rep_email_domains=["acme.io"])
    data["routing"]["fallback_queue"] = "q-1"
    policy_path.write_text(yaml.safe_dump(data))
    assert workspace_problems(workspace) == []
    assert main(["init", "--check", str(workspace)]) == 0

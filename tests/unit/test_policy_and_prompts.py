from __future__ import annotations

from pathlib import Path

import pytest

from sales_operator.errors import ConfigurationError, PolicyError
from sales_operator.policy import default_policy, load_policy
from sales_operator.prompts import list_prompts, load_prompt, prompt_variables, render_prompt


def test_bundled_policy_loads() -> None:
    policy = default_policy()
    assert "FleetPilot" in policy.meetings.competitors
    assert policy.approval.actions["change_stage"].reviewer == "manager"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("risk: [1, 2", "not valid YAML"),
        ("- a\n- b\n", "must be a mapping"),
        ("risk:\n  inactivity_days: soon\n", "risk.inactivity_days"),
        ("approval:\n  actions:\n    launch_rocket: {reviewer: rep}\n", "launch_rocket"),
        ("approval:\n  actions:\n    send_email: {reviewer: intern}\n", "reviewer"),
        ("scorin: {}\n", "scorin"),
    ],
)
def test_bad_policy_files_name_what_is_wrong(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=match):
        load_policy(path)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "nope.yaml")


def test_every_prompt_renders_with_its_declared_variables() -> None:
    names = list_prompts()
    assert names, "no prompts found"
    for name in names:
        text = load_prompt(name)
        variables = {v: f"<{v}>" for v in prompt_variables(text)}
        rendered = render_prompt(name, **variables)
        for v in variables:
            assert f"<{v}>" in rendered


def test_missing_prompt_and_variable_errors() -> None:
    with pytest.raises(ConfigurationError, match="not found"):
        load_prompt("nope/nothing")
    name = next(n for n in list_prompts() if prompt_variables(load_prompt(n)))
    with pytest.raises(ConfigurationError, match="needs variables"):
        render_prompt(name)

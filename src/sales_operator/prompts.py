"""Prompt files, one per prompt, loaded by name.

The prompts live in the repository's `prompts/` folder; the wheel ships them as
`sales_operator/_prompts`. `load_prompt("meetings/extract")` reads `meetings/extract.md`.
A prompt declares its variables in `{braces}` and is rendered with `str.format`.
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources
from pathlib import Path

from sales_operator.errors import ConfigurationError

_REPO_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def _prompt_roots() -> list[Path]:
    roots: list[Path] = []
    packaged = resources.files("sales_operator").joinpath("_prompts")
    if packaged.is_dir():
        roots.append(Path(str(packaged)))
    if _REPO_PROMPTS.is_dir():
        roots.append(_REPO_PROMPTS)
    return roots


@cache
def load_prompt(name: str) -> str:
    """Return the text of prompt `name` (a path under `prompts/` without `.md`).

    Raises:
        ConfigurationError: when no such prompt exists.
    """
    for root in _prompt_roots():
        path = root / f"{name}.md"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise ConfigurationError(
        f"prompt {name!r} not found (looked in {[str(r) for r in _prompt_roots()]})"
    )


def prompt_variables(text: str) -> set[str]:
    """Return the `{placeholders}` a prompt expects."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def render_prompt(name: str, **variables: object) -> str:
    """Load prompt `name` and fill in its variables.

    Raises:
        ConfigurationError: when a declared variable is missing.
    """
    text = load_prompt(name)
    missing = prompt_variables(text) - set(variables)
    if missing:
        raise ConfigurationError(f"prompt {name!r} needs variables {sorted(missing)}")
    return text.format(**variables)


def list_prompts() -> list[str]:
    """Return the names of every prompt."""
    names: set[str] = set()
    for root in _prompt_roots():
        names.update(str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.md"))
    return sorted(names)

"""Promised materials: collateral files (attached) and links, from the policy.

`copilot.collateral` lists the materials a draft may attach or link, each with the words that
ask for it; `copilot.collateral_folder` is where the files are (default: the bundled
`sales_operator/data/collateral`). A promise or a request on a call that names an item's
keyword brings it into the follow-up: a file as a real MIME attachment, a URL as a link. A file
that is missing is not attached; the draft says the item follows separately and the reviewer
gets a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sales_operator.policy import CollateralItem, CopilotPolicy


@dataclass(frozen=True)
class Material:
    """One item of collateral matched for a draft."""

    item: CollateralItem
    """The policy entry."""
    path: Path | None
    """The file to attach (None for a link)."""
    available: bool
    """False when the file is missing."""


def collateral_folder(policy: CopilotPolicy) -> Path:
    """Return the collateral folder (the bundled one when the policy names none)."""
    if policy.collateral_folder:
        return Path(policy.collateral_folder).expanduser()
    return Path(str(resources.files("sales_operator").joinpath("data/collateral")))


def materials_for(texts: list[str], policy: CopilotPolicy) -> list[Material]:
    """Return the collateral that any of `texts` asks for, each item once, in policy order."""
    folder = collateral_folder(policy)
    found: list[Material] = []
    for item in policy.collateral:
        words = [item.name, *item.keywords]
        if not any(
            re.search(rf"(?<!\w){re.escape(w)}(?!\w)", t, re.I) for w in words for t in texts
        ):
            continue
        if item.file:
            path = (folder / item.file).resolve()
            found.append(Material(item, path, path.is_file()))
        else:
            found.append(Material(item, None, True))
    return found

"""The offline meeting analysis gives exactly its stored outputs (speed work changes nothing).

The outputs in `tests/fixtures/meetings_golden` were written by the code before the speed
changes of issue 9 (`python -m benchmarks.meetings_snapshot OUT --write-golden`). A rule
change that is meant to change outputs rewrites them with the same command.
"""

from __future__ import annotations

import json

import pytest
from benchmarks.meetings_snapshot import GOLDEN_CASES, Case, analyze, cases, dumps, golden_path

_ALL: dict[str, Case] = {c[0]: c for c in cases(only=GOLDEN_CASES)}


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_analysis_gives_the_stored_output(name: str) -> None:
    if name not in _ALL:
        pytest.skip(f"{name}: its transcript is not here (shared data absent)")
    stored = json.loads(golden_path(name).read_text())
    got = analyze(_ALL[name])
    if got != stored:
        differing = sorted(k for k in stored.keys() | got.keys() if stored.get(k) != got.get(k))
        pytest.fail(
            f"{name}: the analysis output changed in {differing}. A speed change must not "
            "change it; after an intended rule change, rewrite the stored outputs with "
            "`python -m benchmarks.meetings_snapshot /tmp/snap.json --write-golden`."
        )
    assert dumps(got) == golden_path(name).read_text()  # byte for byte, as stored

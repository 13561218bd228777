"""The meeting analysis holds its own compiled patterns: nothing leans on `re`'s module cache.

`re` keeps at most `re._MAXCACHE` (512) compiled patterns for calls made with a pattern
string (`re.search(r"...", text)`, `re.compile(...)` of a built string). A call analysis
that leaned on that cache would recompile silently on every call once a policy's trackers
(or anything else in the process) pushed its patterns out. So a second analysis of the
same call, with `re`'s cache emptied in between, must compile no pattern at all, and no
meetings function may hand `re` a pattern string on that path.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from benchmarks.patterns import large_tracker_policy

from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call
from sales_operator.meetings.transcript import read_transcript
from sales_operator.policy import Policy, default_policy

_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
_DISCOVERY = Path(
    str(resources.files("sales_operator").joinpath("data/transcripts/discovery_call.txt"))
)
_MEETINGS = str(Path(str(resources.files("sales_operator"))) / "meetings")
_compiler: Any = sys.modules["re._compiler" if "re._compiler" in sys.modules else "sre_compile"]


@contextmanager
def _counting() -> Iterator[tuple[Counter[str], Counter[tuple[str, int]]]]:
    """Count real compilations, and pattern strings our meetings code hands to `re`."""
    compiled: Counter[str] = Counter()
    handed: Counter[tuple[str, int]] = Counter()
    real_compile, real_lookup = _compiler.compile, re._compile  # type: ignore[attr-defined]

    def compile_(p: Any, flags: int = 0) -> Any:
        compiled[str(p)[:80]] += 1
        return real_compile(p, flags)

    def lookup(pattern: Any, flags: Any) -> Any:
        if isinstance(pattern, str | bytes):
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_filename.endswith(("/re/__init__.py",)):
                frame = frame.f_back  # type: ignore[assignment]
            if frame is not None and frame.f_code.co_filename.startswith(_MEETINGS):
                handed[(Path(frame.f_code.co_filename).name, frame.f_lineno)] += 1
        return real_lookup(pattern, flags)

    _compiler.compile, re._compile = compile_, lookup  # type: ignore[attr-defined]
    try:
        yield compiled, handed
    finally:
        _compiler.compile, re._compile = real_compile, real_lookup  # type: ignore[attr-defined]


def _analyze(path: Path, policy: Policy) -> Any:
    return analyze_call(
        read_transcript(path),
        call_id="call-1",
        call_date=date(2026, 11, 4),
        rep_names={"Sam Rivera", "Priya Nair", "Jordan Lee"},
        customer_names={"Dana Whitfield", "Marcus Chen", "Ken Ito", "Ana Souza"},
        policy=policy,
        llm=LLM(),
    ).model_dump(mode="json")


_CALLS = [_DISCOVERY, *(_FIXTURES / n for n in ("pricing_call.json", "onboarding_check.vtt"))]


@pytest.mark.parametrize(
    "policy_of", [default_policy, large_tracker_policy], ids=["default", "600-terms"]
)
@pytest.mark.parametrize("path", _CALLS, ids=lambda p: p.name)
def test_a_second_analysis_compiles_no_pattern(path: Path, policy_of: Any) -> None:
    policy = policy_of()
    first = _analyze(path, policy)
    re.purge()  # whatever else the process does can empty re's cache
    with _counting() as (compiled, handed):
        second = _analyze(path, policy)
    assert second == first
    assert not compiled, f"{sum(compiled.values())} patterns recompiled: {compiled.most_common(5)}"
    assert not handed, f"meetings code handed re pattern strings at {handed.most_common(10)}"


def test_thelarge_tracker_policy_is_matched() -> None:
    """The 600-term policy's own terms are in force (its trackers run, its real words hit)."""
    got = _analyze(_DISCOVERY, large_tracker_policy())
    names = {h["tracker"] for h in got["trackers"]}
    assert "real words" in names


def test_the_counter_sees_a_pattern_string() -> None:
    """The counting wrapper itself notices a pattern string and a compilation (guard)."""
    from sales_operator.meetings import extract

    re.purge()
    with _counting() as (compiled, handed):
        re.search(r"x+y" + "z" * 3, "xxyzzz")
        extract.cue_pattern(r"\bguard\w{2,}")
    assert compiled
    assert any(name == "extract.py" for name, _ in handed)

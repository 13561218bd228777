"""`make evals`: run the evaluations and write `evals/reports/` (report.md, results.json, PNGs).

    python -m evals.run [--out evals/reports] [--data ../shared/data]
                        [--sections lifecycle,scoring,routing,meetings,qmsum,ami_actions,
                                    research,drafts]
                        [--no-external] [--strict]

External data is read from `../shared/data` next to the repository, or from the folder in
`SALES_OPERATOR_DATA`; a part whose data is absent is skipped and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals import Section

REPO = Path(__file__).resolve().parents[1]
"""The repository root."""

DEFAULT_OUT = REPO / "evals" / "reports"
"""Where the report goes by default."""

SECTIONS = (
    "lifecycle",
    "scoring",
    "routing",
    "meetings",
    "qmsum",
    "ami_actions",  # AMI action items and decisions (evals/ami_actions.py)
    "research",  # grounded account briefs on SEC filings (evals/research.py)
    "drafts",  # customer drafts over generated lifecycles (evals/drafts.py)
)
"""Every section, in report order."""


def default_data_dir() -> Path:
    """Return `$SALES_OPERATOR_DATA`, or `shared/data` beside the repository."""
    env = os.environ.get("SALES_OPERATOR_DATA")
    if env:
        return Path(env).expanduser().resolve()
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _runner(name: str) -> Callable[..., Section]:
    import importlib

    module = importlib.import_module(f"evals.{name}")
    run: Callable[..., Section] = module.run
    return run


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("sales-operator", "langgraph", "xgboost", "scikit-learn", "numpy", "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def render_report(
    sections: list[Section], *, data_dir: Path, started: datetime, total_s: float
) -> str:
    """Return report.md."""
    lines = [
        "# sales-operator: evaluation report",
        "",
        f"Generated {started:%Y-%m-%d %H:%M} UTC in {total_s:.0f} s "
        f"(Python {platform.python_version()}, {os.cpu_count()} CPUs). External data: "
        f"`{data_dir}`.",
        "",
        "What this measures: (1) whether the operator graph runs the seed deal's five events "
        "through the nodes the design prescribes and reproduces the seed story's facts; "
        "(2) how well the conversion model ranks and calibrates, on the bundled closed-deal "
        "history and, when present, on the public X Education lead data; (3) how well the "
        "offline meeting extraction finds pains, competitors and commitments against hand "
        "labels, and whether talk ratios agree with a direct count on AMI meetings. Every "
        "figure below was computed by this run; nothing is copied in.",
        "",
        "| section | status | seconds |",
        "|---|---|---|",
    ]
    for s in sections:
        lines.append(f"| {s.title} | {s.status} | {s.seconds:.1f} |")
    for s in sections:
        lines += ["", f"## {s.title}", "", f"Status: **{s.status}**", "", s.markdown]
    lines += [
        "",
        "## Reproduce",
        "",
        "```sh",
        "make evals                      # = .venv/bin/python -m evals.run",
        ".venv/bin/python -m evals.run --sections lifecycle          # one section",
        "SALES_OPERATOR_DATA=/path/to/data .venv/bin/python -m evals.run   # other data folder",
        ".venv/bin/python -m evals.run --no-external                 # bundled data only",
        "```",
        "",
        "Figures for every table are in `results.json` next to this file.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections; write report.md, results.json and the plots; print a summary."""
    parser = argparse.ArgumentParser(prog="python -m evals.run", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder")
    parser.add_argument("--data", type=Path, default=None, help="external data folder")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help="comma-separated: " + ", ".join(SECTIONS)
    )
    parser.add_argument(
        "--no-external", action="store_true", help="skip the parts that need external data"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a section fails its checks"
    )
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    data_dir = (args.data or default_data_dir()).resolve()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    sections: list[Section] = []
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        runner = _runner(name)
        kwargs: dict[str, Any] = {}
        if name != "lifecycle":
            kwargs["include_external"] = not args.no_external
        section = runner(out, data_dir, **kwargs)
        section.seconds = time.perf_counter() - t
        sections.append(section)
    total_s = time.perf_counter() - t0

    report = render_report(sections, data_dir=data_dir, started=started, total_s=total_s)
    (out / "report.md").write_text(report, encoding="utf-8")
    results = {
        "generated_at": started.isoformat(timespec="seconds"),
        "seconds": round(total_s, 1),
        "data_dir": str(data_dir),
        "versions": _versions(),
        "sections": {
            s.key: {
                "title": s.title,
                "status": s.status,
                "seconds": round(s.seconds, 2),
                "figures": s.figures,
                **s.results,
            }
            for s in sections
        },
    }
    (out / "results.json").write_text(
        json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8"
    )
    print(f"evals done in {total_s:.0f} s")
    for s in sections:
        for line in s.summary:
            print(f"  {line}")
    print(f"  report: {out / 'report.md'}")
    failed = [s.key for s in sections if s.status == "fail"]
    if failed:
        print(f"  FAILED: {', '.join(failed)}")
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    raise SystemExit(main())

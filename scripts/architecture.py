"""Draw `docs/architecture.svg` from the operator's own `get_graph(xray=True)`, no network.

The picture is the compiled graph itself (`sales_operator.architecture.architecture_svg`):
every node, the patterns' own nodes grouped in one box per pattern, the approval gate and the
executor as the two large boxes, the main paths as arrows and every conditional edge in a
routing table under them. A test fails when the picture misses a node or an edge of the
graph. Rerun it after changing the graph:

    .venv/bin/python scripts/architecture.py [--out docs/architecture.svg]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from sales_operator import Deps, build_operator
from sales_operator.architecture import architecture_svg

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Write the SVG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "architecture.svg")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        graph = build_operator(Deps.offline(tmp))
        svg = architecture_svg(
            graph, title="sales-operator: one graph, four patterns, one approval gate"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(svg + "\n", encoding="utf-8")
    print(f"wrote {args.out}")  # noqa: T201


if __name__ == "__main__":
    main()

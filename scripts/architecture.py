"""Draw `docs/architecture.svg` from the operator's own `get_graph()`, with no network.

The picture is the compiled graph itself (nodes and edges as LangGraph reports them), laid
out locally with grandalf by `sales_operator.display.graph_svg`: solid arrows are fixed edges,
dashed ones the event router's conditional edges. Rerun it after changing the graph:

    .venv/bin/python scripts/architecture.py [--out docs/architecture.svg]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from sales_operator import Deps, build_operator
from sales_operator.display import graph_svg

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Write the SVG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "architecture.svg")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        graph = build_operator(Deps.offline(tmp))
        svg = graph_svg(graph, title="sales-operator: one graph, four patterns, one approval gate")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(svg + "\n", encoding="utf-8")
    print(f"wrote {args.out}")  # noqa: T201


if __name__ == "__main__":
    main()

"""Notebook displays: escaped HTML for the state, the brief and the call; the graph as SVG."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sales_operator import Deps, build_operator
from sales_operator.state import (
    AccountBrief,
    BriefClaim,
    BriefSection,
    BriefSource,
    Citation,
    Deal,
    DealState,
    Insight,
    MeetingInsights,
    Quote,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 2, tzinfo=UTC)


def test_html_displays_escape_what_they_show() -> None:
    hostile = "<script>alert(1)</script>"
    quote = Quote(speaker="Dana <b>", text=hostile)
    meeting = MeetingInsights(
        call_id="c1",
        call_date=date(2026, 11, 4),
        talk_ratio={"Sam": 0.4, "Dana": 0.6},
        pains=[Insight(kind="pain", text=hostile, quote=quote)],
        summary=hostile,
        engine="offline",
    )
    brief = AccountBrief(
        account="Acme <i>",
        account_id="A-1",
        as_of=date(2026, 11, 4),
        headline=hostile,
        sections=[
            BriefSection(
                name="overview",
                claims=[
                    BriefClaim(
                        text="Acme ships 40k loads a year.",
                        citations=[Citation(source="S1", quote=f"Acme ships 40k loads {hostile}")],
                    )
                ],
            )
        ],
        sources=[BriefSource(id="S1", kind="document", title="10-K", location="doc.md")],
        engine="offline",
        written_at=NOW,
    )
    state = DealState(
        deal_id="D-1",
        deal=Deal(id="D-1", name=hostile, stage="discovery", close_date=date(2026, 11, 27)),
        brief=brief,
        meeting=meeting,
    )
    for html in (meeting._repr_html_(), brief._repr_html_(), state._repr_html_()):
        assert "<script>" not in html and "&lt;script&gt;" in html
    assert "talk ratio" in meeting._repr_html_() and "60%" in meeting._repr_html_()
    assert "[S1]</sup>" in brief._repr_html_() and "overview" in brief._repr_html_()
    assert "2026-11-27" in state._repr_html_()
    assert len(state._repr_html_()) < 5000


def test_graph_displays_without_the_network_and_the_architecture_picture_is_current(
    tmp_path: Path,
) -> None:
    graph = build_operator(Deps.offline(tmp_path))
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/svg+xml"}  # no PNG from mermaid.ink
    nodes = [n for n in graph.get_graph().nodes if not n.startswith("__")]
    picture = (ROOT / "docs" / "architecture.svg").read_text()
    for node in nodes:
        assert f">{node}</text>" in bundle["image/svg+xml"]
        assert f">{node}</text>" in picture, f"docs/architecture.svg lacks {node}: rerun it"
    assert type(graph).__name__ == "CompiledStateGraph"

"""`examples/quickstart.ipynb` runs offline from top to bottom (nbclient, a local kernel)."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "quickstart.ipynb"

pytestmark = pytest.mark.slow


def _outputs(cell: dict) -> list[dict]:  # type: ignore[type-arg]
    return list(cell.get("outputs", []))


def test_quickstart_notebook_runs_offline(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # committed without outputs, so the test sees what this run produced
    assert all(not _outputs(c) for c in nb.cells if c.cell_type == "code")
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError on any failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in _outputs(c)]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    by_source = {c.source: _outputs(c) for c in nb.cells if c.cell_type == "code"}
    # the graph drew itself without mermaid.ink
    [graph_out] = by_source["graph"]
    assert "<svg" in graph_out["data"]["image/svg+xml"]
    assert "approval_gate" in graph_out["data"]["image/svg+xml"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "score:" in text and "routed to" in text
    # speed_to_lead (the default): the lead's first request holds only the owner and rep notice
    assert "first request: assign_owner, post_slack\n" in text
    assert "'assign_owner': 'executed', 'post_slack': 'executed'" in text
    assert "'send_email': 'executed'" in text
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(html) >= 3  # the brief, the call insights, the deal state
    assert any("talk ratio" in h for h in html)
    assert any("<th" in h and "D-2001" in h for h in html)
    assert "edit send_email" in text  # the merge-patched edit is in the audit

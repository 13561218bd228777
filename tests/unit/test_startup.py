"""Start-up: `import sales_operator` and `sales-operator --help` load no heavy modules.

Each check runs in a fresh interpreter (the test process has everything loaded already) and
asserts which modules got imported, not how long it took.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import sales_operator

HEAVY = ("xgboost", "sklearn", "scipy", "pandas", "matplotlib", "langchain_openai", "numpy")
"""Never loaded by `import sales_operator`."""

GRAPH = ("langgraph.graph", "langgraph.pregel", "langchain_core.language_models", "pydantic")
"""Not loaded by the CLI's parser (`--help`): the graph and its models load inside a command."""


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _loaded(modules: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == r or m.startswith(r + ".") for r in roots))


def test_import_loads_no_heavy_module() -> None:
    modules = _modules_after("import sales_operator")
    assert "sales_operator" in modules
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, GRAPH) == []


@pytest.mark.parametrize("argv", [["--help"], ["score", "--help"], ["import", "--help"]])
def test_cli_help_loads_neither_graph_nor_models(argv: list[str]) -> None:
    code = (
        "import contextlib, io\n"
        "from sales_operator.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit as e:\n"
        "        assert e.code == 0, e.code\n"
        "assert 'usage: sales-operator' in out.getvalue(), out.getvalue()\n"
    )
    modules = _modules_after(code)
    assert "sales_operator.cli" in modules
    assert _loaded(modules, HEAVY + GRAPH) == []


def test_building_the_graph_loads_no_xgboost() -> None:
    # `inbox`, `approve`, `show` build the graph; xgboost loads only when a model is trained,
    # loaded or used.
    modules = _modules_after("from sales_operator.graph import build_operator")
    assert "sales_operator.scoring.tabular" in modules
    assert _loaded(modules, ("xgboost", "sklearn")) == []


def test_scoring_routing_does_not_load_the_model() -> None:
    # The approval gate needs routing's helpers; the scoring package must not pull in xgboost.
    modules = _modules_after("import sales_operator.scoring")
    assert _loaded(modules, ("xgboost", "sklearn", "numpy")) == []


def test_every_public_name_resolves() -> None:
    for name in sales_operator.__all__:
        assert getattr(sales_operator, name) is not None, name
    assert set(sales_operator.__all__) <= set(dir(sales_operator))
    from sales_operator import Deps, build_operator
    from sales_operator.deps import Deps as Direct

    assert Deps is Direct
    assert callable(build_operator)


@pytest.mark.parametrize(
    "package",
    [
        "sales_operator",
        "sales_operator.scoring",
        "sales_operator.meetings",
        "sales_operator.research",
        "sales_operator.workspace",
    ],
)
def test_lazy_packages_export_what_they_list(package: str) -> None:
    import importlib

    module = importlib.import_module(package)
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name}"
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018

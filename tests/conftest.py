"""Shared test fixtures. The network is blocked for the whole session (pytest-socket)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

_LIVE_ENV = (
    "OPENAI_API_KEY",
    "SALES_OPERATOR_MODEL",
    "TAVILY_API_KEY",
    "SMTP_HOST",
    "SLACK_WEBHOOK_URL",
    "LANGSMITH_API_KEY",
)

os.environ["LANGSMITH_TRACING"] = "false"

# every short read of a thread (pending_request, the event guard) is checked against
# LangGraph's own `get_state` in every test
import sales_operator.thread_view  # noqa: E402

sales_operator.thread_view.VERIFY = True


@pytest.fixture(autouse=True)
def _no_live_services(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep keys from the developer's environment out of every test."""
    for name in _LIVE_ENV:
        monkeypatch.delenv(name, raising=False)


class FakeToolModel(GenericFakeChatModel):
    """A scripted chat model that supports `with_structured_output` through tool calls."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> FakeToolModel:  # noqa: D102
        return self


def tool_reply(name: str, args: dict[str, Any]) -> AIMessage:
    """Return an AI message that calls tool `name` with `args`."""
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call-{name}"}])


@pytest.fixture
def fake_model_factory() -> Any:
    """Build a `FakeToolModel` answering with the given messages in order."""

    def make(*messages: AIMessage) -> FakeToolModel:
        return FakeToolModel(messages=iter(messages))

    return make


# ------------------------------------------------------------------------------ PostgreSQL


@pytest.fixture(scope="session")
def postgres_server() -> Any:
    """A PostgreSQL server's DSN for the store tests, or a skip (a failure under CI).

    `SALES_OPERATOR_TEST_DATABASE_URL` (exported by `.ci/run`) wins; otherwise a throwaway
    cluster is started when `initdb` is installed. Outside CI the tests skip without one;
    with `CI` set they fail, so CI never passes by skipping them.
    """
    import importlib.util

    from tests.pg_cluster import find_bin, server_plan, start_cluster

    plan, detail = server_plan(
        dict(os.environ),
        importlib.util.find_spec("psycopg") is not None,
        find_bin("initdb") is not None,
    )
    if plan == "fail":
        pytest.fail(f"CI is set but the PostgreSQL store tests cannot run: {detail}")
    if plan == "skip":
        pytest.skip(detail)
    if plan == "use":
        yield detail
        return
    with start_cluster() as dsn:
        yield dsn


@pytest.fixture
def postgres_dsn(postgres_server: str) -> Any:
    """A DSN whose `search_path` is a fresh, empty schema, dropped after the test."""
    from tests.pg_cluster import fresh_schema

    with fresh_schema(postgres_server) as dsn:
        yield dsn


@pytest.fixture(scope="session")
def scorer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The bundled sample CRM's scoring model, trained once per session."""
    from sales_operator.deps import Deps

    return Deps.offline(tmp_path_factory.mktemp("sample-scorer"), sample=True).get_scorer()


@pytest.fixture
def deps(tmp_path: Any, scorer: Any) -> Any:
    """Offline deps on the bundled sample CRM in a fresh folder, with the session's model."""
    from sales_operator.deps import Deps

    offline = Deps.offline(tmp_path / "work", sample=True)
    offline.scorer = scorer
    return offline

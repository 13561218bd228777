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


@pytest.fixture(scope="session")
def sample_scorer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The bundled sample CRM's scoring model, trained once per session."""
    from sales_operator.deps import Deps

    return Deps.offline(tmp_path_factory.mktemp("sample-scorer"), sample=True).get_scorer()


@pytest.fixture
def sample_deps(tmp_path: Any, sample_scorer: Any) -> Any:
    """Offline deps on the bundled sample CRM in a fresh folder, with the session's model."""
    from sales_operator.deps import Deps

    deps = Deps.offline(tmp_path / "work", sample=True)
    deps.scorer = sample_scorer
    return deps

"""The language-model step: offline engine, fake chat model, and a real ChatOpenAI over a mock
HTTP transport (no network)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from sales_operator.llm import LLM, model_spec_from_env
from tests.conftest import FakeToolModel, tool_reply


class Verdict(BaseModel):
    label: str
    confidence: float


PROMPT = "meetings/extract"


def _vars() -> dict[str, Any]:
    return {
        "transcript": "Sam: hi\nDana: hello",
        "call_date": "2026-11-04",
        "rep_names": "Sam",
        "customer_names": "Dana",
        "competitors": "FleetPilot",
    }


def test_offline_engine_runs_without_a_model() -> None:
    result, engine = LLM(None).structured(
        step="t",
        prompt=PROMPT,
        schema=Verdict,
        variables=_vars(),
        offline=lambda: Verdict(label="rules", confidence=1.0),
        offline_engine="offline:rules",
    )
    assert result.label == "rules" and engine == "offline:rules"


def test_fake_model_structured_output() -> None:
    model = FakeToolModel(
        messages=iter([tool_reply("Verdict", {"label": "llm", "confidence": 0.5})])
    )
    result, engine = LLM(model, name="fake").structured(
        step="t",
        prompt=PROMPT,
        schema=Verdict,
        variables=_vars(),
        offline=lambda: Verdict(label="rules", confidence=1.0),
    )
    assert result == Verdict(label="llm", confidence=0.5) and engine == "llm:fake"


def test_chat_openai_over_mock_transport() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        answer = {"label": "from-openai", "confidence": 0.9}
        if "response_format" in body:  # structured output through a JSON schema (the default)
            message: dict[str, Any] = {"role": "assistant", "content": json.dumps(answer)}
            finish = "stop"
        else:  # structured output through a tool call
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "Verdict", "arguments": json.dumps(answer)},
                    }
                ],
            }
            finish = "tool_calls"
        return httpx.Response(
            200,
            json={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "finish_reason": finish, "message": message}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            },
        )

    model = ChatOpenAI(
        model="gpt-4o-mini",
        api_key="sk-test",
        base_url="http://mock.invalid/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    result, engine = LLM(model).structured(
        step="t",
        prompt=PROMPT,
        schema=Verdict,
        variables=_vars(),
        offline=lambda: Verdict(label="rules", confidence=1.0),
    )
    assert result == Verdict(label="from-openai", confidence=0.9)
    assert engine == "llm:gpt-4o-mini"
    # the prompt file was rendered into the request
    assert "response_format" in seen[0] or "tools" in seen[0]
    messages = seen[0]["messages"]
    assert any("FleetPilot" in str(m.get("content")) for m in messages)


def test_model_failure_falls_back_to_offline_and_says_so() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": "bad key", "type": "auth"}})

    model = ChatOpenAI(
        model="gpt-4o-mini",
        api_key="sk-test",
        base_url="http://mock.invalid/v1",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    result, engine = LLM(model).structured(
        step="t",
        prompt=PROMPT,
        schema=Verdict,
        variables=_vars(),
        offline=lambda: Verdict(label="rules", confidence=1.0),
        offline_engine="offline:rules",
    )
    assert result.label == "rules" and engine == "offline:rules (fallback after model error)"


def test_model_spec_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert model_spec_from_env() is None
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    assert model_spec_from_env() == "openai:gpt-4o-mini"
    monkeypatch.setenv("SALES_OPERATOR_MODEL", "anthropic:claude-x")
    assert model_spec_from_env() == "anthropic:claude-x"
    monkeypatch.setenv("SALES_OPERATOR_MODEL", "offline")
    assert model_spec_from_env() is None

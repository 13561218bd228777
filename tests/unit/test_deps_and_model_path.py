"""Deps from the environment, and the whole operator on a (fake) language model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langgraph.checkpoint.memory import InMemorySaver

from sales_operator import Deps, build_operator
from sales_operator.adapters.outbox import OutboxMailer, SMTPMailer
from sales_operator.adapters.slack import SlackLogMessenger, SlackWebhookMessenger
from sales_operator.demo import SEED_DEAL_ID, lifecycle_events
from sales_operator.deps import ReadOnlyCRM
from sales_operator.research.tavily import TavilySearch
from sales_operator.runner import deal_state, pending_request, resume_deal, send_event


def test_offline_deps_use_embedded_stores(tmp_path: Path) -> None:
    deps = Deps.offline(tmp_path)
    assert not deps.llm.online and deps.search is None
    assert isinstance(deps.mailer, OutboxMailer) and isinstance(deps.messenger, SlackLogMessenger)
    assert (tmp_path / "crm.sqlite").exists()


def test_from_env_switches_on_configured_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("TAVILY_API_KEY", "tvly-test")
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("SMTP_FROM", "ops@orbitalfreight.com")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    deps = Deps.from_env(tmp_path)
    assert deps.llm.online and deps.llm.name == "openai:gpt-4o-mini"
    assert isinstance(deps.search, TavilySearch)
    assert isinstance(deps.mailer, SMTPMailer)
    assert isinstance(deps.messenger, SlackWebhookMessenger)
    monkeypatch.setenv("SALES_OPERATOR_MODEL", "offline")
    assert not Deps.from_env(tmp_path).llm.online


def test_patterns_get_a_read_only_crm(tmp_path: Path) -> None:
    crm = Deps.offline(tmp_path, sample=True).for_patterns().crm
    assert isinstance(crm, ReadOnlyCRM)
    assert crm.get_account("A-NWL") is not None
    for write in ("assign_owner", "update_deal_fields", "record_receipt", "append_audit"):
        with pytest.raises(AttributeError, match="only the execute_actions node writes"):
            getattr(crm, write)


class SchemaAnsweringModel(GenericFakeChatModel):
    """A fake chat model that answers each structured-output request for its schema."""

    answers: dict[str, dict[str, Any]]
    tool: str | None = None
    calls: list[str] = []

    def bind_tools(self, tools: Any, **kwargs: Any) -> SchemaAnsweringModel:
        name = getattr(tools[0], "__name__", None) or tools[0]["title"]
        return self.model_copy(update={"tool": name})

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        assert self.tool is not None, "only structured output is expected"
        self.calls.append(self.tool)
        message = AIMessage(
            content="",
            tool_calls=[{"name": self.tool, "args": self.answers[self.tool], "id": "c1"}],
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


def test_operator_on_a_model_records_the_model_engine(tmp_path: Path) -> None:
    answers = {
        "BriefDraft": {
            "sections": [
                {
                    "name": "overview",
                    "claims": [
                        {
                            "text": "Northwind Logistics announced three new regional "
                            "distribution centres in Ohio, Georgia and Texas.",
                            "citations": [
                                {
                                    "source": "S3",
                                    "quote": "Northwind Logistics today announced three new "
                                    "regional distribution centres, in Ohio, Georgia and Texas",
                                }
                            ],
                        },
                        {
                            "text": "Northwind plans to buy 10,000 route-optimisation licences.",
                            "citations": [
                                {
                                    "source": "S3",
                                    "quote": "Northwind will grow its fleet from 220 to 300 trucks",
                                }
                            ],
                        },
                        {"text": "An invented claim with no source at all.", "citations": []},
                    ],
                }
            ]
        },
        "EmailDraft": {"subject": "Model-written subject", "body": "Model-written body.\nSam"},
        "CallExtraction": {
            "pains": [
                {
                    "text": "Manual route planning",
                    "quote": "Our dispatchers spend about three hours a day building routes "
                    "in spreadsheets.",
                    "speaker": "Dana Whitfield",
                }
            ],
            "commitments": [
                {
                    "owner": "Sam Rivera",
                    "title": "Send ROI model",
                    "text": "Send the ROI model",
                    "due": "by Friday",
                    "quote": "I'll send you the ROI model and a pricing proposal by Friday.",
                }
            ],
            "summary": "A model-written summary.",
        },
    }
    model = SchemaAnsweringModel(messages=iter([]), answers=answers, calls=[])
    deps = Deps.offline(tmp_path, chat_model=model, sample=True)
    graph = build_operator(deps, checkpointer=InMemorySaver())
    events = lifecycle_events()
    for event in events[:2]:
        send_event(graph, event)
        request = pending_request(graph, SEED_DEAL_ID)
        assert request is not None
        resume_deal(
            graph,
            SEED_DEAL_ID,
            {"decisions": [{"type": "approve"}] * len(request["action_requests"])},
            policy=deps.policy,
            reviewer="mgr-jordan",
        )
    state = deal_state(graph, SEED_DEAL_ID)
    assert state.brief is not None and state.brief.engine.startswith("llm:")
    assert [c.text for c in state.brief.claims] == [
        "Northwind Logistics announced three new regional distribution centres in Ohio, "
        "Georgia and Texas."
    ]
    # the invented number and the uncited claim are dropped, by reason
    assert state.brief.dropped["unsupported_number"] >= 1
    assert state.brief.dropped["no_citation"] >= 1
    assert state.meeting is not None and state.meeting.engine.startswith("llm:")
    assert state.meeting.summary_detail is not None
    assert state.meeting.summary_detail.brief == "A model-written summary."
    assert state.meeting.summary.startswith("A model-written summary.")
    [commitment] = state.meeting.commitments
    assert commitment.due is not None and commitment.due.isoformat() == "2026-11-06"
    # deterministic parts stay deterministic on the model path
    assert {h.tracker for h in state.meeting.competitors} == {"FleetPilot"}
    assert state.score is not None and state.score.engine == "xgboost"
    emails = [a for a in state.proposed_actions if a.kind == "send_email"]
    assert emails and all(a.args["subject"] == "Model-written subject" for a in emails)
    assert {"BriefDraft", "EmailDraft", "CallExtraction"} <= set(model.calls)

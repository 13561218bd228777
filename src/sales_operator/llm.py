"""The language-model step: structured output with a model, a deterministic engine without.

Every step that can use a language model goes through `LLM.structured`. With a chat model
configured, the step asks for structured output against a pydantic schema, with its prompt
loaded from `prompts/`. Without one (the default: no key, no network), the step's offline
counterpart runs instead. Either way the caller learns which engine produced the output, and
records it in the state.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from sales_operator.errors import ConfigurationError
from sales_operator.prompts import render_prompt

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

DEFAULT_OPENAI_MODEL = "openai:gpt-4o-mini"
"""The model used when only `OPENAI_API_KEY` is set."""


def model_spec_from_env() -> str | None:
    """Return the `init_chat_model` spec the environment asks for, or None for offline.

    `SALES_OPERATOR_MODEL` wins (`offline` or an empty value means no model); otherwise
    `OPENAI_API_KEY` selects `openai:gpt-4o-mini`.
    """
    spec = os.environ.get("SALES_OPERATOR_MODEL")
    if spec is not None:
        spec = spec.strip()
        return None if spec in ("", "offline", "none") else spec
    if os.environ.get("OPENAI_API_KEY"):
        return DEFAULT_OPENAI_MODEL
    return None


def load_chat_model(spec: str) -> BaseChatModel:
    """Build a chat model from an `init_chat_model` spec such as `openai:gpt-4o-mini`.

    Raises:
        ConfigurationError: when the spec names an unknown provider or a missing package.
    """
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(spec, temperature=0)
    except (ImportError, ValueError) as err:
        raise ConfigurationError(f"cannot load chat model {spec!r}: {err}") from err


class LLM:
    """A chat model, or none, behind every language-model step."""

    def __init__(self, model: BaseChatModel | None = None, *, name: str | None = None) -> None:
        """Wrap `model` (None selects the offline engine everywhere)."""
        self.model = model
        """The chat model, or None."""
        self.name = name or (_model_name(model) if model is not None else None)
        """The model's name as recorded in outputs."""

    @property
    def online(self) -> bool:
        """Whether a chat model is configured."""
        return self.model is not None

    def structured(
        self,
        *,
        step: str,
        prompt: str,
        schema: type[T],
        variables: dict[str, Any],
        offline: Callable[[], T],
        offline_engine: str = "offline:rules",
    ) -> tuple[T, str]:
        """Run one step and return its output with the name of the engine that made it.

        Args:
            step: The step's name, for logs.
            prompt: Prompt name under `prompts/`; its first `---` separated part is the
                system message when the file has one, the rest the human message.
            schema: The pydantic schema the model must fill.
            variables: Values for the prompt's placeholders.
            offline: The deterministic counterpart, called when no model is configured
                or when the model call fails.
            offline_engine: The engine name recorded for the offline output.
        """
        if self.model is None:
            return offline(), offline_engine
        text = render_prompt(prompt, **variables)
        system, _, human = text.partition("\n---\n")
        messages = (
            [SystemMessage(system.strip()), HumanMessage(human.strip())]
            if human
            else [HumanMessage(system.strip())]
        )
        try:
            runnable = self.model.with_structured_output(schema)
            result = runnable.invoke(messages)
        except Exception as err:  # a vendor error of any kind: fall back, and say so
            logger.warning("%s: model call failed (%s); using the offline engine", step, err)
            return offline(), f"{offline_engine} (fallback after model error)"
        if isinstance(result, dict):
            result = schema.model_validate(result)
        if not isinstance(result, schema):
            logger.warning("%s: model returned %r; using the offline engine", step, type(result))
            return offline(), f"{offline_engine} (fallback after unusable model output)"
        return result, f"llm:{self.name}"


def _model_name(model: BaseChatModel) -> str:
    for attr in ("model_name", "model", "model_id"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__

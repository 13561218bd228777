"""What review UIs need from the approval interrupt, and the Agent Inbox dialect.

- `review_config_extras(kind, policy)`: added to each review config of the request: the JSON
  schema of the kind's arguments (`args_schema`), so a UI can render an edit form and check it,
  and whether a rejection must carry a message (`reject_message_required`).
- `present(request, policy)`: the interrupt value. LangChain's HITL shape (the request as it
  is) or, with `approval.interrupt_format: agent_inbox`, a list of Agent Inbox
  `HumanInterrupt`s, one per action: `{"action_request": {"action", "args"}, "config":
  {"allow_accept", "allow_edit", "allow_respond", "allow_ignore"}, "description"}`.
- `read_answer(request, answer)`: turns a list of Agent Inbox `HumanResponse`s
  (`{"type": "accept" | "edit" | "response" | "ignore", "args": ...}`) into our
  `{"decisions": [...]}`; our own shape passes through unchanged.
- `request_from_interrupt(value)`: the request back from either interrupt shape (for the
  inbox, the CLI and `pending_request`).
- `check_reject_messages(request, decisions, policy)`: refuses a rejection without a message
  for the kinds the policy lists (customer-facing ones by default).

Mapping of Agent Inbox answers: `accept` approves; `edit` approves with the edited `args`;
`response` rejects with the text as the message (feedback for the operator); `ignore` rejects
with "ignored in the review UI", and is offered (`allow_ignore`) only for kinds whose rejection
needs no message.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from sales_operator.errors import ApprovalError
from sales_operator.policy import Policy

IGNORED_MESSAGE = "ignored in the review UI"
"""The message recorded for an Agent Inbox `ignore`."""

_RESPONSE_TYPES = ("accept", "edit", "response", "ignore")


def args_schema(kind: str, policy: Policy | None = None) -> dict[str, Any]:
    """Return the JSON schema of an action kind's arguments.

    Built from the kind's argument contract (`sales_operator.approval.ARGS_BY_KIND`); with a
    policy, `change_stage`'s `stage` is limited to the policy's stages.

    Raises:
        ApprovalError: for an unknown action kind.
    """
    schema = copy.deepcopy(_kind_schema(kind))  # the caller may change its copy
    if policy is not None and kind == "change_stage" and "stage" in schema.get("properties", {}):
        schema["properties"]["stage"]["enum"] = list(policy.stages)
    return schema


@functools.cache
def _kind_schema(kind: str) -> dict[str, Any]:
    """Return the JSON schema of a kind's arguments, built once per kind (~5 ms each)."""
    from sales_operator.approval import ARGS_BY_KIND

    model = ARGS_BY_KIND.get(kind)
    if model is None:
        raise ApprovalError(f"unknown action kind {kind!r}; known kinds are {list(ARGS_BY_KIND)}")
    return model.model_json_schema(by_alias=True)


def review_config_extras(kind: str, policy: Policy) -> dict[str, Any]:
    """Return the keys added to a kind's review config: `args_schema`, `reject_message_required`."""
    return {
        "args_schema": args_schema(kind, policy),
        "reject_message_required": kind in policy.approval.reject_message_required,
    }


def _configs(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["action_name"]: c for c in request.get("review_configs", [])}


def to_agent_inbox(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the request as Agent Inbox `HumanInterrupt`s, one per action, in order.

    Each item also carries our `id`, `deal_id`, `event_id`, `reviewer` and `args_schema`, so
    that `request_from_interrupt` can rebuild the request; Agent Inbox ignores them.
    """
    configs = _configs(request)
    items = []
    for action in request["action_requests"]:
        config = configs.get(action["name"], {})
        allowed = config.get("allowed_decisions", [])
        can_reject = "reject" in allowed
        item = {
            "action_request": {"action": action["name"], "args": copy.deepcopy(action["args"])},
            "config": {
                "allow_accept": "approve" in allowed,
                "allow_edit": "edit" in allowed,
                "allow_respond": can_reject,
                "allow_ignore": can_reject and not config.get("reject_message_required", False),
            },
            "description": action.get("description", ""),
            "id": action["id"],
            "deal_id": request.get("deal_id", ""),
            "event_id": request.get("event_id", ""),
            "reviewer": config.get("reviewer"),
            "args_schema": config.get("args_schema"),
        }
        if "error" in request:
            refused = f"Last answer refused: {request['error']}"
            item["description"] = f"{item['description']}\n\n{refused}"
        items.append(item)
    return items


def present(request: dict[str, Any], policy: Policy) -> Any:
    """Return the interrupt value for `request` in the policy's `interrupt_format`."""
    if policy.approval.interrupt_format == "agent_inbox":
        return to_agent_inbox(request)
    return request


def _is_agent_inbox_item(value: Any) -> bool:
    return isinstance(value, dict) and "action_request" in value and "config" in value


def request_from_interrupt(value: Any) -> dict[str, Any] | None:
    """Return our request from an interrupt value of either shape, or None if it is neither."""
    if isinstance(value, dict) and "action_requests" in value:
        return value
    if not isinstance(value, list) or not value or not all(map(_is_agent_inbox_item, value)):
        return None
    actions = []
    configs: dict[str, dict[str, Any]] = {}
    for item in value:
        name = item["action_request"]["action"]
        actions.append(
            {
                "id": item.get("id", ""),
                "name": name,
                "args": item["action_request"]["args"],
                "description": item.get("description", ""),
            }
        )
        flags = item["config"]
        allowed = [
            decision
            for decision, flag in (
                ("approve", "allow_accept"),
                ("edit", "allow_edit"),
                ("reject", "allow_respond"),
            )
            if flags.get(flag)
        ]
        configs.setdefault(
            name,
            {
                "action_name": name,
                "allowed_decisions": allowed,
                "reviewer": item.get("reviewer"),
                "args_schema": item.get("args_schema"),
                "reject_message_required": not flags.get("allow_ignore") and "reject" in allowed,
            },
        )
    first = value[0]
    return {
        "deal_id": first.get("deal_id", ""),
        "event_id": first.get("event_id", ""),
        "action_requests": actions,
        "review_configs": list(configs.values()),
    }


def _is_human_response(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") in _RESPONSE_TYPES and "args" in value


def read_answer(request: dict[str, Any], answer: Any) -> Any:
    """Return `answer` as our `{"decisions": [...]}` payload.

    A list of Agent Inbox `HumanResponse`s (one per action, in order; a single response is
    taken as a list of one) is translated; anything else is returned unchanged for
    `validate_decisions` to judge, so a malformed answer is still refused there.

    Raises:
        ApprovalError: for an Agent Inbox `edit` of another action kind, or a `response`
            without text.
    """
    responses = [answer] if _is_human_response(answer) else answer
    if not isinstance(responses, list) or not responses:
        return answer
    if not all(map(_is_human_response, responses)):
        return answer
    actions = request["action_requests"]
    decisions: list[dict[str, Any]] = []
    for i, response in enumerate(responses):
        name = actions[i]["name"] if i < len(actions) else "?"
        where = f"response {i} ({name})"
        kind, args = response["type"], response["args"]
        if kind == "accept":
            decisions.append({"type": "approve"})
        elif kind == "edit":
            if not isinstance(args, dict) or not isinstance(args.get("args"), dict):
                raise ApprovalError(f'{where}: an edit needs "args": {{"action", "args": {{...}}}}')
            decisions.append(
                {
                    "type": "edit",
                    "edited_action": {"name": args.get("action", name), "args": args["args"]},
                }
            )
        elif kind == "response":
            if not isinstance(args, str) or not args.strip():
                raise ApprovalError(f"{where}: a response needs its text in args")
            decisions.append({"type": "reject", "message": args.strip()})
        else:
            decisions.append({"type": "reject", "message": IGNORED_MESSAGE})
    return {"decisions": decisions}


def check_reject_messages(request: dict[str, Any], decisions: list[Any], policy: Policy) -> None:
    """Refuse a rejection without a message for the kinds in `reject_message_required`.

    Args:
        request: The request answered.
        decisions: The parsed decisions (with `type` and `message`), one per action in order.
        policy: Gives `approval.reject_message_required`.

    Raises:
        ApprovalError: naming the action whose rejection needs a reason.
    """
    required = set(policy.approval.reject_message_required)
    for action, decision in zip(request["action_requests"], decisions, strict=False):
        kind = getattr(decision, "type", None)
        message = getattr(decision, "message", None)
        if kind != "reject" or action["name"] not in required:
            continue
        if not message or not message.strip() or message == IGNORED_MESSAGE:
            raise ApprovalError(
                f"rejecting {action['name']} {action['id']} needs a message saying why "
                "(the policy's approval.reject_message_required lists this kind)"
            )

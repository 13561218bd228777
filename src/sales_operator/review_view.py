"""What the reviewer sees: each action as it will run.

`action_view()` adds a `review` object to each of the gate's action requests (so the interrupt,
LangGraph Studio, `inbox --json` and any embedder see it): the recipients, subject and body of
an email, the attendees of an invite, the text of a Slack message as it will be posted, a
before/after diff for CRM changes, the engine that wrote the action and the sources it had.
`format_request()` renders a request for the terminal (the CLI's `event` and `inbox`), with
every control or invisible format character shown as an escape, so a name carrying a newline
cannot forge a line of the listing.
"""

from __future__ import annotations

from typing import Any

from sales_operator.contracts import ContractFacts
from sales_operator.escaping import slack_text, visible

__all__ = ["action_view", "format_request"]

_DEAL_ATTRS = ("name", "stage", "amount", "close_date", "owner_id")


def _before(deal: Any, name: str) -> Any:
    if deal is None:
        return None
    if name in _DEAL_ATTRS:
        return getattr(deal, name, None)
    return deal.fields.get(name)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _sources(action: Any, state: Any) -> list[str]:
    sources = [f"event {action.event_id}"]
    event = getattr(state, "event", None)
    meeting = getattr(state, "meeting", None)
    if (
        meeting is not None
        and event is not None
        and event.type in ("meeting_completed", "deal_closed")
        and action.proposed_by == "workflow_copilot"
    ):
        sources.append(f"call {meeting.call_id} (meeting insights, {meeting.engine})")
    score = getattr(state, "score", None)
    if score is not None and action.kind in ("update_crm", "assign_owner"):
        sources.append(f"score {score.probability:.2f} ({score.engine} {score.model_version})")
    assignment = getattr(state, "assignment", None)
    if assignment is not None and action.kind == "assign_owner":
        sources.append(f"routing rule {assignment.rule!r}")
    brief = getattr(state, "brief", None)
    if brief is not None and action.kind == "send_email":
        for citation in brief.sources[:5]:
            sources.append(f"brief {citation.id}: {citation.title} ({citation.location})")
    return sources


def action_view(action: Any, state: Any, facts: ContractFacts | None = None) -> dict[str, Any]:
    """Return what the reviewer must see of one proposed action.

    Args:
        action: The `ProposedAction`.
        state: The deal's `DealState`.
        facts: The contract facts (for how Slack text will be escaped).
    """
    args = action.args
    engine = getattr(action, "engine", None) or state.engines.get(action.proposed_by)
    view: dict[str, Any] = {
        "engine": engine or "unknown",
        "proposed_by": action.proposed_by,
        "sources": _sources(action, state),
    }
    deal = state.deal
    kind = action.kind
    if kind == "send_email":
        view.update(
            {
                "from": args.get("from"),
                "to": list(args.get("to") or []),
                "cc": list(args.get("cc") or []),
                "subject": args.get("subject"),
                "body": args.get("body"),
            }
        )
    elif kind == "send_invite":
        view.update(
            {
                "organizer": args.get("organizer"),
                "attendees": list(args.get("attendees") or []),
                "title": args.get("title"),
                "start": _jsonable(args.get("start")),
                "end": _jsonable(args.get("end")),
                "body": args.get("description", ""),
            }
        )
    elif kind == "post_slack":
        text = str(args.get("text", ""))
        allow = facts.slack_mentions if facts is not None else False
        view.update(
            {"channel": args.get("channel"), "body": slack_text(text, allow_mentions=allow)}
        )
    elif kind in ("update_crm", "change_stage", "assign_owner"):
        if kind == "update_crm":
            changes = dict(args.get("fields") or {})
        elif kind == "change_stage":
            changes = {"stage": args.get("stage")}
        else:
            changes = {"owner_id": args.get("rep_id")}
        view["diff"] = [
            {"field": str(k), "before": _jsonable(_before(deal, str(k))), "after": _jsonable(v)}
            for k, v in changes.items()
        ]
    elif kind == "create_task":
        view.update(
            {
                "title": args.get("title"),
                "owner": args.get("owner_id"),
                "due": _jsonable(args.get("due")),
                "body": args.get("notes", ""),
            }
        )
    elif kind == "log_note":
        view["body"] = args.get("text", "")
    return view


def _v(value: Any) -> str:
    return visible("" if value is None else str(value))


def _format_action(a: dict[str, Any], config: dict[str, Any] | None) -> list[str]:
    view = a.get("review") or {}
    lines = [f"  {_v(a.get('id'))}  [{_v(a.get('name'))}] {_v(a.get('description'))}"]
    if config is not None:
        lines.append(
            f"      reviewer: {_v(config.get('reviewer'))}; "
            f"allowed: {_v(', '.join(config.get('allowed_decisions', [])))}"
        )
    for label, key in (
        ("from", "from"),
        ("organizer", "organizer"),
        ("to", "to"),
        ("cc", "cc"),
        ("attendees", "attendees"),
        ("channel", "channel"),
        ("subject", "subject"),
        ("title", "title"),
        ("when", "start"),
        ("owner", "owner"),
        ("due", "due"),
    ):
        value = view.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if key == "start" and view.get("end"):
            value = f"{value} to {view['end']}"
        lines.append(f"      {label}: {_v(value)}")
    for change in view.get("diff") or []:
        before, after = change.get("before"), change.get("after")
        lines.append(
            f"      {_v(change.get('field'))}: {'(unset)' if before is None else _v(before)} -> "
            f"{'(unset)' if after is None else _v(after)}"
        )
    body = view.get("body")
    if body:
        lines.append("      body:")
        lines.extend(f"      | {_v(line)}" for line in str(body).split("\n"))
    if view:
        lines.append(f"      engine: {_v(view.get('engine'))}")
        for source in view.get("sources") or []:
            lines.append(f"      source: {_v(source)}")
    return lines


def format_request(request: dict[str, Any]) -> str:
    r"""Render an approval request for the terminal: every action as it will run.

    Control and format characters in any value are shown escaped (`\n`, `\x1b`).
    """
    configs = {c.get("action_name"): c for c in request.get("review_configs") or []}
    lines: list[str] = []
    for a in request.get("action_requests") or []:
        lines.extend(_format_action(a, configs.get(a.get("name"))))
    if "error" in request:
        lines.append(f"  last answer was refused: {_v(request['error'])}")
    return "\n".join(lines)

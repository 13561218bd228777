"""The approval gate: patterns propose, one gate asks, one executor acts.

`approval_gate` does nothing but put every pending action into ONE `interrupt()`, in
LangChain's human-in-the-loop shape, and read the decisions back:

```python
request = {
    "action_requests": [{"name": kind, "args": {...}, "description": "...", "id": action_id}],
    "review_configs": [{"action_name": kind, "allowed_decisions": [...], "reviewer": "rep"}],
    "deal_id": "...", "event_id": "...",
}
resume = {"decisions": [{"type": "approve"} | {"type": "edit", "edited_action": {"name": kind,
          "args": {...}}} | {"type": "reject", "message": "..."}]}
```

It fails closed. An unknown action kind, arguments that do not fit the kind, or a graph run
without a checkpointer raise before anything is asked. A missing or malformed decision is never
an approval: `validate_decisions()` raises `ApprovalError` (the `resume_deal()` helper and the
CLI call it before resuming, so the request stays pending and nothing runs); a malformed
payload that reaches the gate directly is answered with the same request again, carrying the
error, and still nothing runs.

Decisions are records. When the answer is valid, the gate resolves each reviewer to an
identity allowed to take the role `review_configs` name (`sales_operator.authority`), and
writes the decisions to the CRM's append-only audit, tagged with the request's id (the event
id of the run) and version (a digest of the actions and arguments asked about), before
anything executes. The first answer to a request wins: a different answer gets `ApprovalError`
("already decided by X at T") and changes nothing.

`execute_actions` is the only node with write-capable adapters, and it trusts the audit, not
the state: it runs the approve and edit decisions on record for the current request, with the
arguments and idempotency keys on record, and refuses (`ApprovalError`, nothing run) when the
state marks an action approved that no recorded decision approved, as
`graph.update_state(..., as_node="approval_gate")` would. Each action's receipt is stored before
it is reported done; a transient failure is retried, then stored as a `retryable` receipt and
the other actions still run. Resuming twice, or recovering in a new process after a crash
(`runner.recover_deal`), runs only the approved actions without a final receipt, each once.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sales_operator.actions import NEW_LEAD_NOTICE, idempotency_key
from sales_operator.adapters._records import request_decisions
from sales_operator.adapters.base import DecisionLedger, Rep
from sales_operator.authority import Authorize
from sales_operator.context import Context
from sales_operator.contracts import ContractFacts, contract_facts, enforce_contract
from sales_operator.errors import (
    AdapterError,
    ApprovalError,
    ConfigurationError,
    ContractError,
    InputError,
    TransientAdapterError,
)
from sales_operator.leases import check_lease
from sales_operator.limits import check_limits
from sales_operator.policy import Policy
from sales_operator.review_ui import (
    check_reject_messages,
    present,
    read_answer,
    review_config_extras,
)
from sales_operator.review_view import action_view
from sales_operator.scoring.routing import mark_notified
from sales_operator.state import (
    Activity,
    Assignment,
    AuditEntry,
    DealState,
    DealUpdate,
    Decision,
    ProposedAction,
    Receipt,
)

_CHECKPOINTER_KEY = "__pregel_checkpointer"


# --- argument contracts, one per action kind -------------------------------------------


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AssignOwnerArgs(_Args):
    """Arguments of `assign_owner`."""

    deal_id: str
    rep_id: str
    rep_name: str
    reason: str = ""


class UpdateCrmArgs(_Args):
    """Arguments of `update_crm`."""

    deal_id: str
    fields: dict[str, Any] = Field(min_length=1)


class ChangeStageArgs(_Args):
    """Arguments of `change_stage`."""

    deal_id: str
    stage: str
    reason: str = ""
    at: datetime | None = None
    """Business time of the change (the event's time); None: the CRM's clock."""


class CreateTaskArgs(_Args):
    """Arguments of `create_task`."""

    deal_id: str
    title: str = Field(min_length=1)
    owner_id: str | None = None
    due: date | None = None
    notes: str = ""
    created_at: datetime | None = None
    """Business time the task was proposed (the event's time); None: the CRM's clock."""


class LogNoteArgs(_Args):
    """Arguments of `log_note`."""

    deal_id: str
    text: str = Field(min_length=1)


class SendEmailArgs(_Args):
    """Arguments of `send_email`."""

    to: list[str] = Field(min_length=1)
    cc: list[str] = Field(default_factory=list)
    sender: str | None = Field(default=None, alias="from")
    subject: str = Field(min_length=1)
    body: str = Field(min_length=1)
    in_reply_to: str | None = None
    """Message-ID of the last message with the recipient (threading)."""
    references: list[str] = Field(default_factory=list)
    """Message-IDs of the thread, oldest first."""
    attachments: list[str] = Field(default_factory=list)
    """Files to attach (paths in the policy's collateral folder)."""


class PostSlackArgs(_Args):
    """Arguments of `post_slack`."""

    channel: str = Field(min_length=1)
    text: str = Field(min_length=1)


class SendInviteArgs(_Args):
    """Arguments of `send_invite`."""

    title: str = Field(min_length=1)
    start: datetime
    end: datetime
    attendees: list[str] = Field(min_length=1)
    organizer: str | None = None
    description: str = ""
    timezone: str | None = None
    """IANA zone the invite's times are written in (the recipient's)."""


ARGS_BY_KIND: dict[str, type[_Args]] = {
    "assign_owner": AssignOwnerArgs,
    "update_crm": UpdateCrmArgs,
    "change_stage": ChangeStageArgs,
    "create_task": CreateTaskArgs,
    "log_note": LogNoteArgs,
    "send_email": SendEmailArgs,
    "post_slack": PostSlackArgs,
    "send_invite": SendInviteArgs,
}
"""The argument contract of each action kind; the executor relies on it."""


def check_args(
    kind: str, args: Any, *, deal_id: str, policy: Policy, facts: ContractFacts | None = None
) -> _Args:
    """Validate an action's arguments against its kind's contract.

    Args:
        kind: The action kind.
        args: The arguments, as proposed or as edited.
        deal_id: The thread's deal.
        policy: The policy (stages).
        facts: The deal's contract facts (`sales_operator.contracts`): recipients, sender,
            protected fields. None checks the argument types only.

    Raises:
        ApprovalError: naming the action kind and every wrong field; `ContractError` when the
            arguments break the deal's contract.
    """
    try:
        check_limits(args, policy.limits, where=f"{kind} arguments")
    except InputError as err:  # over a limit, or not valid Unicode
        raise ContractError(str(err)) from err
    model = ARGS_BY_KIND.get(kind)
    if model is None:
        raise ApprovalError(f"unknown action kind {kind!r}; known kinds are {list(ARGS_BY_KIND)}")
    if not isinstance(args, dict):
        raise ApprovalError(f"{kind}: arguments must be an object, got {type(args).__name__}")
    try:
        parsed = model.model_validate(args)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(args)'}: {e['msg']}" for e in err.errors()
        )
        raise ApprovalError(f"{kind}: bad arguments: {problems}") from err
    target = getattr(parsed, "deal_id", deal_id)
    if target != deal_id:
        raise ApprovalError(f"{kind}: deal_id {target!r} is not this thread's deal {deal_id!r}")
    if isinstance(parsed, ChangeStageArgs) and parsed.stage not in policy.stages:
        raise ApprovalError(
            f"change_stage: unknown stage {parsed.stage!r}; the policy's stages are {policy.stages}"
        )
    if isinstance(parsed, SendInviteArgs) and parsed.end <= parsed.start:
        raise ApprovalError("send_invite: end must be after start")
    if facts is not None:
        enforce_contract(kind, parsed, facts)
    if isinstance(parsed, SendEmailArgs) and parsed.attachments:
        _check_attachments(parsed.attachments, policy)
    return parsed


def _check_attachments(paths: list[str], policy: Policy) -> None:
    """Refuse attachments outside the policy's collateral folder.

    An edit may not attach arbitrary files from this machine.
    """
    from pathlib import Path

    from sales_operator.copilot.collateral import collateral_folder

    folder = collateral_folder(policy.copilot).resolve()
    for name in paths:
        path = Path(name).expanduser().resolve()
        if not path.is_relative_to(folder):
            raise ApprovalError(
                f"send_email: attachment {name!r} is not in the collateral folder {folder}"
            )


# --- the request and the decisions -------------------------------------------------------


FIRST_REQUEST_SUFFIX = ":first"
"""Ends the id of an event's first request, asked while some of its patterns wait
(`DealState.deferred`, under `speed_to_lead`); its second request has the event's own id."""


def request_id_for(event_id: str, deferred: Sequence[str] | None = None) -> str:
    """Return the id of the request a thread asks now.

    That is the event id, or `<event id>:first` while the event's deferred patterns wait
    for that first request.
    """
    return f"{event_id}{FIRST_REQUEST_SUFFIX}" if deferred else event_id


def current_request_id(state: DealState) -> str:
    """Return the id of the request `state` asks (or asked) now (`request_id_for`)."""
    return request_id_for(state.event_id, state.deferred)


def pending_actions(state: DealState) -> list[ProposedAction]:
    """Return the actions that wait for a decision, in proposal order."""
    return [a for a in state.proposed_actions if a.status == "pending"]


def build_request(
    state: DealState, policy: Policy, reps: Sequence[Rep] | None = None
) -> dict[str, Any]:
    """Build the one human-in-the-loop request for every pending action.

    Args:
        state: The deal's state.
        policy: The policy.
        reps: The CRM's reps, for the sender rules of the argument contracts.

    Raises:
        ApprovalError: for an action kind the policy does not know, or bad arguments;
            `ContractError` for arguments that break the deal's contract.
    """
    facts = contract_facts(state, policy, reps)
    pending = pending_actions(state)
    configs: dict[str, dict[str, Any]] = {}
    requests = []
    for action in pending:
        if action.kind not in policy.approval.actions:
            raise ApprovalError(
                f"action {action.id}: kind {action.kind!r} has no approval policy; "
                f"refusing to ask for it (known kinds: {sorted(policy.approval.actions)})"
            )
        check_args(action.kind, action.args, deal_id=state.deal_id, policy=policy, facts=facts)
        requests.append(
            {
                "id": action.id,
                "name": action.kind,
                "args": action.args,
                "description": action.description,
                "review": action_view(action, state, facts),
            }
        )
        if action.kind not in configs:
            configs[action.kind] = _review_config(action.kind, policy)
    return {
        "deal_id": state.deal_id,
        "event_id": state.event_id,
        "request_id": current_request_id(state),
        "version": request_version(pending),
        "action_requests": requests,
        "review_configs": list(configs.values()),
        "contract": facts.to_json(),
    }


def _review_config(kind: str, policy: Policy) -> dict[str, Any]:
    """Return the review config of an action kind the policy knows (`build_request`)."""
    review = policy.approval.actions[kind]
    return {
        "action_name": kind,
        "allowed_decisions": list(review.allowed_decisions),
        "reviewer": review.reviewer,
        **review_config_extras(kind, policy),  # args_schema (review_ui)
    }


def request_is_current(
    request: Any, state: DealState, policy: Policy, reps: Sequence[Rep] | None = None
) -> bool:
    """Return whether `request` is what `build_request(state, policy, reps)` would ask now.

    Compared: the deal, event and request ids, the version, each pending action's id, kind
    and arguments, the contract facts (from `reps` now), and every review config (allowed
    decisions, reviewer role, schema) as the policy gives it now. Those are all the request
    carries that `validate_decisions` relies on; what is left (descriptions, the reviewer's
    view of each action) is for reading. The argument checks of `build_request` are a
    function of exactly these, so a current request has passed them. Cheap next to
    `build_request` (no argument checks, no views).
    """
    if not isinstance(request, dict):
        return False
    pending = pending_actions(state)
    ids = (state.deal_id, state.event_id, current_request_id(state), request_version(pending))
    stored = tuple(request.get(k) for k in ("deal_id", "event_id", "request_id", "version"))
    asked = request.get("action_requests")
    if stored != ids or not isinstance(asked, list):
        return False
    if [(a.get("id"), a.get("name"), a.get("args")) for a in asked if isinstance(a, dict)] != [
        (a.id, a.kind, a.args) for a in pending
    ]:
        return False
    kinds = list(dict.fromkeys(a.kind for a in pending))
    if any(kind not in policy.approval.actions for kind in kinds):
        return False
    configs = [_review_config(kind, policy) for kind in kinds]
    return bool(
        request.get("review_configs") == configs
        and request.get("contract") == contract_facts(state, policy, reps).to_json()
    )


def request_version(actions: list[ProposedAction]) -> str:
    """Return a digest of the actions a request asks about (ids, kinds, keys, arguments)."""
    raw = json.dumps(
        [[a.id, a.kind, a.idempotency_key, a.args] for a in actions], sort_keys=True, default=str
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


class ParsedDecision(BaseModel):
    """A validated decision for one action."""

    action_id: str
    type: Literal["approve", "edit", "reject"]
    reviewer: str
    edited_args: dict[str, Any] | None = None
    message: str | None = None


def validate_decisions(
    request: dict[str, Any],
    payload: Any,
    *,
    policy: Policy,
    reviewer: str = "reviewer",
    authorize: Authorize | None = None,
) -> list[ParsedDecision]:
    """Check a resume payload against the request it answers.

    Args:
        request: The interrupt's value (from `build_request`).
        payload: `{"decisions": [...]}`, one decision per action request, in order; it may
            name the `request_id` (and `version`) it answers, which must then be the pending one.
        policy: The policy (allowed decisions, stages).
        reviewer: Default reviewer name when a decision names none.
        authorize: Resolves each reviewer to an identity allowed to take the role the
            policy's `review_configs` ask for (see `sales_operator.authority`); the recorded
            reviewer is the identity it returns. None checks the form only.

    Raises:
        ApprovalError: for a missing or malformed payload, a wrong count, an unknown or
            disallowed decision type, an unknown or unauthorised reviewer, or an edit with bad
            arguments. Never approves implicitly.
    """
    if not isinstance(payload, dict) or "decisions" not in payload:
        raise ApprovalError('expected {"decisions": [...]}, got ' + repr(payload)[:200])
    for field in ("request_id", "version"):
        answered = payload.get(field)
        if answered is not None and request.get(field) is not None and answered != request[field]:
            raise ApprovalError(
                f"the decisions answer {field} {answered!r}, but the pending request's is "
                f"{request[field]!r}; read the request again"
            )
    decisions = payload["decisions"]
    actions = request["action_requests"]
    if not isinstance(decisions, list):
        raise ApprovalError(f"decisions must be a list, got {type(decisions).__name__}")
    if len(decisions) != len(actions):
        raise ApprovalError(
            f"expected {len(actions)} decision(s), one per pending action, got {len(decisions)}"
        )
    allowed = {c["action_name"]: c["allowed_decisions"] for c in request["review_configs"]}
    facts = ContractFacts.from_json(request["contract"]) if "contract" in request else None
    roles = {c["action_name"]: c.get("reviewer", "rep") for c in request["review_configs"]}
    parsed: list[ParsedDecision] = []
    for i, (decision, action) in enumerate(zip(decisions, actions, strict=True)):
        where = f"decision {i} ({action['name']} {action['id']})"
        if not isinstance(decision, dict):
            raise ApprovalError(f"{where}: must be an object, got {type(decision).__name__}")
        kind = decision.get("type")
        if kind not in ("approve", "edit", "reject"):
            raise ApprovalError(f"{where}: type must be approve, edit or reject, got {kind!r}")
        if kind not in allowed.get(action["name"], []):
            raise ApprovalError(
                f"{where}: {kind!r} is not allowed for {action['name']} "
                f"(allowed: {allowed.get(action['name'], [])})"
            )
        who = decision.get("reviewer", reviewer)
        if not isinstance(who, str) or not who:
            raise ApprovalError(f"{where}: reviewer must be a non-empty string")
        if authorize is not None:
            try:
                who = authorize(who, roles.get(action["name"], "rep"), action["name"])
            except ApprovalError as err:
                raise ApprovalError(f"{where}: {err}") from err
        message = decision.get("message")
        if message is not None and not isinstance(message, str):
            raise ApprovalError(f"{where}: message must be a string")
        edited: dict[str, Any] | None = None
        if kind == "edit":
            edited_action = decision.get("edited_action")
            if not isinstance(edited_action, dict) or "args" not in edited_action:
                raise ApprovalError(f'{where}: an edit needs "edited_action": {{"args": {{...}}}}')
            name = edited_action.get("name", action["name"])
            if name != action["name"]:
                raise ApprovalError(
                    f"{where}: an edit cannot change the action kind ({action['name']} -> {name})"
                )
            check_args(  # an edit meets the same contract as the proposed action
                action["name"],
                edited_action["args"],
                deal_id=request["deal_id"],
                policy=policy,
                facts=facts,
            )
            edited = dict(edited_action["args"])
        parsed.append(
            ParsedDecision(
                action_id=action["id"],
                type=kind,
                reviewer=who,
                edited_args=edited,
                message=message,
            )
        )
    check_reject_messages(request, parsed, policy)  # review_ui: reasons for customer-facing
    return parsed


def approve_all(request: dict[str, Any], *, reviewer: str) -> dict[str, Any]:
    """Return the payload that approves every action of `request` as `reviewer`.

    `reviewer` must be an identity the gate accepts for every action (by default a CRM
    manager, who may take the `rep` role too), or the gate asks again with the error.
    """
    return {
        "decisions": [{"type": "approve", "reviewer": reviewer} for _ in request["action_requests"]]
    }


def _require_checkpointer(config: RunnableConfig) -> None:
    if not config.get("configurable", {}).get(_CHECKPOINTER_KEY):
        raise ConfigurationError(
            "the approval gate needs a checkpointer to pause for review; compile with "
            "build_operator(deps, checkpointer=...) or run under the LangGraph server. "
            "Nothing was executed."
        )


REVIEW_REQUEST = "review_request"
"""The state key where `prepare_request` leaves the request the gate asks (`GateState`)."""


class GateState(DealState):
    """The state as the gate reads it: the deal, and the request `prepare_request` built.

    The extra key is a channel of the operator's graph (the gate's input schema brings it);
    `DealState` itself ignores it. The gate clears it once the request is decided.
    """

    review_request: dict[str, Any] | None = None


class GateUpdate(DealUpdate, total=False):
    """What the gate's two nodes write: a `DealUpdate`, and the stored request."""

    review_request: dict[str, Any] | None


def _ready_request(
    state: DealState,
    config: RunnableConfig,
    policy: Policy,
    ledger: Any,
    reps: Sequence[Rep] | None,
) -> dict[str, Any]:
    """Build and check the request for every pending action, and index it for the inbox.

    Raises:
        ApprovalError: for unknown kinds or bad arguments (`build_request`);
            `ConfigurationError` without a checkpointer or a ledger. Nothing is indexed then.
    """
    request = build_request(state, policy, reps)  # raises on unknown kinds or bad args
    _require_checkpointer(config)
    if ledger is None:
        raise ConfigurationError(
            "the approval gate has no ledger to record decisions in; build the graph with "
            "build_operator(deps, ...). Nothing was executed."
        )
    index_request = getattr(ledger, "index_request", None)
    if callable(index_request):  # the inbox index, written before the interrupt
        index_request(state.deal_id, str(request.get("request_id", state.event_id)))
    return request


def make_prepare(
    policy: Policy, ledger: Any = None
) -> Callable[[DealState, RunnableConfig], GateUpdate]:
    """Return the `prepare_request` node: build, check and index the request the gate asks.

    It runs once per request, before the gate's interrupt, and leaves the request in the
    state (`REVIEW_REQUEST`). LangGraph runs an interrupted node again from its start on
    resume, so the gate that follows only reads it back (after `request_is_current`) instead
    of building, checking and indexing the same request a second time.

    Args:
        policy: The RevOps policy.
        ledger: The CRM (reps for the contract, the inbox index); as for `make_gate`.
    """

    def prepare_request(state: DealState, config: RunnableConfig) -> GateUpdate:
        """Build the one request for every pending action, check it, and index it."""
        if not pending_actions(state):
            return {}
        reps = ledger.list_reps() if ledger is not None else None
        return {"review_request": _ready_request(state, config, policy, ledger, reps)}

    return prepare_request


def make_gate(
    policy: Policy,
    ledger: Any = None,
    authorize: Authorize | None = None,
) -> Callable[[GateState, RunnableConfig, Runtime[Context]], GateUpdate]:
    """Return the `approval_gate` node for `policy` (its input schema is `GateState`).

    The request asked is the one `prepare_request` stored when it is still current
    (`request_is_current`: the same actions and arguments, contract facts, review configs
    from the policy now); otherwise (a state edited since, a thread from an older version,
    a gate used on its own) the gate builds, checks and indexes it itself, as
    `prepare_request` does. The answer is always validated here, on the resume side, against
    the request's configs and contract and the authorizer.

    Args:
        policy: The RevOps policy.
        ledger: Where decisions are recorded when they are made (the CRM: its
            `record_decisions`, or `audit_log` + `append_audit`). Required to execute anything:
            the executor runs only what this ledger holds.
        authorize: Resolves reviewers to identities allowed to take each action's role.
    """

    def approval_gate(
        state: GateState, config: RunnableConfig, runtime: Runtime[Context]
    ) -> GateUpdate:
        """Ask a human about every pending action, in one interrupt, and record the answers."""
        stored = getattr(state, REVIEW_REQUEST, None)
        cleared: GateUpdate = {"review_request": None} if stored is not None else {}
        if not pending_actions(state):
            return cleared
        reps = ledger.list_reps() if ledger is not None else None
        if stored is not None and request_is_current(stored, state, policy, reps):
            request = stored  # built, checked and indexed by prepare_request
            _require_checkpointer(config)
        else:
            request = _ready_request(state, config, policy, ledger, reps)
        default_reviewer = getattr(runtime.context, "reviewer", None) or "reviewer"
        answer = interrupt(present(request, policy))
        while True:
            try:
                decisions = validate_decisions(
                    request,
                    read_answer(request, answer),
                    policy=policy,
                    reviewer=default_reviewer,
                    authorize=authorize,
                )
                break
            except ApprovalError as err:
                # Fail closed: ask again with the error; never treat it as an approval.
                answer = interrupt(present({**request, "error": str(err)}, policy))
        return {**decide(state, request, decisions, ledger), **cleared}

    return approval_gate


def decision_entries(
    state: DealState, request: dict[str, Any], decisions: list[ParsedDecision]
) -> list[AuditEntry]:
    """Return the audit entries that record `decisions` on `request` (no side effects)."""
    now = datetime.now(UTC)
    by_id = {a.id: a for a in state.proposed_actions}
    entries = []
    for d in decisions:
        action = by_id[d.action_id]
        entries.append(
            AuditEntry(
                at=now,
                actor=d.reviewer,
                action_id=action.id,
                kind=action.kind,
                decision=d.type,
                original_args=action.args,
                edited_args=d.edited_args,
                message=d.message,
                request_id=request.get("request_id", current_request_id(state)),
                request_version=request.get("version"),
                idempotency_key=action.idempotency_key,
            )
        )
    return entries


def _same_decisions(a: list[AuditEntry], b: list[AuditEntry]) -> bool:
    def key(e: AuditEntry) -> tuple[Any, ...]:
        return (e.action_id, e.decision, e.actor, e.edited_args, e.message, e.request_version)

    return sorted(map(repr, map(key, a))) == sorted(map(repr, map(key, b)))


def record_decisions(ledger: Any, deal_id: str, entries: list[AuditEntry]) -> list[AuditEntry]:
    """Record a request's decisions in the append-only audit; the first answer wins.

    Uses the ledger's atomic `record_decisions` when it has one; otherwise reads the audit and
    appends (atomic only with a single writer per deal, which the runner's lease gives).

    Returns:
        The decisions on record for the request (the ones given, or earlier ones).
    """
    request_id = entries[0].request_id if entries else None
    if not entries or request_id is None:
        return entries
    if isinstance(ledger, DecisionLedger):
        return ledger.record_decisions(deal_id, request_id, entries)
    recorded = request_decisions(ledger.audit_log(deal_id), request_id)
    if recorded:
        return recorded
    for entry in entries:
        ledger.append_audit(deal_id, entry)
    return entries


def already_decided(recorded: list[AuditEntry]) -> str:
    """Return "already decided by X at T" for the decisions on record."""
    who = ", ".join(sorted({e.actor for e in recorded}))
    when = min(e.at for e in recorded).isoformat(timespec="seconds")
    return f"request {recorded[0].request_id} was already decided by {who} at {when}"


def decide(
    state: DealState, request: dict[str, Any], decisions: list[ParsedDecision], ledger: Any
) -> DealUpdate:
    """Record `decisions` in the audit (first answer wins), then mark them on the actions.

    Raises:
        ApprovalError: when other decisions are already on record for this request
            ("already decided by X at T"); nothing changes.
    """
    entries = decision_entries(state, request, decisions)
    recorded = record_decisions(ledger, state.deal_id, entries)
    if recorded is not entries and not _same_decisions(recorded, entries):
        raise ApprovalError(already_decided(recorded) + "; this answer changed nothing")
    return apply_decisions(state, decisions, recorded)


def apply_decisions(
    state: DealState,
    decisions: list[ParsedDecision],
    entries: list[AuditEntry] | None = None,
) -> DealUpdate:
    """Mark validated decisions on the actions (their audit entries stay in the CRM).

    `entries` are the decisions' audit entries as recorded; the reviewer and time on each
    action's `Decision` come from them.
    """
    if entries is None:
        entries = decision_entries(state, {}, decisions)
    by_id = {d.action_id: d for d in decisions}
    recorded = {e.action_id: e for e in entries}
    actions: list[ProposedAction] = []
    for action in state.proposed_actions:
        d = by_id.get(action.id)
        if d is None:
            actions.append(action)
            continue
        entry = recorded[action.id]
        decision = Decision(
            type=d.type,
            reviewer=entry.actor,
            at=entry.at,
            edited_args=d.edited_args,
            message=d.message,
        )
        status = "rejected" if d.type == "reject" else "approved"
        actions.append(action.model_copy(update={"status": status, "decision": decision}))
    return {"proposed_actions": actions}


# --- the executor ---------------------------------------------------------------------

_FINAL_RECEIPTS = ("done", "failed")
_TRANSIENT_ATTEMPTS = 3


def approved_in_audit(log: list[AuditEntry], request_id: str) -> list[AuditEntry]:
    """Return the approve and edit decisions recorded for `request_id`, in audit order."""
    return [e for e in log if e.request_id == request_id and e.decision in ("approve", "edit")]


def unfinished_actions(
    crm: Any, deal_id: str, request_id: str, *, log: list[AuditEntry] | None = None
) -> list[AuditEntry]:
    """Return the approved actions of a request that have no final receipt yet.

    An action is finished when its receipt is `done` or `failed` (permanent); a missing or
    `retryable` receipt leaves it to recovery. `log` is the deal's audit log when the caller
    has read it already (else it is read here).
    """
    todo = []
    entries = crm.audit_log(deal_id) if log is None else log
    for entry in approved_in_audit(entries, request_id):
        receipt = crm.get_receipt(entry.idempotency_key or entry.action_id)
        if receipt is None or receipt.status not in _FINAL_RECEIPTS:
            todo.append(entry)
    return todo


def _text_by_reference(action: ProposedAction, deps: Any) -> ProposedAction:
    """Return an executed action with its long argument strings in the blob folder.

    Every later checkpoint copies the state, so the bodies of sent emails, notes and posts
    would be stored again with each event; the executor never reads them back from the state
    (it runs the arguments on record in the audit), the audit keeps them, and
    `blobs.resolve_text` gives them back. Without a blob folder the action is unchanged.
    """
    blobs = getattr(deps, "blobs", None)
    if blobs is None or action.status != "executed":
        return action
    from sales_operator.blobs import ACTION_TEXT_MIN_BYTES, externalize_text

    update: dict[str, Any] = {
        "args": externalize_text(action.args, blobs, min_bytes=ACTION_TEXT_MIN_BYTES)
    }
    if action.decision is not None and action.decision.edited_args:
        edited = externalize_text(
            action.decision.edited_args, blobs, min_bytes=ACTION_TEXT_MIN_BYTES
        )
        update["decision"] = action.decision.model_copy(update={"edited_args": edited})
    return action.model_copy(update=update)


def make_executor(deps: Any) -> Callable[[DealState], DealUpdate]:
    """Return the `execute_actions` node; it alone holds `deps`' write-capable adapters.

    The executor trusts the audit, not the state: it runs the approve and edit decisions
    recorded for the current request (the event id of this run), with the arguments and keys
    on record, and raises `ApprovalError` before running anything when the state marks an
    action approved that no recorded decision approved (`graph.update_state(...,
    as_node="approval_gate")` cannot authorise anything).
    """

    def execute_actions(state: DealState) -> DealUpdate:
        """Perform every approved action of the current request once, with receipts."""
        crm = deps.crm
        log = crm.audit_log(state.deal_id)
        ever_approved = {e.action_id for e in log if e.decision in ("approve", "edit")}
        unauthorised = [
            a.id
            for a in state.proposed_actions
            if a.status == "approved" and a.event_id == state.event_id and a.id not in ever_approved
        ]
        if unauthorised:
            raise ApprovalError(
                f"actions {unauthorised} are marked approved in the state, but no approve or "
                "edit decision for them is in the audit; the state alone authorises nothing, "
                "so nothing was executed"
            )
        approvals = approved_in_audit(log, current_request_id(state))
        if not approvals:
            _clear_inbox_entry(crm, state)
            return {}

        deal = state.deal
        assignment = state.assignment
        notice_keys = {
            idempotency_key(state.deal_id, state.event_id, kind, NEW_LEAD_NOTICE)
            for kind in ("post_slack", "send_email")
        }
        by_id = {a.id: a for a in state.proposed_actions}
        activities = list(state.activities)
        persisted = {(e.action_id, e.decision, e.request_id) for e in log}
        facts = contract_facts(state, deps.policy, crm.list_reps())  # once per run, not per action
        done: dict[str, str] = {}
        for approval in approvals:
            key = approval.idempotency_key or approval.action_id
            args = approval.edited_args if approval.decision == "edit" else approval.original_args
            args = args or {}
            receipt = crm.get_receipt(key)
            if receipt is None or receipt.status not in _FINAL_RECEIPTS:
                check_lease(state.deal_id)  # a writer that lost the deal's lease stops here
                receipt = _run_one(
                    deps, state, approval.action_id, approval.kind, key, args, facts=facts
                )
                crm.record_receipt(state.deal_id, receipt)
            entry_decision = {"done": "executed", "failed": "failed"}.get(
                receipt.status, "retryable"
            )
            entry = AuditEntry(
                at=receipt.executed_at,
                actor="system",
                action_id=approval.action_id,
                kind=approval.kind,
                decision=entry_decision,
                original_args=approval.original_args,
                edited_args=approval.edited_args,
                result=receipt.result,
                request_id=approval.request_id,
                request_version=approval.request_version,
                idempotency_key=key,
            )
            if (approval.action_id, entry_decision, approval.request_id) not in persisted:
                crm.append_audit(state.deal_id, entry)
                persisted.add((approval.action_id, entry_decision, approval.request_id))
            done[approval.action_id] = {"done": "executed", "failed": "failed"}.get(
                receipt.status, "retryable"
            )
            action = by_id.get(approval.action_id)
            was_done = action is not None and action.status == "executed"
            if (
                receipt.status == "done"
                and assignment is not None
                and key in notice_keys
                and not was_done
            ):
                # the rep has been told: the timer stops after the real wait since routing
                assignment = mark_notified(assignment, _notified_at(assignment, receipt))
            if receipt.status == "done" and deal is not None and not was_done:
                at = state.event.at if state.event else receipt.executed_at
                deal, new_activity = _apply_to_state(deal, approval.kind, args, at)
                if new_activity is not None:
                    activities.append(new_activity)
        actions = [
            _text_by_reference(a.model_copy(update={"status": done[a.id]}), deps)
            if a.id in done
            else a
            for a in state.proposed_actions
        ]
        if "retryable" not in done.values():  # a retryable action keeps the recovery listed
            _clear_inbox_entry(crm, state)
        return {
            "proposed_actions": actions,  # receipts and audit entries: in the CRM, by these ids
            "deal": deal,
            "activities": activities,
            "assignment": assignment,
        }

    return execute_actions


def _clear_inbox_entry(crm: Any, state: DealState) -> None:
    """Drop the inbox-index entry of a request whose actions have all run (or none was approved).

    The gate wrote the entry before its interrupt; clearing it here, in the graph, means
    plain `graph.invoke` (Studio, the LangGraph server) leaves nothing stale behind. A lead's
    first request (`speed_to_lead`) keeps its entry while its deferred patterns wait: if they
    fail, the thread needs a recovery and the inbox must still list it; the follow-up's gate
    replaces the entry with the second request's.
    """
    if state.deferred:
        return
    deal_id, request_id = state.deal_id, current_request_id(state)
    clear = getattr(crm, "clear_request", None)
    if callable(clear):
        clear(deal_id, request_id)


def _notified_at(assignment: Assignment, receipt: Receipt) -> datetime:
    """Return when the rep was told, on the business clock (see `Assignment.notified_at`)."""
    due = assignment.notify_at or assignment.assigned_at
    if assignment.routed_wall_at is None:
        return receipt.executed_at
    return due + max(receipt.executed_at - assignment.routed_wall_at, timedelta(0))


def _ensure_deal_in_crm(deps: Any, state: DealState) -> None:
    if state.deal is None or deps.crm.get_deal(state.deal_id) is not None:
        return
    deps.crm.upsert_records(
        deal=state.deal,
        account=state.account,
        contacts=state.contacts,
        lead=state.lead,
        idempotency_key=f"records-{state.deal_id}",
    )


def _run_one(
    deps: Any,
    state: DealState,
    action_id: str,
    kind: str,
    key: str,
    args: dict[str, Any],
    *,
    facts: ContractFacts | None = None,
) -> Receipt:
    """Run one action; a transient failure is retried, then left as a `retryable` receipt.

    `facts` are the deal's contract facts (built here when None); the arguments on record
    must meet their contract at run time too (defence in depth behind the gate).
    """
    parsed = ARGS_BY_KIND[kind].model_validate(args)
    status: Literal["done", "failed", "retryable"] = "failed"
    result: dict[str, Any] = {}
    try:
        if facts is None:
            facts = contract_facts(state, deps.policy, deps.crm.list_reps())
        enforce_contract(kind, parsed, facts)
    except ContractError as err:
        return Receipt(
            action_id=action_id,
            idempotency_key=key,
            kind=kind,
            status="failed",
            result={"error": f"refused at run time: {err}"},
            executed_at=datetime.now(UTC),
        )
    for attempt in range(_TRANSIENT_ATTEMPTS):
        try:
            if kind in ("assign_owner", "update_crm", "change_stage", "create_task", "log_note"):
                _ensure_deal_in_crm(deps, state)
            result = _dispatch(deps, state.deal_id, parsed, key)
            status = "done"
            break
        except TransientAdapterError as err:
            # the same key again: the adapters perform a keyed write at most once
            result, status = {"error": str(err), "retryable": True}, "retryable"
            if attempt + 1 < _TRANSIENT_ATTEMPTS:
                time.sleep(0.05 * (attempt + 1))
        except AdapterError as err:
            result, status = {"error": str(err)}, "failed"
            break
    return Receipt(
        action_id=action_id,
        idempotency_key=key,
        kind=kind,
        status=status,
        result=_jsonable(result),
        executed_at=datetime.now(UTC),
    )


def _dispatch(deps: Any, deal_id: str, a: _Args, key: str) -> dict[str, Any]:
    if isinstance(a, AssignOwnerArgs):
        return dict(deps.crm.assign_owner(deal_id, a.rep_id, idempotency_key=key))
    if isinstance(a, UpdateCrmArgs):
        return dict(deps.crm.update_deal_fields(deal_id, a.fields, idempotency_key=key))
    if isinstance(a, ChangeStageArgs):
        at = {"at": a.at} if a.at is not None else {}  # business time (issue 10, item 8)
        return dict(deps.crm.change_stage(deal_id, a.stage, idempotency_key=key, **at))
    if isinstance(a, CreateTaskArgs):
        created = {"created_at": a.created_at} if a.created_at is not None else {}
        return dict(
            deps.crm.create_task(
                deal_id,
                title=a.title,
                owner_id=a.owner_id,
                due=a.due,
                notes=a.notes,
                idempotency_key=key,
                **created,
            )
        )
    if isinstance(a, LogNoteArgs):
        return dict(deps.crm.add_note(deal_id, a.text, idempotency_key=key))
    if isinstance(a, SendEmailArgs):
        return dict(
            deps.mailer.send(
                to=a.to,
                cc=a.cc,
                subject=a.subject,
                body=a.body,
                sender=a.sender,
                idempotency_key=key,
                **_email_extras(a),
            )
        )
    if isinstance(a, PostSlackArgs):
        return dict(deps.messenger.post(channel=a.channel, text=a.text, idempotency_key=key))
    if isinstance(a, SendInviteArgs):
        return dict(
            deps.calendar.invite(
                title=a.title,
                start=a.start,
                end=a.end,
                attendees=a.attendees,
                description=a.description,
                organizer=a.organizer,
                idempotency_key=key,
                **({"timezone": a.timezone} if a.timezone else {}),
            )
        )
    raise ApprovalError(f"no executor for {type(a).__name__}")  # unreachable: kinds are closed


def _email_extras(a: SendEmailArgs) -> dict[str, Any]:
    """Threading and attachments, passed only when set (older mailers lack the keywords)."""
    extras: dict[str, Any] = {}
    if a.in_reply_to:
        extras["in_reply_to"] = a.in_reply_to
    if a.references:
        extras["references"] = list(a.references)
    if a.attachments:
        extras["attachments"] = list(a.attachments)
    return extras


def _apply_to_state(
    deal: Any, kind: str, args: dict[str, Any], at: datetime
) -> tuple[Any, Activity | None]:
    """Mirror an executed change in the state's copy of the deal (at business time `at`)."""
    if kind == "assign_owner":
        return deal.model_copy(update={"owner_id": args["rep_id"]}), None
    if kind == "change_stage":
        return deal.model_copy(update={"stage": args["stage"]}), None
    if kind == "update_crm":
        fields = dict(args["fields"])
        update: dict[str, Any] = {}
        for known in ("name", "amount", "close_date"):
            if known in fields:
                update[known] = fields.pop(known)
        update["fields"] = {**deal.fields, **fields}
        return deal.model_validate({**deal.model_dump(), **update}), None
    if kind == "send_email":
        return deal, Activity(
            at=at,
            kind="email",
            direction="outbound",
            summary=f"Email sent: {args.get('subject', '')}",
        )
    return deal, None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)

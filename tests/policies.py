"""Policy switches that tests pin explicitly.

The bundled policy has `speed_to_lead` on: a new lead asks twice, first about its owner and
the rep's notice, then, after research and drafting, about the rest. Tests about something
other than the lead's flow (the gate's mechanics, the executor, the stores, the review views)
pin it off with these helpers, so that a lead makes one request with everything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ON = "speed_to_lead:\n  enabled: true"
"""The bundled policy file's block (a test checks it is there)."""

OFF = "speed_to_lead:\n  enabled: false"
"""The same block switched off."""

ONE_REQUEST_SCRIPT = (
    "from sales_operator.policy import SpeedToLeadPolicy\n"
    "deps.policy = deps.policy.model_copy("
    "update={'speed_to_lead': SpeedToLeadPolicy(enabled=False)})\n"
)
"""Lines for a test's subprocess script that pin `speed_to_lead` off on its `deps`."""


def one_request(deps: Any) -> Any:
    """Pin `speed_to_lead` off on `deps` (in place) and return them: one request per lead."""
    from sales_operator.policy import SpeedToLeadPolicy

    off = SpeedToLeadPolicy(enabled=False)
    deps.policy = deps.policy.model_copy(update={"speed_to_lead": off})
    return deps


def one_request_policy_file(folder: Path) -> Path:
    """Write the bundled policy with `speed_to_lead` off under `folder`; return its path."""
    from sales_operator.policy import default_policy_text

    text = default_policy_text()
    if ON not in text:
        raise AssertionError("the bundled policy no longer has `speed_to_lead: enabled: true`")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "policy-one-request.yaml"
    path.write_text(text.replace(ON, OFF), encoding="utf-8")
    return path


def answer_every(
    graph: Any,
    deps: Any,
    decide: Any = None,
    *,
    deal_id: str = "D-2001",
    reviewer: str = "mgr-jordan",
) -> int:
    """Answer each request pending on `deal_id` in turn until none is; return how many.

    A lead makes two under `speed_to_lead` (owner and notice, then the research's drafts),
    any other event one. `decide(action_request)` gives each action's decision (approve by
    default). A recovery, or a third request for one event, is an error.
    """
    from sales_operator.runner import pending_request, resume_deal

    for answered in range(3):
        request = pending_request(graph, deal_id, deps=deps)
        if request is None:
            return answered
        if request.get("recovery"):
            raise AssertionError(f"{deal_id} waits for a recovery: {request}")
        decisions = [
            decide(a) if decide is not None else {"type": "approve"}
            for a in request["action_requests"]
        ]
        payload = {"decisions": decisions}
        resume_deal(graph, deal_id, payload, policy=deps.policy, reviewer=reviewer)
    raise AssertionError(f"more than two requests for one event on {deal_id}")

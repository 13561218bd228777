"""sales-operator: the repetitive cognition of sales operations as one LangGraph graph.

```python
from sales_operator import build_operator, Deps

deps = Deps.from_workspace("./ws")   # made by `sales-operator init ./ws`, then `import`
# deps = Deps.offline("./demo", sample=True)   # the demo's bundled sample CRM instead
graph = build_operator(deps, checkpointer=deps.checkpointer())
graph.invoke({"event": event}, {"configurable": {"thread_id": deal_id}})
```
"""

from typing import TYPE_CHECKING

from sales_operator._lazy import lazy_exports

__all__ = [
    "CRM",
    "AdapterError",
    "ApprovalError",
    "AuditEntry",
    "CRMReader",
    "Calendar",
    "ConfigurationError",
    "Context",
    "DataError",
    "DealBusyError",
    "DealState",
    "Deps",
    "DocumentStore",
    "Event",
    "EventError",
    "InputError",
    "Mailer",
    "Messenger",
    "PatternDeps",
    "PermanentAdapterError",
    "Policy",
    "PolicyError",
    "RecoveryNeededError",
    "ProposedAction",
    "Receipt",
    "Rep",
    "SalesOperatorError",
    "Search",
    "TranscriptError",
    "TransientAdapterError",
    "approve_all",
    "build_operator",
    "build_pattern",
    "default_policy",
    "import_csv",
    "inbox",
    "init_workspace",
    "load_policy",
    "operator_builder",
    "parse_event",
    "pending_request",
    "resume_deal",
    "send_event",
    "validate_decisions",
]

# Each name loads on first use, so importing the package stays light (no xgboost, no graph).
__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "sales_operator.adapters.base": (
            "CRM",
            "Calendar",
            "CRMReader",
            "DocumentStore",
            "Mailer",
            "Messenger",
            "Rep",
            "Search",
        ),
        "sales_operator.approval": (
            "approve_all",
            "validate_decisions",
        ),
        "sales_operator.context": ("Context",),
        "sales_operator.errors": (
            "AdapterError",
            "ApprovalError",
            "ConfigurationError",
            "DataError",
            "DealBusyError",
            "EventError",
            "InputError",
            "PermanentAdapterError",
            "PolicyError",
            "RecoveryNeededError",
            "SalesOperatorError",
            "TranscriptError",
            "TransientAdapterError",
        ),
        "sales_operator.events": ("parse_event",),
        "sales_operator.policy": (
            "Policy",
            "default_policy",
            "load_policy",
        ),
        "sales_operator.state": (
            "AuditEntry",
            "DealState",
            "Event",
            "ProposedAction",
            "Receipt",
        ),
        "sales_operator.deps": (
            "Deps",
            "PatternDeps",
        ),
        "sales_operator.graph": (
            "build_operator",
            "build_pattern",
            "operator_builder",
        ),
        "sales_operator.runner": (
            "inbox",
            "pending_request",
            "resume_deal",
            "send_event",
        ),
        "sales_operator.workspace": (
            "init_workspace",
            "import_csv",
        ),
    },
)

if TYPE_CHECKING:
    from sales_operator.adapters.base import (
        CRM,
        Calendar,
        CRMReader,
        DocumentStore,
        Mailer,
        Messenger,
        Rep,
        Search,
    )
    from sales_operator.approval import approve_all, validate_decisions
    from sales_operator.context import Context
    from sales_operator.deps import Deps, PatternDeps
    from sales_operator.errors import (
        AdapterError,
        ApprovalError,
        ConfigurationError,
        DataError,
        DealBusyError,
        EventError,
        InputError,
        PermanentAdapterError,
        PolicyError,
        RecoveryNeededError,
        SalesOperatorError,
        TranscriptError,
        TransientAdapterError,
    )
    from sales_operator.events import parse_event
    from sales_operator.graph import build_operator, build_pattern, operator_builder
    from sales_operator.policy import Policy, default_policy, load_policy
    from sales_operator.runner import inbox, pending_request, resume_deal, send_event
    from sales_operator.state import (
        AuditEntry,
        DealState,
        Event,
        ProposedAction,
        Receipt,
    )
    from sales_operator.workspace import import_csv, init_workspace

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
from sales_operator.policy import Policy, default_policy, load_policy
from sales_operator.state import (
    AuditEntry,
    DealState,
    Event,
    ProposedAction,
    Receipt,
)

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

_LAZY = {
    "Deps": "sales_operator.deps",
    "PatternDeps": "sales_operator.deps",
    "build_operator": "sales_operator.graph",
    "build_pattern": "sales_operator.graph",
    "operator_builder": "sales_operator.graph",
    "inbox": "sales_operator.runner",
    "pending_request": "sales_operator.runner",
    "resume_deal": "sales_operator.runner",
    "send_event": "sales_operator.runner",
    "init_workspace": "sales_operator.workspace",
    "import_csv": "sales_operator.workspace",
}


def __getattr__(name: str) -> object:
    # The graph and its adapters load on first use, so `import sales_operator` stays light.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sales_operator' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from sales_operator.deps import Deps, PatternDeps
    from sales_operator.graph import build_operator, build_pattern, operator_builder
    from sales_operator.runner import inbox, pending_request, resume_deal, send_event
    from sales_operator.workspace import import_csv, init_workspace

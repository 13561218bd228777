"""Studio entry points: each pattern on its own, over a `DealState` input.

Useful to debug one pattern: paste a deal state (from `sales-operator show DEAL`) as input.
The deps are those of `graphs/operator.py` (see `sales_operator.workspace.server_deps`).
"""

from sales_operator.graph import build_pattern
from sales_operator.serde import register_models_with_server
from sales_operator.workspace import server_deps

register_models_with_server()

_deps = server_deps()
scoring_routing = build_pattern("scoring_routing", _deps)
meeting_intelligence = build_pattern("meeting_intelligence", _deps)
generative_research = build_pattern("generative_research", _deps)
workflow_copilot = build_pattern("workflow_copilot", _deps)

"""Studio entry points: each pattern on its own, over a `DealState` input.

Useful to debug one pattern: paste a deal state (from `sales-operator show DEAL`) as input.
"""

import os

from sales_operator import Deps
from sales_operator.graph import build_pattern

_deps = Deps.from_env(os.environ.get("SALES_OPERATOR_WORKDIR", ".sales-operator/studio"))
scoring_routing = build_pattern("scoring_routing", _deps)
meeting_intelligence = build_pattern("meeting_intelligence", _deps)
generative_research = build_pattern("generative_research", _deps)
workflow_copilot = build_pattern("workflow_copilot", _deps)

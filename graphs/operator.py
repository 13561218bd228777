"""Studio / LangGraph server entry point: the whole operator.

Compiled without a checkpointer: `langgraph dev` and the server bring their own. The embedded
stores live in `$SALES_OPERATOR_WORKDIR` (default `.sales-operator/studio`); API keys in the
environment switch on the real services (see `Deps.from_env`).
"""

import os

from sales_operator import Deps, build_operator

deps = Deps.from_env(os.environ.get("SALES_OPERATOR_WORKDIR", ".sales-operator/studio"))
graph = build_operator(deps)

"""Studio / LangGraph server entry point: the whole operator.

Compiled without a checkpointer: `langgraph dev` and the server bring their own, and
`langgraph.json` registers our state models with its serializer. `$SALES_OPERATOR_WORKDIR`
(default `.sales-operator/studio`) is a workspace made by `sales-operator init`, or any other
folder, which then gets the bundled sample CRM (the demo). API keys in the environment switch
on the real services (see `Deps.from_env`; `.env.example` lists them).
"""

from sales_operator import build_operator
from sales_operator.serde import register_models_with_server
from sales_operator.workspace import server_deps

register_models_with_server()

deps = server_deps()
graph = build_operator(deps)

"""sales-operator: the repetitive cognition of sales operations as one LangGraph graph."""

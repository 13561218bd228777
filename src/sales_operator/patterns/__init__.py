"""The four pattern subgraphs: scoring and routing, meeting intelligence, research, copilot."""

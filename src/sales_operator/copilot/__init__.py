"""The Workflow Copilot's drafting kit: fact sheets, our voice, checks, time zones, learning.

`sales_operator.patterns.copilot` is the pattern (the subgraph); this package holds what its
drafts are made of and checked against, usable on their own:

- `facts`: the fact sheet of one draft, each fact tagged with its audience and source.
- `voice`: the customer's words restated in the second person.
- `check`: the leak check and the traceability check run on every customer draft.
- `zones`: time zones of contacts and reps, and meeting slots within both working days.
- `requests`: what the customer asked for on a call, with the rep's answer.
- `collateral`: promised materials from the policy's collateral folder.
- `learning`: reviewers' edits, stored by action kind and rep, used for the next drafts.
"""

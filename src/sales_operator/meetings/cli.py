"""`sales-operator` subcommands of the meetings area (registered by `sales_operator.cli`)."""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add this area's subcommands to the `sales-operator` parser.

    Args:
        sub: The parser's subparsers action.
        common: The parent parser with `--workdir`, `--policy`, `--offline`, `--reviewer`.
    """

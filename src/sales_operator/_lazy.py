"""Lazy exports for package `__init__` modules (PEP 562).

A package lists which of its submodules defines each public name; the name's submodule is
imported on first access and the value cached in the package, so importing the package costs
nothing. The package repeats the imports under `TYPE_CHECKING` for type checkers and IDEs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, namespace: dict[str, Any], exports: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Return `(__getattr__, __dir__)` for `package`, loading each name from its submodule.

    Args:
        package: the package's `__name__`.
        namespace: the package's `globals()`, where each loaded value is cached.
        exports: submodule (absolute name) to the public names it defines.

    Returns:
        The module-level `__getattr__` and `__dir__` functions to bind in the package.
    """
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *where})

    return __getattr__, __dir__

"""JSON Merge Patch (RFC 7396): edit an action's arguments by naming only what changes.

`apply_merge_patch({"subject": "Hi", "cc": ["a@x.com"]}, {"subject": "Hello", "cc": null})`
gives `{"subject": "Hello"}`: a key set to null is removed, an object is merged key by key,
and anything else (a string, a number, a list) replaces the old value whole.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from sales_operator.errors import InputError

MAX_DEPTH = 20
"""Deepest nesting a patch may have."""


def apply_merge_patch(target: Any, patch: Any, *, _depth: int = 0) -> Any:
    """Return `target` with the RFC 7396 merge `patch` applied; neither input is changed.

    Raises:
        InputError: when the patch nests deeper than `MAX_DEPTH`.
    """
    if _depth > MAX_DEPTH:
        raise InputError(f"the merge patch nests deeper than {MAX_DEPTH} levels")
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value, _depth=_depth + 1)
    return result


def parse_args_patch(text: str, args: dict[str, Any]) -> dict[str, Any]:
    """Apply a JSON merge patch given as text to an action's arguments.

    Raises:
        InputError: when the text is not JSON, is not an object, or nests too deeply.
    """
    try:
        patch = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise InputError(f"--patch is not JSON: {err}") from err
    if not isinstance(patch, dict):
        raise InputError(
            f"--patch must be a JSON object of the fields to change, got {type(patch).__name__}"
        )
    result = apply_merge_patch(args, patch)
    assert isinstance(result, dict)
    return result

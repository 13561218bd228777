"""Large text out of the checkpoints: a content-addressed blob folder, references in the state.

Every LangGraph checkpoint stores the deal's state again, so a transcript kept in the state is
copied into every checkpoint of every later event. Instead, `ingest_event` puts a transcript
of `limits.blob_min_bytes` or more into a `BlobStore` (a folder of files named by their
SHA-256) and the state keeps `blob:sha256:<hex>` in its place: the event's `transcript_ref`,
and `DealState.transcript`. The blob is written once (a temporary file, then a rename), so the
same transcript sent twice, or by two processes at once, is one file; reading checks the hash.

The executor does the same for an executed action's arguments (`externalize_text`: the body
of a sent email, a note, a Slack post; strings of `ACTION_TEXT_MIN_BYTES` or more):
the audit in the CRM keeps them as approved, and `resolve_text` reads them back.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from sales_operator.errors import InputError

__all__ = [
    "ACTION_TEXT_MIN_BYTES",
    "BLOB_PREFIX",
    "BlobError",
    "BlobStore",
    "blob_ref_of",
    "externalize_payload",
    "externalize_text",
    "is_ref",
    "resolve_text",
]

BLOB_PREFIX = "blob:sha256:"
"""What every reference starts with."""

ACTION_TEXT_MIN_BYTES = 256
"""Strings at least this long in an executed action's arguments go to the blob folder."""

_REF = re.compile(r"blob:sha256:([0-9a-f]{64})")


class BlobError(InputError):
    """A blob reference is malformed, missing from the folder, or its content is damaged."""


def blob_ref_of(text: str) -> str:
    """Return the reference `text` has (or would have) in any blob folder."""
    return BLOB_PREFIX + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def is_ref(value: Any) -> bool:
    """Return whether `value` is a blob reference."""
    return isinstance(value, str) and _REF.fullmatch(value) is not None


class BlobStore:
    """A folder of immutable text blobs named by the SHA-256 of their UTF-8 bytes.

    Args:
        root: The folder (created on first write).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        """The blob folder."""

    def __repr__(self) -> str:
        return f"BlobStore({str(self.root)!r})"

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, text: str) -> str:
        """Store `text` (once) and return its reference."""
        data = text.encode("utf-8", "surrogatepass")
        digest = blob_ref_of(text).removeprefix(BLOB_PREFIX)
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)  # atomic: a reader sees the whole blob or none
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return BLOB_PREFIX + digest

    def get(self, ref: str) -> str:
        """Return the text a reference names.

        Raises:
            BlobError: for a malformed reference, a missing blob or damaged content.
        """
        match = _REF.fullmatch(ref) if isinstance(ref, str) else None
        if match is None:
            raise BlobError(f"not a blob reference: {str(ref)[:80]!r}")
        digest = match.group(1)
        try:
            data = self._path(digest).read_bytes()
        except FileNotFoundError as err:
            raise BlobError(f"blob {ref} is not in {self.root}") from err
        if hashlib.sha256(data).hexdigest() != digest:
            raise BlobError(f"blob {ref} in {self.root} is damaged (its hash does not match)")
        return data.decode("utf-8", "surrogatepass")


def externalize_payload(
    payload: dict[str, Any], blobs: BlobStore | None, *, min_bytes: int
) -> dict[str, Any]:
    """Return `payload` with a long inline `transcript` moved to `blobs` as `transcript_ref`.

    The payload is returned unchanged without a store, or when its transcript is shorter
    than `min_bytes`.
    """
    text = payload.get("transcript")
    if blobs is None or not isinstance(text, str):
        return payload
    if len(text.encode("utf-8", "surrogatepass")) < min_bytes:
        return payload
    out = {k: v for k, v in payload.items() if k != "transcript"}
    out["transcript_ref"] = blobs.put(text)
    return out


def externalize_text(value: Any, blobs: BlobStore, *, min_bytes: int) -> Any:
    """Return `value` with every string of `min_bytes` or more, at any depth, stored in `blobs`.

    Dicts and lists are copied with each long string replaced by its `blob:sha256:` reference;
    other values are returned as they are. `resolve_text` reverses it.
    """
    if isinstance(value, str):
        if len(value) * 4 >= min_bytes and len(value.encode("utf-8", "surrogatepass")) >= min_bytes:
            return blobs.put(value)
        return value
    if isinstance(value, dict):
        return {k: externalize_text(v, blobs, min_bytes=min_bytes) for k, v in value.items()}
    if isinstance(value, list):
        return [externalize_text(v, blobs, min_bytes=min_bytes) for v in value]
    return value


def resolve_text(value: Any, blobs: BlobStore) -> Any:
    """Return `value` with every `blob:sha256:` reference, at any depth, replaced by its text.

    Raises:
        BlobError: for a reference whose blob is missing or damaged.
    """
    if is_ref(value):
        return blobs.get(value)
    if isinstance(value, dict):
        return {k: resolve_text(v, blobs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_text(v, blobs) for v in value]
    return value

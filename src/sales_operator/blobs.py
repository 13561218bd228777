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
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sales_operator.errors import InputError

__all__ = [
    "ACTION_TEXT_MIN_BYTES",
    "BLOB_PREFIX",
    "BlobError",
    "BlobStore",
    "CollectReport",
    "DEFAULT_GRACE_S",
    "blob_ref_of",
    "externalize_payload",
    "externalize_text",
    "is_ref",
    "references_in",
    "resolve_text",
]

BLOB_PREFIX = "blob:sha256:"
"""What every reference starts with."""

ACTION_TEXT_MIN_BYTES = 256
"""Strings at least this long in an executed action's arguments go to the blob folder."""

DEFAULT_GRACE_S = 24 * 3600.0
"""How old an unreferenced blob must be before `BlobStore.collect` deletes it (seconds)."""

_REF = re.compile(r"blob:sha256:([0-9a-f]{64})")
_DIGEST = re.compile(r"[0-9a-f]{64}")


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
        if not _touch(path):  # a blob already there is touched: `collect` keeps it a while
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

    def iter_blobs(self) -> Iterable[tuple[str, Path]]:
        """Yield `(reference, path)` for every blob in the folder (no temporary files)."""
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if not shard.is_dir() or len(shard.name) != 2:
                continue
            for path in sorted(shard.iterdir()):
                if _DIGEST.fullmatch(path.name) and path.name.startswith(shard.name):
                    yield BLOB_PREFIX + path.name, path

    def collect(
        self,
        referenced: Iterable[str],
        *,
        grace_s: float = DEFAULT_GRACE_S,
        dry_run: bool = True,
        now: float | None = None,
    ) -> CollectReport:
        """Find (and unless `dry_run`, delete) blobs that nothing references.

        Only a blob that is not in `referenced` and was last written or re-stored (`put`
        touches an existing blob) more than `grace_s` seconds ago is collected, so a blob an
        executor has just stored, whose checkpoint is not written yet, is never taken. Each
        one is first renamed aside, then checked again: a blob `put` touched meanwhile is
        put back, one `put` found missing is simply written again. Leftover temporary files
        of a crashed `put` older than the grace period go too.

        Args:
            referenced: Every reference the stores hold (`references_in` finds them).
            grace_s: Minimum age, in seconds, of a blob to collect.
            dry_run: Only count what would be collected (the default).
            now: The current time (`time.time()` by default).

        Raises:
            InputError: for a negative `grace_s`.
        """
        if not grace_s >= 0:  # NaN too: it would make every unreferenced blob "old"
            raise InputError(f"grace_s must be 0 or more seconds, got {grace_s}")
        keep = set(referenced)
        cutoff = (time.time() if now is None else now) - grace_s
        report = CollectReport(dry_run=dry_run, grace_s=grace_s)
        for ref, path in list(self.iter_blobs()):
            stat = _stat(path)
            if stat is None:
                continue
            report.blobs += 1
            report.bytes += stat.st_size
            if ref in keep:
                report.referenced += 1
                continue
            if stat.st_mtime > cutoff:
                report.young += 1
                continue
            if not dry_run and not _remove_if_old(path, cutoff):
                report.young += 1
                continue
            report.unreferenced.append(ref)
            report.unreferenced_bytes += stat.st_size
        leftovers = [*self.root.glob("??/.tmp-*"), *self.root.glob("??/.gc-*")]
        for tmp in sorted(leftovers) if self.root.is_dir() else []:
            stat = _stat(tmp)
            if stat is None or stat.st_mtime > cutoff:
                continue
            report.temp_files += 1
            report.unreferenced_bytes += stat.st_size
            if not dry_run:
                tmp.unlink(missing_ok=True)
        return report

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


@dataclass
class CollectReport:
    """What `BlobStore.collect` found (and, unless `dry_run`, deleted)."""

    dry_run: bool
    """Nothing was deleted."""
    grace_s: float
    """Blobs younger than this were kept whatever references them."""
    blobs: int = 0
    """Blobs in the folder."""
    bytes: int = 0
    """Their size."""
    referenced: int = 0
    """Blobs some store references."""
    young: int = 0
    """Unreferenced blobs kept because they are younger than the grace period."""
    unreferenced: list[str] = field(default_factory=list)
    """References of the blobs collected (or, in a dry run, that would be)."""
    unreferenced_bytes: int = 0
    """Their size, with the temporary files'."""
    temp_files: int = 0
    """Leftover temporary files of a crashed write (or collection), collected alike."""

    def as_dict(self) -> dict[str, Any]:
        """Return the report as plain data (counts, bytes, the collected references)."""
        return {
            "dry_run": self.dry_run,
            "grace_s": self.grace_s,
            "blobs": self.blobs,
            "bytes": self.bytes,
            "referenced": self.referenced,
            "young": self.young,
            "unreferenced": len(self.unreferenced),
            "unreferenced_bytes": self.unreferenced_bytes,
            "temp_files": self.temp_files,
            "refs": list(self.unreferenced),
        }


def references_in(value: Any, found: set[str] | None = None) -> set[str]:
    """Return every `blob:sha256:` reference inside `value`, at any depth, into `found`.

    Walks dicts (keys and values), lists, tuples, sets and pydantic models; a reference is
    found anywhere inside a string, not only as the whole string.
    """
    out: set[str] = set() if found is None else found
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if BLOB_PREFIX in item:
                out.update(BLOB_PREFIX + d for d in _REF.findall(item))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, BaseModel):
            stack.extend(item.__dict__.values())
            stack.extend((item.__pydantic_extra__ or {}).values())
    return out


def _touch(path: Path) -> bool:
    """Refresh an existing blob's time; return False when there is no such file."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    except OSError:
        return path.exists()  # a read-only folder: the blob is there, leave its time
    return True


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def _remove_if_old(path: Path, cutoff: float) -> bool:
    """Delete `path` unless `put` touched it after `cutoff`; return whether it was deleted.

    The blob is renamed aside first, so a concurrent `put` either touched it before the rename
    (its time is then past `cutoff`, and it is put back) or finds it missing and writes it
    again; either way the blob a new checkpoint references stays.
    """
    aside = path.with_name(f".gc-{path.name}-{os.getpid()}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return False
    try:
        if aside.stat().st_mtime > cutoff:
            os.replace(aside, path)  # same content (named by its hash): putting it back is safe
            return False
        aside.unlink()
        return True
    except BaseException:
        if aside.exists():
            os.replace(aside, path)
        raise


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

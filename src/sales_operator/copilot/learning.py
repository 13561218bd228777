"""Learning from reviewers' edits, by action kind and rep.

Every edit a reviewer makes at the approval gate is a record in the CRM's append-only audit
log (`decision == "edit"`, with the original and the edited arguments). `learned_edits()`
reads those records for one action kind and one rep (the sender of an email, the owner of a
task, the channel of a Slack post), newest first. The copilot uses them for the next draft of
that kind for that rep:

- on the model path, the latest edited drafts go into the prompt as examples;
- offline, `Preferences` carries the greeting and sign-off the rep wrote, and the sentences
  the rep replaced or deleted, which the template then replaces or leaves out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sales_operator.adapters.base import CRMReader, Rep
from sales_operator.state import AuditEntry

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Edit:
    """One reviewer edit of a draft."""

    kind: str
    """The action kind."""
    original: dict[str, Any]
    """The arguments as proposed."""
    edited: dict[str, Any]
    """The arguments the reviewer approved instead."""


def _belongs_to(kind: str, args: dict[str, Any], rep: Rep) -> bool:
    if kind == "send_email":
        return rep.email.lower() in str(args.get("from") or "").lower()
    if kind == "create_task":
        return args.get("owner_id") == rep.id
    if kind == "post_slack":
        return bool(rep.slack) and args.get("channel") == rep.slack
    if kind == "send_invite":
        return rep.email.lower() in str(args.get("organizer") or "").lower()
    return False


def learned_edits(crm: CRMReader, kind: str, rep: Rep | None, *, limit: int = 5) -> list[Edit]:
    """Return the reviewers' edits of `kind` actions for `rep`, newest first."""
    if rep is None:
        return []
    recent_edits = getattr(crm, "recent_edits", None)
    newest_first: Iterable[AuditEntry]
    if callable(recent_edits):  # an indexed read of the edits alone (SQLiteCRM)
        newest_first = recent_edits(kind)
    else:
        try:
            newest_first = reversed(crm.audit_log())
        except Exception:  # a CRM without a global audit query: nothing learned, nothing broken
            return []
    edits: list[Edit] = []
    seen: set[str] = set()
    for entry in newest_first:
        if entry.decision != "edit" or entry.kind != kind or not entry.edited_args:
            continue
        if entry.action_id in seen or not _belongs_to(kind, entry.original_args, rep):
            continue
        seen.add(entry.action_id)
        edits.append(Edit(kind, dict(entry.original_args), dict(entry.edited_args)))
        if len(edits) >= limit:
            break
    return edits


@dataclass
class Preferences:
    """What a rep's past edits say about how they write."""

    greeting: str | None = None
    """The greeting word the rep uses ("Hello" for "Hello Dana,")."""
    sign_off: str | None = None
    """The closing line the rep uses ("Cheers,")."""
    replace: dict[str, str] = field(default_factory=dict)
    """Sentence the template writes -> the sentence the rep wrote instead."""
    drop: set[str] = field(default_factory=set)
    """Sentences the rep deleted."""

    def apply(self, body: str, *, greeting_default: str = "Hi", sign_off_default: str = "") -> str:
        """Return `body` with the rep's greeting, sign-off and sentence choices applied."""
        lines = body.split("\n")
        if self.greeting and lines and lines[0].startswith(f"{greeting_default} "):
            lines[0] = self.greeting + lines[0][len(greeting_default) :]
        if self.sign_off and sign_off_default:
            lines = [self.sign_off if line == sign_off_default else line for line in lines]
        text = "\n".join(lines)
        for old, new in self.replace.items():
            text = text.replace(old, new)
        for sentence in self.drop:
            text = text.replace(f" {sentence}", "").replace(sentence, "")
        return re.sub(r"\n{3,}", "\n\n", text)


def _sentences(text: str) -> list[str]:
    return [
        s.strip()
        for line in text.split("\n")
        for s in _SENTENCE.split(" ".join(line.split()))
        if s.strip()
    ]


def preferences(edits: list[Edit], *, sign_off_default: str = "Best regards,") -> Preferences:
    """Derive `Preferences` from edits (newest first; a newer edit wins)."""
    prefs = Preferences()
    for edit in reversed(edits):  # oldest first, so newer ones overwrite
        old_body = str(edit.original.get("body") or edit.original.get("text") or "")
        new_body = str(edit.edited.get("body") or edit.edited.get("text") or "")
        if not old_body or not new_body or old_body == new_body:
            continue
        old_first = old_body.strip().split("\n", 1)[0].split()
        new_first = new_body.strip().split("\n", 1)[0].split()
        if old_first and new_first and old_first[0] != new_first[0] and len(new_first) <= 4:
            prefs.greeting = new_first[0]
        if sign_off_default in old_body and sign_off_default not in new_body:
            closing = [
                line.strip()
                for line in new_body.split("\n")
                if line.strip().endswith(",") and len(line.split()) <= 3
            ]
            if len(closing) >= 2:
                prefs.sign_off = closing[-1]
        old_s, new_s = _sentences(old_body), _sentences(new_body)
        matcher = difflib.SequenceMatcher(a=old_s, b=new_s, autojunk=False)
        for op, a1, a2, b1, b2 in matcher.get_opcodes():
            if op == "replace" and a2 - a1 == b2 - b1:
                for old, new in zip(old_s[a1:a2], new_s[b1:b2], strict=True):
                    if "\n" not in old and len(old.split()) >= 3:
                        prefs.replace[old] = new
            elif op == "replace":
                for old in old_s[a1:a2]:
                    close = any(
                        difflib.SequenceMatcher(a=old, b=new).ratio() > 0.6 for new in new_s[b1:b2]
                    )
                    if not close and len(old.split()) >= 4:
                        prefs.drop.add(old)
            elif op == "delete":
                prefs.drop.update(s for s in old_s[a1:a2] if len(s.split()) >= 4)
    return prefs


def examples(edits: list[Edit], *, limit: int = 2) -> str:
    """Return the latest edited drafts as prompt examples ("" when none)."""
    blocks = []
    for edit in edits[:limit]:
        subject = edit.edited.get("subject")
        body = edit.edited.get("body") or edit.edited.get("text")
        if body:
            head = f"Subject: {subject}\n\n" if subject else ""
            blocks.append(f"{head}{body}")
    if not blocks:
        return ""
    return (
        "Drafts this sender approved after editing; match their greeting, tone and length:\n\n"
        + "\n\n---\n\n".join(blocks)
    )

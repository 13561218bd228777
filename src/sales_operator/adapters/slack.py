"""Slack: a JSON-lines log by default, an incoming webhook when configured.

Both messengers are idempotent by key, across processes too: each keeps a JSON-lines file
(the log itself, or the webhook's ledger) and, under a file lock, posts nothing for a key
that file already holds.
"""

from __future__ import annotations

import json
import os
import urllib.error
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackRequestError
from slack_sdk.webhook import WebhookClient

from sales_operator.adapters.outbox import file_lock
from sales_operator.errors import PermanentAdapterError, TransientAdapterError
from sales_operator.escaping import slack_text

DEFAULT_WEBHOOK_LEDGER = Path(".sales-operator") / "slack-webhook-ledger.jsonl"
"""Where `SlackWebhookMessenger.from_env()` keeps its ledger when no path is given."""


def _read_entries(path: Path) -> dict[str, dict[str, Any]]:
    """Return key to entry for every whole JSON line of `path` (a torn last line is skipped)."""
    entries: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return entries
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                entries.setdefault(entry["key"], entry)
    return entries


def _append_line(path: Path, entry: dict[str, Any]) -> None:
    """Append one JSON line durably (after a newline if the file ends with a torn line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with open(path, "a+b") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                line = "\n" + line
        handle.write(line.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def _check(channel: str, text: str, adapter: str) -> None:
    if not channel or not channel.strip():
        raise PermanentAdapterError("the channel is empty", adapter=adapter, operation="post")
    if not text or not text.strip():
        raise PermanentAdapterError("the message text is empty", adapter=adapter, operation="post")


class SlackLogMessenger:
    """Append each Slack message as one JSON line (`channel`, `text`, `key`, `ts`, `at`).

    Args:
        path: The `.jsonl` log (created on first use).
        clock: Returns "now" for the message time; defaults to the current UTC time.
        allow_mentions: Keep `<!channel>`, `<!here>` and `<!everyone>`; escaped when False.
    """

    adapter = "slack_log"
    """Adapter name used in errors."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], datetime] | None = None,
        allow_mentions: bool = False,
    ) -> None:
        self.path = Path(path)
        """The log file."""
        self._clock = clock or (lambda: datetime.now(UTC))
        self.allow_mentions = allow_mentions
        """Whether broadcast mentions pass unescaped (the policy's `contracts.slack_mentions`)."""

    def post(self, *, channel: str, text: str, idempotency_key: str) -> dict[str, Any]:
        """Log the message, once per key.

        Returns:
            `channel`, `ts` (Slack-style `seconds.micros`) and `path`; a repeated key returns
            the first message's values and logs nothing.
        """
        if not idempotency_key or not idempotency_key.strip():
            raise PermanentAdapterError(
                "idempotency_key must be a non-empty string", adapter=self.adapter, operation="post"
            )
        _check(channel, text, self.adapter)
        with file_lock(self.path.with_name(f".{self.path.name}.lock")):
            entry = _read_entries(self.path).get(idempotency_key)
            if entry is None:
                now = self._clock()
                now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
                entry = {
                    "channel": channel,
                    "text": slack_text(text, allow_mentions=self.allow_mentions),
                    "key": idempotency_key,
                    "ts": f"{now.timestamp():.6f}",
                    "at": now.isoformat(),
                }
                try:
                    _append_line(self.path, entry)
                except OSError as exc:
                    raise TransientAdapterError(
                        f"cannot write {self.path}: {exc}", adapter=self.adapter, operation="post"
                    ) from exc
        return {"channel": entry["channel"], "ts": entry["ts"], "path": str(self.path)}

    def messages(self) -> list[dict[str, Any]]:
        """Return every logged message, oldest first."""
        return list(_read_entries(self.path).values())


class SlackWebhookMessenger:
    """Post to Slack through an incoming webhook, at most once per idempotency key.

    An incoming webhook posts to the channel it was created for; `channel` is recorded in
    the ledger (and the returned result) but does not move the message elsewhere.

    Args:
        url: The webhook URL.
        ledger_path: The JSON-lines ledger of posted keys.
        timeout: Seconds to wait for Slack.
        clock: Returns "now" for the ledger.
        allow_mentions: Keep `<!channel>`, `<!here>` and `<!everyone>`; escaped when False.
    """

    adapter = "slack_webhook"
    """Adapter name used in errors."""

    def __init__(
        self,
        url: str,
        ledger_path: str | Path,
        *,
        timeout: int = 10,
        clock: Callable[[], datetime] | None = None,
        allow_mentions: bool = False,
    ) -> None:
        self.allow_mentions = allow_mentions
        """Whether broadcast mentions pass unescaped (the policy's `contracts.slack_mentions`)."""
        if not url.startswith(("https://", "http://")):
            raise PermanentAdapterError(
                "the webhook URL must start with https://", adapter=self.adapter, operation="init"
            )
        self.ledger_path = Path(ledger_path)
        """The ledger file."""
        self._client = WebhookClient(url=url, timeout=timeout)
        self._clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"SlackWebhookMessenger(ledger_path={str(self.ledger_path)!r})"

    @classmethod
    def from_env(
        cls,
        ledger_path: str | Path | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> SlackWebhookMessenger | None:
        """Build a messenger from `SLACK_WEBHOOK_URL`, or return None when it is unset.

        Args:
            ledger_path: The ledger (default `.sales-operator/slack-webhook-ledger.jsonl`).
            environ: The variables to read (default `os.environ`).
        """
        env = os.environ if environ is None else environ
        url = (env.get("SLACK_WEBHOOK_URL") or "").strip()
        if not url:
            return None
        return cls(url, ledger_path if ledger_path is not None else DEFAULT_WEBHOOK_LEDGER)

    def post(self, *, channel: str, text: str, idempotency_key: str) -> dict[str, Any]:
        """Post `text` through the webhook, once per key.

        Returns:
            `channel`, `status` (the HTTP status), `ledger` and `posted_at`; a repeated key
            returns the first post's values and posts nothing.

        Raises:
            TransientAdapterError: for network failures, timeouts, 429 and 5xx replies.
            PermanentAdapterError: for any other reply than 200.
        """
        if not idempotency_key or not idempotency_key.strip():
            raise PermanentAdapterError(
                "idempotency_key must be a non-empty string", adapter=self.adapter, operation="post"
            )
        _check(channel, text, self.adapter)
        with file_lock(self.ledger_path.with_name(f".{self.ledger_path.name}.lock")):
            entry = _read_entries(self.ledger_path).get(idempotency_key)
            if entry is None:
                try:
                    response = self._client.send(
                        text=slack_text(text, allow_mentions=self.allow_mentions)
                    )
                except SlackRequestError as exc:
                    raise PermanentAdapterError(
                        f"bad webhook request: {exc}", adapter=self.adapter, operation="post"
                    ) from exc
                except (urllib.error.URLError, OSError) as exc:
                    raise TransientAdapterError(
                        f"cannot reach Slack: {exc}", adapter=self.adapter, operation="post"
                    ) from exc
                status = response.status_code
                if status != 200:
                    message = f"Slack replied {status}: {str(response.body)[:200]}"
                    if status >= 500 or status == 429:
                        raise TransientAdapterError(message, adapter=self.adapter, operation="post")
                    raise PermanentAdapterError(message, adapter=self.adapter, operation="post")
                entry = {
                    "key": idempotency_key,
                    "channel": channel,
                    "status": status,
                    "posted_at": self._clock().isoformat(),
                }
                _append_line(self.ledger_path, entry)
        return {
            "channel": entry["channel"],
            "status": entry["status"],
            "ledger": str(self.ledger_path),
            "posted_at": entry["posted_at"],
        }

"""A local Gmail (drafts, messages search) and Google Calendar (events), in their REST shapes.

Written from the Gmail API v1 and Calendar API v3 references: drafts hold base64url RFC 5322
messages, `q=rfc822msgid:<id>` finds a message by its Message-ID, event ids are client-chosen
and a second insert with the same id answers 409 `duplicate`.
"""

from __future__ import annotations

import base64
import itertools
from email import message_from_bytes
from typing import Any

from tests.servers.base import JSONServer, Request


class GoogleServer(JSONServer):
    def __init__(self, token: str = "ya29.test") -> None:
        super().__init__(token=f"Bearer {token}")
        self.drafts: dict[str, dict[str, Any]] = {}
        self.sent: dict[str, bytes] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self._n = itertools.count(1)
        gmail = r"/gmail/v1/users/(?P<user>[^/]+)"
        self.route("GET", gmail + r"/drafts")(self.list_drafts)
        self.route("POST", gmail + r"/drafts")(self.create_draft)
        self.route("GET", gmail + r"/messages")(self.list_messages)
        cal = r"/calendar/v3/calendars/(?P<cal>[^/]+)/events"
        self.route("POST", cal)(self.insert_event)
        self.route("GET", cal + r"/(?P<id>[^/]+)")(self.get_event)

    @staticmethod
    def _mid(raw: bytes) -> str:
        return str(message_from_bytes(raw)["Message-ID"])

    def _search(self, raws: dict[str, bytes], q: str | None) -> list[str]:
        if q and q.startswith("rfc822msgid:"):
            wanted = q.split(":", 1)[1]
            return [k for k, raw in raws.items() if self._mid(raw) == wanted]
        return list(raws)

    def send_draft(self, draft_id: str) -> None:
        """What the rep's Send button does: the draft becomes a sent message."""
        draft = self.drafts.pop(draft_id)
        self.sent[draft["message"]["id"]] = draft["raw"]

    def list_drafts(self, r: Request) -> tuple[int, Any]:
        raws = {k: d["raw"] for k, d in self.drafts.items()}
        found = self._search(raws, r.arg("q"))
        return 200, {
            "drafts": [{"id": k, "message": self.drafts[k]["message"]} for k in found],
            "resultSizeEstimate": len(found),
        }

    def create_draft(self, r: Request) -> tuple[int, Any]:
        raw = base64.urlsafe_b64decode(r.body["message"]["raw"])
        n = next(self._n)
        draft = {
            "id": f"r-{n}",
            "message": {"id": f"m{n}", "threadId": f"t{n}", "labelIds": ["DRAFT"]},
            "raw": raw,
        }
        self.drafts[draft["id"]] = draft
        return 200, {"id": draft["id"], "message": draft["message"]}

    def list_messages(self, r: Request) -> tuple[int, Any]:
        found = self._search(self.sent, r.arg("q"))
        return 200, {
            "messages": [{"id": k, "threadId": k} for k in found],
            "resultSizeEstimate": len(found),
        }

    def insert_event(self, r: Request) -> tuple[int, Any]:
        body = dict(r.body)
        if body.get("id") in self.events:
            return 409, {
                "error": {
                    "code": 409,
                    "message": "The requested identifier already exists.",
                    "errors": [{"domain": "global", "reason": "duplicate"}],
                }
            }
        event_id = body.get("id") or f"ev{next(self._n)}"
        event = {
            "kind": "calendar#event",
            "status": "confirmed",
            **body,
            "id": event_id,
            "htmlLink": f"https://calendar.example/event?eid={event_id}",
            "sendUpdates": r.arg("sendUpdates"),
        }
        self.events[event_id] = event
        return 200, event

    def get_event(self, r: Request) -> tuple[int, Any]:
        event = self.events.get(r.match["id"])
        if event is None:
            return 404, {"error": {"code": 404, "message": "Not Found"}}
        return 200, event

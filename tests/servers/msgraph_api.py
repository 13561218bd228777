"""A local Microsoft Graph: mailbox messages (drafts) with extended-property filters, and events.

Written from the Graph v1.0 reference: `POST /users/{id}/messages` makes a draft,
`$filter=singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')` finds one by
a named property, and `POST /users/{id}/events` drops a repeat with the same `transactionId`.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from tests.servers.base import JSONServer, Request


class GraphServer(JSONServer):
    def __init__(self, token: str = "eyJ0.graph") -> None:
        super().__init__(token=f"Bearer {token}")
        self.messages: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self._n = itertools.count(1)
        self.route("GET", r"/v1.0/users/(?P<u>[^/]+)/messages")(self.list_messages)
        self.route("POST", r"/v1.0/users/(?P<u>[^/]+)/messages")(self.create_message)
        self.route("POST", r"/v1.0/users/(?P<u>[^/]+)/events")(self.create_event)

    def list_messages(self, r: Request) -> tuple[int, Any]:
        flt = r.arg("$filter") or ""
        m = re.search(r"ep/id eq '((?:[^']|'')*)' and ep/value eq '((?:[^']|'')*)'", flt)
        if not m:
            return 400, {"error": {"code": "BadRequest", "message": f"unsupported filter {flt}"}}
        prop, value = m[1].replace("''", "'"), m[2].replace("''", "'")
        hits = [
            {"id": k, "isDraft": msg["isDraft"], "webLink": msg["webLink"]}
            for k, msg in self.messages.items()
            if any(
                p["id"] == prop and p["value"] == value
                for p in msg.get("singleValueExtendedProperties", [])
            )
        ]
        return 200, {"value": hits}

    def create_message(self, r: Request) -> tuple[int, Any]:
        mid = f"AAMk{next(self._n)}"
        message = {
            **r.body,
            "id": mid,
            "isDraft": True,
            "webLink": f"https://outlook.example/owa/?ItemID={mid}",
            "user": r.match["u"],
        }
        self.messages[mid] = message
        return 201, message

    def create_event(self, r: Request) -> tuple[int, Any]:
        tid = r.body.get("transactionId")
        for event in self.events.values():
            if tid and event.get("transactionId") == tid:
                return 201, event
        eid = f"AAMkEv{next(self._n)}"
        event = {**r.body, "id": eid, "webLink": f"https://outlook.example/cal/{eid}"}
        self.events[eid] = event
        return 201, event

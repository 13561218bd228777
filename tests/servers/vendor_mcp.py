"""A local CRM vendor's MCP server (MCP Python SDK), shaped like the vendors' CRM servers.

Read tools are annotated read-only; `create_note`/`create_task` are non-destructive writes;
`update_deal` declares nothing (so the MCP defaults make it destructive); `delete_deal` is
destructive. Records live in memory.
"""

from __future__ import annotations

import itertools
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

READ = ToolAnnotations(read_only_hint=True)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False)


def vendor_server(*, get_deal_read_only: bool = True) -> tuple[MCPServer, dict[str, Any]]:
    db: dict[str, Any] = {
        "companies": {
            "c1": {
                "id": "c1",
                "name": "Northwind Logistics",
                "domain": "northwind-logistics.com",
                "employees": 450,
            }
        },
        "contacts": {
            "c1": [
                {
                    "id": "p1",
                    "name": "Dana Whitfield",
                    "email": "dana.whitfield@northwind-logistics.com",
                }
            ]
        },
        "deals": {
            "D-2001": {
                "id": "D-2001",
                "name": "Northwind fleet",
                "stage": "Discovery",
                "amount": 48000,
                "close_date": "2026-12-18",
                "owner_email": "sam.rivera@orbitalfreight.com",
            }
        },
        "activities": {
            "c1": [
                {
                    "id": "a1",
                    "kind": "note",
                    "at": "2026-11-20T15:00:00Z",
                    "title": "Intro",
                    "text": "Asked about telematics",
                }
            ]
        },
        "records": {},
    }
    ids = itertools.count(1)
    server = MCPServer(name="vendor-crm")

    @server.tool(annotations=READ)
    def get_company(company_id: str) -> dict[str, Any]:
        if company_id not in db["companies"]:
            raise ToolError(f"company {company_id} not found")
        return db["companies"][company_id]

    @server.tool(annotations=READ)
    def list_company_contacts(company_id: str) -> dict[str, Any]:
        return {"contacts": db["contacts"].get(company_id, [])}

    @server.tool(annotations=READ if get_deal_read_only else WRITE)
    def get_deal(deal_id: str) -> dict[str, Any]:
        if deal_id not in db["deals"]:
            raise ToolError(f"deal {deal_id} not found")
        return db["deals"][deal_id]

    @server.tool(annotations=READ)
    def list_company_activities(company_id: str) -> dict[str, Any]:
        return {"activities": db["activities"].get(company_id, [])}

    @server.tool(annotations=READ)
    def find_by_external_key(external_key: str) -> dict[str, Any]:
        return next(
            ({"id": rid} for rid, r in db["records"].items() if r["external_key"] == external_key),
            {},
        )

    @server.tool(annotations=WRITE)
    def create_note(deal_id: str, body: str, external_key: str) -> dict[str, Any]:
        rid = f"n{next(ids)}"
        db["records"][rid] = {
            "type": "note",
            "deal_id": deal_id,
            "body": body,
            "external_key": external_key,
        }
        return {"id": rid}

    @server.tool(annotations=WRITE)
    def create_task(
        deal_id: str,
        title: str,
        body: str,
        due_date: str | None,
        owner_email: str | None,
        external_key: str,
    ) -> dict[str, Any]:
        rid = f"t{next(ids)}"
        db["records"][rid] = {
            "type": "task",
            "deal_id": deal_id,
            "title": title,
            "due_date": due_date,
            "owner_email": owner_email,
            "external_key": external_key,
        }
        return {"id": rid}

    @server.tool()
    def update_deal(deal_id: str, properties: dict[str, Any]) -> dict[str, Any]:
        if deal_id not in db["deals"]:
            raise ToolError(f"deal {deal_id} not found")
        db["deals"][deal_id].update(properties)
        return {"id": deal_id}

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True))
    def delete_deal(deal_id: str) -> dict[str, Any]:
        db["deals"].pop(deal_id, None)
        return {"id": deal_id}

    return server, db

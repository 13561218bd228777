"""A local HubSpot: the CRM v3 objects, search, batch-read and owners REST shapes.

Written from HubSpot's public API reference (CRM objects v3, search, associations, owners);
it keeps records in memory, enforces unique-value properties with 409 like a portal does,
and checks the private-app bearer token.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from tests.servers.base import JSONServer, Request

ASSOCIATION_TARGETS = {  # HubSpot-defined type id -> (from type, to type)
    214: ("notes", "deals"),
    216: ("tasks", "deals"),
    5: ("deals", "companies"),
    1: ("contacts", "companies"),
    3: ("deals", "contacts"),
    190: ("notes", "companies"),
}
UNIQUE = {"sales_operator_key", "sales_operator_deal_id"}


def _singular(object_type: str) -> str:
    return object_type.rstrip("s").replace("companie", "company")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class HubSpotServer(JSONServer):
    def __init__(self, token: str = "pat-test") -> None:
        super().__init__(token=f"Bearer {token}")
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.owners: list[dict[str, Any]] = []
        self._ids = itertools.count(9001)
        self.route("GET", r"/crm/v3/objects/(?P<type>\w+)/(?P<id>[^/]+)")(self.get)
        self.route("POST", r"/crm/v3/objects/(?P<type>\w+)")(self.create)
        self.route("PATCH", r"/crm/v3/objects/(?P<type>\w+)/(?P<id>[^/]+)")(self.update)
        self.route("POST", r"/crm/v3/objects/(?P<type>\w+)/search")(self.search)
        self.route("POST", r"/crm/v3/objects/(?P<type>\w+)/batch/read")(self.batch_read)
        self.route("GET", r"/crm/v3/owners")(self.list_owners)

    # seeding ----------------------------------------------------------------------------
    def add(
        self, object_type: str, properties: dict[str, Any], object_id: str | None = None
    ) -> str:
        oid = object_id or str(next(self._ids))
        now = _now()
        self.objects.setdefault(object_type, {})[oid] = {
            "id": oid,
            "properties": {
                **{k: None if v is None else str(v) for k, v in properties.items()},
                "hs_object_id": oid,
                "createdate": now,
            },
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
            "associations": {},
        }
        return oid

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> None:
        a = self.objects[from_type][from_id]["associations"].setdefault(to_type, [])
        if to_id not in a:
            a.append(to_id)
        b = self.objects[to_type][to_id]["associations"].setdefault(from_type, [])
        if from_id not in b:
            b.append(from_id)

    def add_owner(self, owner_id: str, email: str, first: str, last: str) -> None:
        self.owners.append(
            {
                "id": owner_id,
                "email": email,
                "firstName": first,
                "lastName": last,
                "userId": int(owner_id),
                "createdAt": _now(),
                "updatedAt": _now(),
                "archived": False,
                "type": "PERSON",
            }
        )

    # views ------------------------------------------------------------------------------
    def _view(
        self,
        object_type: str,
        record: dict[str, Any],
        props: list[str] | None,
        associations: list[str] | None = None,
    ) -> dict[str, Any]:
        wanted = props or list(record["properties"])
        out = {
            "id": record["id"],
            "properties": {
                k: record["properties"].get(k) for k in wanted if k in record["properties"]
            }
            | {"hs_object_id": record["id"]},
            "createdAt": record["createdAt"],
            "updatedAt": record["updatedAt"],
            "archived": False,
        }
        if associations:
            singular = _singular(object_type)
            out["associations"] = {
                to: {
                    "results": [
                        {
                            "id": i,
                            "type": f"{singular}_to_{_singular(to)}",
                        }
                        for i in record["associations"].get(to, [])
                    ]
                }
                for to in associations
                if record["associations"].get(to)
            }
        return out

    def _find(self, object_type: str, object_id: str, id_property: str | None) -> dict[str, Any]:
        table = self.objects.get(object_type, {})
        if id_property:
            for record in table.values():
                if record["properties"].get(id_property) == object_id:
                    return record
            raise KeyError(object_id)
        return table[object_id]

    def _conflict(
        self, object_type: str, props: dict[str, Any], skip: str | None = None
    ) -> str | None:
        for prop in UNIQUE & set(props):
            for record in self.objects.get(object_type, {}).values():
                if (
                    record["id"] != skip
                    and props[prop]
                    and record["properties"].get(prop) == props[prop]
                ):
                    return prop
        return None

    # handlers ---------------------------------------------------------------------------
    def get(self, r: Request) -> tuple[int, Any]:
        record = self._find(r.match["type"], r.match["id"], r.arg("idProperty"))
        return 200, self._view(
            r.match["type"], record, r.args("properties"), r.args("associations")
        )

    def create(self, r: Request) -> tuple[int, Any]:
        object_type = r.match["type"]
        props = r.body.get("properties") or {}
        clash = self._conflict(object_type, props)
        if clash:
            return 409, {
                "status": "error",
                "category": "CONFLICT",
                "message": f"A {object_type} with {clash}={props[clash]} already exists",
            }
        oid = self.add(object_type, props)
        for assoc in r.body.get("associations") or []:
            type_id = assoc["types"][0]["associationTypeId"]
            source, target = ASSOCIATION_TARGETS[type_id]
            if source != object_type:
                return 400, {
                    "status": "error",
                    "category": "VALIDATION_ERROR",
                    "message": f"association type {type_id} is not {object_type}",
                }
            if assoc["to"]["id"] not in self.objects.get(target, {}):
                return 400, {
                    "status": "error",
                    "category": "VALIDATION_ERROR",
                    "message": f"{target} {assoc['to']['id']} does not exist",
                }
            self.associate(object_type, oid, target, assoc["to"]["id"])
        return 201, self._view(object_type, self.objects[object_type][oid], None)

    def update(self, r: Request) -> tuple[int, Any]:
        record = self._find(r.match["type"], r.match["id"], r.arg("idProperty"))
        props = r.body.get("properties") or {}
        if self._conflict(r.match["type"], props, skip=record["id"]):
            return 409, {
                "status": "error",
                "category": "CONFLICT",
                "message": "duplicate unique value",
            }
        record["properties"].update({k: None if v is None else str(v) for k, v in props.items()})
        record["updatedAt"] = _now()
        return 200, self._view(r.match["type"], record, None)

    def search(self, r: Request) -> tuple[int, Any]:
        out = []
        for record in self.objects.get(r.match["type"], {}).values():
            for group in r.body.get("filterGroups") or [{"filters": []}]:
                ok = all(
                    f["operator"] == "EQ"
                    and record["properties"].get(f["propertyName"]) == f["value"]
                    for f in group["filters"]
                )
                if ok:
                    out.append(self._view(r.match["type"], record, r.body.get("properties")))
                    break
        limit = int(r.body.get("limit") or 10)
        return 200, {"total": len(out), "results": out[:limit]}

    def batch_read(self, r: Request) -> tuple[int, Any]:
        table = self.objects.get(r.match["type"], {})
        results = [
            self._view(r.match["type"], table[i["id"]], r.body.get("properties"))
            for i in r.body["inputs"]
            if i["id"] in table
        ]
        return 200, {
            "status": "COMPLETE",
            "results": results,
            "startedAt": _now(),
            "completedAt": _now(),
        }

    def list_owners(self, r: Request) -> tuple[int, Any]:
        return 200, {"results": self.owners}

"""A local Salesforce org: the REST API's sObject, external-id upsert and SOQL query shapes.

Written from Salesforce's REST API developer guide. Records live in memory; ids look like
Salesforce ids (key prefix + 15 characters); upserts on an external-id field create once and
update after; a small SOQL subset (SELECT … FROM … WHERE a = 'x' AND b = true ORDER BY … LIMIT n)
is evaluated; the Bearer token is checked. Serve it over TLS (`tls_context`), as
simple-salesforce only speaks https.
"""

from __future__ import annotations

import itertools
import re
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.servers.base import JSONServer, Request

PREFIX = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "Task": "00T",
    "Event": "00U",
    "User": "005",
}
API = r"/services/data/v(?P<v>[\d.]+)"


def tls_context(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a fresh self-signed cert for 127.0.0.1, and the cert's path."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "sf-cert.pem", folder / "sf-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx, cert_path


class SalesforceServer(JSONServer):
    def __init__(self, token: str = "00Dtoken") -> None:
        super().__init__(token=f"Bearer {token}")
        self.records: dict[str, dict[str, dict[str, Any]]] = {}
        self.external_ids = {"Sales_Operator_Key__c", "Sales_Operator_Deal_Id__c"}
        self._n = itertools.count(1)
        self.route("GET", API + r"/query")(self.query)
        self.route("GET", API + r"/sobjects/(?P<t>\w+)/(?P<id>[^/]+)")(self.get)
        self.route("GET", API + r"/sobjects/(?P<t>\w+)/(?P<f>\w+__c)/(?P<val>[^/]+)")(self.get_ext)
        self.route("POST", API + r"/sobjects/(?P<t>\w+)")(self.create)
        self.route("PATCH", API + r"/sobjects/(?P<t>\w+)/(?P<id>[^/]+)")(self.update)
        self.route("PATCH", API + r"/sobjects/(?P<t>\w+)/(?P<f>\w+__c)/(?P<val>[^/]+)")(self.upsert)

    def add(self, sobject: str, fields: dict[str, Any]) -> str:
        rid = PREFIX[sobject] + f"{next(self._n):012d}" + "AAA"
        record = {"Id": rid, **fields, "CreatedDate": datetime.now(UTC).isoformat()}
        if sobject in ("Task", "Event") and record.get("WhatId"):
            opp = self.records.get("Opportunity", {}).get(record["WhatId"])
            if opp is None:
                raise ValueError("FIELD_INTEGRITY_EXCEPTION: WhatId")
            record["AccountId"] = opp.get("AccountId")
        self.records.setdefault(sobject, {})[rid] = record
        return rid

    def _view(self, sobject: str, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "attributes": {
                "type": sobject,
                "url": f"/services/data/v59.0/sobjects/{sobject}/{record['Id']}",
            },
            **record,
        }

    def _not_found(self) -> tuple[int, Any]:
        return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]

    def get(self, r: Request) -> tuple[int, Any]:
        record = self.records.get(r.match["t"], {}).get(r.match["id"])
        return (200, self._view(r.match["t"], record)) if record else self._not_found()

    def _by_ext(self, sobject: str, field: str, value: str) -> dict[str, Any] | None:
        return next(
            (rec for rec in self.records.get(sobject, {}).values() if rec.get(field) == value), None
        )

    def get_ext(self, r: Request) -> tuple[int, Any]:
        from urllib.parse import unquote_plus

        record = self._by_ext(r.match["t"], r.match["f"], unquote_plus(r.match["val"]))
        return (200, self._view(r.match["t"], record)) if record else self._not_found()

    def create(self, r: Request) -> tuple[int, Any]:
        try:
            rid = self.add(r.match["t"], r.body)
        except ValueError as exc:
            return 400, [{"errorCode": "FIELD_INTEGRITY_EXCEPTION", "message": str(exc)}]
        return 201, {"id": rid, "success": True, "errors": []}

    def update(self, r: Request) -> tuple[int, Any]:
        record = self.records.get(r.match["t"], {}).get(r.match["id"])
        if record is None:
            return self._not_found()
        record.update(r.body)
        return 204, None

    def upsert(self, r: Request) -> tuple[int, Any]:
        from urllib.parse import unquote_plus

        field, value = r.match["f"], unquote_plus(r.match["val"])
        if field not in self.external_ids:
            return 404, [
                {
                    "errorCode": "NOT_FOUND",
                    "message": "Provided external ID field does not exist or is not "
                    f"accessible: {field}",
                }
            ]
        record = self._by_ext(r.match["t"], field, value)
        if record is not None:
            record.update(r.body)
            return 200, {"id": record["Id"], "success": True, "errors": [], "created": False}
        try:
            rid = self.add(r.match["t"], {**r.body, field: value})
        except ValueError as exc:
            return 400, [{"errorCode": "FIELD_INTEGRITY_EXCEPTION", "message": str(exc)}]
        return 201, {"id": rid, "success": True, "errors": [], "created": True}

    def query(self, r: Request) -> tuple[int, Any]:
        soql = r.arg("q") or ""
        m = re.match(
            r"SELECT (?P<f>.+?) FROM (?P<t>\w+)(?: WHERE (?P<w>.+?))?"
            r"(?: ORDER BY (?P<o>\w+))?(?: LIMIT (?P<l>\d+))?$",
            soql.strip(),
        )
        if not m:
            return 400, [{"errorCode": "MALFORMED_QUERY", "message": f"unexpected: {soql}"}]
        fields = [f.strip() for f in m["f"].split(",")]
        rows = list(self.records.get(m["t"], {}).values())
        for cond in re.split(r"\s+AND\s+", m["w"] or "") if m["w"] else []:
            c = re.match(r"(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(true|false))$", cond.strip())
            if not c:
                return 400, [{"errorCode": "MALFORMED_QUERY", "message": f"unexpected: {cond}"}]
            if c[3]:
                want: Any = c[3] == "true"
            else:
                want = re.sub(r"\\(.)", r"\1", c[2])
            rows = [row for row in rows if row.get(c[1]) == want]
        if m["o"]:
            rows.sort(key=lambda row: str(row.get(m["o"])))
        if m["l"]:
            rows = rows[: int(m["l"])]
        records = [
            self._view(m["t"], {"Id": row["Id"], **{f: row.get(f) for f in fields}}) for row in rows
        ]
        return 200, {"totalSize": len(records), "done": True, "records": records}

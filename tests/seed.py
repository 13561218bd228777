"""The seed story's Northwind account and contacts (docs/seed_story.md), shared by the tests."""

from __future__ import annotations

from sales_operator.state import Account, Contact

ACCOUNT = Account(
    id="A-NWL",
    name="Northwind Logistics",
    domain="northwind-logistics.com",
    industry="Logistics",
    employees=450,
    territory="NA-East",
    country="US",
)
DANA = Contact(
    id="C-DW",
    name="Dana Whitfield",
    email="dana.whitfield@northwind-logistics.com",
    title="VP of Operations",
)
MARCUS = Contact(
    id="C-MC",
    name="Marcus Chen",
    email="marcus.chen@northwind-logistics.com",
    title="Chief Revenue Officer (CRO)",
)

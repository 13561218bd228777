"""Swap the embedded adapters for the vendor services the environment configures.

Called by `Deps.from_env`. Each vendor's own variables turn it on:

| variables | adapter |
|---|---|
| `HUBSPOT_ACCESS_TOKEN` | `HubSpotCRM` (the SQLite CRM stays as its ledger) |
| `SALESFORCE_ACCESS_TOKEN` + `SALESFORCE_INSTANCE_URL`, or a login | `SalesforceCRM` |
| `GMAIL_SENDER` + Google credentials | `GmailDraftMailer` (drafts in the rep's Gmail) |
| `GOOGLE_CALENDAR_ID` + Google credentials | `GoogleCalendar` |
| `MSGRAPH_ACCESS_TOKEN` + `MSGRAPH_USER` | `GraphDraftMailer` and `GraphCalendar` (Outlook) |

When both CRMs are configured, `SALES_OPERATOR_CRM=hubspot|salesforce` picks one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sales_operator.errors import ConfigurationError

if TYPE_CHECKING:
    from sales_operator.deps import Deps


def apply_connectors(deps: Deps, env: Mapping[str, str] | None = None) -> list[str]:
    """Replace `deps`' CRM, mailer and calendar with configured vendor adapters.

    Returns:
        The names of the adapters turned on, for logs.

    Raises:
        ConfigurationError: for a half-configured vendor, or two CRMs and no choice.
    """
    values = dict(os.environ if env is None else env)
    used: list[str] = []
    wanted = values.get("SALES_OPERATOR_CRM", "").strip().lower()
    hubspot = bool(values.get("HUBSPOT_ACCESS_TOKEN"))
    salesforce = bool(values.get("SALESFORCE_ACCESS_TOKEN") or values.get("SALESFORCE_USERNAME"))
    if wanted not in ("", "hubspot", "salesforce", "sqlite"):
        raise ConfigurationError(
            f"SALES_OPERATOR_CRM={wanted!r}: expected hubspot, salesforce or sqlite"
        )
    if hubspot and salesforce and not wanted:
        raise ConfigurationError(
            "both HubSpot and Salesforce are configured: set SALES_OPERATOR_CRM to choose"
        )
    if wanted == "hubspot" or (hubspot and not wanted):
        from sales_operator.adapters.hubspot import HubSpotCRM

        deps.crm = HubSpotCRM.from_env(deps.crm, values)
        used.append("hubspot")
    elif wanted == "salesforce" or (salesforce and not wanted):
        from sales_operator.adapters.salesforce import SalesforceCRM

        deps.crm = SalesforceCRM.from_env(deps.crm, values)
        used.append("salesforce")
    if values.get("MSGRAPH_ACCESS_TOKEN"):
        from sales_operator.adapters.msgraph import GraphCalendar, GraphClient, GraphDraftMailer

        client = GraphClient.from_env(values)
        assert client is not None
        deps.mailer = GraphDraftMailer(client, sender=client.user)
        deps.calendar = GraphCalendar(client)
        used += ["msgraph_mail", "msgraph_calendar"]
    if values.get("GMAIL_SENDER"):
        from sales_operator.adapters.google import GmailDraftMailer

        gmail = GmailDraftMailer.from_env(values)
        assert gmail is not None
        deps.mailer = gmail
        used.append("gmail")
    if values.get("GOOGLE_CALENDAR_ID"):
        from sales_operator.adapters.google import GoogleCalendar

        calendar = GoogleCalendar.from_env(values)
        assert calendar is not None
        deps.calendar = calendar
        used.append("google_calendar")
    return used

"""Generative Research: grounded, sectioned account briefs from documents, CRM and the web."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sales_operator._lazy import lazy_exports

__all__ = [
    "BriefDraft",
    "DraftClaim",
    "FolderDocuments",
    "ReusableClaim",
    "TavilySearch",
    "WebResearch",
    "account_slug",
    "customer_safe_claims",
    "render_markdown",
    "research_account",
    "write_brief",
]

# Each name loads on first use, so importing the package stays light (no xgboost, no graph).
__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "sales_operator.research.brief": (
            "BriefDraft",
            "DraftClaim",
            "write_brief",
        ),
        "sales_operator.research.documents": (
            "FolderDocuments",
            "account_slug",
        ),
        "sales_operator.research.render": ("render_markdown",),
        "sales_operator.research.reuse": (
            "ReusableClaim",
            "customer_safe_claims",
        ),
        "sales_operator.research.run": ("research_account",),
        "sales_operator.research.tavily": ("TavilySearch",),
        "sales_operator.research.web": ("WebResearch",),
    },
)

if TYPE_CHECKING:
    from sales_operator.research.brief import BriefDraft, DraftClaim, write_brief
    from sales_operator.research.documents import FolderDocuments, account_slug
    from sales_operator.research.render import render_markdown
    from sales_operator.research.reuse import ReusableClaim, customer_safe_claims
    from sales_operator.research.run import research_account
    from sales_operator.research.tavily import TavilySearch
    from sales_operator.research.web import WebResearch

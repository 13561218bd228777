"""Generative Research: grounded, sectioned account briefs from documents, CRM and the web."""

from __future__ import annotations

from sales_operator.research.brief import BriefDraft, DraftClaim, write_brief
from sales_operator.research.documents import FolderDocuments, account_slug
from sales_operator.research.render import render_markdown
from sales_operator.research.reuse import ReusableClaim, customer_safe_claims
from sales_operator.research.run import research_account
from sales_operator.research.tavily import TavilySearch
from sales_operator.research.web import WebResearch

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

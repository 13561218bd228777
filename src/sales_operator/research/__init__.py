"""Generative Research: account documents, web search and cited account briefs."""

from __future__ import annotations

from sales_operator.research.brief import BriefDraft, DraftClaim, write_brief
from sales_operator.research.documents import FolderDocuments, account_slug
from sales_operator.research.tavily import TavilySearch

__all__ = [
    "BriefDraft",
    "DraftClaim",
    "FolderDocuments",
    "TavilySearch",
    "account_slug",
    "write_brief",
]

"""One call that researches an account from every configured source and writes its brief."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

from sales_operator.adapters.base import (
    CRMReader,
    Document,
    DocumentStore,
    HistoryRecord,
    Search,
    SearchResult,
)
from sales_operator.errors import AdapterError
from sales_operator.llm import LLM
from sales_operator.policy import Policy
from sales_operator.progress import report_progress
from sales_operator.research.brief import BriefPurpose, write_brief
from sales_operator.research.documents import FolderDocuments
from sales_operator.research.sources import SimilarDealsReader
from sales_operator.research.web import WebResearch
from sales_operator.state import Account, AccountBrief, Contact, Lead

logger = logging.getLogger(__name__)


def research_account(
    *,
    account: Account,
    contacts: list[Contact],
    lead: Lead | None,
    crm: CRMReader | None,
    documents: DocumentStore | None,
    search: Search | None,
    llm: LLM,
    policy: Policy,
    now: datetime,
    as_of: date | None = None,
    domain: str | None = None,
    web: bool = True,
    purpose: BriefPurpose = "prep",
    deal_context: dict[str, object] | None = None,
    web_cache_dir: str | Path | None = None,
) -> AccountBrief:
    """Gather documents, CRM history, similar accounts' losses and the web; write the brief.

    Nothing here raises for a missing source: a missing folder, unreadable files, a CRM or
    web error are reported in the brief's `missing` (and a web error in its `engine`). Web
    answers are cached in the policy's `research.web_cache_dir`, else in `web_cache_dir`.
    """
    settings = policy.research
    day = as_of or now.date()
    missing: list[str] = []
    docs: list[Document] = []
    report_progress("research", 0, 4, "reading the account's documents")
    if documents is not None:
        if isinstance(documents, FolderDocuments):
            docs, warnings = documents.read(account)
            missing += warnings
        else:
            docs = documents.documents_for(account)
    history: list[HistoryRecord] = []
    similar: list[HistoryRecord] = []
    report_progress("research", 1, 4, "reading the CRM history")
    if crm is not None and account.id:
        try:
            history = crm.account_history(account.id)
            if isinstance(crm, SimilarDealsReader) and purpose == "prep":
                similar = crm.similar_lost_deals(account.id)
        except AdapterError as err:
            logger.warning("CRM history for %s failed: %s", account.name, err)
            missing.append(f"CRM history unavailable ({err})")
    results: list[SearchResult] = []
    searches = 0
    note = None
    report_progress("research", 2, 4, "searching the web")
    if web and search is not None and purpose == "prep":
        findings = WebResearch(
            search,
            cache_dir=settings.web_cache_dir or web_cache_dir,
            max_results=settings.web_results,
        ).research(account, settings.product_profile, as_of=day, domain=domain)
        results, searches = findings.results, findings.searches
        if findings.error:
            note = f"web search failed: {findings.error}"
            missing.append("web results (search failed)")
    report_progress("research", 3, 4, "writing the cited brief")
    brief = write_brief(
        account=account,
        contacts=contacts,
        lead=lead,
        documents=docs,
        history=history,
        web=results,
        llm=llm,
        now=now,
        purpose=purpose,
        deal_context=dict(deal_context) if deal_context else None,
        similar=similar,
        settings=settings,
        as_of=day,
        official_domain=domain,
        searches=searches,
        missing=missing,
        engine_note=note,
    )
    report_progress("research", 4, 4, "brief written")
    return brief

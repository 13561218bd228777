"""Web research for a brief: targeted queries, official-domain grounding, a cache.

`WebResearch` runs several queries per account through any `Search` (Tavily's in
production): overview, recent news, leadership changes, hiring for the roles the product
serves, launches and funding. Results are kept only when they are about the account (their
host is the official domain, or they name the account) and are not local listings (opening
hours, store locators, reviews); pages on the official domain rank first, then by the
provider's score. The best pages are extracted whole when the search can `extract`.

Answers are cached on disk, keyed by operation, query and as-of date; only searches that
reach the provider are counted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sales_operator.adapters.base import Search, SearchResult
from sales_operator.errors import AdapterError
from sales_operator.policy import ProductProfile
from sales_operator.research.sources import host_of
from sales_operator.research.text import find_dates, normalise
from sales_operator.state import Account

logger = logging.getLogger(__name__)

QUERIES: dict[str, str] = {
    "overview": "{name} company overview",
    "news": "{name} news",
    "leadership": "{name} appoints chief executive officer leadership change",
    "hiring": "{name} hiring {roles}",
    "launches": "{name} launches new expansion",
    "funding": "{name} funding acquisition",
}
"""The queries run per account (`{name}`: the account, `{roles}`: the profile's buyer roles)."""

_LISTING = re.compile(
    r"opening hours|store hours|hours of operation|store locator|near me|directions to|"
    r"locations? near|\breviews?\b|yelp\.com|maps\.google|tripadvisor|/locations?/|/stores?/",
    re.I,
)


@dataclass
class WebFindings:
    """What the web gave one brief."""

    results: list[SearchResult] = field(default_factory=list)
    """Kept results (extracted pages carry their whole text), best first."""
    searches: int = 0
    """Searches that reached the provider (cache hits not counted)."""
    cached: int = 0
    """Answers served from the cache."""
    rejected: dict[str, int] = field(default_factory=dict)
    """Results left out, by reason (`not_about_account`, `listing`, `after_as_of`)."""
    error: str | None = None
    """The provider's error, when one stopped the web research."""


def about_account(hit: SearchResult, account: Account, official_host: str) -> bool:
    """Return True when `hit` is on the official domain or names the account in full."""
    host = host_of(hit.url)
    if official_host and (host == official_host or host.endswith("." + official_host)):
        return True
    name = normalise(account.name).lower()
    text = normalise(f"{hit.title} {hit.content[:3000]}").lower()
    return (
        bool(name) and re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", text) is not None
    )


class WebResearch:
    """Several targeted searches per account, filtered, ranked and cached."""

    def __init__(
        self,
        search: Search,
        *,
        cache_dir: str | Path | None = None,
        max_results: int = 5,
        extract_top: int = 2,
    ) -> None:
        """Search with `search`; cache answers under `cache_dir` (None: no cache)."""
        self.search = search
        """The provider."""
        self.cache_dir = Path(cache_dir) if cache_dir else None
        """The on-disk cache, or None."""
        self.max_results = max_results
        """Results asked per query."""
        self.extract_top = extract_top
        """How many of the best pages are extracted whole."""

    def _key(self, operation: str, what: str, as_of: date) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(f"{operation}\n{what}\n{as_of.isoformat()}".encode()).hexdigest()
        return self.cache_dir / f"{digest[:32]}.json"

    def _cached(self, path: Path | None) -> Any:
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            logger.warning("web cache entry %s is unreadable; searching again", path)
            return None

    def _store(self, path: Path | None, value: Any) -> None:
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(value), encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half an entry

    def research(
        self, account: Account, profile: ProductProfile, *, as_of: date, domain: str | None = None
    ) -> WebFindings:
        """Run the queries for `account`; never raises for a provider error (see `error`)."""
        found = WebFindings()
        official = host_of(domain or account.domain or "")
        roles = " ".join(profile.buyer_roles[:3])
        seen: dict[str, SearchResult] = {}
        for name, template in QUERIES.items():
            query = template.format(name=account.name, roles=roles)
            path = self._key("search", query, as_of)
            cached = self._cached(path)
            if cached is not None:
                found.cached += 1
                hits = [SearchResult.model_validate(h) for h in cached]
            else:
                try:
                    hits = self.search.search(query, max_results=self.max_results)
                except AdapterError as err:
                    logger.warning("web search %r for %s failed: %s", name, account.name, err)
                    found.error = str(err)
                    break
                found.searches += 1
                self._store(path, [h.model_dump() for h in hits])
            for hit in hits:
                reason = self._reject(hit, account, official, as_of)
                if reason:
                    found.rejected[reason] = found.rejected.get(reason, 0) + 1
                elif hit.url not in seen:
                    seen[hit.url] = hit
        ranked = sorted(
            seen.values(),
            key=lambda h: (not _on(h.url, official), -(h.score or 0.0), h.url),
        )
        if found.error is None:
            ranked = self._extract(ranked, as_of, found)
        found.results = ranked
        return found

    def _reject(self, hit: SearchResult, account: Account, official: str, as_of: date) -> str:
        if not about_account(hit, account, official):
            return "not_about_account"
        if _LISTING.search(f"{hit.title} {hit.url}") and not _on(hit.url, official):
            return "listing"
        published = find_dates(hit.published_date or "")
        if published and published[0] > as_of:
            return "after_as_of"
        return ""

    def _extract(
        self, ranked: list[SearchResult], as_of: date, found: WebFindings
    ) -> list[SearchResult]:
        extract = getattr(self.search, "extract", None)
        urls = [h.url for h in ranked[: self.extract_top]]
        if extract is None or not urls:
            return ranked
        path = self._key("extract", "\n".join(urls), as_of)
        pages = self._cached(path)
        if pages is None:
            try:
                pages = extract(urls)
            except AdapterError as err:
                logger.warning("web extract failed: %s", err)
                return ranked
            self._store(path, pages)
        else:
            found.cached += 1
        out = []
        for hit in ranked:
            page = pages.get(hit.url) if isinstance(pages, dict) else None
            out.append(hit.model_copy(update={"content": page}) if page else hit)
        return out


def _on(url: str, official: str) -> bool:
    host = host_of(url)
    return bool(official) and (host == official or host.endswith("." + official))

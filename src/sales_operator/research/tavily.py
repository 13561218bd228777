"""Web search through Tavily, behind the `Search` protocol.

Vendor errors (from `tavily`, `requests` or `httpx`) are translated here, at the boundary:
timeouts, connection failures, rate limits and 5xx answers become `TransientAdapterError`
(worth retrying), everything else `PermanentAdapterError`.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from sales_operator.adapters.base import SearchResult
from sales_operator.errors import (
    AdapterError,
    ConfigurationError,
    InputError,
    PermanentAdapterError,
    TransientAdapterError,
)

ADAPTER = "tavily"
"""The adapter name carried by the errors."""

API_KEY_ENV = "TAVILY_API_KEY"
"""The environment variable holding the Tavily key."""

_TRANSIENT_TAVILY = {"UsageLimitExceededError", "TavilyKeylessLimitError", "TimeoutError"}
_TRANSIENT_STATUS = {408, 425, 429}


class SearchClient(Protocol):
    """What `TavilySearch` needs from `tavily.TavilyClient`."""

    def search(self, query: str, **kwargs: Any) -> Any:
        """Run one search; return the decoded JSON answer."""
        ...


class TavilySearch:
    """Search the web with Tavily (a `Search`)."""

    def __init__(
        self,
        api_key: str | None = None,
        client: SearchClient | None = None,
        *,
        search_depth: str = "basic",
        base_url: str | None = None,
    ) -> None:
        """Use `client`, or a `tavily.TavilyClient` built with `api_key` (or `TAVILY_API_KEY`).

        `base_url` points the client at another Tavily-compatible server (tests use a local
        one); None uses Tavily's.

        Raises:
            ConfigurationError: when no client is given and no key is set.
        """
        if client is None:
            key = api_key or os.environ.get(API_KEY_ENV)
            if not key:
                raise ConfigurationError(
                    f"TavilySearch needs an api_key or the {API_KEY_ENV} environment variable"
                )
            from tavily import TavilyClient

            client = TavilyClient(api_key=key, api_base_url=base_url)
        self.client = client
        """The vendor client."""
        self.search_depth = search_depth
        """Tavily's `search_depth` (`basic` costs one credit)."""

    @classmethod
    def from_env(cls) -> TavilySearch | None:
        """Return a search over `TAVILY_API_KEY`, or None when the variable is unset or empty."""
        key = os.environ.get(API_KEY_ENV, "").strip()
        return cls(api_key=key) if key else None

    def search(self, query: str, *, max_results: int = 5) -> list[SearchResult]:
        """Return up to `max_results` hits for `query`.

        Raises:
            InputError: for an empty query.
            TransientAdapterError: on timeouts, connection errors, rate limits and 5xx answers.
            PermanentAdapterError: on any other failure, or an answer of the wrong shape.
        """
        if not query.strip():
            raise InputError("search query is empty")
        try:
            answer = self.client.search(
                query, max_results=max_results, search_depth=self.search_depth
            )
        except AdapterError:
            raise
        except Exception as err:  # a vendor error of any kind, translated here
            raise translate_error(err) from err
        return parse_results(answer)[:max_results]

    def extract(self, urls: list[str]) -> dict[str, str]:
        """Return the full text of each page Tavily could extract, by URL.

        Raises:
            TransientAdapterError: on timeouts, connection errors, rate limits and 5xx answers.
            PermanentAdapterError: on any other failure, or an answer of the wrong shape.
        """
        if not urls:
            return {}
        extract = getattr(self.client, "extract", None)
        if extract is None:
            return {}
        try:
            answer = extract(urls)
        except AdapterError:
            raise
        except Exception as err:  # a vendor error of any kind, translated here
            raise translate_error(err) from err
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
            raise PermanentAdapterError(
                "unexpected extract answer (expected a mapping with a 'results' list)",
                adapter=ADAPTER,
                operation="extract",
            )
        pages: dict[str, str] = {}
        for page in answer["results"]:
            if isinstance(page, dict) and page.get("url") and page.get("raw_content"):
                pages[str(page["url"])] = str(page["raw_content"])
        return pages


def parse_results(answer: Any) -> list[SearchResult]:
    """Turn Tavily's answer (`{"results": [{title, url, content, score}, ...]}`) into results.

    Hits without a URL or without content are skipped.

    Raises:
        PermanentAdapterError: when the answer is not of that shape.
    """
    if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
        raise PermanentAdapterError(
            f"unexpected answer (expected a mapping with a 'results' list, got "
            f"{type(answer).__name__})",
            adapter=ADAPTER,
            operation="search",
        )
    results: list[SearchResult] = []
    for hit in answer["results"]:
        if not isinstance(hit, dict):
            continue
        url = str(hit.get("url") or "").strip()
        content = str(hit.get("content") or "").strip()
        if not url or not content:
            continue
        score = hit.get("score")
        published = hit.get("published_date")
        results.append(
            SearchResult(
                title=str(hit.get("title") or url).strip(),
                url=url,
                content=content,
                score=float(score) if isinstance(score, int | float) else None,
                published_date=str(published) if published else None,
            )
        )
    return results


def _status_of(err: Exception) -> int | None:
    response = getattr(err, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def translate_error(err: Exception) -> AdapterError:
    """Return the adapter error for a vendor error raised by a search."""
    message = f"{type(err).__name__}: {err}"
    transient = False
    module = type(err).__module__ or ""
    if module.startswith("tavily"):
        transient = type(err).__name__ in _TRANSIENT_TAVILY
    elif module.startswith(("requests", "urllib3")):
        import requests

        if isinstance(err, requests.HTTPError):
            status = _status_of(err)
            transient = status is not None and (status >= 500 or status in _TRANSIENT_STATUS)
        else:
            transient = isinstance(err, requests.ConnectionError | requests.Timeout)
    elif module.startswith(("httpx", "httpcore")):
        import httpx

        if isinstance(err, httpx.HTTPStatusError):
            status = err.response.status_code
            transient = status >= 500 or status in _TRANSIENT_STATUS
        else:
            transient = isinstance(err, httpx.TransportError)
    elif isinstance(err, TimeoutError | ConnectionError):
        transient = True
    cls = TransientAdapterError if transient else PermanentAdapterError
    return cls(message, adapter=ADAPTER, operation="search")

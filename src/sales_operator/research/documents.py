"""Account documents kept in a folder, one sub-folder per account.

```text
<root>/
  northwind-logistics/            # the account's slug
    press-release-2026-10-expansion.md
    annual-report-2025-excerpt.md
```

The slug comes from the account's domain (`northwind-logistics.com` -> `northwind-logistics`)
or, without a domain or a folder for it, from the account's name (`Northwind Logistics` ->
`northwind-logistics`).
"""

from __future__ import annotations

import logging
import re
from datetime import date
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

from sales_operator.adapters.base import Document
from sales_operator.errors import ConfigurationError, DataError
from sales_operator.research.text import find_dates
from sales_operator.state import Account

logger = logging.getLogger(__name__)

DOCUMENT_SUFFIXES: tuple[str, ...] = (".md", ".txt", ".html", ".htm")
"""File types read as account documents."""

MAX_DOCUMENT_BYTES = 5_000_000
"""Larger files are skipped with a warning (the policy's `research.max_document_bytes`)."""

_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def slugify(text: str) -> str:
    """Return `text` in lower case with every run of other characters turned into one `-`."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def domain_slug(domain: str) -> str:
    """Return the slug of a web domain: `www.northwind-logistics.com` -> `northwind-logistics`."""
    host = domain.strip().lower()
    host = re.sub(r"^[a-z]+://", "", host).split("/", 1)[0]
    if host.startswith("www."):
        host = host[4:]
    return slugify(host.split(".", 1)[0])


def account_slugs(account: Account) -> list[str]:
    """Return the folder names that may hold `account`'s documents, the domain's first."""
    slugs: list[str] = []
    for slug in (domain_slug(account.domain) if account.domain else "", slugify(account.name)):
        if slug and slug not in slugs:
            slugs.append(slug)
    return slugs


def account_slug(account: Account) -> str:
    """Return the preferred folder name for `account`'s documents."""
    slugs = account_slugs(account)
    if not slugs:
        raise DataError(f"account {account.id!r} has neither a usable domain nor a usable name")
    return slugs[0]


def document_title(text: str, fallback: str) -> str:
    """Return the first `# ` heading of `text`, or `fallback` when it has none."""
    match = _HEADING.search(text)
    return match.group(1).strip() if match else fallback


class _TextOfHTML(HTMLParser):
    """Collect the visible text of an HTML page, one block element per line."""

    _BLOCKS = frozenset(
        "p div br li tr h1 h2 h3 h4 h5 h6 section article header footer title td th".split()
    )
    _HIDDEN = frozenset(("script", "style", "noscript", "template", "head"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._hidden = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        if tag == "title":
            self._in_title = True
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self._hidden:
            self._hidden -= 1
        if tag == "title":
            self._in_title = False
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._hidden:
            self.parts.append(data)


def html_text(html: str) -> tuple[str, str]:
    """Return the visible text of `html` (one block per line) and its `<title>`."""
    parser = _TextOfHTML()
    parser.feed(html)
    parser.close()
    lines = [
        re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parser.parts).split("\n")
    ]
    return "\n".join(line for line in lines if line), parser.title.strip()


def document_date(name: str, text: str) -> date | None:
    """Return the date in the file `name` (`8k-2023-07-17.txt`), else the first in `text`."""
    found = find_dates(name, month_only=True)
    if found:
        return found[0]
    head = find_dates(text[:2000])
    return head[0] if head else None


class FolderDocuments:
    """Read account documents from `<root>/<account-slug>/` (a `DocumentStore`).

    Files are txt, md or html; each gets a date from its name or, failing that, from the first
    date in its text. Binary, non-UTF-8, empty and oversized files are skipped, and named in
    `warnings_for`.
    """

    def __init__(self, root: Path | str, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> None:
        """Serve the documents under `root`.

        Raises:
            ConfigurationError: when `root` exists and is not a folder.
        """
        self.root = Path(root)
        """The documents folder."""
        self.max_bytes = max_bytes
        """Files larger than this are skipped."""
        if self.root.exists() and not self.root.is_dir():
            raise ConfigurationError(f"documents root {self.root} is not a folder")

    @classmethod
    def bundled(cls) -> FolderDocuments:
        """Return the store over the documents shipped with the package (`data/documents`)."""
        folder = resources.files("sales_operator").joinpath("data/documents")
        return cls(Path(str(folder)))

    def folder_for(self, account: Account) -> Path | None:
        """Return the folder holding `account`'s documents, or None when there is none.

        The account's own sub-folder (by slug) comes first; a root that holds documents
        itself (a folder given for one account, as `--docs DIR` does) serves any account.
        """
        if not self.root.is_dir():
            return None
        for slug in account_slugs(account):
            folder = self.root / slug
            if folder.is_dir():
                return folder
        if any(p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES for p in self.root.iterdir()):
            return self.root
        return None

    def documents_for(self, account: Account) -> list[Document]:
        """Return the readable documents about `account`, sorted by file name."""
        return self.read(account)[0]

    def warnings_for(self, account: Account) -> list[str]:
        """Return what could not be read for `account` (missing folder, skipped files)."""
        return self.read(account)[1]

    def read(self, account: Account) -> tuple[list[Document], list[str]]:
        """Return `account`'s documents and the warnings about what was skipped.

        Never raises for a bad file: a binary, non-UTF-8, empty or oversized file is skipped
        and named in the warnings.
        """
        warnings: list[str] = []
        if not self.root.exists():
            return [], [f"documents folder {self.root} does not exist"]
        folder = self.folder_for(account)
        if folder is None:
            return [], [f"no documents for {account.name} under {self.root}"]
        documents: list[Document] = []
        for path in sorted(folder.iterdir()):
            if not path.is_file():
                continue
            if path.suffix.lower() not in DOCUMENT_SUFFIXES:
                warnings.append(f"skipped {path.name}: not a txt, md or html file")
                continue
            size = path.stat().st_size
            if size > self.max_bytes:
                warnings.append(f"skipped {path.name}: {size:,} bytes, over {self.max_bytes:,}")
                continue
            raw = path.read_bytes()
            if b"\x00" in raw[:8192]:
                warnings.append(f"skipped {path.name}: binary file")
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                warnings.append(f"skipped {path.name}: not UTF-8 text")
                continue
            if not text.strip():
                warnings.append(f"skipped {path.name}: empty")
                continue
            fallback = path.stem
            title = ""
            if path.suffix.lower() in (".html", ".htm"):
                text, title = html_text(text)
            documents.append(
                Document(
                    path=path.as_posix(),
                    title=title or document_title(text, fallback),
                    text=text,
                    date=document_date(path.name, text),
                )
            )
        for warning in warnings:
            logger.warning("documents for %s: %s", account.name, warning)
        return documents, warnings

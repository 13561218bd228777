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

import re
from importlib import resources
from pathlib import Path

from sales_operator.adapters.base import Document
from sales_operator.errors import ConfigurationError, DataError
from sales_operator.state import Account

DOCUMENT_SUFFIXES: tuple[str, ...] = (".md", ".txt")
"""File types read as account documents."""

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


class FolderDocuments:
    """Read account documents from `<root>/<account-slug>/*.md|*.txt` (a `DocumentStore`)."""

    def __init__(self, root: Path | str) -> None:
        """Serve the documents under `root`.

        Raises:
            ConfigurationError: when `root` exists and is not a folder.
        """
        self.root = Path(root)
        """The documents folder."""
        if self.root.exists() and not self.root.is_dir():
            raise ConfigurationError(f"documents root {self.root} is not a folder")

    @classmethod
    def bundled(cls) -> FolderDocuments:
        """Return the store over the documents shipped with the package (`data/documents`)."""
        folder = resources.files("sales_operator").joinpath("data/documents")
        return cls(Path(str(folder)))

    def folder_for(self, account: Account) -> Path | None:
        """Return the folder holding `account`'s documents, or None when there is none."""
        for slug in account_slugs(account):
            folder = self.root / slug
            if folder.is_dir():
                return folder
        return None

    def documents_for(self, account: Account) -> list[Document]:
        """Return the documents about `account`, sorted by file name (none: an empty list).

        Raises:
            DataError: when a document is not UTF-8 text.
        """
        folder = self.folder_for(account)
        if folder is None:
            return []
        documents: list[Document] = []
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.suffix.lower() not in DOCUMENT_SUFFIXES:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as err:
                raise DataError(f"account document {path} is not UTF-8 text") from err
            if not text.strip():
                continue
            fallback = path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
            documents.append(
                Document(
                    path=path.relative_to(self.root).as_posix(),
                    title=document_title(text, fallback),
                    text=text,
                )
            )
        return documents

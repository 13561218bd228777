"""Deps: the live objects the operator works with, bound when the graph is built.

Nothing live ever goes into the state. `Deps.from_workspace(workdir)` builds them from a
workspace made by `sales-operator init` (your policy, your imported CRM records, your
documents), with the real services the environment configures. `Deps.offline(workdir)`
builds the embedded defaults in one folder (a SQLite CRM, an outbox, a Slack log, an invite
folder, a scoring model, the offline language engine); `Deps.from_env(workdir)` does the same
and then swaps in real services. The bundled sample CRM (the demo's fictional company) is
loaded only when asked for with `sample=True`.

Patterns receive `PatternDeps`, the read-only half; only the executor holds `Deps` itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from langchain_core.language_models import BaseChatModel

from sales_operator.adapters.base import (
    CRM,
    Calendar,
    CRMReader,
    DocumentStore,
    Mailer,
    Messenger,
    Search,
)
from sales_operator.authority import Authorize
from sales_operator.blobs import BlobStore
from sales_operator.errors import ConfigurationError
from sales_operator.llm import LLM
from sales_operator.policy import Policy, default_policy


@runtime_checkable
class Scorer(Protocol):
    """A trained conversion model (or the rules model below the data gate)."""

    version: str
    """Model version recorded with every score."""
    engine: str
    """`xgboost` or `rules`."""

    def predict(self, row: dict[str, Any]) -> Any:
        """Score one feature row; see `sales_operator.scoring`."""
        ...


@dataclass(frozen=True)
class PatternDeps:
    """What a pattern may use: read access and the language engine, no writers."""

    policy: Policy
    """The RevOps policy."""
    crm: CRMReader
    """Read-only CRM."""
    llm: LLM
    """The language engine (a chat model or the offline engine)."""
    documents: DocumentStore
    """Local account documents."""
    search: Search | None
    """Web search (Tavily) when configured."""
    scorer: Scorer
    """The scoring model."""
    blobs: BlobStore | None = None
    """The blob folder of long transcripts (None: they stay inline)."""


class ReadOnlyCRM:
    """A view of a CRM that exposes only the `CRMReader` methods."""

    _READS = (
        "get_account",
        "list_contacts",
        "get_deal",
        "get_lead",
        "list_reps",
        "open_deal_counts",
        "account_history",
        "similar_lost_deals",  # research: lost deals of similar accounts (when the CRM has it)
        "closed_deal_rows",
        "get_receipt",
        "audit_log",
        # constant-time reads, where the CRM has them (SQLiteCRM): round-robin, learned edits
        "recent_assignees",
        "last_assigned",
        "recent_edits",
    )

    def __init__(self, crm: CRMReader) -> None:
        """Wrap `crm`."""
        self._crm = crm

    def __getattr__(self, name: str) -> Any:
        if name in self._READS:
            return getattr(self._crm, name)
        raise AttributeError(
            f"{name!r} is not available to patterns: patterns propose actions, and only "
            "the execute_actions node writes"
        )


@dataclass
class Deps:
    """Every live object the operator uses; bound when the graph is built."""

    policy: Policy
    """The RevOps policy."""
    crm: CRM
    """The CRM (read and write)."""
    mailer: Mailer
    """Sends email."""
    messenger: Messenger
    """Posts Slack messages."""
    calendar: Calendar
    """Sends invites."""
    documents: DocumentStore
    """Local account documents."""
    llm: LLM
    """The language engine."""
    search: Search | None = None
    """Web search (Tavily) when configured."""
    scorer: Scorer | None = None
    """The scoring model; trained from the CRM's closed deals on first use when None."""
    workdir: Path | None = None
    """The working folder of the embedded stores."""
    blobs: BlobStore | None = None
    """The content-addressed folder that keeps long transcripts out of the checkpoints."""
    authorize: Authorize | None = None
    """Who may decide: `(reviewer, role, action_kind) -> identity`, raising `ApprovalError`;
    None: the CRM's reps and managers by role (`sales_operator.authority.crm_authorizer`)."""
    database_url: str | None = None
    """PostgreSQL for the CRM and the checkpoints (`Deps.postgres`); None: SQLite files."""

    def authorizer(self) -> Authorize:
        """Return the reviewer authoriser: the embedder's callback or the CRM's identities."""
        from sales_operator.authority import crm_authorizer

        return self.authorize or crm_authorizer(self.crm)

    def get_scorer(self) -> Scorer:
        """Return the scoring model, loading or training it on first use."""
        if self.scorer is None:
            from sales_operator.scoring.model import load_or_train_scorer

            model_dir = (self.workdir or Path(".sales-operator")) / "models"
            self.scorer = load_or_train_scorer(self.crm, self.policy, model_dir)
        return self.scorer

    def for_patterns(self) -> PatternDeps:
        """Return the read-only half that patterns receive."""
        return PatternDeps(
            policy=self.policy,
            crm=ReadOnlyCRM(self.crm),
            llm=self.llm,
            documents=self.documents,
            search=self.search,
            scorer=self.get_scorer(),
            blobs=self.blobs,
        )

    def checkpointer(self) -> Any:
        """Return LangGraph's checkpointer: PostgreSQL with a `database_url`, else SQLite."""
        from sales_operator.serde import sqlite_checkpointer

        if self.database_url:
            from sales_operator.postgres import postgres_checkpointer

            return postgres_checkpointer(self.database_url)
        if self.workdir is None:
            raise ConfigurationError("these Deps have no working folder for a checkpointer")
        return sqlite_checkpointer(self.workdir / "checkpoints.sqlite")

    @asynccontextmanager
    async def async_checkpointer(self) -> AsyncIterator[Any]:
        """Open LangGraph's async checkpointer, for `ainvoke`/`astream`.

        With a `database_url`, LangGraph's `AsyncPostgresSaver` on that database; otherwise
        its `AsyncSqliteSaver` on the same file as `checkpointer()` (`checkpoints.sqlite`).
        Either way a thread started with the sync saver can be resumed with the async one;
        the serializer is `serde.make_serializer()`, so our models round-trip. `ainvoke`/
        `astream` need it: the sync savers refuse async calls.

        ```python
        async with deps.async_checkpointer() as saver:
            graph = build_operator(deps, checkpointer=saver)
            await graph.ainvoke({"event": event}, {"configurable": {"thread_id": deal_id}})
        ```

        Yields:
            An `AsyncSqliteSaver` or `AsyncPostgresSaver`, set up; its connection closes when
            the block ends.

        Raises:
            ConfigurationError: when these Deps have neither a database nor a working folder.
        """
        if self.database_url:
            from sales_operator.postgres import async_postgres_checkpointer

            async with async_postgres_checkpointer(self.database_url) as pg_saver:
                yield pg_saver
            return
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        from sales_operator.serde import make_serializer

        if self.workdir is None:
            raise ConfigurationError("these Deps have no working folder for a checkpointer")
        path = self.workdir / "checkpoints.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(str(path)) as conn:
            await conn.execute("PRAGMA journal_mode=WAL")
            saver = AsyncSqliteSaver(conn, serde=make_serializer())
            await saver.setup()
            yield saver

    @classmethod
    def offline(
        cls,
        workdir: str | Path,
        *,
        policy: Policy | None = None,
        chat_model: BaseChatModel | None = None,
        sample: bool = False,
        database_url: str | None = None,
    ) -> Deps:
        """Build the embedded defaults in `workdir`: no key, no network.

        Creates (or reopens) `crm.sqlite`, `outbox/` for email, `slack.jsonl` for Slack
        messages, `invites/` for calendar invites and `models/` for the scoring model;
        documents come from the policy's `research.documents_dir`, else `workdir/documents/`
        (the bundled folder with `sample`). The offline language engine runs every
        language-model step unless `chat_model` is given.

        Args:
            workdir: The folder of the stores.
            policy: The RevOps policy (default: the bundled one).
            chat_model: A chat model for the language-model steps.
            sample: Load the bundled sample CRM (a fictional company's reps, accounts and
                closed-deal history) into an empty CRM, and use the bundled documents. For
                the demo and tests only: a new deal would be routed to fictional reps.
            database_url: Keep the CRM and the checkpoints in PostgreSQL instead of
                `crm.sqlite` and `checkpoints.sqlite` (see `Deps.postgres`).
        """
        from sales_operator.adapters.calendar import ICSCalendar
        from sales_operator.adapters.outbox import OutboxMailer
        from sales_operator.adapters.slack import SlackLogMessenger
        from sales_operator.adapters.sqlite_crm import SQLiteCRM
        from sales_operator.research.documents import FolderDocuments

        root = Path(workdir)
        root.mkdir(parents=True, exist_ok=True)
        policy = policy or default_policy()
        path = root / "crm.sqlite"
        docs_dir = policy.research.documents_dir
        if docs_dir:
            documents = FolderDocuments(
                Path(docs_dir).expanduser(), max_bytes=policy.research.max_document_bytes
            )
        elif sample:
            documents = FolderDocuments.bundled()
        else:
            documents = FolderDocuments(root / "documents")
        crm: CRM
        if database_url:
            from sales_operator.adapters.postgres_crm import PostgresCRM

            crm = PostgresCRM.open_seeded(database_url) if sample else PostgresCRM(database_url)
        else:
            crm = SQLiteCRM.open_seeded(path) if sample else SQLiteCRM(path)
        return cls(
            policy=policy,
            crm=crm,
            mailer=OutboxMailer(root / "outbox"),
            messenger=SlackLogMessenger(
                root / "slack.jsonl", allow_mentions=policy.contracts.slack_mentions
            ),
            calendar=ICSCalendar(root / "invites"),
            documents=documents,
            llm=LLM(chat_model),
            workdir=root,
            blobs=BlobStore(root / "blobs"),
            database_url=database_url,
        )

    @classmethod
    def postgres(
        cls,
        database_url: str,
        workdir: str | Path,
        *,
        policy: Policy | None = None,
        chat_model: BaseChatModel | None = None,
        sample: bool = False,
    ) -> Deps:
        """Build the offline defaults with the CRM and the checkpoints in PostgreSQL.

        The CRM, the audit log, the receipts and the per-deal leases (advisory locks) live
        in `PostgresCRM`; `checkpointer()` returns LangGraph's `PostgresSaver`. Many worker
        processes, on many hosts, may share one database. `workdir` still holds the files
        of this worker (outbox, Slack log, invites, blobs, models). Needs the `postgres` extra.

        Args:
            database_url: A libpq URL (`postgresql://user:pass@host:5432/db`).
            workdir: The worker's folder.
            policy: The RevOps policy (default: the bundled one).
            chat_model: A chat model for the language-model steps.
            sample: Load the bundled sample CRM into an empty database (demo and tests).
        """
        return cls.offline(
            workdir,
            policy=policy,
            chat_model=chat_model,
            sample=sample,
            database_url=database_url,
        )

    @classmethod
    def from_workspace(
        cls,
        workdir: str | Path,
        *,
        policy: Policy | None = None,
        chat_model: BaseChatModel | None = None,
        use_env: bool = True,
    ) -> Deps:
        """Build the deps of a workspace made by `sales-operator init` (or `init_workspace`).

        The policy is the workspace's `policy.yaml`, the CRM its `crm.sqlite` (your imported
        records, never the sample), the documents its `documents/` folder. With `use_env`,
        the environment's keys switch on real services as in `from_env`.

        Args:
            workdir: The workspace folder.
            policy: Use this policy instead of the workspace's `policy.yaml`.
            chat_model: A chat model for the language-model steps (wins over the environment).
            use_env: Read API keys and service settings from the environment.

        Raises:
            ConfigurationError: when `workdir` is not a workspace.
            PolicyError: when its `policy.yaml` is invalid.
        """
        from sales_operator.policy import load_policy
        from sales_operator.workspace import require_workspace

        root = require_workspace(workdir)
        policy = policy or load_policy(root / "policy.yaml")
        if use_env:
            deps = cls.from_env(root, policy=policy)
            if chat_model is not None:
                deps.llm = LLM(chat_model)
            return deps
        return cls.offline(root, policy=policy, chat_model=chat_model)

    @classmethod
    def from_env(
        cls, workdir: str | Path, *, policy: Policy | None = None, sample: bool = False
    ) -> Deps:
        """Build the embedded defaults, then use the real services the environment configures.

        `SALES_OPERATOR_MODEL` (an `init_chat_model` spec) or `OPENAI_API_KEY` selects a chat
        model; `TAVILY_API_KEY` turns on web search; `SMTP_HOST` (with `SMTP_PORT`,
        `SMTP_USERNAME`, `SMTP_PASSWORD`, `SMTP_FROM`) sends email over SMTP;
        `SLACK_WEBHOOK_URL` posts to Slack; `SALES_OPERATOR_DATABASE_URL` keeps the CRM and
        the checkpoints in PostgreSQL (`Deps.postgres`). `sample` is as in `offline`.
        """
        from sales_operator.adapters.outbox import SMTPMailer
        from sales_operator.adapters.slack import SlackWebhookMessenger
        from sales_operator.llm import load_chat_model, model_spec_from_env
        from sales_operator.postgres import database_url_from_env
        from sales_operator.research.tavily import TavilySearch

        deps = cls.offline(
            workdir, policy=policy, sample=sample, database_url=database_url_from_env()
        )
        spec = model_spec_from_env()
        if spec:
            deps.llm = LLM(load_chat_model(spec), name=spec)
        deps.search = TavilySearch.from_env()
        smtp = SMTPMailer.from_env(Path(workdir) / "smtp-ledger")
        if smtp is not None:
            deps.mailer = smtp
        slack = SlackWebhookMessenger.from_env(Path(workdir) / "slack-webhook-ledger.jsonl")
        if slack is not None:
            slack.allow_mentions = deps.policy.contracts.slack_mentions
            deps.messenger = slack
        from sales_operator.adapters.connectors import apply_connectors

        apply_connectors(deps)  # HubSpot/Salesforce, Gmail/Outlook drafts, calendars
        return deps

"""Generative Research: documents, Tavily mapping, cited briefs, and the pattern subgraph."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import tavily.errors
from langchain_core.messages import AIMessage

from sales_operator.adapters.base import (
    CRMReader,
    Document,
    DocumentStore,
    HistoryRecord,
    Search,
    SearchResult,
)
from sales_operator.adapters.fakes import InMemoryCRM, StaticSearch, fake_pattern_deps
from sales_operator.deps import PatternDeps
from sales_operator.errors import (
    ConfigurationError,
    DataError,
    InputError,
    PermanentAdapterError,
    TransientAdapterError,
)
from sales_operator.llm import LLM
from sales_operator.patterns import research as research_pattern
from sales_operator.research import FolderDocuments, TavilySearch, account_slug, write_brief
from sales_operator.research.brief import MAX_CLAIMS, split_sentences
from sales_operator.state import (
    Account,
    AccountBrief,
    Assignment,
    BriefClaim,
    Citation,
    Commitment,
    Deal,
    DealState,
    Event,
    Insight,
    Lead,
    MeetingInsights,
    Quote,
    TrackerHit,
)
from tests.conftest import FakeToolModel
from tests.seed import ACCOUNT, DANA, MARCUS

NOW = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)

CONTACTS = [DANA, MARCUS]
LEAD = Lead(
    id="L-5001",
    contact_id="C-DW",
    source="demo_request",
    created_at=NOW,
    signals={"pages_visited": 7, "pricing_page_visits": 2, "demo_requested": True},
)
HISTORY = [
    HistoryRecord(
        ref="crm:activity/3",
        kind="activity",
        at=datetime(2025, 6, 12, tzinfo=UTC),
        title="Webinar attended",
        text="Dana Whitfield attended the webinar 'Cutting empty miles with live routing'.",
    ),
    HistoryRecord(
        ref="crm:deal/D-1450",
        kind="deal",
        at=datetime(2025, 9, 18, tzinfo=UTC),
        title="Deal D-1450 closed lost",
        text="Route Planner pilot, 30,000 USD. Lost to RouteMax on price.",
    ),
    HistoryRecord(
        ref="crm:activity/9",
        kind="activity",
        at=datetime(2026, 10, 20, tzinfo=UTC),
        title="Content download",
        text="Dana Whitfield downloaded the Route optimisation ROI guide.",
    ),
]
WEB = [
    SearchResult(
        title="Northwind Logistics opens Ohio hub",
        url="https://news.example.com/northwind-ohio",
        content="Northwind Logistics will open its new Ohio distribution centre in early 2027, "
        "adding 40 trucks to its regional fleet.",
        score=0.9,
    )
]


def fake_llm(name: str, args: dict[str, Any]) -> LLM:
    message = AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": "1"}])
    return LLM(FakeToolModel(messages=iter([message])), name="fake")


class HistoryCountingCRM(InMemoryCRM):
    """The shipped in-memory CRM, also noting whose history the pattern read."""

    def __init__(self) -> None:
        super().__init__(
            accounts=[ACCOUNT],
            contacts=CONTACTS,
            leads=[LEAD],
            history={ACCOUNT.id: HISTORY},
            account_of={contact.id: ACCOUNT.id for contact in CONTACTS},
        )
        self.history_calls: list[str] = []

    def account_history(self, account_id: str) -> list[HistoryRecord]:
        self.history_calls.append(account_id)
        return super().account_history(account_id)


def make_deps(
    *, search: Search | None = None, llm: LLM | None = None, crm: InMemoryCRM | None = None
) -> PatternDeps:
    crm = crm or HistoryCountingCRM()
    assert isinstance(crm, CRMReader)
    # Research never scores: the default rules scorer is never called.
    return fake_pattern_deps(crm=crm, llm=llm, documents=FolderDocuments.bundled(), search=search)


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- documents


def test_bundled_documents_for_northwind() -> None:
    store = FolderDocuments.bundled()
    assert isinstance(store, DocumentStore)
    docs = store.documents_for(ACCOUNT)
    paths = [d.path for d in docs]
    assert paths == [
        "northwind-logistics/annual-report-2025-excerpt.md",
        "northwind-logistics/news-2026-08-new-cro.md",
        "northwind-logistics/press-release-2026-10-expansion.md",
    ]
    titles = {d.path.split("/")[1]: d.title for d in docs}
    assert titles["news-2026-08-new-cro.md"] == (
        "Marcus Chen joins Northwind Logistics as Chief Revenue Officer"
    )
    text = " ".join(norm(d.text) for d in docs)
    for fact in ("Ohio, Georgia and Texas", "from 220 to 300 trucks", "91%", "97%", "180 million"):
        assert fact in text


def test_bundled_store_has_another_account_by_name() -> None:
    # cascadecoldchain.com has no folder; the name's slug (cascade-cold-chain) does
    other = Account(id="A-CCC", name="Cascade Cold Chain", domain="cascadecoldchain.com")
    docs = FolderDocuments.bundled().documents_for(other)
    assert [d.path for d in docs] == ["cascade-cold-chain/news-2026-09-second-depot.md"]
    assert docs[0].title == "Cascade Cold Chain plans a second depot as grocery volumes grow"


def test_folder_documents_slugs_titles_and_errors(tmp_path: Path) -> None:
    (tmp_path / "acme-trucking").mkdir()
    (tmp_path / "acme-trucking" / "notes_2026.txt").write_text("No heading here.\nSecond line.")
    (tmp_path / "acme-trucking" / "b.md").write_text("intro\n# Real title\nbody")
    (tmp_path / "acme-trucking" / "image.png").write_bytes(b"\x89PNG")
    store = FolderDocuments(tmp_path)
    # no domain: the name's slug; a domain without a folder falls back to the name too
    for account in (
        Account(id="A1", name="Acme Trucking"),
        Account(id="A1", name="Acme Trucking", domain="https://www.acme.io/about"),
    ):
        docs = store.documents_for(account)
        assert [(d.path, d.title) for d in docs] == [
            ("acme-trucking/b.md", "Real title"),
            ("acme-trucking/notes_2026.txt", "Notes 2026"),
        ]
    assert account_slug(Account(id="A2", name="X", domain="www.Northwind-Logistics.com")) == (
        "northwind-logistics"
    )
    assert store.documents_for(Account(id="A3", name="Nobody Inc")) == []
    assert FolderDocuments(tmp_path / "missing").documents_for(ACCOUNT) == []
    (tmp_path / "acme-trucking" / "bad.md").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(DataError, match="bad.md"):
        store.documents_for(Account(id="A1", name="Acme Trucking"))
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigurationError):
        FolderDocuments(tmp_path / "file")


def test_split_sentences_keeps_abbreviations_and_drops_headings() -> None:
    text = "# Title\n\nMr. Chen joined Acme Inc. in 2024. Revenue grew 9%.\n- A bullet point here\n"
    assert split_sentences(text) == [
        "Mr. Chen joined Acme Inc. in 2024.",
        "Revenue grew 9%.",
        "A bullet point here",
    ]


# --------------------------------------------------------------------------- tavily


class FakeTavilyClient:
    def __init__(self, answer: Any = None, error: Exception | None = None) -> None:
        self.answer = answer
        self.error = error
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def search(self, query: str, **kwargs: Any) -> Any:
        self.calls.append((query, kwargs))
        if self.error is not None:
            raise self.error
        return self.answer


def test_tavily_maps_results() -> None:
    client = FakeTavilyClient(
        {
            "query": "Northwind Logistics news",
            "results": [
                {"title": "A", "url": "https://a.example", "content": " Alpha ", "score": 0.8},
                {"title": "", "url": "https://b.example", "content": "Beta"},
                {"title": "No url", "url": "", "content": "skipped"},
                {"title": "No content", "url": "https://c.example", "content": ""},
                "not a dict",
            ],
        }
    )
    search = TavilySearch(client=client)
    assert isinstance(search, Search)
    results = search.search("Northwind Logistics news", max_results=3)
    assert client.calls == [
        ("Northwind Logistics news", {"max_results": 3, "search_depth": "basic"})
    ]
    assert results == [
        SearchResult(title="A", url="https://a.example", content="Alpha", score=0.8),
        SearchResult(title="https://b.example", url="https://b.example", content="Beta"),
    ]


def _response(status: int) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    return response


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (tavily.errors.UsageLimitExceededError("rate limited"), TransientAdapterError),
        (tavily.errors.TimeoutError(60), TransientAdapterError),
        (tavily.errors.InvalidAPIKeyError("bad key"), PermanentAdapterError),
        (tavily.errors.BadRequestError("bad query"), PermanentAdapterError),
        (tavily.errors.ForbiddenError("forbidden"), PermanentAdapterError),
        (requests.ConnectionError("refused"), TransientAdapterError),
        (requests.Timeout("slow"), TransientAdapterError),
        (requests.HTTPError("503", response=_response(503)), TransientAdapterError),
        (requests.HTTPError("404", response=_response(404)), PermanentAdapterError),
        (httpx.ConnectTimeout("slow"), TransientAdapterError),
        (
            httpx.HTTPStatusError(
                "401",
                request=httpx.Request("POST", "https://api.tavily.com/search"),
                response=httpx.Response(401),
            ),
            PermanentAdapterError,
        ),
        (ValueError("odd"), PermanentAdapterError),
    ],
)
def test_tavily_translates_errors(error: Exception, expected: type[Exception]) -> None:
    search = TavilySearch(client=FakeTavilyClient(error=error))
    with pytest.raises(expected) as info:
        search.search("Northwind Logistics news")
    assert info.value.adapter == "tavily" and info.value.operation == "search"  # type: ignore[attr-defined]
    assert info.value.__cause__ is error
    # the other class is not raised
    other = PermanentAdapterError if expected is TransientAdapterError else TransientAdapterError
    assert not isinstance(info.value, other)


def test_tavily_rejects_malformed_answers_and_empty_queries() -> None:
    with pytest.raises(PermanentAdapterError, match="results"):
        TavilySearch(client=FakeTavilyClient({"answer": "no results key"})).search("q")
    with pytest.raises(InputError):
        TavilySearch(client=FakeTavilyClient({"results": []})).search("  ")


def test_tavily_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAVILY_API_KEY", raising=False)
    assert TavilySearch.from_env() is None
    with pytest.raises(ConfigurationError, match="TAVILY_API_KEY"):
        TavilySearch()
    monkeypatch.setenv("TAVILY_API_KEY", "tvly-test")
    search = TavilySearch.from_env()
    assert search is not None
    assert type(search.client).__name__ == "TavilyClient"


# --------------------------------------------------------------------------- briefs


def _brief(**kwargs: Any) -> AccountBrief:
    values: dict[str, Any] = {
        "account": ACCOUNT,
        "contacts": CONTACTS,
        "lead": LEAD,
        "documents": FolderDocuments.bundled().documents_for(ACCOUNT),
        "history": HISTORY,
        "web": WEB,
        "llm": LLM(),
        "now": NOW,
    }
    values.update(kwargs)
    return write_brief(**values)


def test_offline_brief_cites_real_passages() -> None:
    docs = FolderDocuments.bundled().documents_for(ACCOUNT)
    brief = _brief(documents=docs)
    assert brief.engine == "offline:extractive"
    assert brief.purpose == "prep" and brief.dropped_claims == 0
    assert brief.written_at == NOW and brief.account_id == "A-NWL"
    assert [s.id for s in brief.sources] == [f"S{i}" for i in range(1, len(brief.sources) + 1)]
    by_id = {s.id: s for s in brief.sources}
    # only cited sources are kept, in reading order: documents, CRM history, web
    cited = {c for claim in brief.claims for c in claim.citations}
    assert cited == set(by_id)
    order = {"document": 0, "crm": 1, "web": 2}
    ranks = [order[s.kind] for s in brief.sources]
    assert ranks == sorted(ranks) and set(ranks) == {0, 1, 2}
    locations = {s.location for s in brief.sources}
    assert "crm:deal/D-1450" in locations
    assert "https://news.example.com/northwind-ohio" in locations
    assert 4 <= len(brief.claims) <= MAX_CLAIMS
    full_text = {d.path: d.text for d in docs}
    full_text |= {r.ref: r.text for r in HISTORY} | {w.url: w.content for w in WEB}
    for claim in brief.claims:
        assert claim.citations and all(c in by_id for c in claim.citations)
        source = by_id[claim.citations[0]]
        # each claim is a sentence taken from the source it cites (lightly trimmed)
        core = re.sub(r" \([A-Z][a-z]{2} \d{4}\)\.$", "", claim.text).rstrip(".…")
        core = core.split(": ", 1)[1] if claim.text.startswith("Deal ") else core
        assert norm(core) in norm(full_text[source.location]), claim.text
        assert source.snippet
    texts = " ".join(c.text for c in brief.claims)
    for fact in ("220 to 300 trucks", "91%", "cost per mile", "Marcus Chen", "RouteMax"):
        assert fact in texts, fact
    assert len({c.text for c in brief.claims}) == len(brief.claims)
    assert "Northwind Logistics" in brief.headline and "distribution centres" in brief.headline


def test_offline_brief_without_sources() -> None:
    brief = _brief(documents=[], history=[], web=[])
    assert brief.claims == [] and brief.sources == []
    assert "no documents" in brief.headline


def test_model_brief_drops_uncited_claims() -> None:
    llm = fake_llm(
        "BriefDraft",
        {
            "headline": "Northwind is adding 80 trucks and three distribution centres",
            "claims": [
                {"text": "Fleet grows from 220 to 300 trucks by mid-2027.", "citations": ["S3"]},
                {"text": "The CRO came from a 3PL.", "citations": ["[s2]", "S2"]},
                {"text": "Northwind plans an IPO.", "citations": []},
                {"text": "They use FleetPilot today.", "citations": ["S42"]},
                {"text": "Lost D-1450 to RouteMax.", "citations": ["S5", "S99"]},
            ],
        },
    )
    brief = _brief(llm=llm)
    assert brief.engine == "llm:fake"
    assert brief.dropped_claims == 3
    # the cited sources (the CRO news, the press release) are renumbered S1, S2
    assert [(c.text, c.citations) for c in brief.claims] == [
        ("Fleet grows from 220 to 300 trucks by mid-2027.", ["S2"]),
        ("The CRO came from a 3PL.", ["S1"]),
    ]
    assert [(s.id, s.location) for s in brief.sources] == [
        ("S1", "northwind-logistics/news-2026-08-new-cro.md"),
        ("S2", "northwind-logistics/press-release-2026-10-expansion.md"),
    ]
    assert brief.headline == "Northwind is adding 80 trucks and three distribution centres"
    assert "220 to 300 trucks" in brief.sources[1].snippet


def test_model_error_falls_back_to_offline() -> None:
    class Broken(FakeToolModel):
        def invoke(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("vendor down")

    brief = _brief(llm=LLM(Broken(messages=iter([])), name="broken"))
    assert brief.engine.startswith("offline:extractive")
    assert brief.claims


def _meeting() -> MeetingInsights:
    quote = Quote(speaker="Dana Whitfield", text="Our dispatchers spend three hours a day on it.")
    return MeetingInsights(
        call_id="call-2026-11-04",
        call_date=date(2026, 11, 4),
        pains=[
            Insight(
                kind="pain",
                text="Dispatchers spend about three hours a day building routes in spreadsheets",
                quote=quote,
            ),
            Insight(kind="pain", text="On-time rate stuck at 91%", quote=quote),
        ],
        objections=[Insight(kind="objection", text="Worried about driver adoption", quote=quote)],
        competitors=[TrackerHit(tracker="FleetPilot", kind="competitor", quote=quote)],
        commitments=[
            Commitment(
                owner="Sam Rivera",
                side="rep",
                text="Send the ROI model and pricing proposal",
                due=date(2026, 11, 6),
                quote=Quote(speaker="Sam Rivera", text="I'll send the ROI model by Friday."),
            )
        ],
        summary="Discovery call: routing is manual and on-time delivery is below target.",
        engine="offline:extractive",
    )


def test_handoff_brief_cites_the_meeting_and_prep_sources() -> None:
    prep = _brief()
    handoff = _brief(
        purpose="cs_handoff",
        now=datetime(2026, 12, 1, 17, tzinfo=UTC),
        web=[],
        deal_context={
            "deal": {
                "id": "D-2001",
                "name": "Northwind Logistics - Orbital Dispatch",
                "amount": 52000,
                "currency": "USD",
                "closed_at": "2026-12-01",
            },
            "meeting": _meeting().model_dump(mode="json"),
            "rep": {"id": "rep-sam", "name": "Sam Rivera"},
            "prep_brief": prep,
        },
    )
    assert handoff.purpose == "cs_handoff" and handoff.engine == "offline:extractive"
    by_location = {s.location: s for s in handoff.sources}
    meeting_source = by_location["crm:meeting/call-2026-11-04"]
    deal_source = by_location["crm:deal/D-2001"]
    assert meeting_source.kind == deal_source.kind == "crm"
    # prep sources carried over (including the web page the handoff did not search again)
    assert "https://news.example.com/northwind-ohio" in by_location
    cited = [c for claim in handoff.claims for c in claim.citations]
    assert deal_source.id in cited and meeting_source.id in cited
    texts = [c.text for c in handoff.claims]
    assert "52,000 USD" in texts[0] and "2026-12-01" in texts[0]
    assert any("three hours a day" in t for t in texts)
    assert any("FleetPilot" in t for t in texts)
    assert "Concern raised on the call: Worried about driver adoption." in texts
    assert any("ROI model" in t and "2026-11-06" in t for t in texts)
    # account claims keep pointing at the same passages after renumbering
    prep_locations = {s.id: s.location for s in prep.sources}
    new_ids = {s.location: s.id for s in handoff.sources}
    carried = [c for c in prep.claims if any(c.text == t for t in texts)]
    assert carried
    for claim in carried:
        twin = next(h for h in handoff.claims if h.text == claim.text)
        assert twin.citations == [new_ids[prep_locations[i]] for i in claim.citations]
    assert "52,000 USD" in handoff.headline and "three hours" in handoff.headline
    assert len({s.location for s in handoff.sources}) == len(handoff.sources)


def test_unknown_purpose_is_an_input_error() -> None:
    with pytest.raises(InputError, match="purpose"):
        _brief(purpose="sales")


# --------------------------------------------------------------------------- pattern


def _state(event_type: str, payload: dict[str, Any] | None = None, **extra: Any) -> DealState:
    return DealState(
        event=Event(type=event_type, at=NOW, payload=payload or {}),  # type: ignore[arg-type]
        event_id=f"D-2001:{event_type}:test",
        deal_id="D-2001",
        deal=Deal(id="D-2001", name="Northwind Logistics - Orbital Dispatch", amount=48000),
        lead=LEAD,
        account=ACCOUNT,
        contacts=CONTACTS,
        **extra,
    )


def _run(deps: PatternDeps, state: DealState) -> DealState:
    graph = research_pattern.build(deps).compile()
    return DealState.model_validate(graph.invoke(state))


def test_pattern_writes_the_brief_on_lead_created() -> None:
    search = StaticSearch(WEB)
    crm = HistoryCountingCRM()
    out = _run(make_deps(search=search, crm=crm), _state("lead_created"))
    assert search.queries == [("Northwind Logistics news", 5)]
    assert out.brief is not None and out.handoff is None
    assert out.engines["generative_research"] == "offline:extractive"
    assert any(s.kind == "web" for s in out.brief.sources)
    assert crm.history_calls == ["A-NWL"]


def test_pattern_without_search_and_with_a_failing_search() -> None:
    out = _run(make_deps(search=None), _state("lead_created"))
    assert out.brief is not None and all(s.kind != "web" for s in out.brief.sources)
    assert "generative_research.web_search" not in out.engines
    failing = StaticSearch(error=TransientAdapterError("429", adapter="t", operation="s"))
    out = _run(make_deps(search=failing), _state("lead_created"))
    assert out.brief is not None and out.brief.claims
    assert "failed" in out.engines["generative_research.web_search"]


@pytest.mark.parametrize(
    ("event_type", "payload"),
    [
        ("meeting_completed", {"call_id": "c1", "transcript": "x"}),
        ("activity_logged", {"kind": "reply"}),
        ("pipeline_review", {}),
        ("deal_closed", {"outcome": "lost", "reason": "budget"}),
    ],
)
def test_pattern_ignores_other_events(event_type: str, payload: dict[str, Any]) -> None:
    search = StaticSearch(WEB)
    state = _state(event_type, payload)
    out = _run(make_deps(search=search), state)
    assert out.brief is None and out.handoff is None and out.engines == {}
    assert search.queries == []


def test_pattern_writes_the_handoff_on_a_won_deal() -> None:
    prep = AccountBrief(
        account_id="A-NWL",
        headline="Northwind is growing",
        claims=[BriefClaim(text="Fleet grows from 220 to 300 trucks.", citations=["S1"])],
        sources=[
            Citation(
                id="S1",
                kind="document",
                title="Press release",
                location="northwind-logistics/press-release-2026-10-expansion.md",
                snippet="Fleet grows from 220 to 300 trucks.",
            )
        ],
        engine="offline:extractive",
        written_at=NOW,
    )
    search = StaticSearch(WEB)
    state = _state(
        "deal_closed",
        {"outcome": "won", "amount": 52000},
        brief=prep,
        meeting=_meeting(),
        assignment=Assignment(
            rep_id="rep-sam",
            rep_name="Sam Rivera",
            rule="territory and segment",
            reason="NA-East mid-market",
            assigned_at=NOW,
        ),
    )
    out = _run(make_deps(search=search), state)
    assert search.queries == []  # the handoff reuses the prep brief's web sources
    assert out.handoff is not None and out.handoff.purpose == "cs_handoff"
    assert out.brief == prep
    assert out.engines["generative_research.handoff"] == "offline:extractive"
    locations = {s.location for s in out.handoff.sources}
    assert {"crm:meeting/call-2026-11-04", "crm:deal/D-2001"} <= locations
    assert "52,000 USD" in out.handoff.claims[0].text
    assert "Sam Rivera" in out.handoff.claims[0].text
    assert any(c.text == "Fleet grows from 220 to 300 trucks." for c in out.handoff.claims)


def test_document_model_is_what_the_store_returns() -> None:
    docs = FolderDocuments.bundled().documents_for(ACCOUNT)
    assert all(isinstance(d, Document) and d.text.strip() for d in docs)


def test_pattern_honours_context_offline() -> None:
    from sales_operator.context import Context

    llm = fake_llm("BriefDraft", {"headline": "model", "claims": []})
    graph = research_pattern.build(make_deps(llm=llm)).compile()
    out = DealState.model_validate(
        graph.invoke(_state("lead_created"), context=Context(offline=True))
    )
    assert out.brief is not None and out.brief.engine == "offline:extractive"
    out = DealState.model_validate(graph.invoke(_state("lead_created")))
    assert out.brief is not None and out.brief.engine == "llm:fake"

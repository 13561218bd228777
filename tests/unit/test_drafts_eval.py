"""The drafts eval's generated deals and its rubric checks (the full run is `make evals`)."""

from __future__ import annotations

from evals.drafts import _quoted, generate_deals


def test_generated_deals_span_industries_and_zones_with_labels() -> None:
    deals = generate_deals()
    assert len(deals) >= 10
    assert len({d.industry for d in deals}) >= 10
    assert len({(d.country, d.contact_zone) for d in deals}) >= 8
    for deal in deals:
        assert [e["type"] for e in deal.events][0] == "lead_created"
        assert {"meeting_completed", "pipeline_review", "deal_closed"} <= {
            e["type"] for e in deal.events
        }
        assert deal.requests and deal.first_person
        transcript = deal.events[1]["payload"]["transcript"]
        assert all(request in transcript for request, _ in deal.requests)


def test_the_quote_check_sees_pasted_first_person_words_only() -> None:
    said = "Our dispatchers spend about 2 hours a day planning routes."
    assert _quoted("- Our dispatchers spend about 2 hours a day.", said)
    assert not _quoted("- Your dispatchers spend about 2 hours a day.", said)


def test_the_section_takes_the_runners_arguments() -> None:
    import inspect

    from evals.drafts import run

    assert "include_external" in inspect.signature(run).parameters

"""The CRM account's name and web domain as customer-company cues for speaker sides."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from sales_operator.llm import LLM
from sales_operator.meetings.analyze import analyze_call
from sales_operator.meetings.speakers import (
    ACCOUNT_CUE_CONFIDENCE,
    CONFIDENCE,
    map_speakers,
)
from sales_operator.meetings.transcript import parse_transcript
from sales_operator.policy import default_policy

THREE = (
    "Speaker 1: Thanks everyone for joining, I'll share the agenda.\n"
    "Speaker 2: {line}\n"
    "Speaker 3: And I run the dispatch desk.\n"
)


@pytest.mark.parametrize(
    ("line", "account"),
    [
        ("Here at Acme Logistics we run forty trucks.", "Acme Logistics, Inc."),
        ("So at Acme, we still plan routes in Excel.", "Acme"),
        ("For Acme Logistics our biggest issue is the paper.", "Acme Logistics LLC"),
        ("our team at acme logistics is small", "acmelogistics.com"),  # the domain's company
        ("We're Acme Logistics, a regional carrier.", "Acme Logistics"),
    ],
)
def test_the_crm_account_name_places_the_customer(line: str, account: str) -> None:
    t = parse_transcript(THREE.format(line=line))
    m = map_speakers(t.speakers, [], transcript=t, account_names=[account])
    two = m["Speaker 2"]
    assert (two.side, two.mapped_by) == ("customer", "content_cue")
    assert two.confidence == ACCOUNT_CUE_CONFIDENCE > CONFIDENCE["content_cue"]
    assert "CRM account" in two.reason and "acme" in two.reason.lower()
    assert m["Speaker 1"].side == m["Speaker 3"].side == "unknown"  # nobody else guessed


@pytest.mark.parametrize(
    "line",
    [
        "At Acme they still plan routes in Excel.",  # about them, not us
        "We used to compete with Acme Logistics.",
        "I talked to someone at Acme yesterday.",
    ],
)
def test_a_mention_of_the_account_is_not_a_cue(line: str) -> None:
    t = parse_transcript(THREE.format(line=line))
    m = map_speakers(t.speakers, [], transcript=t, account_names=["Acme"])
    assert m["Speaker 2"].side == "unknown"


def test_an_address_at_the_account_domain_is_the_customer() -> None:
    who = ["sam@orbital.io", "dana@acmelogistics.com", "lee@partner.com"]
    segs = [{"speaker": w, "text": "Hello.", "start": float(i)} for i, w in enumerate(who)]
    t = parse_transcript(json.dumps(segs), format="json")
    m = map_speakers(t.speakers, [], transcript=t, account_names=["www.acmelogistics.com"])
    assert (m["dana@acmelogistics.com"].side, m["dana@acmelogistics.com"].mapped_by) == (
        "customer",
        "email_domain",
    )
    assert m["lee@partner.com"].side == "unknown"


def test_naming_our_company_and_the_account_places_nobody() -> None:
    t = parse_transcript(
        "A: Here at Orbital Freight and here at Acme we both ship.\nB: Ok.\nC: Ok.\n"
    )
    m = map_speakers(
        t.speakers, [], transcript=t, own_names=["Orbital Freight"], account_names=["Acme"]
    )
    assert m["A"].side == "unknown"


def test_analyze_call_reads_the_account_for_sides_and_pains() -> None:
    t = parse_transcript(
        "Sam Rivera: Thanks for joining, both of you.\n"
        "Speaker 2: Here at Acme Logistics we spend hours every morning on manual dispatch, "
        "and it's a real problem for us.\n"
        "Speaker 3: Yeah, I see the same thing on the night shift.\n"
    )
    policy = default_policy()

    def run(**kw: list[str]) -> dict[str, str]:
        insights = analyze_call(
            t,
            call_id="c1",
            call_date=date(2026, 3, 2),
            rep_names=["Sam Rivera"],
            customer_names=[],
            policy=policy,
            llm=LLM(None),
            **kw,
        )
        return dict(insights.speakers)

    assert run()["Speaker 2"] == "unknown"  # three people: nobody guessed
    assert run(account_names=["Acme Logistics"])["Speaker 2"] == "customer"
    assert run(account_domains=["acmelogistics.com"])["Speaker 2"] == "customer"
    assert run(account_domains=["acmelogistics.com"])["Speaker 3"] == "unknown"


def test_analyze_call_cli_reads_the_accounts_name_and_domain(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from sales_operator.cli import main

    call = tmp_path / "call.txt"
    call.write_text(
        "Speaker 1: Thanks all for joining today.\n"
        "Speaker 2: Sure. Here at Northwind we plan every route by hand, it takes hours.\n"
        "Speaker 3: I mostly listen in.\n",
        "utf-8",
    )
    base = [str(call), "--workdir", str(tmp_path), "--offline", "--sample", "--format", "json"]
    assert main(["analyze-call", *base, "--account", "A-NWL"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["participants"]}
    assert rows["Speaker 2"]["side"] == "customer"  # "northwind-logistics.com" spells Northwind
    assert rows["Speaker 2"]["confidence"] == ACCOUNT_CUE_CONFIDENCE
    assert "CRM account" in rows["Speaker 2"]["reason"]
    assert rows["Speaker 1"]["side"] == rows["Speaker 3"]["side"] == "unknown"


def test_a_generic_first_word_alone_is_not_the_account() -> None:
    t = parse_transcript(THREE.format(line="Here at United we fly a lot."))
    m = map_speakers(t.speakers, [], transcript=t, account_names=["United Freight Lines"])
    assert m["Speaker 2"].side == "unknown"
    t = parse_transcript(THREE.format(line="Here at United Freight we fly a lot."))
    m = map_speakers(t.speakers, [], transcript=t, account_names=["United Freight"])
    assert m["Speaker 2"].side == "customer"

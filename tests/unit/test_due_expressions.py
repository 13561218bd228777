"""Due dates: 190+ hand-labelled expressions (tests/unit/data/due_expressions.tsv).

The file was labelled before the resolver was rewritten; about 30 rows are sentences from
the AMI meetings in shared/data. Each row gives the date, its precision and, for "after
<event>", the event; `NONE` rows name no due date at all.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from sales_operator.errors import InputError
from sales_operator.meetings.dates import (
    find_all_due,
    find_due,
    local_date,
    resolve_due,
    resolve_due_phrase,
)

WED = date(2026, 11, 4)
DATA = Path(__file__).resolve().parent / "data" / "due_expressions.tsv"


def _rows() -> list[tuple[str, str | None, str | None, str | None, dict[str, int], str]]:
    rows = []
    for line in DATA.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, due, precision, event, options, source = line.split("\t")
        opts = {}
        if options != "-":
            key, value = options.split("=")
            opts[{"week_start": "week_start", "fy": "fiscal_year_start"}[key]] = int(value)
        rows.append(
            (
                text,
                None if due == "-" else due,
                None if precision == "-" else precision,
                None if event == "-" else event,
                opts,
                source,
            )
        )
    return rows


ROWS = _rows()


def test_the_labelled_set_is_large_and_varied() -> None:
    assert len(ROWS) >= 150
    assert sum(1 for r in ROWS if r[5] == "ami") >= 25
    assert {r[2] for r in ROWS} >= {"day", "week", "month", "quarter"}


@pytest.mark.parametrize(
    ("text", "due", "precision", "event", "opts", "source"),
    ROWS,
    ids=[f"{i:03d}-{r[0][:40]}" for i, r in enumerate(ROWS)],
)
def test_labelled_expression(
    text: str,
    due: str | None,
    precision: str | None,
    event: str | None,
    opts: dict[str, int],
    source: str,
) -> None:
    found = resolve_due(text, WED, **opts)
    if event == "NONE":
        assert found is None, found
        return
    assert found is not None, text
    assert (found.due.isoformat() if found.due else None) == due
    assert found.precision == precision
    assert found.event == event
    assert found.phrase in text


def test_events_are_left_out_unless_asked_for() -> None:
    text = "After the board meeting I'll send the deck by Friday."
    assert find_due(text, WED) is not None
    plain = find_due(text, WED)
    assert plain is not None and plain.due == date(2026, 11, 6) and plain.phrase == "by Friday"
    both = find_all_due(text, WED, events=True)
    assert [m.event for m in both] == ["the board meeting", None]
    assert resolve_due_phrase("after the board meeting", WED) is None


def test_the_phrase_keeps_its_lead_in_and_offsets() -> None:
    text = "We'll have the redlines to you no later than the 20th, promise."
    m = find_due(text, WED)
    assert m is not None
    assert m.phrase == "no later than the 20th"
    assert text[m.start : m.end] == m.phrase


def test_impossible_dates_resolve_to_nothing() -> None:
    assert resolve_due_phrase("February 30", WED) is None
    assert resolve_due_phrase("13/45", WED) is None
    assert resolve_due_phrase("May 32", WED) is None


def test_week_start_and_fiscal_year_are_checked() -> None:
    with pytest.raises(InputError, match="week_start"):
        find_due("next week", WED, week_start=7)
    with pytest.raises(InputError, match="fiscal_year_start"):
        find_due("end of Q1", WED, fiscal_year_start=13)


def test_the_call_date_is_taken_in_the_policy_time_zone() -> None:
    late_utc = datetime(2026, 11, 5, 2, 30, tzinfo=UTC)  # 18:30 on the 4th in California
    day = local_date(late_utc, "America/Los_Angeles")
    assert day == WED
    assert resolve_due_phrase("tomorrow", day) == date(2026, 11, 5)
    assert local_date(late_utc, "Europe/Berlin") == date(2026, 11, 5)
    assert local_date(datetime(2026, 11, 4, 23, 0), "UTC") == WED  # naive = UTC
    with pytest.raises(InputError, match="time zone"):
        local_date(late_utc, "Mars/Olympus")


def test_a_huge_sentence_is_handled() -> None:
    text = ("blah " * 20000) + "by Friday"
    m = find_due(text, WED)
    assert m is not None and m.due == date(2026, 11, 6)


def test_the_policy_carries_the_calendar_settings() -> None:
    from sales_operator.errors import PolicyError
    from sales_operator.policy import default_policy, parse_policy

    cal = default_policy().calendar
    assert (cal.week_start, cal.time_zone, cal.fiscal_year_start_month) == (0, "UTC", 1)
    july = parse_policy({"calendar": {"fiscal_year_start_month": 7, "week_start": 6}}).calendar
    assert resolve_due_phrase(
        "end of the fiscal year", WED, fiscal_year_start=july.fiscal_year_start_month
    ) == date(2027, 6, 30)
    with pytest.raises(PolicyError, match="time_zone"):
        parse_policy({"calendar": {"time_zone": "Mars/Olympus"}})
    with pytest.raises(PolicyError, match="week_start"):
        parse_policy({"calendar": {"week_start": 9}})


def test_use_calendar_sets_the_defaults_for_the_block_only() -> None:
    import threading

    from sales_operator.meetings.dates import use_calendar

    assert resolve_due_phrase("end of the week", WED) == date(2026, 11, 6)
    seen: list[date | None] = []
    with use_calendar(week_start=6, fiscal_year_start=7):
        assert resolve_due_phrase("end of the week", WED) == date(2026, 11, 5)  # Sun-Thu
        assert resolve_due_phrase("end of the fiscal year", WED) == date(2027, 6, 30)
        assert resolve_due_phrase("end of the week", WED, week_start=0) == date(2026, 11, 6)
        worker = threading.Thread(
            target=lambda: seen.append(resolve_due_phrase("end of the week", WED))
        )
        worker.start()
        worker.join()
    assert seen == [date(2026, 11, 6)]  # another thread keeps the default
    assert resolve_due_phrase("end of the fiscal year", WED) == date(2026, 12, 31)
    with pytest.raises(InputError), use_calendar(week_start=8):
        pass


def _analyze(text: str, week_start: int = 0) -> Any:
    """Analyse a two-person call (Sam Rivera ours, Dana Whitfield theirs) offline."""
    from sales_operator.llm import LLM
    from sales_operator.meetings.analyze import analyze_call
    from sales_operator.meetings.transcript import parse_transcript
    from sales_operator.policy import default_policy

    policy = default_policy()
    policy = policy.model_copy(
        update={"calendar": policy.calendar.model_copy(update={"week_start": week_start})}
    )
    return analyze_call(
        parse_transcript(text),
        call_id="c",
        call_date=WED,
        rep_names={"Sam Rivera"},
        customer_names={"Dana Whitfield"},
        policy=policy,
        llm=LLM(),
    )


def test_analyze_call_resolves_due_dates_with_the_policy_calendar() -> None:
    text = (
        "Sam Rivera: I'll send the pricing proposal by the end of the week.\n"
        "Dana Whitfield: Great.\n"
    )
    dues = [[c.due for c in _analyze(text, ws).commitments] for ws in (0, 6)]
    assert dues == [[date(2026, 11, 6)], [date(2026, 11, 5)]]


def test_commitments_carry_the_precision_or_the_event() -> None:
    text = (
        "Sam Rivera: I'll send you the security questionnaire next week.\n"
        "Dana Whitfield: Thanks. I'll send the signed order form after the board meeting.\n"
        "Sam Rivera: And I'll send the pricing proposal by Friday.\n"
    )
    out = _analyze(text)
    got = {(c.owner, c.due, c.due_precision, c.due_event) for c in out.commitments}
    assert ("Sam Rivera", date(2026, 11, 13), "week", None) in got
    assert ("Sam Rivera", date(2026, 11, 6), "day", None) in got
    assert ("Dana Whitfield", None, None, "the board meeting") in got

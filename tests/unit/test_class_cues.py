"""Round-5 cue classes for objections, risks, pains and triggers (rules alone, no model).

The sentences are paraphrases written for these tests, not rows of the training bank. Known
limit: a negator before the cue turns it off even when it negates something else ("I don't
want us paying twice", "without SSO it won't work"), so those forms are not asserted here.
"""

from __future__ import annotations

import pytest

from sales_operator.meetings.extract import classify


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        # a third party's foreseen reaction
        ("Our controller is going to ask why we need a second system.", "objection"),
        ("The works council will push back on anything that tracks people.", "objection"),
        ("I don't think the partners will be thrilled about another migration.", "objection"),
        ("Head office may not be happy with data leaving the country.", "objection"),
        # users who will resist
        ("Our fitters are set in their ways.", "objection"),
        ("The crews will probably just ignore it after a week.", "objection"),
        ("People here are tired of new tools every year.", "objection"),
        ("I don't think the surgeons will want to use a tablet.", "objection"),
        # cost against an expectation or a rival
        ("That's a fair bit higher than we had in mind.", "objection"),
        ("We'd end up paying twice for the same reports.", "objection"),
        ("It's quite a lot for a practice of our size.", "objection"),
        ("Right now there isn't a budget for it.", "objection"),
        # terms, gaps, lukewarm trust
        ("I'm not comfortable with a three-year term.", "objection"),
        ("It won't work for our hospital group without SSO.", "objection"),
        ("It would be a hard sell to the directors.", "objection"),
        # waiting for something else: a risk
        ("We'll have to wait until the new financial year.", "risk"),
        ("Everything is paused until the merger is done.", "risk"),
        # consequences and work kept in the wrong place
        ("When the dispatcher is on holiday everything falls apart.", "pain"),
        ("Half the leads sit untouched for days.", "pain"),
        ("We write off a pallet of stock most weeks.", "pain"),
        ("The shift plan lives on a whiteboard in the canteen.", "pain"),
        ("The supervisors are still emailing photos of the timesheets.", "pain"),
        ("We only find out about a breakdown when the customer calls.", "pain"),
        # triggers said with other verbs
        ("Our lease on the old scanners runs out in June.", "trigger"),
        ("The software we use is being discontinued next spring.", "trigger"),
        ("From April every delivery has to be signed for electronically.", "trigger"),
        ("We're launching a second brand in the autumn.", "trigger"),
        ("We were acquired by a larger group in the summer.", "trigger"),
        ("Our biggest client just told us they need live tracking.", "trigger"),
    ],
)
def test_class_cues(sentence: str, kind: str) -> None:
    assert classify(sentence, learned=False) == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "We use the whiteboard in the meeting room for the stand-up.",
        "The price is in line with what we expected.",
        "I'm comfortable with the contract as it is.",
        "The drivers liked the app a lot.",
        "That's not really a problem for us.",
    ],
)
def test_not_cues(sentence: str) -> None:
    assert classify(sentence, learned=False) is None

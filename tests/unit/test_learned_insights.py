"""The learned sentence classifier behind `classify` (meetings.learned, round 5)."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from sales_operator.meetings.extract import classify, extract_offline, learnable
from sales_operator.meetings.learned import KINDS, Model, features, load_model
from sales_operator.meetings.transcript import parse_transcript

REPO = Path(__file__).resolve().parents[2]


def _toy() -> Model:
    return Model(
        {
            "kinds": list(KINDS),
            "weights": {"c:party": [0.0, 2.0, 0.0, 0.0], "w:late": [0.0, 0.0, 3.0, 0.0]},
            "bias": [1.0, 0.0, 0.0, 0.0],
            "threshold": 0.5,
        }
    )


def test_probabilities_are_a_softmax_of_the_summed_weights() -> None:
    probs = _toy().probabilities("the vans are late")
    assert math.isclose(sum(probs.values()), 1.0)
    expected = math.exp(3.0) / (math.exp(1.0) + 2 + math.exp(3.0))
    assert math.isclose(probs["pain"], expected)


def test_kind_needs_the_threshold_and_to_beat_none() -> None:
    model = _toy()
    assert model.kind("the vans are late") == "pain"
    assert model.kind("the vans are late", threshold=0.9) is None
    # "party" alone: objection 2.0 vs none 1.0 -> p(objection) ~ 0.58
    assert model.kind("my cfo") == "objection"
    assert model.kind("nothing here at all") is None


def test_features_carry_word_classes() -> None:
    feats = features("My CFO will ask why we pay twice")
    assert {"c:party", "c:future", "c:money", "c:compare", "c:first"} <= set(feats)
    assert "cc:future+party" in feats
    assert "w:cfo" in feats and "b:will_ask" in feats
    # "we'll" is split so the future class fires
    assert "c:future" in features("we'll see about it")


def test_bundled_model_loads_with_a_threshold_from_cross_validation() -> None:
    model = load_model()
    assert model is not None
    assert model.kinds == KINDS
    assert 0.0 < model.threshold < 1.0
    assert len(model.weights) > 100


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        # none of these carry a cue of the lexicons (classify(..., learned=False) is None)
        (
            "Our accountant will want to know why we'd pay for two tools that do the same job.",
            "objection",
        ),
        (
            "Honestly the finance team might question paying for two tools that overlap.",
            "objection",
        ),
        ("We're moving the whole operation into a bigger depot in the new year.", "trigger"),
        (
            "We bought a competitor in the north last month, so there are two depots to merge.",
            "trigger",
        ),
        ("Customers ring us three or four times to chase the same order.", "pain"),
        (
            "Our sales reps keep forgetting to update the opportunity stages so the forecast "
            "is wrong.",
            "pain",
        ),
    ],
)
def test_the_model_classifies_what_no_cue_does(sentence: str, kind: str) -> None:
    assert classify(sentence, learned=False) is None
    assert classify(sentence) == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "The price isn't really a concern for us, honestly.",  # reassurance: rules say none
        "I'll brief the regional managers on the rollout next Monday.",  # own plan
        "Let's get the drivers together and walk them through it.",
        "That sounds great, we can look at that together next time.",
        "We have twelve stores and about two hundred staff.",
        "Happy new year, Sam.",  # too short to ask
        "Would the board have to approve a contract like that?",  # question
    ],
)
def test_statements_the_model_must_leave_alone(sentence: str) -> None:
    assert classify(sentence) is None


def test_learnable_filters() -> None:
    assert learnable("The union will have a lot to say about tracking the drivers.")
    assert not learnable("Is that a problem for the union at all?")
    assert not learnable("Fine by me.")
    assert not learnable("So I'll send the contract over tomorrow morning.")
    assert learnable("We'll have to see whether it fits in next year's budget.")


def test_an_objection_found_by_the_model_keeps_its_verbatim_quote() -> None:
    text = (
        "Ana Ruiz: Thanks for the demo, it was clear.\n"
        "Tom Berg: Glad to hear. How did it land with the team?\n"
        "Tom Berg: Anything that worries you?\n"
        "Ana Ruiz: My managing director is going to want to know why we'd pay more than "
        "the other bid.\n"
    )
    transcript = parse_transcript(text, name="t", format="plain")
    out = extract_offline(
        transcript,
        call_date=date(2027, 1, 5),
        sides={"Ana Ruiz": "customer", "Tom Berg": "rep"},
    )
    quotes = [o.quote for o in out.objections]
    assert any("why we'd pay more than the other bid" in q for q in quotes)
    assert all(q in text for q in quotes)


sklearn = pytest.importorskip("sklearn")


def test_the_shipped_model_is_the_fit_of_the_committed_tune_material() -> None:
    """A stale model file (material or features changed, not retrained) fails here."""
    from evals.insight_model import _fit, call_rows, training_material

    calls = {c for c, _, _ in call_rows(with_reps=True)}
    held_out = {"sc15", "sc21", "sc32", "sc39", "sc40", "sc47", "sc48", "sc55"}
    assert calls and not calls & held_out
    data = _fit(*training_material())
    shipped = json.loads(
        (REPO / "src" / "sales_operator" / "data" / "insight_model.json").read_text("utf-8")
    )
    assert shipped["weights"].keys() == data["weights"].keys()
    worst = max(
        abs(a - b)
        for f, w in data["weights"].items()
        for a, b in zip(w, shipped["weights"][f], strict=True)
    )
    assert worst < 1e-3


def _extract(lines: list[str]) -> dict[str, list[tuple[str, str]]]:
    text = "\n".join(lines) + "\n"
    out = extract_offline(
        parse_transcript(text, name="t", format="plain"),
        call_date=date(2027, 1, 5),
        sides={"Ana Ruiz": "customer", "Tom Berg": "rep"},
    )
    for item in (*out.pains, *out.objections, *out.triggers):
        assert item.quote in text  # every quote is one verbatim span
    return {
        k: [(i.text, i.quote) for i in getattr(out, k)] for k in ("pains", "objections", "triggers")
    }


def test_a_model_sentence_after_a_cue_item_of_the_turn_joins_it() -> None:
    got = _extract(
        [
            "Tom Berg: How does the team feel about it?",
            "Ana Ruiz: I'm a little worried about adoption. Honestly the finance team might "
            "question paying for two tools that overlap.",
        ]
    )
    assert len(got["objections"]) == 1
    text, quote = got["objections"][0]
    assert text.startswith("I'm a little worried about adoption")
    assert quote.endswith("two tools that overlap.")


def test_a_model_sentence_on_the_same_topic_after_an_interjection_is_folded_in() -> None:
    got = _extract(
        [
            "Ana Ruiz: Our dispatchers build the routes by hand from the orders every morning.",
            "Tom Berg: Every morning?",
            "Ana Ruiz: Yes. And when a driver calls in sick or a customer changes an order, the "
            "dispatchers start over from scratch.",
        ]
    )
    assert len(got["pains"]) == 1  # one pain, its quote the first turn's
    assert got["pains"][0][1].startswith("Our dispatchers build")


def test_a_new_topic_after_an_interjection_stays_its_own_item() -> None:
    got = _extract(
        [
            "Ana Ruiz: Our dispatchers build the routes by hand from the orders every morning.",
            "Tom Berg: Every morning?",
            "Ana Ruiz: Yes. Our sales reps keep forgetting to update the opportunity stages so "
            "the forecast is wrong.",
        ]
    )
    assert len(got["pains"]) == 2


def test_a_model_sentence_before_a_cue_anaphor_is_its_antecedent() -> None:
    got = _extract(
        [
            "Ana Ruiz: Our sales reps keep forgetting to update the opportunity stages so the "
            "forecast is wrong. They hate it, and it slows every review.",
        ]
    )
    assert len(got["pains"]) == 1
    assert got["pains"][0][1].startswith("Our sales reps keep forgetting")

"""The tune5 sentence bank (evals/datasets/tune5_sentences.tsv) is well formed."""

from __future__ import annotations

from datetime import date

from evals.tune5 import load_bank


def test_the_bank_has_the_labelled_classes_it_claims() -> None:
    rows = load_bank()
    kinds = [r.kind for r in rows]
    assert set(kinds) == {"competitor", "none", "commitment"}
    assert kinds.count("competitor") + kinds.count("none") >= 80
    assert {r.policy for r in rows} == {"on", "list"}
    assert {r.speaker for r in rows} <= {"rep", "customer"}
    for r in rows:
        assert r.sentence.strip(), r
        if r.kind == "competitor":
            assert all(n.strip() for n in r.expected.split("|")), r
        elif r.kind == "none":
            assert r.expected == "", r
        elif r.expected != "null":
            date.fromisoformat(r.expected)

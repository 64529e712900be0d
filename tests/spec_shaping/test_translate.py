"""Candidates: slot by slot with the debiased choose (ranked), random fillings, JSON with
repair; bad answers give one clear error."""

from __future__ import annotations

import json

import pytest

from langreward.llm import make_llm
from langreward.llm.templates import SlotChoice, ranked_fillings
from langreward.spec_shaping.features import EnvFeatures
from langreward.spec_shaping.translate import (
    SpecTranslationError,
    check_instruction,
    json_candidates,
    random_candidates,
    slot_candidates,
    spec_template,
)

from .conftest import MOUNTAINCAR_EXPERT, slot_llm

FEATURES = EnvFeatures("Drive the car up the right hill.", ["position", "velocity"], [None] * 2)


def test_the_template_has_one_slot_per_feature_and_one_for_the_end() -> None:
    template = spec_template(FEATURES)
    assert template.count("{CHOICE:") == 3
    assert "* velocity {CHOICE: [should increase, should decrease" in template


def test_slots_give_the_scripted_experts_spec_first() -> None:
    result = slot_candidates(slot_llm(MOUNTAINCAR_EXPERT), FEATURES, "Reach the flag.", 3)
    best = result.candidates[0]
    assert [(t.feature, t.kind) for t in best.spec.terms] == [
        ("position", "increase"),
        ("velocity", "magnitude"),
    ]
    assert best.spec.termination == "success" and best.origin == "llm slots"
    assert len(result.candidates) == 3 and best.prior >= result.candidates[1].prior
    assert len({c.spec.model_dump_json() for c in result.candidates}) == 3
    assert result.slots[1]["probs"]["should increase"] == 1.0


def test_a_nonsense_instruction_that_names_no_feature_is_one_clear_error() -> None:
    nothing_matters = slot_llm({"position": "does not matter", "velocity": "does not matter"})
    with pytest.raises(SpecTranslationError, match="says no observed feature matters"):
        slot_candidates(nothing_matters, FEATURES, "Bake a cake.", 2)


def test_ranked_fillings_follow_the_joint_probability() -> None:
    slots = [
        SlotChoice("end", ("done", "fail"), (0.9, 0.1)),
        SlotChoice("x", ("up", "down", "any"), (0.5, 0.3, 0.2)),
    ]
    ranked = ranked_fillings(slots, 6)
    probs = [f.probability for f in ranked]
    assert probs == sorted(probs, reverse=True) and len(ranked) == 6
    assert ranked[0].option_indices == (0, 0) and ranked[0].probability == pytest.approx(0.45)


def test_random_candidates_are_different_seeded_and_never_empty() -> None:
    first = random_candidates(FEATURES, 5, seed=1)
    assert len({c.spec.model_dump_json() for c in first}) == 5
    assert [c.spec for c in first] == [c.spec for c in random_candidates(FEATURES, 5, seed=1)]
    assert all(c.origin == "random" and c.spec.terms for c in first)


def test_json_candidates_are_repaired_with_the_error_fed_back() -> None:
    good = {"terms": [{"feature": "velocity", "kind": "magnitude", "weight": 1}]}
    replies = iter(["not json", json.dumps(good)])
    seen: list[str] = []

    def answer(messages):
        seen.append(messages[-1]["content"])
        return next(replies, json.dumps(good))

    result = json_candidates(make_llm("scripted", responses=answer), FEATURES, "Go.", 1)
    assert result.candidates[0].spec.terms[0].kind == "magnitude" and result.repairs == 1
    assert "invalid" in seen[1]


def test_json_candidates_refuse_an_unfixable_answer() -> None:
    llm = make_llm("scripted", responses=["{}"])
    with pytest.raises(SpecTranslationError, match="failed validation after 1 repair"):
        json_candidates(llm, FEATURES, "Go.", 1, repair_rounds=1)


def test_json_answers_the_spec_checks_refuse_are_shown_back() -> None:
    no_target = {"terms": [{"feature": "position", "kind": "toward", "weight": 1}]}
    fixed = {"terms": [{"feature": "position", "kind": "toward", "weight": 1, "target": 0.5}]}
    replies = iter([json.dumps(no_target), json.dumps(fixed)])
    seen: list[str] = []

    def answer(messages):
        seen.append(messages[-1]["content"])
        return next(replies, json.dumps(fixed))

    result = json_candidates(make_llm("scripted", responses=answer), FEATURES, "Go.", 1)
    assert result.candidates[0].spec.terms[0].target == 0.5
    assert "needs a target" in seen[1]


def test_an_instruction_the_model_says_does_not_fit_is_refused() -> None:
    def answer(messages):  # tests only: "no" to the fit question, whatever the order
        text = messages[-1]["content"]
        return "A" if "A) no" in text else "B"

    with pytest.raises(SpecTranslationError, match=r"does not fit this env \(P\(yes\) = 0.00"):
        check_instruction(make_llm("scripted", responses=answer), FEATURES, "Bake a cake.")
    yes = make_llm("scripted", responses=lambda m: "A" if "A) yes" in m[-1]["content"] else "B")
    check_instruction(yes, FEATURES, "Reach the flag.")  # fits: no error


def test_many_features_give_specs_within_the_term_limit() -> None:
    names = [f"x{i}" for i in range(70)]
    many = EnvFeatures("Do well.", names, [None] * 70)
    specs = [c.spec for c in random_candidates(many, 3, seed=0)]
    assert len(specs) == 3 and all(1 <= len(s.terms) <= 64 for s in specs)

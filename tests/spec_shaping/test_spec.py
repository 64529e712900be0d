"""The spec: schema, words, compiled values on known states, checks on sampled states."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from langreward.spec_shaping.spec import ShapingSpec, SpecError, SpecTerm, check_potential

NAMES = ["position", "velocity"]
RANGES = {"position": (-1.2, 0.6), "velocity": (-0.07, 0.07)}


def spec(*terms: dict, termination: str = "failure") -> ShapingSpec:
    return ShapingSpec.model_validate(
        {"terms": list(terms), "termination": termination, "ranges": RANGES}
    )


@pytest.mark.parametrize(
    ("term", "obs", "expected"),
    [
        ({"feature": "position", "kind": "increase"}, [0.6, 0.0], 1.0),
        ({"feature": "position", "kind": "increase"}, [-1.2, 0.0], 0.0),
        ({"feature": "position", "kind": "decrease"}, [-0.3, 0.0], 0.5),
        ({"feature": "velocity", "kind": "magnitude"}, [0.0, -0.035], 0.5),
        ({"feature": "position", "kind": "toward", "target": 0.0}, [-0.9, 0.0], 0.5),
        ({"feature": "position", "kind": "inside", "lower": -0.5, "upper": 0.0}, [-0.2, 0], 1.0),
        ({"feature": "position", "kind": "inside", "lower": -0.5, "upper": 0.0}, [0.2, 0], 0.0),
    ],
)
def test_each_kind_has_its_value_on_a_known_state(term, obs, expected) -> None:
    phi = spec(term).compile(NAMES, scale=1.0)
    assert phi(np.array([obs])) == pytest.approx([expected])


def test_weights_average_and_scale_and_success_offset() -> None:
    terms = (
        {"feature": "position", "kind": "increase", "weight": 3.0},
        {"feature": "velocity", "kind": "magnitude", "weight": 1.0},
    )
    batch = np.array([[0.6, 0.0], [-1.2, 0.07], [-0.3, 0.035]])
    failure = spec(*terms).compile(NAMES, scale=10.0)(batch)
    assert failure == pytest.approx([7.5, 2.5, 5.0])
    success = spec(*terms, termination="success").compile(NAMES, scale=10.0)(batch)
    assert success == pytest.approx(failure - 10.0)  # at most 0: a terminal state is worth 0


def test_unknown_feature_is_one_clear_error() -> None:
    with pytest.raises(SpecError, match=r"unknown feature\(s\) \['speed'\].*'position'"):
        spec({"feature": "speed", "kind": "increase"}).compile(NAMES)


@pytest.mark.parametrize(
    "term",
    [
        {"feature": "position", "kind": "toward"},
        {"feature": "position", "kind": "inside", "lower": 1.0, "upper": 0.0},
        {"feature": "position", "kind": "increase", "weight": 0.0},
        {"feature": "position", "kind": "sideways"},
    ],
)
def test_the_schema_refuses_incomplete_terms(term) -> None:
    with pytest.raises(ValidationError):
        spec(term)


def test_check_finds_constant_and_non_finite_potentials() -> None:
    constant = spec({"feature": "position", "kind": "increase"}).compile(NAMES)
    assert "the same" in check_potential(constant, np.array([[0.1, 0.0], [0.1, 0.01]]))[0]
    broken = ShapingSpec(terms=[SpecTerm(feature="position", kind="increase")], ranges={}).compile(
        NAMES
    )
    assert "NaN" in check_potential(broken, np.array([[np.nan, 0.0], [0.1, 0.0]]))[0]
    assert check_potential(constant, np.array([[0.1, 0.0], [0.3, 0.0]])) == []


def test_save_load_round_trip_and_a_bad_file(tmp_path) -> None:
    original = spec({"feature": "velocity", "kind": "magnitude"}, termination="success")
    original.save(tmp_path / "spec.json")
    assert ShapingSpec.load(tmp_path / "spec.json") == original
    (tmp_path / "bad.json").write_text('{"terms": []}')
    with pytest.raises(SpecError, match="bad.json: not a usable spec"):
        ShapingSpec.load(tmp_path / "bad.json")

"""The embedded model fills the spec template (real model, no script), and ``describe``'s view
shows what the model is asked and, with an LLM named, the specs it ranks."""

from __future__ import annotations

import gymnasium as gym
import pytest

import langreward.spec_shaping.plugin as plugin_module
from langreward.llm import LLM, ResponseCache
from langreward.spec_shaping import SpecShapingSettings
from langreward.spec_shaping.features import env_features
from langreward.spec_shaping.plugin import explain
from langreward.spec_shaping.translate import slot_candidates

from .conftest import MOUNTAINCAR_EXPERT, slot_llm


@pytest.mark.embedded
def test_the_embedded_model_fills_the_template_with_ranked_valid_specs(
    embedded_backend, tmp_path
) -> None:
    llm = LLM(embedded_backend, ResponseCache(tmp_path / "cache.sqlite"))
    features = env_features(gym.make("MountainCar-v0"))
    result = slot_candidates(llm, features, features.task, 4)
    assert len(result.candidates) == 4
    assert len({c.spec.model_dump_json() for c in result.candidates}) == 4
    priors = [c.prior for c in result.candidates]
    assert priors == sorted(priors, reverse=True)
    for slot in result.slots:
        assert sum(slot["probs"].values()) == pytest.approx(1.0, abs=0.01)
    # asked once: the same questions again are answered from the cache
    calls = llm.stats.calls - llm.stats.cache_hits
    slot_candidates(llm, features, features.task, 4)
    assert llm.stats.calls - llm.stats.cache_hits == calls


def test_explain_shows_the_question_and_with_an_llm_its_ranked_specs(monkeypatch) -> None:
    env = gym.make("MountainCar-v0")
    offline = explain(env, SpecShapingSettings())
    assert "{CHOICE: [the task is done, the agent fails]}" in offline
    assert "One slot's question:" in offline and "Task: The Mountain Car MDP" in offline
    monkeypatch.setattr(plugin_module, "make_llm", lambda spec: slot_llm(MOUNTAINCAR_EXPERT))
    asked = explain(env, SpecShapingSettings(llm="scripted", candidates=2))
    assert "likeliest specs" in asked
    assert "1. (1.000) position of the car along the x-axis (m) should increase" in asked


def test_a_given_instruction_is_asked_beside_the_docs_task() -> None:
    text = explain(gym.make("MountainCar-v0"), SpecShapingSettings(instruction="Reach the flag."))
    assert "Task: The Mountain Car MDP" in text and "Instruction: Reach the flag." in text

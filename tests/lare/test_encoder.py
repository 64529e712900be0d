"""Encoder generation with a scripted LLM (tests only): pass, repair, reject."""

from __future__ import annotations

import numpy as np
import pytest

from langreward.lare.config import EncoderSettings, LaReSettings
from langreward.lare.encoder import (
    EncoderGenerationError,
    generate_encoder,
    load_encoder,
    sample_transitions,
)
from langreward.lare.forms import form_for
from langreward.llm import make_llm
from langreward.plugin import RunContext, RunLLM

GOOD = """```python
import numpy as np

def evaluation_func(obs, action):
    # uprightness
    upright = obs[:, 0:1]
    # spin
    spin = np.abs(obs[:, 2])[:, None]
    # effort
    effort = np.square(action[:, 0])[:, None]
    return [upright, spin, effort]
```"""

WRONG_INDEX = GOOD.replace("obs[:, 2]", "obs[:, 3]")  # Pendulum has 3 dims: IndexError
HOSTILE = """```python
import os

def evaluation_func(obs, action):
    os.system("echo pwned")
    return [obs[:, 0:1]]
```"""


def script(candidates, merged=GOOD, fixed=GOOD):
    """A scripted LLM (tests only): candidates in turn, then the merged and repaired code."""
    turn = iter(range(10**6))

    def answer(messages):
        prompt = messages[-1]["content"]
        if "failed verification" in prompt:
            return fixed
        if "Merge them" in prompt:
            return merged
        return candidates[next(turn) % len(candidates)]

    return answer


@pytest.fixture(scope="module")
def transitions():
    return sample_transitions("Pendulum-v1", count=64, seed=0)


def settings(**overrides):
    return EncoderSettings(**{"n_candidates": 3, "repair_rounds": 2, **overrides})


def test_good_candidates_are_consolidated(transitions):
    llm = make_llm("scripted", responses=script([GOOD, GOOD, HOSTILE]))
    result = generate_encoder(llm, form_for("Pendulum-v1"), *transitions, settings())
    assert result.chosen == "consolidated"
    assert result.valid_first_try == 2 and result.candidates == 3
    assert [entry["reason"] for entry in result.log[:3]] == ["", "", "policy"]


def test_broken_candidate_is_repaired_with_the_error_fed_back(transitions):
    llm = make_llm("scripted", responses=script([WRONG_INDEX], merged=WRONG_INDEX))
    result = generate_encoder(llm, form_for("Pendulum-v1"), *transitions, settings(n_candidates=1))
    assert result.chosen == "candidate 1 after repair" and result.repairs_used == 1
    repair_prompts = [
        r.messages[-1][1]
        for r in llm.backend.requests
        if "failed verification" in r.messages[-1][1]
    ]
    assert repair_prompts and "index" in repair_prompts[0].lower()


def test_hostile_code_is_rejected_and_never_run(transitions, tmp_path):
    marker = tmp_path / "pwned"
    hostile = HOSTILE.replace("echo pwned", f"touch {marker}")
    llm = make_llm("scripted", responses=script([hostile], merged=hostile, fixed=hostile))
    with pytest.raises(EncoderGenerationError) as info:
        generate_encoder(llm, form_for("Pendulum-v1"), *transitions, settings(n_candidates=2))
    assert all(not entry["ok"] for entry in info.value.log)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("section", "llm_spec", "other"),
    [
        ("lare", "embedded", "embedded:qwen2.5-coder-1.5b"),
        ("lare_marl", "embedded:qwen2.5-coder-1.5b", "openai:MODEL@http://HOST:PORT/v1"),
    ],
)
def test_a_failure_names_the_users_section_and_another_model(transitions, section, llm_spec, other):
    llm = make_llm("scripted", responses=script([WRONG_INDEX], merged="no code", fixed="no code"))
    with pytest.raises(EncoderGenerationError) as info:
        generate_encoder(
            llm,
            form_for("Pendulum-v1"),
            *transitions,
            settings(n_candidates=2, repair_rounds=1),
            section=section,
            llm_spec=llm_spec,
        )
    message = str(info.value)
    assert f"({section}.encoder.llm: {other}; now {llm_spec})" in message
    assert f"({section}.encoder.n_candidates, now 2)" in message
    assert f"({section}.encoder.source: file)" in message
    if section != "lare":
        assert "lare.encoder" not in message


def test_load_encoder_saves_code_and_reuses_it_without_llm(tmp_path, monkeypatch):
    import langreward.plugin.run_llm as run_llm_module

    monkeypatch.setattr(
        run_llm_module,
        "make_llm",
        lambda spec, cache: make_llm("scripted", responses=script([GOOD, GOOD])),
    )
    context = RunContext("Pendulum-v1", "sac", 0, 1, 100, tmp_path, llm=RunLLM("scripted"))
    encoder = load_encoder(LaReSettings(encoder=settings(n_candidates=2)), context)
    assert (tmp_path / "encoder.py").is_file() and encoder.n_factors == 3
    assert context.llm.stats()["calls"] > 0  # the run's LLM: the runner reports its cost
    obs, actions = sample_transitions("Pendulum-v1", count=10)
    assert encoder.features(obs, actions).shape == (10, 3)
    # a second load (resume) needs no LLM at all and keeps the origin
    monkeypatch.setattr(run_llm_module, "make_llm", None)
    fresh = RunContext("Pendulum-v1", "sac", 0, 1, 100, tmp_path, llm=RunLLM("scripted"))
    again = load_encoder(LaReSettings(), fresh)
    assert again.origin == "llm:scripted" and not fresh.llm.used
    np.testing.assert_allclose(again.features(obs, actions), encoder.features(obs, actions))


def test_reference_encoder_is_labelled(tmp_path):
    context = RunContext("Pendulum-v1", "sac", 0, 1, 100, tmp_path)
    encoder = load_encoder(LaReSettings(encoder=EncoderSettings(source="reference")), context)
    assert encoder.origin == "reference (hand-written)" and encoder.n_factors == 4


def test_runtime_failures_are_contained_and_counted(tmp_path):
    context = RunContext("Pendulum-v1", "sac", 0, 1, 100, tmp_path)
    encoder = load_encoder(LaReSettings(encoder=EncoderSettings(source="reference")), context)
    bad = np.full((5, 3), np.nan)
    out = encoder.features(bad, np.zeros((5, 1)))
    assert out.shape == (5, 4) and np.all(out == 0.0)
    assert encoder.failure_metrics()["encoder_failures"] == 1


@pytest.mark.embedded
def test_embedded_model_generates_a_verified_encoder(tmp_path, embedded_available):
    """The real embedded model writes an encoder that passes sandbox verification."""
    llm = make_llm("embedded", cache=tmp_path / "c.sqlite")
    obs, actions = sample_transitions("Pendulum-v1", count=128, seed=0)
    result = generate_encoder(
        llm,
        form_for("Pendulum-v1"),
        obs,
        actions,
        EncoderSettings(n_candidates=1, consolidate=False, repair_rounds=3, max_tokens=500),
    )
    from langreward.lare.encoder import compile_encoder

    features = compile_encoder(result.source, obs, actions)(obs, actions)
    assert features.shape[0] == 128 and 1 <= features.shape[1] <= 8
    assert np.isfinite(features).all()


@pytest.mark.embedded
def test_embedded_model_writes_an_encoder_for_a_mujoco_env_without_a_builtin_form(
    tmp_path, embedded_available
):
    """Reacher-v5 has no built-in form: the prompt comes from its docs, and the real embedded
    model's encoder passes sandbox verification."""
    pytest.importorskip("mujoco")
    import gymnasium as gym

    from langreward.families import knowledge
    from langreward.lare.encoder import compile_encoder

    assert knowledge("Reacher-v5", "lare_form") is None
    form = form_for("Reacher-v5", gym.make("Reacher-v5"))
    assert "fingertip" in form.task and form.obs_dim == 10
    llm = make_llm("embedded", cache=tmp_path / "c.sqlite")
    obs, actions = sample_transitions("Reacher-v5", count=128, seed=0)
    result = generate_encoder(
        llm,
        form,
        obs,
        actions,
        EncoderSettings(n_candidates=2, consolidate=False, repair_rounds=3, max_tokens=500),
    )
    features = compile_encoder(result.source, obs, actions)(obs, actions)
    assert features.shape[0] == 128 and 1 <= features.shape[1] <= 8
    assert np.isfinite(features).all()

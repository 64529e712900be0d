"""Spec shaping through the runner: a scripted LLM's spec, the trial's choice, spec.json reused
without an LLM, bad specs refused in one line."""

from __future__ import annotations

import json

import pytest

import langreward.plugin.run_llm as run_llm_module
import langreward.spec_shaping.plugin as plugin_module
from langreward.experiments import run_experiment
from langreward.experiments.config import as_config
from langreward.experiments.errors import ConfigError
from langreward.experiments.preflight import preflight_problems
from langreward.plugin import MethodError, RunContext
from langreward.spec_shaping import SpecShapingSettings
from langreward.spec_shaping.plugin import build
from langreward.spec_shaping.trial import TrialJob, TrialResult, pick, run_trials

from .conftest import MOUNTAINCAR_EXPERT, slot_llm

DQN_TINY = {"learning_starts": 100, "buffer_size": 2000, "train_freq": 4, "gamma": 0.98}


def config(tmp_path, **section):
    return as_config(
        {
            "name": "spec-test",
            "method": "spec_shaping",
            "env": {"id": "MountainCar-v0"},
            "algo": "dqn",
            "algo_kwargs": DQN_TINY,
            "total_timesteps": 600,
            "seeds": 1,
            "llm": "scripted",
            "eval": {"every": 600, "episodes": 1},
            "spec_shaping": {"sample_steps": 300, **section},
        }
    )


@pytest.fixture
def expert_run_llm(monkeypatch):
    monkeypatch.setattr(
        run_llm_module, "make_llm", lambda spec, cache: slot_llm(MOUNTAINCAR_EXPERT)
    )


def test_a_scripted_llms_spec_shapes_a_run_and_is_saved(tmp_path, expert_run_llm) -> None:
    result = run_experiment(config(tmp_path, candidates=1), tmp_path / "run")
    assert result.status == "finished"
    method = result.summary["method_summary"]
    assert "velocity of the car (v) should grow" in method["spec"]
    assert method["candidates"] == 1 and method["trial_steps"] == 0
    saved = json.loads((tmp_path / "run" / "spec.json").read_text())
    assert set(saved["ranges"]) == {
        "position of the car along the x-axis (m)",
        "velocity of the car (v)",
    }
    trials = json.loads((tmp_path / "run" / "trials.json").read_text())
    assert trials["slots"][0]["probs"]["the task is done"] == 1.0


def test_the_trial_keeps_the_fittest_candidate(tmp_path, expert_run_llm, monkeypatch) -> None:
    scores = [-200.0, -190.0, -120.0, None]

    def scripted_trials(jobs, workers, on_done=None):  # tests only: fitness by rule
        assert len(jobs) == 4 and {job.steps for job in jobs} == {400}
        return [TrialResult(score, 3, 0.1) for score in scores]

    monkeypatch.setattr(plugin_module, "run_trials", scripted_trials)
    result = run_experiment(config(tmp_path, candidates=4, trial={"steps": 400}), tmp_path / "run")
    method = result.summary["method_summary"]
    assert method["winner"] == 3 and method["trial_steps"] == 1600
    trials = json.loads((tmp_path / "run" / "trials.json").read_text())
    chosen = json.loads((tmp_path / "run" / "spec.json").read_text())
    assert chosen["terms"] == trials["candidates"][2]["spec"]["terms"]


def test_one_se_keeps_the_likeliest_when_the_trial_cannot_tell(
    tmp_path, expert_run_llm, monkeypatch
) -> None:
    def scripted_trials(jobs, workers, on_done=None):  # tests only: a noisy trial
        return [
            TrialResult(-7.0, 3, 0.1, stderr=4.0),
            TrialResult(-6.0, 3, 0.1, stderr=3.0),
            TrialResult(-27.0, 3, 0.1, stderr=1.0),
        ]

    monkeypatch.setattr(plugin_module, "run_trials", scripted_trials)
    noisy = config(tmp_path, candidates=3, trial={"steps": 400, "select": "one_se"})
    result = run_experiment(noisy, tmp_path / "run")
    assert result.summary["method_summary"]["winner"] == 1  # the likeliest, not -6.0
    trials = json.loads((tmp_path / "run" / "trials.json").read_text())
    assert [c["fitness_stderr"] for c in trials["candidates"]] == [4.0, 3.0, 1.0]
    fittest = config(tmp_path, candidates=3, trial={"steps": 400})
    assert run_experiment(fittest, tmp_path / "f").summary["method_summary"]["winner"] == 2


def test_a_saved_spec_is_reused_without_an_llm(tmp_path, expert_run_llm) -> None:
    first = run_experiment(config(tmp_path, candidates=1), tmp_path / "first")
    path = tmp_path / "first" / "spec.json"
    again = run_experiment(config(tmp_path, source="file", path=str(path)), tmp_path / "again")
    assert again.summary["method_summary"]["spec"] == first.summary["method_summary"]["spec"]
    assert again.summary["llm"] is None  # no LLM was built


def test_random_source_needs_no_llm_and_is_seeded(tmp_path) -> None:
    result = run_experiment(
        config(tmp_path, source="random", candidates=2, trial={"steps": 0}), tmp_path / "r"
    )
    assert result.summary["method_summary"]["spec_source"] == "random"
    assert result.summary["llm"] is None


def test_a_spec_naming_an_unknown_feature_is_one_clear_error(tmp_path) -> None:
    bad = {"terms": [{"feature": "speed", "kind": "increase"}]}
    with pytest.raises(ConfigError, match=r"unknown feature\(s\) \['speed'\]"):
        run_experiment(config(tmp_path, source="hand", spec=bad), tmp_path / "bad")
    assert not (tmp_path / "bad").exists()  # caught before any directory
    context = RunContext("MountainCar-v0", "dqn", 0, 1, 100, tmp_path / "direct")
    with pytest.raises(MethodError, match=r"unknown feature\(s\) \['speed'\]"):  # build
        build(SpecShapingSettings(source="hand", spec=bad, sample_steps=200), context)


def test_trials_run_in_two_processes_and_score_original_returns() -> None:
    spec = '{"terms": [{"feature": "a", "kind": "magnitude"}], "termination": "failure"}'
    names = ["a", "b", "c", "d"]
    jobs = [
        TrialJob(
            spec,
            names,
            "CartPole-v1",
            "ppo",
            256,
            seed=s,
            scale=100.0,
            algo_kwargs={"n_steps": 64, "batch_size": 64, "n_epochs": 1},
        )
        for s in (0, 1)
    ]
    results = run_trials(jobs, workers=2)
    assert all(r.error is None and r.episodes > 0 for r in results)
    assert all(8 <= r.fitness <= 200 for r in results)  # CartPole's own returns, unshaped
    assert pick(results) in (0, 1)


def test_a_broken_trial_is_recorded_not_raised() -> None:
    job = TrialJob(
        '{"terms": [{"feature": "z", "kind": "increase"}]}', ["a"], "CartPole-v1", "ppo", 64
    )
    import torch

    torch.set_num_threads(2)
    result = run_trials([job], workers=1)[0]  # in this process
    assert result.fitness is None and "unknown feature" in (result.error or "")
    assert torch.get_num_threads() == 2  # the run's own thread count is left as it was


@pytest.mark.parametrize(
    ("section", "line"),
    [
        (
            {"source": "hand", "spec": {"terms": [{"feature": "speed", "kind": "increase"}]}},
            "spec_shaping.spec names unknown feature(s) ['speed']",
        ),
        ({"source": "file", "path": "/no/such/spec.json"}, "spec_shaping.path: /no/such/spec.json"),
        ({"feature_names": ["x"]}, "spec_shaping.feature_names gives 1 features"),
    ],
)
def test_user_mistakes_are_caught_before_any_llm_call(tmp_path, section, line) -> None:
    problems = preflight_problems(config(tmp_path, **section))
    assert len(problems) == 1 and line in problems[0]


def test_trial_processes_import_the_users_env_modules(monkeypatch) -> None:
    """A user env registered only by ``env.imports`` (a plain id) is found in spawned trials."""
    import os
    from pathlib import Path

    user_envs = Path(__file__).parents[1] / "user_envs"
    monkeypatch.syspath_prepend(str(user_envs))  # spawned processes start from this sys.path
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(user_envs), path])))
    spec = '{"terms": [{"feature": "a", "kind": "decrease"}], "termination": "success"}'
    jobs = [
        TrialJob(
            spec,
            ["a", "b"],
            "Corridor-v0",
            "ppo",
            64,
            seed=s,
            env_imports=("mylab_envs",),
            algo_kwargs={"n_steps": 32, "batch_size": 32, "n_epochs": 1},
        )
        for s in (0, 1)
    ]
    results = run_trials(jobs, workers=2)
    assert [r.error for r in results] == [None, None]


def test_a_hand_broken_spec_json_on_resume_is_one_clear_error(tmp_path, expert_run_llm) -> None:
    run_experiment(config(tmp_path, candidates=1), tmp_path / "run")
    (tmp_path / "run" / "spec.json").write_text(
        '{"terms": [{"feature": "speed", "kind": "increase"}]}'
    )
    context = RunContext("MountainCar-v0", "dqn", 0, 1, 100, tmp_path / "run")
    with pytest.raises(MethodError, match="unknown feature.*delete it and trials.json"):
        build(SpecShapingSettings(sample_steps=200), context)

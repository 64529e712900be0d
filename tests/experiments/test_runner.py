from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict
from stable_baselines3.common.vec_env import VecEnvWrapper

from langreward.experiments import (
    ConfigError,
    RunExistsError,
    resume_run,
    run_experiment,
)
from langreward.experiments.rundir import RunPaths
from langreward.plugin import Method, OnlineSetup, RunContext, register, unregister
from langreward.plugin import registry as plugin_registry

SLOW_RUN = textwrap.dedent(
    """
    import signal, sys, time
    from langreward.experiments import load_config, run_experiment
    # a shell's background job starts with SIGINT ignored; the test needs Python's Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # the progress callback slows training down so the test can stop it mid-run
    run_experiment(load_config(sys.argv[1]), sys.argv[2], progress=lambda p: time.sleep(0.02))
    """
)


def rows(run_dir: Path, kind: str | None = None) -> list[dict[str, Any]]:
    return RunPaths(run_dir).rows(kind)


def test_tiny_run_writes_every_file(tiny_runs):
    run_dir = tiny_runs[0]
    assert run_dir.name.startswith("baseline-CartPole-v1-ppo-seed0-")
    assert run_dir.parent.name == "tiny"
    for name in ("config.yaml", "meta.json", "metrics.jsonl", "summary.json"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "checkpoints" / "latest.zip").is_file()
    assert not (run_dir / "checkpoints" / "replay_buffer.pkl").exists()  # on-policy
    assert list((run_dir / "tb").rglob("events.out.tfevents.*"))

    meta = json.loads((run_dir / "meta.json").read_text())
    assert meta["seed"] == 0 and meta["hostname"] and meta["started_at"]
    for package in ("python", "torch", "stable-baselines3", "gymnasium", "langreward"):
        assert meta["versions"][package]

    episodes = rows(run_dir, "episode")
    assert len(episodes) > 10
    steps = [r["timestep"] for r in episodes]
    assert steps == sorted(steps) and steps[-1] <= 1024
    for r in episodes:  # CartPole pays 1 per step: the original return equals the length
        assert r["return"] == r["length"] and r["wall_time"] >= 0
    evals = rows(run_dir, "eval")
    # periodic, then the final evaluation in place of the periodic one at the budget
    assert [(r["timestep"], r.get("final", False)) for r in evals] == [(512, False), (1024, True)]
    assert rows(run_dir, "method")[0]["stats"] == {"shaping": "none"}

    state = json.loads((run_dir / "checkpoints" / "state.json").read_text())
    assert state["timesteps"] == 1024 and state["metrics_lines"] > len(episodes)

    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "finished"
    assert summary["timesteps_done"] == 1024 == summary["total_timesteps"]
    assert summary["final_eval_return_mean"] == evals[-1]["return_mean"]
    assert summary["episodes"] == len(episodes)
    assert summary["auc"] > 0 and summary["steps_per_s"] > 0 and summary["wall_time_s"] > 0
    assert summary["steps_to_threshold"] is None or 0 < summary["steps_to_threshold"] <= 1024
    assert summary["method_summary"] == {"shaping": "none"} and summary["llm"] is None


def test_finished_run_is_not_repeated(tiny_runs, tiny_config):
    run_dir = tiny_runs[0]
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file()}
    result = run_experiment(tiny_config(), run_dir, seed=0)
    assert result.skipped and result.status == "finished"
    assert resume_run(run_dir).skipped
    after = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*") if p.is_file()}
    assert after == before


def test_the_same_config_finds_the_same_run_dir(tiny_runs, tiny_config):
    root = tiny_runs[0].parent.parent
    result = run_experiment(tiny_config(), seed=1, runs_root=root)
    assert result.skipped and result.run_dir == tiny_runs[1]


def start_slow_run(tmp_path: Path, config_yaml: str) -> tuple[subprocess.Popen, Path]:
    (tmp_path / "slow.py").write_text(SLOW_RUN)
    (tmp_path / "config.yaml").write_text(config_yaml)
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "slow.py"), str(tmp_path / "config.yaml"), str(run_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return proc, run_dir


def wait_for_checkpoint(proc: subprocess.Popen, run_dir: Path, timeout: float = 90) -> dict:
    """Wait until a checkpoint exists and metrics have grown past it."""
    paths = RunPaths(run_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        state = paths.read_state()
        if state and len(paths.metrics.read_text().splitlines()) > state["metrics_lines"] + 2:
            return state
        time.sleep(0.02)
    proc.kill()
    pytest.fail("no checkpoint in time")


@pytest.mark.skipif(os.name != "posix", reason="uses POSIX signals")
def test_resume_after_kill_keeps_earlier_metrics_and_ends_at_the_budget(tmp_path, tiny_config):
    config = tiny_config(total_timesteps=2048, checkpoint_every=512, seeds=[3])
    proc, run_dir = start_slow_run(tmp_path, config.to_yaml())
    state = wait_for_checkpoint(proc, run_dir)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    paths = RunPaths(run_dir)
    assert not paths.summary.exists()
    before = paths.metrics.read_text().splitlines()
    assert len(before) > state["metrics_lines"]  # lines written after the checkpoint

    with pytest.raises(RunExistsError, match="resume"):
        run_experiment(config, run_dir)
    with pytest.raises(ConfigError, match="changed: seeds"):
        run_experiment(config, run_dir, resume=True, seed=0)
    # a config with several seeds resumes the run dir's own seed
    result = run_experiment(config.model_copy(update={"seeds": [0, 3]}), run_dir, resume=True)

    assert result.status == "finished" and not result.skipped
    assert result.resumed_from == state["timesteps"] >= 512
    assert result.summary["timesteps_done"] == 2048
    assert result.summary["sessions"] == 2
    after = paths.metrics.read_text().splitlines()
    assert after[: state["metrics_lines"]] == before[: state["metrics_lines"]]
    steps = [r["timestep"] for r in rows(run_dir, "episode")]
    assert all(a < b for a, b in zip(steps, steps[1:], strict=False)), "duplicated episodes"
    assert steps[-1] <= 2048 and result.summary["episodes"] == len(steps)
    meta = paths.read_meta()
    assert [r["from_timesteps"] for r in meta["resumes"]] == [state["timesteps"]]
    assert len(list((run_dir / "tb").iterdir())) == 1  # TensorBoard continues the same run


@pytest.mark.skipif(os.name != "posix", reason="uses POSIX signals")
def test_ctrl_c_saves_a_checkpoint_then_resume_finishes(tmp_path, tiny_config):
    # a long budget, so that the interrupt lands mid-training even on a loaded machine
    config = tiny_config(total_timesteps=4096, checkpoint_every=1024, seeds=[4])
    proc, run_dir = start_slow_run(tmp_path, config.to_yaml())
    first = wait_for_checkpoint(proc, run_dir)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and b"RunInterrupted" in err
    paths = RunPaths(run_dir)
    state = paths.read_state()
    summary = paths.read_summary()
    assert summary["status"] == "interrupted"
    assert state["timesteps"] == summary["timesteps_done"] > first["timesteps"]

    result = resume_run(run_dir)
    assert result.status == "finished" and result.summary["timesteps_done"] == 4096


def test_resume_refuses_a_different_config(tiny_runs, tiny_config, tmp_path):
    config = tiny_config(total_timesteps=256, checkpoint_every=0, eval={"episodes": 1})
    run_dir = tmp_path / "r"
    (run_dir).mkdir()
    (run_dir / "config.yaml").write_text(config.for_seed(0).to_yaml())
    (run_dir / "meta.json").write_text("{}")
    with pytest.raises(ConfigError, match="changed: total_timesteps"):
        run_experiment(tiny_config(total_timesteps=512), run_dir, resume=True)
    # resume of a run killed before its first checkpoint starts afresh
    result = run_experiment(config, run_dir, resume=True)
    assert result.summary["timesteps_done"] == 256


def test_missing_method_package_is_a_clear_error(tiny_config, tmp_path, monkeypatch):
    monkeypatch.setitem(plugin_registry.BUILTIN, "lare", "langreward.lare.not_written_yet:METHOD")
    monkeypatch.delitem(plugin_registry._registered, "lare", raising=False)
    with pytest.raises(ConfigError, match="method 'lare' is not available: its module"):
        tiny_config(method="lare", algo="sac")
    assert not list(tmp_path.iterdir())


def test_baseline_rejects_settings(tiny_config):
    with pytest.raises(ConfigError, match="baseline.scale: unknown field"):
        tiny_config(baseline={"scale": 1})


class AddBonus(VecEnvWrapper):
    """A stand-in for a shaping method: +bonus on every step, outside Monitor."""

    def __init__(self, venv, bonus: float) -> None:
        super().__init__(venv)
        self.bonus = bonus

    def reset(self):
        return self.venv.reset()

    def step_wait(self):
        obs, reward, done, infos = self.venv.step_wait()
        return obs, reward + self.bonus, done, infos


class BonusSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bonus: float = 10.0


def build_bonus(settings: BonusSettings, context: RunContext) -> OnlineSetup:
    env, eval_env = context.make_vec_env(), context.make_vec_env(evaluation=True)
    llm = context.llm.get()
    for prompt in ("a", "b", "a"):  # three calls, one of them repeated
        llm.chat(prompt)
    return OnlineSetup(
        AddBonus(env, settings.bonus),
        eval_env,
        model_kwargs={"gamma": 0.95},
        summary=lambda: {"bonus": settings.bonus},
    )


@pytest.fixture
def bonus_method():
    register(Method("bonus", BonusSettings, build_bonus, description="test: +bonus"))
    yield
    unregister("bonus")


def test_method_contract_shaped_training_original_metrics(tiny_config, tmp_path, bonus_method):
    config = tiny_config(method="bonus", bonus={"bonus": 5}, total_timesteps=512, llm="scripted")
    result = run_experiment(config, tmp_path / "r")
    episodes = rows(result.run_dir, "episode")
    assert episodes and all(r["return"] == r["length"] for r in episodes)  # not shaped
    assert np.isclose(
        result.summary["final_eval_return_mean"], result.summary["final_eval"]["return_mean"]
    )
    assert result.summary["method_summary"]["bonus"] == 5
    # the runner made the LLM, counted it, exported its transcript and named it
    assert result.summary["llm"]["calls"] == 3 and result.summary["llm_spec"] == "scripted"
    transcript = (result.run_dir / "llm_transcript.jsonl").read_text().splitlines()
    assert len(transcript) == 2  # distinct calls
    from stable_baselines3 import PPO

    assert PPO.load(result.run_dir / "checkpoints" / "latest.zip").gamma == 0.95


def test_a_method_brings_its_own_algorithm_class(tiny_config, tmp_path):
    from stable_baselines3 import PPO

    class MarkedPPO(PPO):
        """A method's own SB3-compatible algorithm."""

    def build(settings: BonusSettings, context: RunContext) -> OnlineSetup:
        env, eval_env = context.make_vec_env(), context.make_vec_env(evaluation=True)
        return OnlineSetup(env, eval_env, algorithm=MarkedPPO)

    register(Method("own_algo", BonusSettings, build))
    try:
        config = tiny_config(method="own_algo", total_timesteps=256, checkpoint_every=128)
        result = run_experiment(config, tmp_path / "r")
    finally:
        unregister("own_algo")
    assert result.summary["algorithm"] == "MarkedPPO" and result.summary["llm"] is None


def test_a_method_section_typo_fails_before_anything_is_created(tiny_config, bonus_method):
    with pytest.raises(
        ConfigError, match=r"bonus\.bonsu: unknown field; allowed fields here: bonus"
    ):
        tiny_config(method="bonus", bonus={"bonsu": 1})
    with pytest.raises(ConfigError, match="method: unknown method 'bonsu'"):
        tiny_config(method="bonsu")


def test_torch_threads_default_to_one_during_a_run(tiny_config, tmp_path):
    import torch

    seen = []
    before = torch.get_num_threads()
    run_experiment(
        tiny_config(total_timesteps=256, checkpoint_every=0, eval={"episodes": 1}),
        tmp_path / "r",
        progress=lambda p: seen.append(torch.get_num_threads()),
    )
    assert set(seen) == {1} and torch.get_num_threads() == before


def test_off_policy_checkpoint_has_replay_buffer(tmp_path, tiny_config):
    config = tiny_config(
        algo="dqn",
        algo_kwargs={"learning_starts": 64, "buffer_size": 1000, "train_freq": [1, "episode"]},
        total_timesteps=300,
        checkpoint_every=150,
        eval={"episodes": 1},
    )
    result = run_experiment(config, tmp_path / "r")
    assert result.summary["timesteps_done"] == 300
    assert (result.run_dir / "checkpoints" / "replay_buffer.pkl").is_file()


def test_tensorboard_has_eval_scalars(tiny_runs):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (events,) = (tiny_runs[0] / "tb").rglob("events.out.tfevents.*")
    acc = EventAccumulator(str(events.parent))
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert "eval/return_mean" in tags and "rollout/ep_rew_mean" in tags


def test_killed_after_the_last_checkpoint_only_evaluates(tmp_path, tiny_config):
    config = tiny_config(total_timesteps=256, checkpoint_every=0, eval={"episodes": 1})
    first = run_experiment(config, tmp_path / "r")
    (first.run_dir / "summary.json").unlink()  # as if killed before the summary was written
    result = run_experiment(config, first.run_dir, resume=True)
    assert result.resumed_from == 256 and result.summary["timesteps_done"] == 256
    assert result.summary["episodes"] == first.summary["episodes"]
    (final,) = rows(
        result.run_dir, "eval"
    )  # the first session's final eval was past the checkpoint
    assert final["final"] is True and final["timestep"] == 256


def test_one_evaluation_and_one_method_row_per_step(tmp_path, tiny_config):
    # the budget is a multiple of eval.every: the last periodic evaluation is the final one
    config = tiny_config(total_timesteps=512, eval={"every": 128, "episodes": 1}, n_envs=2)
    result = run_experiment(config, tmp_path / "r")
    evals = rows(result.run_dir, "eval")
    assert [r["timestep"] for r in evals] == [128, 256, 384, 512]
    assert [r.get("final", False) for r in evals] == [False, False, False, True]
    steps = [r["timestep"] for r in rows(result.run_dir, "method")]
    assert len(steps) == len(set(steps))

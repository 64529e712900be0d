"""The pre-flight check: the env made once with the user's kwargs and each method's own rules,
before a run directory exists and before any LLM call; and a method that cannot be built
leaves no directory behind when nothing ran."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest
from pydantic import BaseModel, ConfigDict

from langreward.experiments import ConfigError, load_config, plan_sweep, run_experiment
from langreward.experiments.preflight import describe_exception, preflight_problems
from langreward.experiments.rundir import RunPaths
from langreward.plugin import (
    Method,
    MethodError,
    OnlineSetup,
    PreflightInfo,
    RunContext,
    register,
    unregister,
)

CONFIGS = Path(__file__).parents[2] / "configs"


class SilentAssertEnv(gym.Env):
    """An env whose constructor fails an ``assert`` with no message (as many envs do)."""

    observation_space = gym.spaces.Discrete(2)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, width: int = 3) -> None:
        if width < 3:  # a bare ``assert`` here would be rewritten by pytest
            raise AssertionError


class ResetAssertEnv(SilentAssertEnv):
    """An env made fine that fails an ``assert`` with no message at ``reset``."""

    def reset(self, *, seed=None, options=None):
        raise AssertionError


@pytest.fixture(scope="module", autouse=True)
def _silent_assert_env():
    gym.register("PreflightSilentAssert-v0", entry_point=SilentAssertEnv)
    gym.register("PreflightResetAssert-v0", entry_point=ResetAssertEnv)
    yield
    gym.registry.pop("PreflightSilentAssert-v0", None)
    gym.registry.pop("PreflightResetAssert-v0", None)


def test_a_misspelt_env_kwarg_is_one_line_naming_env_kwargs_and_what_the_env_takes(
    tiny_config, tmp_path
) -> None:
    config = tiny_config(env={"id": "CartPole-v1", "kwargs": {"N": 3}})
    [line] = preflight_problems(config)
    assert line.startswith("env.kwargs: gymnasium.make('CartPole-v1', N=3) failed: TypeError")
    assert "unexpected keyword argument 'N'" in line
    assert "CartPole-v1 takes: sutton_barto_reward, render_mode" in line
    assert "was raised from the environment creator" not in line  # Gymnasium's repetition
    with pytest.raises(ConfigError, match="env.kwargs"):
        run_experiment(config, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_an_empty_assertion_says_where_it_was_raised(tiny_config) -> None:
    config = tiny_config(env={"id": "PreflightSilentAssert-v0", "kwargs": {"width": 1}})
    [line] = preflight_problems(config)
    assert line.startswith("env.kwargs: gymnasium.make('PreflightSilentAssert-v0', width=1)")
    assert "AssertionError (no message) raised at experiments/test_preflight.py:" in line
    assert line.endswith("in __init__: raise AssertionError")


def test_describe_exception_keeps_a_message() -> None:
    assert describe_exception(ValueError("bad N")) == "ValueError: bad N"
    assert describe_exception(AssertionError()) == "AssertionError (no message)"  # no traceback


def test_an_env_that_fails_at_reset_is_caught_too(tiny_config) -> None:
    config = tiny_config(env={"id": "PreflightResetAssert-v0"})
    [line] = preflight_problems(config)
    assert line.startswith("env.id: reset() of PreflightResetAssert-v0 failed: AssertionError")
    assert line.endswith("in reset: raise AssertionError")


def test_a_good_config_passes(tiny_config) -> None:
    assert preflight_problems(tiny_config()) == []


# -- a method's own rules ------------------------------------------------------------------------
class NoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _build_plain(settings: NoSettings, context: RunContext) -> OnlineSetup:
    return OnlineSetup(context.make_vec_env(), context.make_vec_env(evaluation=True))


def test_a_method_preflight_runs_before_any_directory(tiny_config, tmp_path) -> None:
    seen: list[PreflightInfo] = []

    def preflight(settings: NoSettings, info: PreflightInfo) -> list[str]:
        seen.append(info)
        return [f"algo_kwargs.n_steps: {info.algo_kwargs['n_steps']} is odd"]

    register(Method("picky", NoSettings, _build_plain, preflight=preflight))
    try:
        config = tiny_config(method="picky")
        with pytest.raises(ConfigError, match=r"algo_kwargs\.n_steps: 128 is odd"):
            run_experiment(config, tmp_path / "run")
    finally:
        unregister("picky")
    assert not (tmp_path / "run").exists()
    [info] = seen
    assert info.env_id == "CartPole-v1" and info.algo == "ppo" and info.n_envs == 1
    assert info.env.observation_space.shape == (4,)


def test_multi_agent_lare_rollout_rule_fails_before_the_encoder_is_written(tmp_path) -> None:
    config = load_config(
        CONFIGS / "lare_marl/spread_ippo.yaml",
        ["algo_kwargs.n_steps=60", "llm=scripted", "seeds=[0]", "n_envs=1"],
    )
    with pytest.raises(ConfigError) as error:
        run_experiment(config, tmp_path / "run")
    assert error.value.problems == [
        "algo_kwargs.n_steps: 60 must be a multiple of the episode length (25) of "
        "MPE2-SimpleSpread-v3 so that every PPO rollout holds whole team episodes; e.g. 50 or 75"
    ]
    assert not (tmp_path / "run").exists()
    # the dense reference relabels nothing: any rollout length works
    dense = config.model_copy(update={"lare_marl": {"variant": "dense"}})
    assert preflight_problems(dense) == []


def test_lgr2_needs_a_goal_env_before_the_llm_writes_a_reward(tiny_config) -> None:
    config = tiny_config(method="lgr2", algo="sac", algo_kwargs={}, llm="scripted")
    [line] = preflight_problems(config)
    assert "CartPole-v1 is not a goal env" in line


def test_every_grid_point_is_preflighted_before_a_sweep_runs(tiny_config, tmp_path) -> None:
    grid = {"env.kwargs": [{}, {"N": 3}]}
    with pytest.raises(ConfigError, match=r"sweep grid env.kwargs=\{'N': 3\}: env.kwargs: "):
        plan_sweep(tiny_config(), grid=grid, out_dir=tmp_path / "sweep")
    assert not (tmp_path / "sweep").exists()


# -- a method that cannot be built -----------------------------------------------------------
def _build_failing(settings: NoSettings, context: RunContext) -> OnlineSetup:
    raise MethodError("sft.model: give the model to fine-tune")


def _build_failing_after_the_llm(settings: NoSettings, context: RunContext) -> OnlineSetup:
    context.llm.get().chat("write the reward")
    raise MethodError("the reward the LLM wrote does not compile")


@pytest.fixture
def failing_methods():
    register(Method("fails", NoSettings, _build_failing))
    register(Method("fails_late", NoSettings, _build_failing_after_the_llm))
    yield
    unregister("fails")
    unregister("fails_late")


def test_a_build_error_before_anything_ran_leaves_no_directory(
    tiny_config, tmp_path, failing_methods
) -> None:
    with pytest.raises(MethodError, match="sft.model"):
        run_experiment(tiny_config(method="fails"), runs_root=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()  # nor the parents it made
    with pytest.raises(MethodError, match="sft.model"):
        run_experiment(tiny_config(method="fails"), tmp_path / "a" / "run")
    assert not (tmp_path / "a").exists()


def test_a_build_error_after_an_llm_call_keeps_the_failed_run(
    tiny_config, tmp_path, failing_methods
) -> None:
    config = tiny_config(method="fails_late", llm="scripted")
    with pytest.raises(MethodError, match="does not compile"):
        run_experiment(config, tmp_path / "run")
    paths = RunPaths(tmp_path / "run")
    assert paths.read_summary()["status"] == "failed"  # what the LLM cost is kept
    assert (paths.root / "llm_transcript.jsonl").is_file()


def test_a_build_error_in_an_existing_directory_records_the_failure(
    tiny_config, tmp_path, failing_methods
) -> None:
    (tmp_path / "run").mkdir()  # the user's own directory: never removed
    with pytest.raises(MethodError):
        run_experiment(tiny_config(method="fails"), tmp_path / "run")
    assert RunPaths(tmp_path / "run").read_summary()["status"] == "failed"

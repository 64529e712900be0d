from __future__ import annotations

import json

import gymnasium as gym
import pytest

from langreward.experiments import ConfigError, expand_grid, parse_grid, plan_sweep, run_sweep
from langreward.experiments.sweep import SweepProgress


def test_expand_grid_is_the_cross_product():
    assert expand_grid(None) == [{}]
    assert expand_grid({"a": [1, 2], "b.c": ["x"]}) == [{"a": 1, "b.c": "x"}, {"a": 2, "b.c": "x"}]
    with pytest.raises(ConfigError, match="a: give a non-empty list"):
        expand_grid({"a": []})


def test_parse_grid_options():
    assert parse_grid(["lmgt.scale=0.2,1.0", "algo=[ppo, a2c]", "lr=1e-3"]) == {
        "lmgt.scale": [0.2, 1.0],
        "algo": ["ppo", "a2c"],
        "lr": [1e-3],
    }
    with pytest.raises(ConfigError, match="expected KEY=V1,V2"):
        parse_grid(["lmgt.scale"])


def test_a_method_section_typo_in_the_grid_fails_before_any_run(tiny_config, tmp_path):
    config = tiny_config(method="lmgt", lmgt={"judge": "oracle"})
    with pytest.raises(ConfigError, match=r"lmgt.scal=0.1: lmgt.scal: unknown field"):
        run_sweep(config, seeds=1, grid={"lmgt.scal": [0.1, 0.2]}, out_dir=tmp_path / "s")
    with pytest.raises(ConfigError, match=r"lmgt.judge='orcle': lmgt.judge"):
        run_sweep(config, seeds=1, grid={"lmgt.judge": ["oracle", "orcle"]}, out_dir=tmp_path / "s")
    assert not (tmp_path / "s").exists()


def test_plan_validates_every_grid_point(tiny_config, tmp_path):
    with pytest.raises(ConfigError, match=r"sweep grid eval.episodes=0: eval.episodes"):
        plan_sweep(tiny_config(), seeds=1, grid={"eval.episodes": [1, 0]}, out_dir=tmp_path)
    sweep_dir, planned = plan_sweep(
        tiny_config(), seeds=[5, 6], grid={"lmgt.scale": [0.2, 1.0]}, out_dir=tmp_path
    )
    assert sweep_dir == tmp_path and len(planned) == 4
    assert {(r.seed, r.grid["lmgt.scale"]) for _, r in planned} == {
        (5, 0.2),
        (5, 1.0),
        (6, 0.2),
        (6, 1.0),
    }
    assert len({r.run_dir for _, r in planned}) == 4
    assert all(c.seeds == [r.seed] and c.lmgt["scale"] == r.grid["lmgt.scale"] for c, r in planned)


def check_sweep(result, events: list[SweepProgress], total: int) -> dict:
    assert [e.done for e in events] == list(range(1, total + 1))
    assert all(e.total == total for e in events)
    assert events[-1].best is not None
    data = json.loads((result.sweep_dir / "sweep.json").read_text())
    assert data["total"] == total and data["counts"]["finished"] == total
    for row in data["runs"]:
        assert row["status"] == "finished"
        summary = json.loads((result.sweep_dir / row["run_dir"] / "summary.json").read_text())
        assert summary["status"] == "finished" and summary["labels"] == row["grid"]
    return data


def test_two_run_sweep_in_local_processes(tiny_config, tmp_path):
    events: list[SweepProgress] = []
    config = tiny_config(total_timesteps=512, checkpoint_every=0, eval={"episodes": 1})
    result = run_sweep(
        config,
        seeds=1,
        grid={"algo_kwargs.learning_rate": [3e-4, 1e-3]},
        workers=2,
        out_dir=tmp_path / "sweep",
        progress=events.append,
    )
    assert [r.status for r in result.runs] == ["finished", "finished"]
    data = check_sweep(result, events, 2)
    assert data["backend"] == "processes"
    assert data["grid"] == {"algo_kwargs.learning_rate": [3e-4, 1e-3]}
    # asked again: finished runs are not repeated
    again = run_sweep(
        config,
        seeds=1,
        grid={"algo_kwargs.learning_rate": [3e-4, 1e-3]},
        workers=2,
        out_dir=tmp_path / "sweep",
    )
    assert [r.results for r in again.runs] == [r.results for r in result.runs]


class BreaksAtStep(gym.Wrapper):
    """CartPole that raises at step ``fail_at`` (0: never): a run that fails while training."""

    def __init__(self, fail_at: int = 0) -> None:
        super().__init__(gym.make("CartPole-v1"))
        self.fail_at, self.steps = fail_at, 0

    def step(self, action):
        self.steps += 1
        if self.steps == self.fail_at:
            raise RuntimeError("the simulator broke down")
        return self.env.step(action)


@pytest.fixture
def breaking_env():
    gym.register("SweepBreaksAtStep-v0", entry_point=BreaksAtStep)
    yield "SweepBreaksAtStep-v0"
    gym.registry.pop("SweepBreaksAtStep-v0", None)


def test_failed_runs_are_recorded_not_fatal(tiny_config, tmp_path, breaking_env):
    events: list[SweepProgress] = []
    config = tiny_config(
        env={"id": breaking_env}, total_timesteps=256, checkpoint_every=0, eval={"episodes": 1}
    )
    result = run_sweep(
        config,
        seeds=[0],
        grid={"env.kwargs": [{"fail_at": 100}, {}]},  # the env breaks while training
        out_dir=tmp_path / "sweep",
        progress=events.append,
    )
    bad, good = result.runs
    assert bad.status == "failed" and "simulator broke down" in bad.error
    assert good.status == "finished" and result.failed == [bad] and result.best is good
    assert events[-1].failed == 1 and events[-1].done == 2
    data = json.loads((result.sweep_dir / "sweep.json").read_text())
    assert data["counts"] == {"pending": 0, "finished": 1, "failed": 1, "interrupted": 0}
    assert "simulator broke down" in data["runs"][0]["error"]


def test_a_grid_value_the_env_rejects_stops_the_sweep_before_any_run(tiny_config, tmp_path):
    grid = {"env.kwargs": [{}, {"no_such_option": 1}]}  # the env's constructor fails
    with pytest.raises(ConfigError, match=r"'no_such_option': 1\}: env.kwargs: gymnasium.make"):
        run_sweep(tiny_config(), seeds=[0], grid=grid, out_dir=tmp_path / "sweep")
    assert not (tmp_path / "sweep").exists()


def test_an_unknown_env_in_the_grid_stops_the_sweep_before_any_run(tiny_config, tmp_path):
    with pytest.raises(ConfigError, match="env.id: unknown environment 'NoSuchEnv-v0'"):
        run_sweep(tiny_config(), grid={"env.id": ["NoSuchEnv-v0"]}, out_dir=tmp_path / "sweep")
    assert not (tmp_path / "sweep").exists()


@pytest.mark.ray
def test_two_run_sweep_on_single_machine_ray(tiny_config, tmp_path):
    ray = pytest.importorskip("ray")
    events: list[SweepProgress] = []
    config = tiny_config(total_timesteps=512, checkpoint_every=0, eval={"episodes": 1})
    result = run_sweep(
        config,
        seeds=2,
        workers=2,
        ray_address="local",
        out_dir=tmp_path / "sweep",
        progress=events.append,
    )
    assert not ray.is_initialized()  # the sweep shut down the Ray it started
    data = check_sweep(result, events, 2)
    assert data["backend"] == "ray" and [r["seed"] for r in data["runs"]] == [0, 1]

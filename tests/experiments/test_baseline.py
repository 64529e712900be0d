"""The baseline method: the plain env, made SB3-ready where a family needs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from langreward.baseline import BaselineSettings, build
from langreward.experiments import ConfigError, validate_config
from langreward.plugin import RunContext


def _context(tmp_path: Path, env_id: str) -> RunContext:
    return RunContext(env_id, "ppo", seed=0, n_envs=2, total_timesteps=100, run_dir=tmp_path)


def test_babyai_baseline_trains_on_the_image(tmp_path: Path) -> None:
    pytest.importorskip("minigrid")
    setup = build(BaselineSettings(), _context(tmp_path, "BabyAI-GoToObjS4-v0"))
    assert setup.env.observation_space.shape == (7, 7, 3)
    assert setup.eval_env.observation_space.shape == (7, 7, 3)
    obs = setup.env.reset()
    assert obs.shape == (2, 7, 7, 3) and obs.dtype == np.uint8


def test_baseline_takes_no_settings() -> None:
    config = {"name": "b", "env": "CartPole-v1", "algo": "ppo", "total_timesteps": 10}
    with pytest.raises(ConfigError, match="baseline.scale: unknown field"):
        validate_config({**config, "baseline": {"scale": 1.0}})

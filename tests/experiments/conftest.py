"""Shared fixtures: tiny CartPole PPO configs and a few finished runs reused across tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from langreward.experiments import ExperimentConfig, run_experiment, validate_config

TINY: dict[str, Any] = {
    "name": "tiny",
    "method": "baseline",
    "env": {"id": "CartPole-v1"},
    "algo": "ppo",
    "algo_kwargs": {"n_steps": 128, "batch_size": 64, "n_epochs": 2},
    "total_timesteps": 1024,
    "seeds": [0, 1],
    "eval": {"every": 512, "episodes": 2},
    "checkpoint_every": 512,
    "threshold": 25,
}


def _tiny_config(**changes: Any) -> ExperimentConfig:
    return validate_config({**TINY, **changes}, "tiny")


@pytest.fixture(scope="session")
def tiny_config() -> Callable[..., ExperimentConfig]:
    """Build the tiny config with top-level fields replaced: ``tiny_config(total_timesteps=512)``."""
    return _tiny_config


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two finished baseline runs (seeds 0 and 1) of the tiny config."""
    root = tmp_path_factory.mktemp("tiny-runs")
    config = _tiny_config()
    return [run_experiment(config, seed=s, runs_root=root).run_dir for s in config.seeds]

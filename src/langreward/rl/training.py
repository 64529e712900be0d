"""What a method hands the experiment runner: the pieces of one SB3 training run.

Each method package exposes ``run.build_setup(method_settings, context) -> TrainingSetup``; the
runner (``langreward.experiments``) builds the SB3 algorithm with ``model_kwargs``, trains on
``env`` with ``callbacks``, evaluates on ``eval_env`` with the *original* reward, and stores
``summary()`` in the run directory. The baseline is the same setup with no shaping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv


@dataclass
class RunContext:
    """Settings every method receives from the runner."""

    env_id: str
    algo: str  # "ppo", "dqn", "a2c", "sac", "td3"
    seed: int
    n_envs: int
    total_timesteps: int
    run_dir: Path
    llm_spec: str = "embedded"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    cache_path: Path | None = None  # LLM response cache (None: the default)


@dataclass
class TrainingSetup:
    """The training env (wrapped by the method), extra SB3 kwargs and callbacks of one run."""

    env: VecEnv
    eval_env: VecEnv
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    callbacks: list[BaseCallback] = field(default_factory=list)
    summary: Callable[[], dict[str, Any]] = dict  # method metrics for the run's summary.json
    close: Callable[[], None] = lambda: None

"""Deterministic success rate of a goal-reaching policy (flat SB3 or two-level).

An episode succeeds when the env reports ``info["success"]`` (or ``is_success``) at any step:
Gymnasium-Robotics' mazes keep running after the goal is reached (``continuing_task``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecEnv


def success_rate(model: Any, env: VecEnv, episodes: int, deterministic: bool = True) -> float:
    """Share of ``episodes`` (played one env at a time) in which the goal was reached.

    Example:
        >>> # success_rate(agent, make_vec_env("PointMaze_UMaze-v3", seed=10_000), 10)
    """
    successes = 0
    for _ in range(episodes):
        obs, state, start, reached, done = (
            env.reset(),
            None,
            np.ones(env.num_envs, bool),
            False,
            False,
        )
        while not done:
            action, state = model.predict(
                obs, state=state, episode_start=start, deterministic=deterministic
            )
            obs, _, dones, infos = env.step(action)
            start = dones
            done = bool(dones[0])
            reached |= bool(infos[0].get("success", infos[0].get("is_success", False)))
        successes += reached
    return successes / episodes

"""A user's env package: importing it registers ``Corridor-v0`` (and
``HalfDocCorridor-v0``, documented only in part) with Gymnasium."""

import gymnasium as gym

from mylab_envs.corridor import CorridorEnv, UndocumentedCorridorEnv

__all__ = ["CorridorEnv", "UndocumentedCorridorEnv"]

gym.register(id="Corridor-v0", entry_point="mylab_envs.corridor:CorridorEnv", max_episode_steps=40)
gym.register(
    id="HalfDocCorridor-v0",
    entry_point="mylab_envs.corridor:UndocumentedCorridorEnv",
    max_episode_steps=40,
)

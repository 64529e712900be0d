"""A user's env package: importing it registers ``Corridor-v0``, ``ContinuousCorridor-v0``
and ``HalfDocCorridor-v0`` (documented only in part) with Gymnasium."""

import gymnasium as gym

from mylab_envs.corridor import ContinuousCorridorEnv, CorridorEnv, UndocumentedCorridorEnv

__all__ = ["ContinuousCorridorEnv", "CorridorEnv", "UndocumentedCorridorEnv"]

gym.register(id="Corridor-v0", entry_point="mylab_envs.corridor:CorridorEnv", max_episode_steps=40)
gym.register(
    id="ContinuousCorridor-v0",
    entry_point="mylab_envs.corridor:ContinuousCorridorEnv",
    max_episode_steps=40,
)
gym.register(
    id="HalfDocCorridor-v0",
    entry_point="mylab_envs.corridor:UndocumentedCorridorEnv",
    max_episode_steps=40,
)

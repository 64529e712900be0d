"""Episodic (delayed) rewards: the agent sees the episode's return only when it ends."""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym


class EpisodicRewardWrapper(gym.Wrapper):
    """Withhold rewards until the episode ends, then pay the whole return at once.

    Every step returns reward 0 except the last one (terminated or truncated), which returns
    the sum of the episode's rewards. ``info["dense_reward"]`` keeps the step's original reward
    and ``info["episode_return"]`` the return so far, so evaluations and the dense reference can
    still use them.

    Example:
        >>> env = EpisodicRewardWrapper(gym.make("Pendulum-v1"))
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self._return = 0.0

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        self._return = 0.0
        return self.env.reset(**kwargs)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._return += float(reward)
        info = {**info, "dense_reward": float(reward), "episode_return": self._return}
        delayed = self._return if (terminated or truncated) else 0.0
        return obs, delayed, terminated, truncated, info

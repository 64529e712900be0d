"""``JudgeContextWrapper``: puts into ``info`` what a judge needs that the observation lacks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, SupportsFloat

import gymnasium as gym

from langreward.lmgt.reference import REFERENCE_ACTION_KEY, BabyAIBotReference, ReferencePolicy

MISSION_KEY = "mission"


class JudgeContextWrapper(gym.Wrapper[Any, Any, Any, Any]):
    """Adds ``info["mission"]`` (MiniGrid/BabyAI) and ``info["reference_action"]``.

    Put it directly around the base env, below observation wrappers such as MiniGrid's
    ``ImgObsWrapper`` that drop the mission text: the info dict passes through them. The
    reference action written with an observation is the reference policy's action *for that
    observation*, so judges can score the agent's next action against it.

    Args:
        env: the env to wrap.
        reference: a reference policy that needs the live env (``needs_env``), e.g.
            :class:`~langreward.lmgt.reference.BabyAIBotReference`; others need no wrapper.

    Example:
        >>> import gymnasium as gym, minigrid  # doctest: +SKIP
        >>> gym.register_envs(minigrid)  # doctest: +SKIP
        >>> env = JudgeContextWrapper(gym.make("BabyAI-GoToLocal-v0"),
        ...                           BabyAIBotReference())  # doctest: +SKIP
        >>> obs, info = env.reset(seed=0)  # doctest: +SKIP
        >>> info["mission"], info["reference_action"]  # doctest: +SKIP
        ('go to the purple box', 2)
    """

    def __init__(self, env: gym.Env, reference: ReferencePolicy | None = None) -> None:
        super().__init__(env)
        self.reference = reference
        self._tracker = (
            reference.tracker(env)
            if isinstance(reference, BabyAIBotReference) and reference.needs_env
            else None
        )

    @property
    def reference_failures(self) -> int:
        """How many times the env-bound reference could not plan."""
        return self._tracker.failures if self._tracker is not None else 0

    def _with_context(self, obs: Any, info: Mapping[str, Any]) -> dict[str, Any]:
        info = dict(info)
        if isinstance(obs, Mapping) and isinstance(obs.get(MISSION_KEY), str):
            info[MISSION_KEY] = obs[MISSION_KEY]
        return info

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        info = self._with_context(obs, info)
        if self._tracker is not None:
            info[REFERENCE_ACTION_KEY] = self._tracker.reset()
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        info = self._with_context(obs, info)
        if self._tracker is not None:
            done = terminated or truncated
            info[REFERENCE_ACTION_KEY] = None if done else self._tracker.step(action)
        return obs, reward, terminated, truncated, info

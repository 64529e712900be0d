"""Apply a potential as a reward: potential-based shaping (default) or an additive dense term.

Potential-based shaping adds ``F = gamma * phi(s') - phi(s)`` to the env's reward, with
``phi(s') = 0`` when ``s'`` ends the episode (a true termination; a time-limit truncation is
not one). Ng, Harada and Russell (1999) showed it leaves the optimal policies unchanged: a
wrong spec costs speed, not the task. ``additive`` adds ``phi(s')`` itself, with no such
guarantee (what Text2Reward and Eureka do).

:class:`VecPotentialShaping` wraps an SB3 ``VecEnv`` (one potential call per step for every
env); :class:`PotentialShaping` wraps one Gymnasium env. Put either *outside* ``Monitor``, so
logged episode returns stay the env's own.

Example:
    >>> import gymnasium as gym
    >>> env = PotentialShaping(gym.make("MountainCar-v0"), lambda obs: 100 * obs[:, 1], 0.99)
    >>> _ = env.reset(seed=0)
    >>> _, reward, *_ , info = env.step(2)
    >>> round(reward - info["shaping"], 9)  # shaped = original (-1 per step) + F
    -1.0
"""

from __future__ import annotations

from typing import Any, Literal

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from langreward.spec_shaping.spec import Potential

ShapingMode = Literal["potential", "additive"]


def shaping_term(
    phi_before: np.ndarray,
    phi_after: np.ndarray,
    terminated: np.ndarray,
    gamma: float,
    mode: ShapingMode,
) -> np.ndarray:
    """The added reward for a batch of steps (``phi_after`` of a terminal state counts 0).

    Example:
        >>> shaping_term(np.array([1.0, 1.0]), np.array([2.0, 2.0]), np.array([False, True]),
        ...              0.5, "potential").tolist()
        [0.0, -1.0]
    """
    after = np.where(terminated, 0.0, phi_after)
    if mode == "additive":
        return after
    return gamma * after - phi_before


class PotentialShaping(gym.Wrapper):
    """Shape one Gymnasium env's reward with ``potential`` (a batch function, see :mod:`.spec`).

    ``info["shaping"]`` holds the added term of each step.
    """

    def __init__(
        self, env: gym.Env, potential: Potential, gamma: float, mode: ShapingMode = "potential"
    ) -> None:
        super().__init__(env)
        self.potential, self.gamma, self.mode = potential, float(gamma), mode
        self._phi = 0.0

    def _phi_of(self, obs: Any) -> float:
        return float(self.potential(np.asarray(obs, dtype=np.float64).reshape(1, -1))[0])

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        self._phi = self._phi_of(obs)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        phi = self._phi_of(obs)
        term = shaping_term(
            np.array([self._phi]), np.array([phi]), np.array([terminated]), self.gamma, self.mode
        )
        self._phi = phi
        info["shaping"] = float(term[0])
        return obs, float(reward) + float(term[0]), terminated, truncated, info


class VecPotentialShaping(VecEnvWrapper):
    """Shape an SB3 ``VecEnv``'s rewards with ``potential``, one batched call per step.

    An env that finished its episode reports its last observation in
    ``info["terminal_observation"]`` (SB3's convention; the returned observation is already
    the next episode's first): that is the ``s'`` of the step, worth 0 when the episode was
    terminated rather than truncated (``info["TimeLimit.truncated"]``).

    Attributes:
        shaping_sum: the added terms summed since the last :meth:`pop_stats`.
        steps: env steps since then.
    """

    def __init__(
        self,
        venv: VecEnv,
        potential: Potential,
        gamma: float,
        mode: ShapingMode = "potential",
    ) -> None:
        super().__init__(venv)
        self.potential, self.gamma, self.mode = potential, float(gamma), mode
        self._phi = np.zeros(self.num_envs)
        self.shaping_sum, self.shaping_abs, self.steps = 0.0, 0.0, 0

    def reset(self) -> Any:
        obs = self.venv.reset()
        self._phi = self._batch_phi(obs)
        return obs

    def _batch_phi(self, obs: Any) -> np.ndarray:
        return self.potential(np.asarray(obs, dtype=np.float64).reshape(self.num_envs, -1))

    def step_wait(self) -> Any:
        obs, rewards, dones, infos = self.venv.step_wait()
        phi_next = self._batch_phi(obs)
        last = np.array(phi_next)  # s' of each step: the new obs, or the terminal one
        terminated = np.zeros(self.num_envs, dtype=bool)
        for i in np.flatnonzero(dones):
            final = infos[i].get("terminal_observation")
            if final is not None:
                last[i] = self.potential(np.asarray(final, dtype=np.float64).reshape(1, -1))[0]
            terminated[i] = not infos[i].get("TimeLimit.truncated", False)
        term = shaping_term(self._phi, last, terminated, self.gamma, self.mode)
        self._phi = phi_next  # after a reset: the new episode's first state
        self.shaping_sum += float(term.sum())
        self.shaping_abs += float(np.abs(term).sum())
        self.steps += self.num_envs
        return obs, rewards + term.astype(rewards.dtype), dones, infos

    def pop_stats(self) -> dict[str, float]:
        """Mean added term and mean absolute added term per step since the last call."""
        steps = max(self.steps, 1)
        stats = {
            "shaping_mean": self.shaping_sum / steps,
            "shaping_abs_mean": self.shaping_abs / steps,
        }
        self.shaping_sum, self.shaping_abs, self.steps = 0.0, 0.0, 0
        return stats

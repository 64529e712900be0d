"""A replay buffer that relabels rewards when it samples, and keeps finished episodes.

SB3's off-policy algorithms (SAC, TD3, DQN) stay unchanged: pass
``replay_buffer_class=RelabelingReplayBuffer`` and ``replay_buffer_kwargs={"relabel": ...}``.
``relabel`` gets the sampled (observations, env actions, episodic-return-per-step) and returns
the rewards the learner sees — a learned decoder's proxy rewards (LaRe, RD, RRD) or the
uniform redistribution of the return (IRCR).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.buffers import ReplayBuffer
from stable_baselines3.common.type_aliases import ReplayBufferSamples
from stable_baselines3.common.vec_env import VecNormalize


@dataclass
class StoredEpisode:
    """One finished episode: env observations and actions of every step, and its return.

    ``dense_rewards`` holds the per-step rewards the env withheld, where it reports them in
    ``info["dense_reward"]`` (see :class:`~langreward.rl.episodic.EpisodicRewardWrapper`):
    never used for learning, only to measure how well proxy rewards match them.
    """

    observations: np.ndarray
    actions: np.ndarray
    episodic_return: float
    dense_rewards: np.ndarray | None = None


Relabel = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def ircr_relabel(observations: np.ndarray, actions: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """IRCR-style uniform redistribution: every step gets return / length of its episode."""
    return uniform


class RelabelingReplayBuffer(ReplayBuffer):
    """ReplayBuffer whose sampled rewards come from ``relabel`` (see module docstring).

    Args:
        relabel: ``relabel(obs, env_actions, uniform_return) -> rewards`` for a batch; ``None``
            keeps the stored rewards. ``uniform_return`` is the episode's return divided by its
            length (0 while the episode is still running).
        episode_capacity: how many finished episodes to keep for decoder training.
    """

    def __init__(
        self,
        buffer_size: int,
        observation_space: spaces.Space[Any],
        action_space: spaces.Space[Any],
        device: torch.device | str = "auto",
        n_envs: int = 1,
        optimize_memory_usage: bool = False,
        handle_timeout_termination: bool = True,
        relabel: Relabel | None = None,
        episode_capacity: int = 200,
    ) -> None:
        super().__init__(
            buffer_size,
            observation_space,
            action_space,
            device,
            n_envs=n_envs,
            optimize_memory_usage=optimize_memory_usage,
            handle_timeout_termination=handle_timeout_termination,
        )
        self.relabel = relabel
        self.episodes: deque[StoredEpisode] = deque(maxlen=episode_capacity)
        self.episode_ids = np.full((self.buffer_size, self.n_envs), -1, dtype=np.int64)
        self.uniform_by_episode: dict[int, float] = {}
        self._next_episode = n_envs
        self._current = np.arange(n_envs)
        self._open: list[list[tuple[np.ndarray, np.ndarray, float, float | None]]] = [
            [] for _ in range(n_envs)
        ]

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without ``relabel``: it may hold compiled LLM-written code, and a method
        that relabels saves its own state with the checkpoint and sets it again on resume."""
        state = dict(self.__dict__)
        state["relabel"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A loaded buffer's envs start new episodes: the unfinished ones are closed off (their
        stored steps keep a return of 0) so that new steps never join them."""
        self.__dict__.update(state)
        for env in range(self.n_envs):
            self._open[env] = []
            self._current[env] = self._next_episode
            self._next_episode += 1

    def env_actions(self, actions: np.ndarray) -> np.ndarray:
        """Undo SB3's [-1, 1] scaling of Box actions, giving the env's own action values."""
        if isinstance(self.action_space, spaces.Box):
            low, high = self.action_space.low, self.action_space.high
            return low + 0.5 * (np.clip(actions, -1, 1) + 1.0) * (high - low)
        return actions

    def add(
        self,
        obs: np.ndarray,
        next_obs: np.ndarray,
        action: np.ndarray,
        reward: np.ndarray,
        done: np.ndarray,
        infos: list[dict[str, Any]],
    ) -> None:
        # overwritten slots forget their episode so stale returns are never used
        self.episode_ids[self.pos] = self._current
        super().add(obs, next_obs, action, reward, done, infos)
        env_action = self.env_actions(np.asarray(action).reshape(self.n_envs, -1))
        flat_obs = np.asarray(obs).reshape(self.n_envs, -1)
        for env in range(self.n_envs):
            dense = infos[env].get("dense_reward")
            self._open[env].append(
                (
                    flat_obs[env].copy(),
                    env_action[env].copy(),
                    float(reward[env]),
                    None if dense is None else float(dense),
                )
            )
            if done[env]:
                self._close_episode(env)

    def _close_episode(self, env: int) -> None:
        steps = self._open[env]
        total = sum(step[2] for step in steps)
        dense = [step[3] for step in steps]
        self.episodes.append(
            StoredEpisode(
                np.stack([step[0] for step in steps]),
                np.stack([step[1] for step in steps]),
                total,
                None if None in dense else np.array(dense, dtype=np.float64),
            )
        )
        self.uniform_by_episode[int(self._current[env])] = total / len(steps)
        self._open[env] = []
        self._current[env] = self._next_episode
        self._next_episode += 1
        if len(self.uniform_by_episode) > 4 * self.buffer_size:  # forget long-gone episodes
            live = set(np.unique(self.episode_ids).tolist())
            self.uniform_by_episode = {
                k: v for k, v in self.uniform_by_episode.items() if k in live
            }

    def _get_samples(
        self, batch_inds: np.ndarray, env: VecNormalize | None = None
    ) -> ReplayBufferSamples:
        env_indices = np.random.randint(0, high=self.n_envs, size=(len(batch_inds),))
        if self.optimize_memory_usage:
            next_obs = self.observations[(batch_inds + 1) % self.buffer_size, env_indices, :]
        else:
            next_obs = self.next_observations[batch_inds, env_indices, :]
        obs = self.observations[batch_inds, env_indices, :]
        actions = self.actions[batch_inds, env_indices, :]
        rewards = self.rewards[batch_inds, env_indices]
        if self.relabel is not None:
            ids = self.episode_ids[batch_inds, env_indices]
            uniform = np.array([self.uniform_by_episode.get(int(i), 0.0) for i in ids])
            rewards = np.asarray(
                self.relabel(obs.reshape(len(batch_inds), -1), self.env_actions(actions), uniform),
                dtype=np.float32,
            ).reshape(-1)
        data = (
            self._normalize_obs(obs, env),
            actions,
            self._normalize_obs(next_obs, env),
            (
                self.dones[batch_inds, env_indices] * (1 - self.timeouts[batch_inds, env_indices])
            ).reshape(-1, 1),
            self._normalize_reward(rewards.reshape(-1, 1), env),
        )
        return ReplayBufferSamples(*tuple(map(self.to_torch, data)))

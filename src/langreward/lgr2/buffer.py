"""A replay buffer with hindsight relabelling ("future") whose reward sees the whole transition.

SB3's ``HerReplayBuffer`` recomputes rewards with ``env.compute_reward(achieved, goal, info)``,
which never sees the action. LGR2's high-level reward depends on the subgoal (the high
level's action) and on where the agent was when it chose, so this buffer stores both and calls
``reward_fn(achieved, next_achieved, goal, action)`` on every sampled batch (real and relabelled
samples alike: the reward is a fixed function, so a real sample's reward is what it was when
stored). SB3's SAC samples from it unchanged (``sample(batch_size, env)``).

A ring buffer overwrites oldest first, so every transition still stored has its episode's
later transitions stored too: the "future" goal of transition ``i`` is the achieved goal after
a transition ``j >= i`` of the same episode.

Example:
    >>> buffer = HindsightBuffer(100, obs_dim=1, goal_dim=1, action_dim=1,
    ...     reward_fn=lambda a, na, g, u: -(np.abs(na - g)[:, 0] > 0.1).astype(np.float32))
    >>> for t in range(5):
    ...     buffer.add(np.array([t]), np.array([t + 1]), np.array([9.0]), np.array([0.5]),
    ...         np.array([t]), np.array([t + 1]), done=False)
    >>> buffer.end_episode()
    >>> batch = buffer.sample(8)
    >>> batch.observations.shape, batch.rewards.shape
    (torch.Size([8, 2]), torch.Size([8, 1]))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.type_aliases import ReplayBufferSamples

#: ``reward_fn(achieved, next_achieved, goal, action) -> (n,)`` rewards
RewardFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


class HindsightBuffer:
    """Goal-conditioned transitions; a share ``her_ratio`` of each batch gets future goals.

    Args:
        capacity: transitions kept.
        obs_dim, goal_dim, action_dim: sizes; the policy sees ``[obs, goal]``.
        reward_fn: the reward of a (relabelled) transition.
        her_ratio: the share of samples relabelled (0: no hindsight).
        seed: sampling.
    """

    def __init__(
        self,
        capacity: int,
        *,
        obs_dim: int,
        goal_dim: int,
        action_dim: int,
        reward_fn: RewardFn,
        her_ratio: float = 0.8,
        seed: int = 0,
        device: str = "cpu",
    ) -> None:
        self.capacity = capacity
        self.reward_fn = reward_fn
        self.her_ratio = her_ratio
        self.device = device
        self.rng = np.random.default_rng(seed)
        self.obs = np.zeros((capacity, obs_dim), np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), np.float32)
        self.goal = np.zeros((capacity, goal_dim), np.float32)
        self.action = np.zeros((capacity, action_dim), np.float32)
        self.achieved = np.zeros((capacity, goal_dim), np.float32)
        self.next_achieved = np.zeros((capacity, goal_dim), np.float32)
        self.done = np.zeros(capacity, np.float32)
        self.absolute = np.zeros(capacity, np.int64)  # the transition's number since the start
        self.episode_end = np.full(capacity, -1, np.int64)  # absolute end; -1: still running
        self.added = 0  # transitions ever added
        self.episode_start = 0  # absolute number of the running episode's first transition

    def __len__(self) -> int:
        return min(self.added, self.capacity)

    def add(
        self,
        obs: np.ndarray,
        next_obs: np.ndarray,
        goal: np.ndarray,
        action: np.ndarray,
        achieved: np.ndarray,
        next_achieved: np.ndarray,
        done: bool,
    ) -> None:
        """Store one transition of the running episode."""
        i = self.added % self.capacity
        self.obs[i], self.next_obs[i], self.goal[i], self.action[i] = obs, next_obs, goal, action
        self.achieved[i], self.next_achieved[i] = achieved, next_achieved
        self.done[i] = float(done)
        self.absolute[i], self.episode_end[i] = self.added, -1
        self.added += 1

    def end_episode(self) -> None:
        """Close the running episode (its transitions' future goals stop at its end)."""
        first = max(self.episode_start, self.added - self.capacity)
        for number in range(first, self.added):
            self.episode_end[number % self.capacity] = self.added
        self.episode_start = self.added

    def sample(self, batch_size: int, env: Any = None) -> ReplayBufferSamples:
        """A batch for SB3's ``SAC.train`` (``env`` is SB3's VecNormalize slot, unused)."""
        index = self.rng.integers(0, len(self), size=batch_size)
        goal = self.goal[index].copy()
        relabel = self.rng.random(batch_size) < self.her_ratio
        if relabel.any():
            chosen = index[relabel]
            end = self.episode_end[chosen]
            end = np.where(end < 0, self.added, end)
            left = end - self.absolute[chosen]  # >= 1: the transition itself and later ones
            future = (
                chosen + (self.rng.random(len(chosen)) * left).astype(np.int64)
            ) % self.capacity
            goal[relabel] = self.next_achieved[future]
        rewards = self.reward_fn(
            self.achieved[index], self.next_achieved[index], goal, self.action[index]
        )
        tensor = lambda array: torch.as_tensor(array, dtype=torch.float32, device=self.device)  # noqa: E731
        return ReplayBufferSamples(
            observations=tensor(np.concatenate([self.obs[index], goal], axis=1)),
            actions=tensor(self.action[index]),
            next_observations=tensor(np.concatenate([self.next_obs[index], goal], axis=1)),
            dones=tensor(self.done[index][:, None]),
            rewards=tensor(np.asarray(rewards, np.float32)[:, None]),
        )

    def state_dict(self) -> dict[str, Any]:
        """Everything stored (for checkpoints)."""
        return {key: value for key, value in vars(self).items() if key not in ("reward_fn",)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)

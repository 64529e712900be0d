"""Relabel PPO's rollouts of a team env with per-agent, per-step rewards before it learns.

SB3's PPO computes advantages at the end of each rollout, then calls ``on_rollout_end``:
:class:`TeamRelabelCallback` cuts the rollout into whole team episodes
(``episodes, steps, agents``), stores them for the decoder, overwrites the rollout's rewards
and recomputes returns and advantages. Rollouts must hold whole episodes (``n_steps`` a
multiple of the episode length): team envs reset together, so every rollout then starts at an
episode start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from langreward.lare.marl.config import TeamDecoderSettings
from langreward.lare.marl.decoder import TeamDecoder
from langreward.plugin import MethodError

if TYPE_CHECKING:
    from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm

#: ``features(obs (n, obs_dim), one-hot actions (n, n_actions)) -> (n, k)``
FeatureFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def one_hot(actions: np.ndarray, n_actions: int) -> np.ndarray:
    """``(n,)`` integer actions as ``(n, n_actions)`` one-hot rows."""
    return np.eye(n_actions, dtype=np.float64)[np.asarray(actions, dtype=np.int64).reshape(-1)]


class EpisodeStore:
    """A ring buffer of team episodes: features ``(steps, agents, k)`` and team returns."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.features: np.ndarray | None = None
        self.returns = np.zeros(capacity)
        self.size = self.next = 0

    def add(self, features: np.ndarray, returns: np.ndarray) -> None:
        if self.features is None:
            self.features = np.zeros((self.capacity, *features.shape[1:]), dtype=np.float32)
        for episode, value in zip(features, returns, strict=True):
            self.features[self.next], self.returns[self.next] = episode, value
            self.next = (self.next + 1) % self.capacity
            self.size = min(self.size + 1, self.capacity)

    def sample(self, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        assert self.features is not None
        picks = rng.choice(self.size, size=min(count, self.size), replace=False)
        return self.features[picks], self.returns[picks]

    def state_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("features", "returns", "size", "next")}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.features, self.returns = state["features"], state["returns"]
        self.size, self.next = int(state["size"]), int(state["next"])


class TeamRelabelCallback(BaseCallback):
    """Give every agent at every step the reward of the chosen credit scheme.

    Args:
        mode: ``"decoder"`` (``features`` + a :class:`TeamDecoder`), ``"uniform"`` (IRCR: the
            team return spread over agents and steps) or ``"keep"`` (the team return at the
            last step, unchanged; only the diagnostics are recorded).
        n_agents, episode_length, n_actions: the team env's shape.
        features: per-agent features for ``"decoder"``.
        settings: decoder settings.
        agent_credit: ``False``: each agent gets the mean over agents of the decoded rewards.
        seed: decoder initialisation and batch sampling.

    Logged: ``reward/decoder_loss``, ``reward/proxy_corr`` (correlation of the rewards PPO
    learns from with each agent's hidden dense reward, over the last rollout: a diagnostic
    the learner never sees) and ``reward/episodes``.
    """

    model: OnPolicyAlgorithm  # PPO: the rollout buffer is relabelled

    def __init__(
        self,
        mode: str,
        *,
        n_agents: int,
        episode_length: int,
        n_actions: int,
        features: FeatureFn | None = None,
        settings: TeamDecoderSettings | None = None,
        agent_credit: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if mode not in ("decoder", "uniform", "keep"):
            raise ValueError(f"unknown relabel mode {mode!r}")
        if mode == "decoder" and features is None:
            raise ValueError("mode 'decoder' needs a feature function")
        self.mode = mode
        self.n_agents, self.episode_length, self.n_actions = n_agents, episode_length, n_actions
        self.features = features
        self.settings = settings or TeamDecoderSettings()
        self.agent_credit = agent_credit
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.store = EpisodeStore(self.settings.capacity)
        self.decoder: TeamDecoder | None = None
        self.rollouts = 0
        self.last_loss = float("nan")
        self.last_correlation = float("nan")
        self._dense: np.ndarray | None = None

    @property
    def reward_scale(self) -> float:
        return self.settings.reward_scale or float(self.episode_length * self.n_agents)

    # -- checkpoint state ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Decoder (with optimiser and scaling), stored episodes and random state."""
        return {
            "decoder": self.decoder.state_dict() if self.decoder is not None else None,
            "store": self.store.state_dict(),
            "rng": self.rng.bit_generator.state,
            "rollouts": self.rollouts,
            "last_loss": self.last_loss,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`'s output (a resumed run)."""
        self.store.load_state_dict(state["store"])
        if state["decoder"] is not None:
            self.decoder = self._new_decoder(int(state["decoder"]["mean"].shape[0]))
            self.decoder.load_state_dict(state["decoder"])
        self.rng.bit_generator.state = state["rng"]
        self.rollouts, self.last_loss = int(state["rollouts"]), float(state["last_loss"])

    def _new_decoder(self, in_dim: int) -> TeamDecoder:
        return TeamDecoder(in_dim, self.settings.hidden, self.settings.lr, seed=self.seed)

    # -- SB3 hooks ------------------------------------------------------------------------------
    def _on_training_start(self) -> None:
        n_steps = int(self.model.n_steps)
        if n_steps % self.episode_length:
            raise MethodError(
                f"algo_kwargs.n_steps={n_steps} must be a multiple of the episode length "
                f"({self.episode_length}) so that every PPO rollout holds whole team episodes"
            )

    def _on_step(self) -> bool:
        buffer = self.model.rollout_buffer
        if self._dense is None:
            self._dense = np.zeros(buffer.rewards.shape)
        step = int(self.locals["n_steps"])
        self._dense[step] = [info.get("agent_reward", 0.0) for info in self.locals["infos"]]
        return True

    def _on_rollout_end(self) -> None:
        buffer = self.model.rollout_buffer
        if not buffer.episode_starts[0].all():
            raise MethodError(
                "a PPO rollout did not start at a team episode start; team envs must reset "
                "together (fixed-length episodes) and n_steps be a multiple of their length"
            )
        n_steps, slots = buffer.rewards.shape
        teams, agents, length = slots // self.n_agents, self.n_agents, self.episode_length
        shape = (n_steps // length, length, teams, agents)

        def episodes(values: np.ndarray) -> np.ndarray:
            """(n_steps, slots, ...) -> (episodes, steps, agents, ...)"""
            tail = values.shape[2:]
            grouped = values.reshape(*shape, *tail).swapaxes(1, 2)
            return grouped.reshape(shape[0] * teams, length, agents, *tail)

        team_returns = episodes(buffer.rewards)[:, -1, 0].astype(np.float64)
        rewards = self._rewards(buffer, episodes, team_returns)
        if rewards is not None:
            # episodes -> (n_steps, slots), the inverse of ``episodes``
            grouped = rewards.reshape(shape[0], teams, length, agents).swapaxes(1, 2)
            buffer.rewards[:] = grouped.reshape(n_steps, slots)
            buffer.compute_returns_and_advantage(
                last_values=self.locals["values"], dones=self.locals["dones"]
            )
        self._log(buffer.rewards)
        self.rollouts += 1

    # -- the credit schemes -------------------------------------------------------------------
    def _rewards(
        self, buffer: Any, episodes: Callable[[np.ndarray], np.ndarray], returns: np.ndarray
    ) -> np.ndarray | None:
        """New rewards ``(episodes, steps, agents)``, or ``None`` to keep the rollout's."""
        if self.mode == "keep":
            return None
        shape = (len(returns), self.episode_length, self.n_agents)
        if self.mode == "uniform":
            uniform = returns / (self.episode_length * self.n_agents)
            return np.broadcast_to(uniform[:, None, None], shape) * self.reward_scale
        assert self.features is not None
        obs = buffer.observations.reshape(-1, buffer.observations.shape[-1])
        actions = one_hot(buffer.actions.reshape(-1), self.n_actions)
        flat = np.asarray(self.features(obs, actions), dtype=np.float32)
        features = episodes(flat.reshape(*buffer.rewards.shape, -1))
        self.store.add(features, returns)
        if self.rollouts % self.settings.update_every == 0:
            self._train_decoder()
        if self.decoder is None:
            return np.zeros(shape)
        decoded = self.decoder.predict(features)
        if not self.agent_credit:
            decoded = np.broadcast_to(decoded.mean(axis=2, keepdims=True), shape)
        return decoded * self.reward_scale

    def _train_decoder(self) -> None:
        if self.store.size < self.settings.warmup_episodes:
            return
        if self.decoder is None:
            assert self.store.features is not None
            self.decoder = self._new_decoder(self.store.features.shape[-1])
            self.decoder.fit_scaling(*self.store.sample(self.store.size, self.rng))
        for _ in range(self.settings.gradient_steps):
            features, returns = self.store.sample(self.settings.batch_episodes, self.rng)
            self.last_loss = self.decoder.train_step(features, returns)

    def _log(self, rewards: np.ndarray) -> None:
        if self._dense is not None:
            self.last_correlation = correlation(rewards, self._dense)
            self.logger.record("reward/proxy_corr", self.last_correlation)
        if self.mode == "decoder":
            self.logger.record("reward/decoder_loss", self.last_loss)
            self.logger.record("reward/episodes", self.store.size)


def correlation(proxy: np.ndarray, truth: np.ndarray) -> float:
    """Pearson correlation (NaN when either side is constant)."""
    proxy, truth = np.asarray(proxy, np.float64).ravel(), np.asarray(truth, np.float64).ravel()
    if proxy.std() < 1e-12 or truth.std() < 1e-12:
        return float("nan")
    return float(np.corrcoef(proxy, truth)[0, 1])

"""Proxy rewards from a learned decoder, relabelled when the replay buffer samples.

``ProxyReward`` turns (obs, action) into features (LLM latent factors for LaRe, the raw pair for
RD/RRD), and a decoder from :mod:`langreward.rl.return_decomposition` turns features into
per-step rewards. ``DecoderTrainingCallback`` trains the decoder on the buffer's finished
episodes while SB3's SAC/TD3 train unchanged, and measures how well the proxy rewards match the
env's hidden per-step rewards where the env still reports them (``info["dense_reward"]``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from langreward.lare.config import DecoderSettings
from langreward.rl.relabel import Relabel, RelabelingReplayBuffer, StoredEpisode, ircr_relabel
from langreward.rl.return_decomposition import (
    Decomposer,
    Episode,
    LinearReturnDecomposer,
    ReturnDecomposer,
)

if TYPE_CHECKING:
    from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

FeatureFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def raw_features(obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """The RD/RRD baselines' features: the concatenated (observation, action)."""
    return np.concatenate([obs.reshape(len(obs), -1), actions.reshape(len(actions), -1)], axis=1)


class ProxyReward:
    """Features -> standardised -> decoder -> per-step proxy reward.

    Args:
        features: maps a batch of (obs, env actions) to ``(batch, k)`` features.
        settings: decoder settings.
        seed: decoder initialisation and subset sampling.
    """

    def __init__(self, features: FeatureFn, settings: DecoderSettings, seed: int = 0) -> None:
        self.features = features
        self.exact = settings.exact
        self.settings = settings
        self.seed = seed
        self.decomposer: Decomposer | None = None
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.updates = 0

    def state_dict(self) -> dict[str, Any]:
        """The decoder (with its optimiser and random state), the feature scaling and the
        update count, for checkpoints (the feature function is rebuilt, not saved)."""
        return {
            "decomposer": self.decomposer,
            "mean": self.mean,
            "std": self.std,
            "updates": self.updates,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`'s output (a resumed run)."""
        self.decomposer, self.mean, self.std = state["decomposer"], state["mean"], state["std"]
        self.updates = int(state["updates"])

    def _standardise(self, features: np.ndarray) -> np.ndarray:
        assert self.mean is not None and self.std is not None
        return (features - self.mean) / self.std

    def fit_start(self, episodes: list[Episode]) -> None:
        """Create the decoder once the feature size and scale are known."""
        stacked = np.concatenate([e.features for e in episodes])
        self.mean = stacked.mean(axis=0)
        self.std = stacked.std(axis=0) + 1e-6
        scale = self.settings.reward_scale or max(
            1.0, float(np.mean([abs(e.episodic_return) for e in episodes]))
        )
        if self.exact:
            self.decomposer = LinearReturnDecomposer(
                stacked.shape[1], ridge=self.settings.ridge, reward_scale=scale
            )
            return
        self.decomposer = ReturnDecomposer(
            stacked.shape[1],
            loss=self.settings.loss,
            subset_size=self.settings.subset_size,
            lr=self.settings.lr,
            hidden=self.settings.hidden,
            reward_scale=scale,
            seed=self.seed,
        )

    def train(self, episodes: list[Episode]) -> float:
        assert self.decomposer is not None
        loss = self.decomposer.train_step(
            [Episode(self._standardise(e.features), e.episodic_return) for e in episodes]
        )
        self.updates += 1
        return loss

    def __call__(self, obs: np.ndarray, actions: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """The relabel function of :class:`RelabelingReplayBuffer` (0 before the first update)."""
        if self.decomposer is None or self.updates == 0:
            return np.zeros(len(obs), dtype=np.float32)
        return self.decomposer.predict(self._standardise(self.features(obs, actions)))


def proxy_correlation(relabel: Relabel, episodes: Sequence[StoredEpisode]) -> float:
    """Pearson correlation of the relabelled rewards with the env's hidden per-step rewards.

    Over the given episodes that carry ``dense_rewards``; NaN when there are none, or when
    either side is constant (e.g. a decoder not trained yet).
    """
    known = [e for e in episodes if e.dense_rewards is not None]
    if not known:
        return float("nan")
    proxy = np.concatenate(
        [
            np.asarray(
                relabel(
                    e.observations,
                    e.actions,
                    np.full(len(e.observations), e.episodic_return / len(e.observations)),
                ),
                dtype=np.float64,
            ).reshape(-1)
            for e in known
        ]
    )
    truth = np.concatenate([e.dense_rewards for e in known if e.dense_rewards is not None])
    if proxy.std() < 1e-12 or truth.std() < 1e-12:
        return float("nan")
    return float(np.corrcoef(proxy, truth)[0, 1])


class DecoderTrainingCallback(BaseCallback):
    """Attach the relabel function to the replay buffer and train the decoder periodically.

    Every ``train_every`` steps: one decoder update (an exact refit on all stored episodes, or
    ``gradient_steps`` Adam steps on batches of them), then logs ``reward/decoder_loss``,
    ``reward/episodes`` and ``reward/proxy_corr`` (the correlation of the learner's rewards with
    the hidden dense ones over the last ``FIDELITY_EPISODES`` episodes, a diagnostic the
    learner never sees) to the SB3 logger; ``extra_metrics`` adds e.g. the encoder's contained
    failures. With ``proxy=None`` the learner gets IRCR's uniform redistribution.
    """

    FIDELITY_EPISODES = 20
    model: OffPolicyAlgorithm  # LaRe relabels an off-policy learner's replay buffer

    def __init__(
        self,
        proxy: ProxyReward | None,
        settings: DecoderSettings,
        *,
        extra_metrics: Callable[[], dict[str, float]] | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.proxy = proxy
        self.settings = settings
        self.extra_metrics = extra_metrics
        self.rng = np.random.default_rng(seed)
        self.last_loss = float("nan")
        self.last_correlation = float("nan")

    @property
    def buffer(self) -> RelabelingReplayBuffer:
        buffer = self.model.replay_buffer
        if not isinstance(buffer, RelabelingReplayBuffer):
            raise TypeError("LaRe needs replay_buffer_class=RelabelingReplayBuffer")
        return buffer

    @property
    def relabel(self) -> Relabel:
        return self.proxy if self.proxy is not None else ircr_relabel

    def _on_training_start(self) -> None:
        self.buffer.relabel = self.relabel

    def state_dict(self) -> dict[str, Any]:
        """The decoder's state and the episode sampler's random state (for checkpoints)."""
        return {
            "proxy": self.proxy.state_dict() if self.proxy is not None else None,
            "rng": self.rng.bit_generator.state,
            "last_loss": self.last_loss,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`'s output (a resumed run)."""
        if self.proxy is not None and state["proxy"] is not None:
            self.proxy.load_state_dict(state["proxy"])
        self.rng.bit_generator.state = state["rng"]
        self.last_loss = float(state["last_loss"])

    def _episodes(self, count: int) -> list[Episode]:
        stored = self.buffer.episodes
        picks = self.rng.choice(len(stored), size=min(count, len(stored)), replace=False)
        assert self.proxy is not None
        return [
            Episode(
                self.proxy.features(stored[i].observations, stored[i].actions),
                stored[i].episodic_return,
            )
            for i in picks
        ]

    def _update_decoder(self, proxy: ProxyReward) -> None:
        stored = len(self.buffer.episodes)
        if proxy.decomposer is None:
            proxy.fit_start(self._episodes(stored))
        if proxy.exact:
            self.last_loss = proxy.train(self._episodes(stored))
            return
        for _ in range(self.settings.gradient_steps):
            self.last_loss = proxy.train(self._episodes(self.settings.batch_episodes))

    def _on_step(self) -> bool:
        if self.num_timesteps % self.settings.train_every or not self.buffer.episodes:
            return True
        episodes = self.buffer.episodes
        if self.proxy is not None and len(episodes) >= self.settings.warmup_episodes:
            self._update_decoder(self.proxy)
            self.logger.record("reward/decoder_loss", self.last_loss)
        recent = list(episodes)[-self.FIDELITY_EPISODES :]
        self.last_correlation = proxy_correlation(self.relabel, recent)
        self.logger.record("reward/proxy_corr", self.last_correlation)
        self.logger.record("reward/episodes", len(episodes))
        if self.extra_metrics is not None:
            for key, value in self.extra_metrics().items():
                self.logger.record(f"reward/{key}", value)
        return True

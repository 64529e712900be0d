"""Proxy rewards from a learned decoder, relabelled when the replay buffer samples.

``ProxyReward`` turns (obs, action) into features (LLM latent factors for LaRe, the raw pair for
RD/RRD), and a :class:`~langreward.rl.return_decomposition.ReturnDecomposer` turns features into
per-step rewards. ``DecoderTrainingCallback`` trains the decoder on the buffer's finished
episodes while SB3's SAC/TD3 train unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from langreward.lare.config import DecoderSettings
from langreward.rl.relabel import RelabelingReplayBuffer, ircr_relabel
from langreward.rl.return_decomposition import Episode, ReturnDecomposer

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
        default_hidden: hidden sizes when ``settings.hidden`` is unset.
    """

    def __init__(
        self,
        features: FeatureFn,
        settings: DecoderSettings,
        seed: int = 0,
        default_hidden: tuple[int, ...] = (64, 64),
    ) -> None:
        self.features = features
        self.default_hidden = default_hidden
        self.settings = settings
        self.seed = seed
        self.decomposer: ReturnDecomposer | None = None
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.updates = 0

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
        self.decomposer = ReturnDecomposer(
            stacked.shape[1],
            loss=self.settings.loss,
            subset_size=self.settings.subset_size,
            lr=self.settings.lr,
            hidden=self.settings.hidden
            if self.settings.hidden is not None
            else self.default_hidden,
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


class DecoderTrainingCallback(BaseCallback):
    """Attach the relabel function to the replay buffer and train the decoder periodically.

    Logs ``reward/decoder_loss``, ``reward/episodes`` and ``reward/proxy_mean`` to the SB3
    logger; ``extra_metrics`` adds e.g. the encoder's contained failures.
    """

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

    @property
    def buffer(self) -> RelabelingReplayBuffer:
        buffer = self.model.replay_buffer
        if not isinstance(buffer, RelabelingReplayBuffer):
            raise TypeError("LaRe needs replay_buffer_class=RelabelingReplayBuffer")
        return buffer

    def _on_training_start(self) -> None:
        self.buffer.relabel = self.proxy if self.proxy is not None else ircr_relabel

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

    def _on_step(self) -> bool:
        if self.proxy is None or self.num_timesteps % self.settings.train_every:
            return True
        if len(self.buffer.episodes) < self.settings.warmup_episodes:
            return True
        if self.proxy.decomposer is None:
            self.proxy.fit_start(self._episodes(len(self.buffer.episodes)))
        for _ in range(self.settings.gradient_steps):
            self.last_loss = self.proxy.train(self._episodes(self.settings.batch_episodes))
        self.logger.record("reward/decoder_loss", self.last_loss)
        self.logger.record("reward/episodes", len(self.buffer.episodes))
        if self.extra_metrics is not None:
            for key, value in self.extra_metrics().items():
                self.logger.record(f"reward/{key}", value)
        return True

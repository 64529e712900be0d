"""Return decomposition: learn per-step proxy rewards whose sum explains episodic returns.

- RD: ``(R - sum_t r_hat_t)^2`` over whole episodes.
- RRD-unbiased (Ren et al. 2022): a random subset of K steps estimates the sum,
  ``(R - T * mean_I r_hat)^2``, minus the finite-population variance of that estimate
  ``T^2 (1 - K/T) s_I^2 / K``, so that the loss is an unbiased estimate of RD's.

The decoder is a small MLP over whatever features it is given: LLM-written latent factors
(LaRe) or the raw (observation, action) (the RD/RRD baselines).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


class RewardDecoder(nn.Module):
    """MLP mapping per-step features to a scalar proxy reward."""

    def __init__(self, in_dim: int, hidden: Sequence[int] = (64, 64)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        last = in_dim
        for width in hidden:
            layers += [nn.Linear(last, width), nn.ReLU()]
            last = width
        layers.append(nn.Linear(last, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features).squeeze(-1)


@dataclass
class Episode:
    """The features of every step of one finished episode, and its return."""

    features: np.ndarray  # (T, feature_dim)
    episodic_return: float


def rd_loss(decoder: RewardDecoder, episodes: Sequence[Episode]) -> torch.Tensor:
    """Mean over episodes of ``(R - sum_t r_hat_t)^2``."""
    losses = []
    for episode in episodes:
        predicted = decoder(torch.as_tensor(episode.features, dtype=torch.float32)).sum()
        losses.append((episode.episodic_return - predicted) ** 2)
    return torch.stack(losses).mean()


def rrd_unbiased_loss(
    decoder: RewardDecoder,
    episodes: Sequence[Episode],
    subset_size: int,
    rng: np.random.Generator,
) -> torch.Tensor:
    """RRD-unbiased loss on a random subset of ``subset_size`` steps per episode."""
    losses = []
    for episode in episodes:
        length = len(episode.features)
        k = min(subset_size, length)
        index = rng.choice(length, size=k, replace=False)
        predicted = decoder(torch.as_tensor(episode.features[index], dtype=torch.float32))
        estimate = length * predicted.mean()
        loss = (episode.episodic_return - estimate) ** 2
        if 1 < k < length:
            loss = loss - length**2 * (1 - k / length) * predicted.var(unbiased=True) / k
        losses.append(loss)
    return torch.stack(losses).mean()


class ReturnDecomposer:
    """A reward decoder with its optimiser and the chosen loss.

    Args:
        in_dim: feature size per step.
        loss: ``"rd"`` or ``"rrd"`` (RRD-unbiased).
        subset_size: K for RRD.
        lr: Adam learning rate.
        reward_scale: returns are divided by this for training (and predictions multiplied
            back), which keeps the regression well-conditioned for long episodes.

    Example:
        >>> decomposer = ReturnDecomposer(in_dim=3)
        >>> decomposer.train_step([Episode(np.ones((5, 3)), 5.0)])  # doctest: +SKIP
    """

    def __init__(
        self,
        in_dim: int,
        *,
        loss: str = "rd",
        subset_size: int = 64,
        lr: float = 1e-3,
        hidden: Sequence[int] = (64, 64),
        reward_scale: float = 1.0,
        seed: int = 0,
    ) -> None:
        if loss not in ("rd", "rrd"):
            raise ValueError(f"loss must be 'rd' or 'rrd', got {loss!r}")
        torch.manual_seed(seed)
        self.decoder = RewardDecoder(in_dim, hidden)
        self.optimizer = torch.optim.Adam(self.decoder.parameters(), lr=lr)
        self.loss = loss
        self.subset_size = subset_size
        self.reward_scale = reward_scale
        self.rng = np.random.default_rng(seed)
        self.last_loss = float("nan")

    def train_step(self, episodes: Sequence[Episode]) -> float:
        """One gradient step on a batch of episodes; returns the loss."""
        scaled = [Episode(e.features, e.episodic_return / self.reward_scale) for e in episodes]
        if self.loss == "rd":
            loss = rd_loss(self.decoder, scaled)
        else:
            loss = rrd_unbiased_loss(self.decoder, scaled, self.subset_size, self.rng)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.last_loss = float(loss.detach())
        return self.last_loss

    @torch.no_grad()
    def predict(self, features: np.ndarray) -> np.ndarray:
        """Proxy rewards for a batch of step features, shape ``(batch,)``."""
        tensor = torch.as_tensor(features, dtype=torch.float32)
        return self.decoder(tensor).numpy() * self.reward_scale

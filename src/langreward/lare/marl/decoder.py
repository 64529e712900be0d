"""A reward decoder shared by all agents, trained on team returns.

Each agent's features at each step go through one MLP to a reward; the loss is
``(R - sum over steps and agents of r_hat)^2`` over whole team episodes, batched as
``(episodes, steps, agents, features)`` tensors (one forward pass per Adam step).

Example:
    >>> decoder = TeamDecoder(in_dim=2, hidden=[], seed=0)
    >>> features = np.random.default_rng(0).normal(size=(64, 5, 3, 2))
    >>> returns = features[..., 0].sum(axis=(1, 2))
    >>> decoder.fit_scaling(features, returns)
    >>> losses = [decoder.train_step(features, returns) for _ in range(300)]
    >>> float(np.corrcoef(decoder.predict(features).ravel(), features[..., 0].ravel())[0, 1]) > 0.99
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from langreward.rl.return_decomposition import RewardDecoder


class TeamDecoder:
    """Per-agent, per-step rewards whose sum over agents and steps explains the team return.

    Args:
        in_dim: features per agent and step.
        hidden: hidden layer sizes of the MLP (``[]``: linear).
        lr: Adam learning rate.
        seed: initialisation.
    """

    def __init__(
        self, in_dim: int, hidden: Sequence[int] = (64, 64), lr: float = 5e-4, seed: int = 0
    ) -> None:
        torch.manual_seed(seed)
        self.net = RewardDecoder(in_dim, hidden)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr)
        self.mean = np.zeros(in_dim)
        self.std = np.ones(in_dim)
        self.return_scale = 1.0
        self.updates = 0

    def fit_scaling(self, features: np.ndarray, returns: np.ndarray) -> None:
        """Standardise features and returns by the first episodes' statistics (kept after)."""
        flat = features.reshape(-1, features.shape[-1])
        self.mean, self.std = flat.mean(axis=0), flat.std(axis=0) + 1e-6
        self.return_scale = max(1e-3, float(np.mean(np.abs(returns))))

    def _tensor(self, features: np.ndarray) -> torch.Tensor:
        return torch.as_tensor((features - self.mean) / self.std, dtype=torch.float32)

    def train_step(self, features: np.ndarray, returns: np.ndarray) -> float:
        """One Adam step on ``(episodes, steps, agents, k)`` features and their team returns;
        returns the loss (on returns divided by ``return_scale``)."""
        predicted = self.net(self._tensor(features)).sum(dim=(1, 2))
        target = torch.as_tensor(returns / self.return_scale, dtype=torch.float32)
        loss = torch.mean((predicted - target) ** 2)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.updates += 1
        return float(loss.item())

    @torch.no_grad()
    def predict(self, features: np.ndarray) -> np.ndarray:
        """Rewards of shape ``features.shape[:-1]`` on the scale of the team return."""
        return self.net(self._tensor(features)).numpy() * self.return_scale

    def state_dict(self) -> dict[str, Any]:
        return {
            "net": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "mean": self.mean,
            "std": self.std,
            "return_scale": self.return_scale,
            "updates": self.updates,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.mean, self.std = state["mean"], state["std"]
        self.return_scale, self.updates = float(state["return_scale"]), int(state["updates"])

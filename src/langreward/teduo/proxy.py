"""The proxy classifier: learns one goal's labels from the abstract state, so that every state
of the dataset gets a reward without asking the LLM about each.

The network is the paper's small CNN (a 2x2 convolution with 32 channels, a 32-unit layer,
one output, dropout 0.1) over the abstract grid's planes, with the direction and what is
carried joined after the convolution. Its decision threshold is the lowest one whose
precision on held-out labels reaches the target (0.95 by default): a proxy that calls too
many states "achieved" would teach the Q-learner to stop early.

Example:
    >>> planes = np.zeros((4, 8, 5, 5), np.uint8); extras = np.zeros((4, 7), np.float32)
    >>> proxy = train_proxy(planes, extras, np.array([0, 1, 0, 1]), epochs=2, seed=0)
    >>> proxy.predict(planes, extras).shape
    (4,)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from langreward.teduo.abstraction import CARRYING, AbstractView, Batch


def extras_of(view: AbstractView, batch: Batch) -> np.ndarray:
    """Direction (one-hot, 4) and what is carried (one-hot, 3) of each state."""
    count = len(batch["direction"])
    out = np.zeros((count, 4 + len(CARRYING)), np.float32)
    out[np.arange(count), np.asarray(batch["direction"]) % 4] = 1
    out[np.arange(count), 4 + view.carrying_batch(batch)] = 1
    return out


class ProxyNet(nn.Module):
    def __init__(self, channels: int, width: int, height: int, extras: int) -> None:
        super().__init__()
        self.shape = (channels, width, height, extras)
        self.conv = nn.Sequential(nn.Conv2d(channels, 32, 2), nn.ReLU(), nn.Flatten())
        flat = 32 * (width - 1) * (height - 1)
        self.head = nn.Sequential(
            nn.Dropout(0.1), nn.Linear(flat + extras, 32), nn.ReLU(), nn.Linear(32, 1)
        )

    def forward(self, planes: torch.Tensor, extras: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.conv(planes), extras], dim=1)).squeeze(1)


@dataclass
class Proxy:
    """A trained proxy and its decision threshold."""

    net: ProxyNet
    threshold: float
    report: dict[str, Any] = field(default_factory=dict)

    @torch.no_grad()
    def probs(self, planes: np.ndarray, extras: np.ndarray) -> np.ndarray:
        self.net.eval()
        out = []
        for start in range(0, len(planes), 4096):
            logits = self.net(
                torch.as_tensor(planes[start : start + 4096], dtype=torch.float32),
                torch.as_tensor(extras[start : start + 4096]),
            )
            out.append(torch.sigmoid(logits).numpy())
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def predict(self, planes: np.ndarray, extras: np.ndarray) -> np.ndarray:
        return self.probs(planes, extras) >= self.threshold

    def save(self, path: Path) -> None:
        torch.save(
            {"state": self.net.state_dict(), "shape": self.net.shape,
             "threshold": self.threshold, "report": self.report},
            path,
        )  # fmt: skip

    @classmethod
    def load(cls, path: Path) -> Proxy:
        data = torch.load(path, weights_only=False)
        net = ProxyNet(*data["shape"])
        net.load_state_dict(data["state"])
        return cls(net, float(data["threshold"]), data.get("report", {}))


def precision_threshold(probs: np.ndarray, labels: np.ndarray, target: float) -> float:
    """The lowest threshold (at least 0.5) whose precision on (probs, labels) reaches
    ``target``; if none does, the most conservative one with the best precision; 1.01
    (nothing positive) when there is no positive label. Example:

    >>> precision_threshold(np.array([0.9, 0.8, 0.6, 0.7]), np.array([1, 1, 0, 1]), 0.95)
    0.7
    """
    if not labels.any():
        return 1.01
    labels = labels.astype(bool)
    candidates = sorted({max(0.5, p) for p in probs[labels].tolist()})
    best, best_precision = 1.01, -1.0
    for threshold in candidates:
        called = probs >= threshold
        if not called.any():  # every positive scored below 0.5
            continue
        precision = float(labels[called].mean())
        if precision >= target:
            return float(threshold)
        if precision >= best_precision:
            best, best_precision = float(threshold), precision
    return best


def train_proxy(
    planes: np.ndarray,
    extras: np.ndarray,
    labels: np.ndarray,
    *,
    precision: float = 0.95,
    epochs: int = 60,
    validation: float = 0.2,
    seed: int = 0,
) -> Proxy:
    """Fit the proxy on labelled states and set its threshold on a held-out share of them."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    count = len(labels)
    order = np.random.default_rng(seed).permutation(count)
    held = order[: int(round(validation * count))] if count >= 10 else order[:0]
    fit = order[len(held) :]
    net = ProxyNet(planes.shape[1], planes.shape[2], planes.shape[3], extras.shape[1])
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3)
    x = torch.as_tensor(planes[fit], dtype=torch.float32)
    e = torch.as_tensor(extras[fit])
    y = torch.as_tensor(labels[fit], dtype=torch.float32)
    positives = float(y.sum())
    weight = torch.tensor((len(y) - positives) / positives if positives else 1.0)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=weight.clamp(1.0, 50.0))
    batch = 256
    net.train()
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), batch):
            idx = perm[start : start + batch]
            optimiser.zero_grad()
            loss = loss_fn(net(x[idx], e[idx]), y[idx])
            loss.backward()
            optimiser.step()
    proxy = Proxy(net, 0.5)
    check = held if labels[held].sum() >= 3 else order  # too few held-out positives: all
    proxy.threshold = precision_threshold(
        proxy.probs(planes[check], extras[check]), labels[check].astype(bool), precision
    )
    called = proxy.predict(planes[check], extras[check])
    proxy.report = {
        "threshold": proxy.threshold,
        "threshold_set_on": "held-out labels" if check is held else "all labels",
        "labels": int(count),
        "positive_labels": int(labels.sum()),
        "precision_vs_labels": float(labels[check][called].mean()) if called.any() else None,
        "recall_vs_labels": float(called[labels[check].astype(bool)].mean())
        if labels[check].any()
        else None,
    }
    return proxy

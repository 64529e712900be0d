"""Learning-curve numbers from training episodes: smoothed curve, steps to threshold, AUC."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def episode_arrays(rows: Iterable[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Timesteps and original returns of ``type: episode`` rows, sorted by timestep."""
    pairs = [
        (float(r["timestep"]), float(r["return"]))
        for r in rows
        if r.get("type") == "episode" and r.get("return") is not None
    ]
    if not pairs:
        return np.zeros(0), np.zeros(0)
    arr = np.array(sorted(pairs, key=lambda p: p[0]))
    return arr[:, 0], arr[:, 1]


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each position (fewer at the start)."""
    if values.size == 0:
        return values
    csum = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, values.size + 1)
    lo = np.maximum(idx - window, 0)
    return (csum[idx] - csum[lo]) / (idx - lo)


def learning_curve(
    rows: Iterable[dict[str, Any]], window: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """The learning curve: at each finished episode, the mean original return of the last
    ``window`` episodes."""
    steps, returns = episode_arrays(rows)
    return steps, rolling_mean(returns, window)


def steps_to_threshold(
    steps: np.ndarray, curve: np.ndarray, threshold: float | None, window: int = 20
) -> int | None:
    """First timestep at which the smoothed curve reaches ``threshold`` (with a full window of
    episodes behind it); ``None`` if never or no threshold."""
    if threshold is None or curve.size < window:
        return None
    hits = np.nonzero(curve[window - 1 :] >= threshold)[0]
    return int(steps[window - 1 + hits[0]]) if hits.size else None


def curve_auc(steps: np.ndarray, curve: np.ndarray, total_timesteps: int) -> float | None:
    """Normalised area under the learning curve: the curve's mean over training steps.

    The curve is held constant from each episode to the next and after the last one up to
    ``total_timesteps``; the area is divided by the span from the first episode to
    ``total_timesteps``, so it is in return units and higher is better.
    """
    if steps.size == 0:
        return None
    end = max(float(total_timesteps), float(steps[-1]))
    edges = np.append(steps, end)
    span = end - steps[0]
    if span <= 0:
        return float(curve[-1])
    return float(np.sum(curve * np.diff(edges)) / span)


def on_grid(steps: np.ndarray, curve: np.ndarray, grid: np.ndarray, end: float) -> np.ndarray:
    """The step-held curve sampled at ``grid`` (NaN before the first episode and after ``end``)."""
    out = np.full(grid.shape, np.nan)
    if steps.size == 0:
        return out
    idx = np.searchsorted(steps, grid, side="right") - 1
    ok = (idx >= 0) & (grid <= end)
    out[ok] = curve[idx[ok]]
    return out

"""The dataset as flat arrays of states and (state, action, next state) index triplets.

Example:
    >>> data = load_transitions(tmp_path, "two-rooms")  # doctest: +SKIP
    >>> data.states_from.shape == data.actions.shape == data.states_to.shape  # doctest: +SKIP
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from langreward.teduo.collect import load_dataset


@dataclass
class Transitions:
    """Every stored state once (``grid``, ``direction``, ``carrying`` stacked), and each
    transition as indices into them."""

    grid: np.ndarray
    direction: np.ndarray
    carrying: np.ndarray
    states_from: np.ndarray
    actions: np.ndarray
    states_to: np.ndarray

    def __len__(self) -> int:
        return len(self.grid)

    def state(self, index: int) -> dict[str, Any]:
        return {
            "grid": self.grid[index],
            "direction": self.direction[index],
            "carrying": self.carrying[index],
        }

    def batch(self, indices: Any = None) -> dict[str, np.ndarray]:
        """The states (all, or at ``indices``) as one batch of arrays."""
        rows = slice(None) if indices is None else np.asarray(indices)
        return {
            "grid": self.grid[rows],
            "direction": self.direction[rows],
            "carrying": self.carrying[rows],
        }

    def states(self, indices: Any = None) -> list[dict[str, Any]]:
        rows = range(len(self)) if indices is None else indices
        return [self.state(int(i)) for i in rows]


def load_transitions(directory: str | Path, level: str) -> Transitions:
    """Read the Minari dataset in ``directory`` into :class:`Transitions`."""
    dataset = load_dataset(directory, level)
    grids, directions, carrying, froms, actions, tos = [], [], [], [], [], []
    offset = 0
    for episode in dataset.iterate_episodes():
        obs = episode.observations
        count = len(episode.actions)
        grids.append(obs["grid"])
        directions.append(obs["direction"])
        carrying.append(obs["carrying"])
        froms.append(np.arange(offset, offset + count))
        tos.append(np.arange(offset + 1, offset + count + 1))
        actions.append(np.asarray(episode.actions, dtype=np.int64))
        offset += count + 1
    return Transitions(
        np.concatenate(grids),
        np.concatenate(directions).astype(np.int64),
        np.concatenate(carrying),
        np.concatenate(froms),
        np.concatenate(actions),
        np.concatenate(tos),
    )

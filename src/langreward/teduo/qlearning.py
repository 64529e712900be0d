"""Step 2: offline tabular Q-learning for one goal on its abstract MDP.

Every dataset transition (s, a, s') becomes one between abstract states; the reward is 1 when
s' achieves the goal (by its label) and the episode ends there; transitions out of states that
already achieve it are dropped. Q-learning runs synchronously over all transitions at once (for
each seen state-action pair, the mean of its transitions' targets), with the paper's step size
0.1 and discount 0.7, until no value moves by more than ``tol``.

Example:
    >>> table = q_learning(np.array([0, 1]), np.array([2, 2]), np.array([1, 2]),
    ...                    np.array([False, True]), states=3, actions_count=3)
    >>> table.greedy(0), table.greedy(1), round(float(table.q[0, 2]), 3)
    (2, 2, 0.7)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class QTable:
    """Q-values over abstract states (rows), the seen pairs, and the likeliest next state."""

    q: np.ndarray  # (states, actions); unseen pairs hold -inf
    likeliest_next: np.ndarray  # (states, actions); -1 where unseen
    iterations: int
    converged: bool

    def greedy(self, state: int, rng: np.random.Generator | None = None) -> int:
        """The best action; ties broken by ``rng`` when given (else the first)."""
        row = self.q[state]
        best = np.flatnonzero(row == row.max())
        return int(best[0] if rng is None or len(best) == 1 else rng.choice(best))

    def known(self, state: int) -> bool:
        return bool(np.isfinite(self.q[state]).any())

    def save(self, path: Path, keys: list[bytes]) -> None:
        np.savez_compressed(
            path,
            q=self.q,
            likeliest_next=self.likeliest_next,
            keys=np.array(keys, dtype=object),
            meta=np.array([self.iterations, int(self.converged)]),
        )

    @classmethod
    def load(cls, path: Path) -> tuple[QTable, list[bytes]]:
        with np.load(path, allow_pickle=True) as data:
            iterations, converged = (int(v) for v in data["meta"])
            table = cls(data["q"], data["likeliest_next"], iterations, bool(converged))
            return table, list(data["keys"])


def q_learning(
    states_from: np.ndarray,
    actions: np.ndarray,
    states_to: np.ndarray,
    reward: np.ndarray,
    *,
    states: int,
    actions_count: int | None = None,
    alpha: float = 0.1,
    gamma: float = 0.7,
    tol: float = 1e-6,
    max_iterations: int = 20_000,
) -> QTable:
    """Tabular Q-learning over transitions ``(states_from, actions, states_to)``;
    ``reward[i]`` is whether ``states_to[i]`` achieves the goal (then the episode ends)."""
    n_actions = int(actions_count or (actions.max() + 1))
    if len(actions) and int(actions.max()) >= n_actions:
        raise ValueError(f"an action {int(actions.max())} outside the {n_actions} actions")
    pair = states_from.astype(np.int64) * n_actions + actions.astype(np.int64)
    pairs, inverse, counts = np.unique(pair, return_inverse=True, return_counts=True)
    done = reward.astype(bool)
    r = done.astype(np.float64)
    q = np.zeros(states * n_actions)
    seen = np.zeros(states * n_actions, bool)
    seen[pairs] = True
    iterations, converged = 0, False
    while iterations < max_iterations:
        values = np.where(seen, q, -np.inf).reshape(states, n_actions).max(axis=1)
        values[~np.isfinite(values)] = 0.0  # a state with no outgoing data: worth nothing
        target = r + gamma * np.where(done, 0.0, values[states_to])
        mean = np.bincount(inverse, weights=target, minlength=len(pairs)) / counts
        step = alpha * (mean - q[pairs])
        q[pairs] += step
        iterations += 1
        if np.abs(step).max(initial=0.0) < tol:
            converged = True
            break
    table_q = np.where(seen, q, -np.inf).reshape(states, n_actions)
    return QTable(
        table_q, likeliest_next(pair, states_to, states, n_actions), iterations, converged
    )


def index_states(keys: list[bytes]) -> tuple[np.ndarray, list[bytes]]:
    """Each key's row (first seen, first row) and the distinct keys in row order."""
    index: dict[bytes, int] = {}
    rows = np.array([index.setdefault(k, len(index)) for k in keys], dtype=np.int64)
    return rows, list(index)


def solve_goal(
    rows: np.ndarray,
    states_from: np.ndarray,
    actions: np.ndarray,
    states_to: np.ndarray,
    achieved: np.ndarray,
    **settings: Any,
) -> tuple[QTable, int]:
    """Q-learning for one goal over stored transitions: ``rows`` maps each stored state to
    its tabular state, ``achieved`` says which stored states achieve the goal. Transitions out
    of achieved states are dropped (the episode ended there). Returns the table and how many
    transitions it learned from; ``settings`` go to :func:`q_learning`."""
    keep = ~achieved[states_from]
    table = q_learning(
        rows[states_from[keep]],
        actions[keep],
        rows[states_to[keep]],
        achieved[states_to[keep]],
        states=int(rows.max()) + 1 if len(rows) else 0,
        **settings,
    )
    return table, int(keep.sum())


def likeliest_next(
    pair: np.ndarray, states_to: np.ndarray, states: int, actions: int
) -> np.ndarray:
    """For each (state, action), the next state seen most often after it (-1: never seen)."""
    out = np.full(states * actions, -1, dtype=np.int64)
    if len(pair):
        combo, counts = np.unique(np.stack([pair, states_to]), axis=1, return_counts=True)
        order = np.lexsort((-counts, combo[0]))  # by pair, the most frequent next state first
        pairs, first = np.unique(combo[0][order], return_index=True)
        out[pairs] = combo[1][order][first]
    return out.reshape(states, actions)

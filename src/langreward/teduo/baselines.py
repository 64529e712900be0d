"""The comparison rows without TEDUO's LLM parts, trained on the same unlabelled dataset.

- :func:`raw_tabular_policies`: tabular Q-learning per training goal on the *full* states (no
  abstraction), rewarded by BabyAI's rules: the control that says what the LLM's abstraction
  and labels add (it even gets perfect labels).
- :func:`train_gcbc`: goal-conditioned behaviour cloning: a small CNN maps the full state and
  the goal (kind, object and target by type and colour, one-hot) to the action the data took,
  on the steps of each episode before it first reached the goal (hindsight, by the step-1
  rewards), acting by sampling its action distribution (its argmax gets stuck repeating an
  action that changes nothing). It reads the goal as structure, not words.

Example:
    >>> goal_features(Goal("putnext", ("box", "blue"), ("key", "grey"))).shape
    (24,)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from langreward.teduo.collect import ACTIONS, RANDOM_ACTIONS
from langreward.teduo.goals import KINDS, Goal
from langreward.teduo.qlearning import index_states, solve_goal
from langreward.teduo.transitions import Transitions

_TYPES = ("ball", "box", "key", "door")
_COLOURS = ("red", "green", "blue", "purple", "yellow", "grey")
_OBJECT_CODES = 11  # MiniGrid object indices 0..10
_STATE_CODES = 3  # door open / closed / locked


def goal_features(goal: Goal) -> np.ndarray:
    """Kind (4), object type (4) and colour (6), target type (4) and colour (6), one-hot."""
    out = np.zeros(len(KINDS) + 2 * (len(_TYPES) + len(_COLOURS)), np.float32)
    out[KINDS.index(goal.kind)] = 1
    for offset, obj in ((len(KINDS), goal.obj), (len(KINDS) + 10, goal.target)):
        if obj is not None:
            out[offset + _TYPES.index(obj[0])] = 1
            out[offset + len(_TYPES) + _COLOURS.index(obj[1])] = 1
    return out


def state_planes(grid: np.ndarray) -> np.ndarray:
    """Full states as one-hot planes: object (11), colour (6), door state (3) per tile."""
    grid = np.asarray(grid)
    count, width, height, _ = grid.shape
    planes = np.zeros((count, _OBJECT_CODES + 6 + _STATE_CODES, width, height), np.float32)
    n, x, y = np.indices((count, width, height))
    planes[n, np.clip(grid[..., 0], 0, _OBJECT_CODES - 1), x, y] = 1
    planes[n, _OBJECT_CODES + np.clip(grid[..., 1], 0, 5), x, y] = 1
    planes[n, _OBJECT_CODES + 6 + np.clip(grid[..., 2], 0, 2), x, y] = 1
    return planes


def state_extras(direction: np.ndarray, carrying: np.ndarray) -> np.ndarray:
    """Direction (4) and the carried object's type (11) and colour (6), one-hot."""
    count = len(direction)
    out = np.zeros((count, 4 + _OBJECT_CODES + 6), np.float32)
    rows = np.arange(count)
    out[rows, np.asarray(direction) % 4] = 1
    out[rows, 4 + np.clip(np.asarray(carrying)[:, 0], 0, _OBJECT_CODES - 1)] = 1
    out[rows, 4 + _OBJECT_CODES + np.clip(np.asarray(carrying)[:, 1], 0, 5)] = 1
    return out


def raw_tabular_policies(
    data: Transitions, truth: dict[Goal, np.ndarray], alpha: float, gamma: float
) -> Callable[[dict[str, Any], Goal, str], int | None]:
    """Q-learning per goal on full-state keys with BabyAI's rules as reward (``truth[goal]``:
    whether each stored state achieves it); a random action in unseen states."""
    keys = [
        g.tobytes() + bytes([int(d) % 4]) + c.tobytes()
        for g, d, c in zip(data.grid, data.direction, data.carrying, strict=True)
    ]
    rows, distinct = index_states(keys)
    index = {key: row for row, key in enumerate(distinct)}
    tables = {
        goal: solve_goal(
            rows, data.states_from, data.actions, data.states_to, achieved,
            actions_count=ACTIONS, alpha=alpha, gamma=gamma,
        )[0]
        for goal, achieved in truth.items()
    }  # fmt: skip
    rng = random.Random(0)
    ties = np.random.default_rng(0)

    def act(state: dict[str, Any], goal: Goal, instruction: str) -> int | None:
        if goal not in tables:
            return None
        key = (
            np.asarray(state["grid"]).tobytes()
            + bytes([int(state["direction"]) % 4])
            + np.asarray(state["carrying"]).tobytes()
        )
        row = index.get(key)
        if row is None or not tables[goal].known(row):
            return rng.randrange(RANDOM_ACTIONS)
        return tables[goal].greedy(row, ties)

    return act


class _BCNet(nn.Module):
    def __init__(self, channels: int, width: int, height: int, extras: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(channels, 32, 2), nn.ReLU(), nn.Conv2d(32, 32, 2), nn.ReLU(), nn.Flatten()
        )
        self.head = nn.Sequential(
            nn.Linear(32 * (width - 2) * (height - 2) + extras, 128), nn.ReLU(),
            nn.Linear(128, ACTIONS),
        )  # fmt: skip

    def forward(self, planes: torch.Tensor, extras: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.conv(planes), extras], dim=1))


def hindsight_examples(
    data: Transitions, rewards: dict[Goal, np.ndarray]
) -> list[tuple[int, Goal]]:
    """(transition index, goal) pairs: the steps of each episode before it first reached the
    goal (by ``rewards[goal]`` of the next state)."""
    starts = np.flatnonzero(np.r_[True, data.states_from[1:] != data.states_to[:-1]])
    ends = np.r_[starts[1:], len(data.states_from)]
    pairs = []
    for goal, reward in rewards.items():
        reached = reward[data.states_to]
        for start, end in zip(starts, ends, strict=True):
            hits = np.flatnonzero(reached[start:end])
            if len(hits):
                pairs += [(int(i), goal) for i in range(start, start + hits[0] + 1)]
    return pairs


def train_gcbc(
    data: Transitions,
    rewards: dict[Goal, np.ndarray],
    *,
    epochs: int = 20,
    seed: int = 0,
) -> tuple[Callable[[dict[str, Any], Goal, str], int | None], dict[str, Any]]:
    """Goal-conditioned behaviour cloning on hindsight-labelled steps; the policy and a report."""
    torch.manual_seed(seed)
    pairs = hindsight_examples(data, rewards)
    if not pairs:
        return (lambda state, goal, text: None), {"examples": 0}
    rows = np.array([i for i, _ in pairs])
    states = torch.as_tensor(data.states_from[rows])
    planes_of = torch.as_tensor(state_planes(data.grid))  # once per stored state
    extras_of = torch.as_tensor(state_extras(data.direction, data.carrying))
    goals = list(dict.fromkeys(g for _, g in pairs))
    goal_rows = torch.as_tensor([goals.index(g) for _, g in pairs])
    goal_table = torch.as_tensor(np.stack([goal_features(g) for g in goals]))
    targets = torch.as_tensor(data.actions[rows])
    net = _BCNet(
        planes_of.shape[1],
        planes_of.shape[2],
        planes_of.shape[3],
        extras_of.shape[1] + goal_table.shape[1],
    )
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(targets), generator=generator)
        for start in range(0, len(order), 256):
            batch = order[start : start + 256]
            extras = torch.cat([extras_of[states[batch]], goal_table[goal_rows[batch]]], dim=1)
            optimiser.zero_grad()
            loss = loss_fn(net(planes_of[states[batch]], extras), targets[batch])
            loss.backward()
            optimiser.step()
    net.eval()
    sampler = torch.Generator().manual_seed(seed)  # sampled: a deterministic BC policy loops

    @torch.no_grad()
    def act(state: dict[str, Any], goal: Goal, instruction: str) -> int | None:
        p = torch.as_tensor(state_planes(np.asarray(state["grid"])[None]))
        e = np.concatenate(
            [
                state_extras(np.array([state["direction"]]), np.asarray(state["carrying"])[None]),
                goal_features(goal)[None],
            ],
            axis=1,
        )
        logits = net(p, torch.as_tensor(e))[0]
        return int(torch.multinomial(torch.softmax(logits, dim=0), 1, generator=sampler)[0])

    return act, {"examples": len(pairs), "final_loss": round(loss.item(), 4)}

"""Whether a stored state achieves a goal, by BabyAI's verifier rules: the ground truth that the
LLM's labels and the proxy classifier are measured against.

BabyAI's verifier checks a goal as the agent acts (go to: the object is in the cell in front
of the agent; pick up: it is carried; open: the door is open; put next: the object lies on a
tile next to the target, not diagonally). These rules, read on a stored state, need no live
env. ``tests/teduo`` checks them against BabyAI's own verifier on live episodes.

Example:
    >>> from langreward.teduo.levels import make_level, reset_layout
    >>> from langreward.teduo.state import encode_state
    >>> env = make_level("one-room")
    >>> _ = reset_layout(env, 0, np.random.default_rng(0))
    >>> achieved(encode_state(env), Goal("pickup", ("ball", "red")))
    False
"""

from __future__ import annotations

from typing import Any

import numpy as np

from langreward.teduo.goals import Goal, Object

DIRECTION_VECTORS = ((1, 0), (0, 1), (-1, 0), (0, -1))  # east, south, west, north


def _indices() -> tuple[dict[str, int], dict[str, int]]:
    from minigrid.core.constants import COLOR_TO_IDX, OBJECT_TO_IDX

    return OBJECT_TO_IDX, COLOR_TO_IDX


def agent_tile(state: dict[str, Any]) -> tuple[int, int]:
    """The agent's tile in a stored state."""
    objects, _ = _indices()
    found = np.argwhere(np.asarray(state["grid"])[:, :, 0] == objects["agent"])
    if not len(found):
        raise ValueError("the stored state has no agent tile")
    return int(found[0][0]), int(found[0][1])


def tiles_of(state: dict[str, Any], obj: Object) -> list[tuple[int, int]]:
    """The tiles holding an object of this type and colour (not counting a carried one)."""
    objects, colours = _indices()
    grid = np.asarray(state["grid"])
    mask = (grid[:, :, 0] == objects[obj[0]]) & (grid[:, :, 1] == colours[obj[1]])
    return [(int(x), int(y)) for x, y in np.argwhere(mask)]


def achieved(state: dict[str, Any], goal: Goal) -> bool:
    """Whether ``state`` achieves ``goal`` by BabyAI's verifier rules."""
    batch = {key: np.asarray(value)[None] for key, value in state.items()}
    return bool(achieved_batch(batch, goal)[0])


def achieved_batch(batch: dict[str, np.ndarray], goal: Goal) -> np.ndarray:
    """:func:`achieved` for a batch of states (``grid`` (N, W, H, 3), ``direction``,
    ``carrying`` (N, 2)): a bool array."""
    objects, colours = _indices()
    grid = np.asarray(batch["grid"])
    count, width, height = grid.shape[:3]

    def mask(obj: Object) -> np.ndarray:
        return (grid[..., 0] == objects[obj[0]]) & (grid[..., 1] == colours[obj[1]])

    if goal.kind == "pickup":
        carried = np.asarray(batch["carrying"])
        return (carried[:, 0] == objects[goal.obj[0]]) & (carried[:, 1] == colours[goal.obj[1]])
    if goal.kind == "open":
        return (mask(goal.obj) & (grid[..., 2] == 0)).reshape(count, -1).any(axis=1)
    if goal.kind == "goto":
        flat = (grid[..., 0] == objects["agent"]).reshape(count, -1).argmax(axis=1)
        ax, ay = np.divmod(flat, height)
        vectors = np.array(DIRECTION_VECTORS)[np.asarray(batch["direction"]) % 4]
        fx = np.clip(ax + vectors[:, 0], 0, width - 1)
        fy = np.clip(ay + vectors[:, 1], 0, height - 1)
        return mask(goal.obj)[np.arange(count), fx, fy]
    assert goal.target is not None
    target = mask(goal.target)
    beside = np.zeros_like(target)  # tiles next to a target tile (not diagonally)
    beside[:, 1:, :] |= target[:, :-1, :]
    beside[:, :-1, :] |= target[:, 1:, :]
    beside[:, :, 1:] |= target[:, :, :-1]
    beside[:, :, :-1] |= target[:, :, 1:]
    return (mask(goal.obj) & beside).reshape(count, -1).any(axis=1)

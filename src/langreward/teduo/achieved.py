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

_DIRECTION_VECTORS = ((1, 0), (0, 1), (-1, 0), (0, -1))  # east, south, west, north


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


def front_tile(state: dict[str, Any]) -> tuple[int, int]:
    """The tile in front of the agent."""
    x, y = agent_tile(state)
    dx, dy = _DIRECTION_VECTORS[int(state["direction"]) % 4]
    return x + dx, y + dy


def tiles_of(state: dict[str, Any], obj: Object) -> list[tuple[int, int]]:
    """The tiles holding an object of this type and colour (not counting a carried one)."""
    objects, colours = _indices()
    grid = np.asarray(state["grid"])
    mask = (grid[:, :, 0] == objects[obj[0]]) & (grid[:, :, 1] == colours[obj[1]])
    return [(int(x), int(y)) for x, y in np.argwhere(mask)]


def carries(state: dict[str, Any], obj: Object) -> bool:
    objects, colours = _indices()
    kind, colour = (int(v) for v in np.asarray(state["carrying"]))
    return (kind, colour) == (objects[obj[0]], colours[obj[1]])


def door_open(state: dict[str, Any], obj: Object) -> bool:
    """Whether a door of this colour is open (MiniGrid's door state 0)."""
    grid = np.asarray(state["grid"])
    return any(int(grid[x, y, 2]) == 0 for x, y in tiles_of(state, obj))


def achieved(state: dict[str, Any], goal: Goal) -> bool:
    """Whether ``state`` achieves ``goal`` by BabyAI's verifier rules."""
    if goal.kind == "goto":
        return front_tile(state) in tiles_of(state, goal.obj)
    if goal.kind == "pickup":
        return carries(state, goal.obj)
    if goal.kind == "open":
        return door_open(state, goal.obj)
    assert goal.target is not None
    targets = tiles_of(state, goal.target)
    return any(
        abs(x - tx) + abs(y - ty) == 1 for x, y in tiles_of(state, goal.obj) for tx, ty in targets
    )

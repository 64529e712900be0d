"""The full state of a BabyAI env as arrays (what the dataset stores) and as text (what the LLM
reads).

The arrays are MiniGrid's own encoding of the whole grid (type, colour, state per tile) with
the agent's tile marked, its direction, and what it carries; the mission is not part of the
state (the goal stays hidden from the learner). :func:`state_text` renders the arrays alone,
so a learner can describe any stored state without the env: in absolute tiles, or
(:func:`egocentric_text`) relative to the agent, the way it has to act on them.

Example:
    >>> from langreward.teduo.levels import make_level, reset_layout
    >>> env = make_level("two-rooms")
    >>> _ = reset_layout(env, layout=0, rng=np.random.default_rng(1))
    >>> state_text(encode_state(env)).split(".")[0]
    'You are on tile (4, 2), facing west, carrying nothing'
    >>> words = egocentric_text(encode_state(env))
    >>> words.split(". ")[2]
    'Free tiles ahead: 3, left: 0, right: 1, behind: 0'
    >>> words.split("Objects: ")[1].split("; ")[:2]
    ['a grey key 1 to the left', 'a blue ball 3 behind']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import gymnasium as gym
import numpy as np

from langreward.teduo.achieved import DIRECTION_VECTORS

DIRECTIONS = ("east", "south", "west", "north")  # MiniGrid: 0 right, 1 down, 2 left, 3 up


def _constants() -> tuple[dict[str, int], dict[int, str], dict[int, str], dict[int, str]]:
    from minigrid.core.constants import COLOR_TO_IDX, IDX_TO_COLOR, IDX_TO_OBJECT, STATE_TO_IDX

    return (
        {**COLOR_TO_IDX},
        {**IDX_TO_COLOR},
        {**IDX_TO_OBJECT},
        {v: k for k, v in STATE_TO_IDX.items()},
    )


def observation_space(width: int, height: int) -> gym.spaces.Dict:
    """The stored state's space: ``grid`` (width, height, 3), ``direction``, ``carrying``."""
    return gym.spaces.Dict(
        {
            "grid": gym.spaces.Box(0, 255, (width, height, 3), np.uint8),
            "direction": gym.spaces.Discrete(4),
            "carrying": gym.spaces.Box(0, 255, (2,), np.uint8),  # (type, colour); empty: 1, 0
        }
    )


def encode_state(env: Any) -> dict[str, np.ndarray]:
    """The env's full state: every tile encoded, the agent's tile marked, what it carries."""
    from minigrid.core.constants import OBJECT_TO_IDX

    grid = env.grid.encode()
    x, y = (int(v) for v in env.agent_pos)
    grid[x, y] = (OBJECT_TO_IDX["agent"], 0, int(env.agent_dir))
    carried = env.carrying
    carrying = (
        (OBJECT_TO_IDX[carried.type], _constants()[0][carried.color])
        if carried is not None
        else (OBJECT_TO_IDX["empty"], 0)
    )
    return {
        "grid": grid.astype(np.uint8),
        "direction": np.int64(env.agent_dir),
        "carrying": np.array(carrying, dtype=np.uint8),
    }


def state_text(state: dict[str, Any]) -> str:
    """The state in words: the agent's tile, direction and load, the objects on their tiles,
    and the interior walls as runs of tiles."""
    _, idx_to_color, idx_to_object, idx_to_state = _constants()
    grid = np.asarray(state["grid"])
    agent = np.argwhere(grid[:, :, 0] == _index(idx_to_object, "agent"))
    x, y = (int(v) for v in agent[0]) if len(agent) else (-1, -1)
    carrying = f"carrying {_carried(state)}"
    parts = [
        f"You are on tile ({x}, {y}), facing {DIRECTIONS[int(state['direction']) % 4]}, {carrying}."
    ]
    objects = []
    for tx, ty in np.argwhere(~np.isin(grid[:, :, 0], _background(idx_to_object))):
        kind, colour, status = (int(v) for v in grid[tx, ty])
        name = idx_to_object[kind]
        words = f"a {idx_to_color[colour]} {name}"
        if name == "door":
            words = f"a {idx_to_state.get(status, 'closed')} {idx_to_color[colour]} door"
        objects.append(f"{words} on tile ({tx}, {ty})")
    parts.append("Objects: " + ("; ".join(objects) if objects else "none") + ".")
    walls = _interior_walls(grid[:, :, 0] == _index(idx_to_object, "wall"))
    if walls:
        parts.append("Interior walls: " + "; ".join(walls) + ".")
    return " ".join(parts)


def egocentric_text(state: dict[str, Any]) -> str:
    """The state in words relative to the agent: what it carries, what is in front of it, how
    many free tiles it has ahead, left, right and behind, and each object (nearest first) as
    tiles ahead/behind and to the left/right. A goal's object is then a few words away from
    the actions that reach it, with no coordinates or compass directions to compare."""
    _, idx_to_color, idx_to_object, idx_to_state = _constants()
    grid = np.asarray(state["grid"])
    width, height = grid.shape[:2]
    agent = np.argwhere(grid[:, :, 0] == _index(idx_to_object, "agent"))
    x, y = (int(v) for v in agent[0]) if len(agent) else (0, 0)
    ahead = DIRECTION_VECTORS[int(state["direction"]) % 4]
    right = (-ahead[1], ahead[0])
    free_kinds = {_index(idx_to_object, n) for n in ("empty", "floor")}

    def thing(tx: int, ty: int) -> str:
        kind, colour, status = (int(v) for v in grid[tx, ty])
        name = idx_to_object[kind]
        if name == "door":
            door = f"{idx_to_state.get(status, 'closed')} {idx_to_color[colour]} door"
            return ("an " if door.startswith("open") else "a ") + door
        if name in ("empty", "floor", "unseen"):
            return "nothing"
        return f"a {name}" if name == "wall" else f"a {idx_to_color[colour]} {name}"

    def free_tiles(step: tuple[int, int]) -> int:
        count, tx, ty = 0, x + step[0], y + step[1]
        while 0 <= tx < width and 0 <= ty < height and _passable(grid[tx, ty], free_kinds):
            count, tx, ty = count + 1, tx + step[0], ty + step[1]
        return count

    fx, fy = x + ahead[0], y + ahead[1]
    front = thing(fx, fy) if 0 <= fx < width and 0 <= fy < height else "a wall"
    left, behind = (-right[0], -right[1]), (-ahead[0], -ahead[1])
    parts = [
        f"You carry {_carried(state)}",
        f"In front of you: {front}",
        "Free tiles ahead: {}, left: {}, right: {}, behind: {}".format(
            *(free_tiles(step) for step in (ahead, left, right, behind))
        ),
    ]
    objects = []
    for tx, ty in np.argwhere(~np.isin(grid[:, :, 0], _background(idx_to_object))):
        dx, dy = int(tx) - x, int(ty) - y
        forward, side = dx * ahead[0] + dy * ahead[1], dx * right[0] + dy * right[1]
        objects.append((abs(forward) + abs(side), thing(tx, ty), _offset(forward, side)))
    words = [f"{name} {where}" for _, name, where in sorted(objects)]
    parts.append("Objects: " + ("; ".join(words) if words else "none"))
    return ". ".join(parts) + "."


StateWords = Literal["absolute", "egocentric"]
STATE_WORDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "absolute": state_text,
    "egocentric": egocentric_text,
}


def _carried(state: dict[str, Any]) -> str:
    """``a red key`` or ``nothing``."""
    _, idx_to_color, idx_to_object, _ = _constants()
    kind, colour = (int(v) for v in np.asarray(state["carrying"]))
    if idx_to_object[kind] in ("empty", "unseen"):
        return "nothing"
    return f"a {idx_to_color[colour]} {idx_to_object[kind]}"


def _offset(forward: int, side: int) -> str:
    """``2 ahead and 1 to the left``, ``3 behind``, ``1 to the right``."""
    along = f"{abs(forward)} {'ahead' if forward > 0 else 'behind'}" if forward else ""
    across = f"{abs(side)} to the {'right' if side > 0 else 'left'}" if side else ""
    return " and ".join(part for part in (along, across) if part) or "here"


def _passable(tile: np.ndarray, free_kinds: set[int]) -> bool:
    """Empty floor or an open door."""
    from minigrid.core.constants import OBJECT_TO_IDX

    return int(tile[0]) in free_kinds or (int(tile[0]) == OBJECT_TO_IDX["door"] and tile[2] == 0)


def _index(idx_to_name: dict[int, str], name: str) -> int:
    return next(i for i, n in idx_to_name.items() if n == name)


def _background(idx_to_object: dict[int, str]) -> list[int]:
    return [
        i for i, n in idx_to_object.items() if n in ("empty", "wall", "floor", "unseen", "agent")
    ]


def _interior_walls(is_wall: np.ndarray) -> list[str]:
    """Runs of wall tiles inside the border, e.g. ``x=5 from y=1 to y=4``."""
    width, height = is_wall.shape
    runs: list[str] = []
    for x in range(1, width - 1):
        column = [y for y in range(1, height - 1) if is_wall[x, y]]
        if len(column) >= 2:
            runs.append(_run("x", x, "y", column))
    for y in range(1, height - 1):
        row = [x for x in range(1, width - 1) if is_wall[x, y]]
        if len(row) >= 2:
            runs.append(_run("y", y, "x", row))
    return runs


def _run(fixed: str, at: int, along: str, cells: list[int]) -> str:
    gaps = sorted(set(range(cells[0], cells[-1] + 1)) - set(cells))
    text = f"{fixed}={at} from {along}={cells[0]} to {along}={cells[-1]}"
    return text + (f" (open at {along}={', '.join(map(str, gaps))})" if gaps else "")

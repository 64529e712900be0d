"""CPU-sized BabyAI levels with fixed layouts and random starts.

A layout (walls, doors, objects) comes from the reset seed; :func:`reset_layout` resets to a
layout and then puts the agent on a random free tile facing a random way, so that many
episodes share a few layouts (the paper: 40 training layouts, unseen test layouts).

Each level is also a Gymnasium env id (``TEDUO-TwoRooms-v0``, ``TEDUO-FourRooms-v0``,
``TEDUO-OneRoom-v0``), which
is what a TEDUO config names as ``env.id``.

Example:
    >>> env = make_level("two-rooms")
    >>> reset_layout(env, layout=3, rng=np.random.default_rng(0)).shape  # the agent's tile
    (2,)
    >>> level_of("TEDUO-TwoRooms-v0")
    'two-rooms'
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from langreward.families import EnvFamily, all_families, register_family

TEST_LAYOUT_OFFSET = 1_000_000  # test layouts are seeds from here on: never a training seed


@dataclass(frozen=True)
class LevelSpec:
    """A level: how to build it and how many steps an episode may take."""

    name: str
    env_id: str
    description: str
    build: Callable[[], Any]
    max_steps: int


def _rooms(
    name: str,
    env_id: str,
    description: str,
    *,
    room_size: int,
    rows: int,
    cols: int,
    objects: int,
    **extra: Any,
) -> LevelSpec:
    """A LevelGen level of ``rows`` x ``cols`` rooms; its step limit fixed at twice the tiles
    of its rooms (else BabyAI sets it anew at each reset from the mission it draws: 72 or 144
    steps on two-rooms)."""
    max_steps = rows * cols * room_size * room_size * 2

    def build() -> Any:
        from minigrid.envs.babyai.core.levelgen import LevelGen

        return LevelGen(
            room_size=room_size, num_rows=rows, num_cols=cols, num_dists=objects,
            max_steps=max_steps, locked_room_prob=0, locations=False, unblocking=False,
            implicit_unlock=False, instr_kinds=["action"], **extra,
        )  # fmt: skip

    return LevelSpec(name, env_id, description, build, max_steps)


LEVELS: dict[str, LevelSpec] = {
    spec.name: spec
    for spec in (
        _rooms(
            "two-rooms",
            "TEDUO-TwoRooms-v0",
            "two 6x6 rooms joined by a door, 4 objects (go to, pick up, open, put next)",
            room_size=6,
            rows=1,
            cols=2,
            objects=4,
        ),
        _rooms(
            "four-rooms",
            "TEDUO-FourRooms-v0",
            "four 5x5 rooms (2 x 2) joined by doors, 6 objects (go to, pick up, open, put next)",
            room_size=5,
            rows=2,
            cols=2,
            objects=6,
        ),
        _rooms(
            "one-room",
            "TEDUO-OneRoom-v0",
            "one 7x7 room, 4 objects (go to, pick up, put next)",
            room_size=7,
            rows=1,
            cols=1,
            objects=4,
            action_kinds=("goto", "pickup", "putnext"),
        ),
    )  # fmt: skip
}


def make_level(name: str) -> Any:
    """The level's (unwrapped) BabyAI env, its step limit set.

    Raises:
        ValueError: unknown level (the message lists the known ones).
    """
    if name not in LEVELS:
        raise ValueError(f"unknown TEDUO level {name!r}; known: {', '.join(LEVELS)}")
    return LEVELS[name].build()


def level_of(env_id: str) -> str:
    """The level a ``TEDUO-...`` env id names.

    Raises:
        ValueError: not a TEDUO level id (the message lists them).
    """
    for spec in LEVELS.values():
        if env_id.split(":")[-1] == spec.env_id:
            return spec.name
    known = ", ".join(spec.env_id for spec in LEVELS.values())
    raise ValueError(f"TEDUO runs on its own levels; env.id must be one of {known}, not {env_id!r}")


#: The levels as an env family: matched by their ids (before MiniGrid, whose classes they
#: use); SB3 trains on the image of their dict observation.
ENV_FAMILY = EnvFamily("TEDUO", ("TEDUO",), extra="teduo", image_only=True)


def register_levels() -> None:
    """Make the levels known: their env family (:mod:`langreward.families`) and their ids with
    Gymnasium (``gym.make("TEDUO-TwoRooms-v0")``). Idempotent; done when this module is
    imported, and declared as the method's ``env_families`` (the runner calls it)."""
    import gymnasium as gym

    if ENV_FAMILY not in all_families():
        register_family(ENV_FAMILY)
    for spec in LEVELS.values():
        if spec.env_id not in gym.registry:
            gym.register(spec.env_id, entry_point=make_level, kwargs={"name": spec.name})  # type: ignore[arg-type]  # gymnasium's EnvCreator protocol is (**kwargs) -> Env; make_level takes its one kwarg by name


register_levels()


def layout_seeds(count: int, *, test: bool = False) -> list[int]:
    """Seeds of ``count`` training layouts, or of unseen test layouts (``test=True``)."""
    start = TEST_LAYOUT_OFFSET if test else 0
    return list(range(start, start + count))


def reset_layout(env: Any, layout: int, rng: np.random.Generator) -> np.ndarray:
    """Reset ``env`` to layout ``layout``, then move the agent to a random free tile with a
    random direction; returns the agent's tile."""
    with contextlib.redirect_stdout(io.StringIO()):  # BabyAI prints "Sampling rejected: ..."
        env.reset(seed=int(layout))
    free = [
        (x, y)
        for x in range(1, env.width - 1)
        for y in range(1, env.height - 1)
        if env.grid.get(x, y) is None
    ]
    x, y = free[int(rng.integers(len(free)))]
    env.agent_pos = np.array([x, y])
    env.agent_dir = int(rng.integers(4))
    env.carrying = None
    env.step_count = 0
    return np.array(env.agent_pos)

"""Step 1a: the goal-relevant abstraction of a state, chosen by the LLM once per goal.

The LLM reads the goal in words and one sample state and names the goal object and, for
"put next to" goals, the goal location (one schema-constrained call per goal; it writes no
code). Fixed rules then build the abstract state: the named objects keep their identity,
every other object becomes an obstacle, doors keep only open/closed, walls stay, and the
agent keeps its tile, direction and whether it carries the goal object, another object or
nothing. Many full states share one abstract state, which is what lets a tabular learner
solve each goal from a modest dataset.

Example:
    >>> relevance = Relevance(action="go to", goal_object=ObjectRef(type="ball", color="red"))
    >>> from langreward.teduo.levels import make_level, reset_layout
    >>> from langreward.teduo.state import encode_state
    >>> env = make_level("one-room")
    >>> _ = reset_layout(env, 0, np.random.default_rng(0))
    >>> view = AbstractView(relevance)
    >>> view.features(encode_state(env)).shape
    (8, 7, 7)
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

from langreward.teduo.achieved import DIRECTION_VECTORS, agent_tile, tiles_of
from langreward.teduo.goals import Goal
from langreward.teduo.rooms import room_view
from langreward.teduo.state import DIRECTIONS

ObjectType = Literal["ball", "box", "key", "door"]
Colour = Literal["red", "green", "blue", "purple", "yellow", "grey"]

# The channels of the abstract grid, one bit each per tile.
CHANNELS = ("wall", "closed door", "open door", "obstacle", "goal object", "goal location",
            "agent", "front")  # fmt: skip
CARRYING = ("nothing", "the goal object", "another object")


class ObjectRef(BaseModel):
    """An object by type and colour."""

    model_config = ConfigDict(extra="forbid")
    type: ObjectType
    color: Colour

    def words(self) -> str:
        return f"{self.color} {self.type}"

    def as_object(self) -> tuple[str, str]:
        return (self.type, self.color)


ACTIONS = {"goto": "go to", "pickup": "pick up", "open": "open", "putnext": "put next to"}


class Relevance(BaseModel):
    """What the LLM says matters for a goal. The goal location counts only for "put next to"
    (small models fill every field a schema offers)."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["go to", "pick up", "open", "put next to"]
    goal_object: ObjectRef
    goal_location: ObjectRef | None = None

    @model_validator(mode="after")
    def _location_only_to_put_next(self) -> Relevance:
        if self.action != "put next to":
            self.goal_location = None
        return self

    @classmethod
    def of_goal(cls, goal: Goal) -> Relevance:
        """The correct answer for a goal (for tests and for scoring the LLM's answers)."""
        target = goal.target
        return cls.model_validate(
            {
                "action": ACTIONS[goal.kind],
                "goal_object": {"type": goal.obj[0], "color": goal.obj[1]},
                "goal_location": {"type": target[0], "color": target[1]} if target else None,
            }
        )


_SYSTEM = (
    "You help an agent in a grid world with rooms, walls, doors and objects (balls, boxes, "
    "keys). Given an instruction, name its action, the object the agent must act on (the goal "
    "object) and, only when the action is to put something next to another object, that other "
    "object (the goal location; null otherwise). Reply in JSON."
)
_EXAMPLES = (
    (
        "Instruction: fetch the purple key",
        '{"action": "pick up", "goal_object": {"type": "key", "color": "purple"}, '
        '"goal_location": null}',
    ),
    (
        "Instruction: set the green ball down by the yellow door",
        '{"action": "put next to", "goal_object": {"type": "ball", "color": "green"}, '
        '"goal_location": {"type": "door", "color": "yellow"}}',
    ),
)


def relevance_messages(instruction: str, sample_state: str) -> list[dict[str, str]]:
    """The abstraction prompt: two worked examples, then the goal and one sample state."""
    messages = [{"role": "system", "content": _SYSTEM}]
    for question, answer in _EXAMPLES:
        messages += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    messages.append(
        {"role": "user", "content": f"A state: {sample_state}\nInstruction: {instruction}"}
    )
    return messages


def ask_relevance(llm: Any, instruction: str, sample_state: str) -> Relevance:
    """One schema-constrained LLM call: the goal-relevant objects of ``instruction``.

    Raises:
        MalformedReplyError: no valid answer after one repair round.
    """
    return llm.json(relevance_messages(instruction, sample_state), Relevance, max_tokens=64)


Batch = dict[str, np.ndarray]  # "grid" (N, W, H, 3), "direction" (N,), "carrying" (N, 2)


def as_batch(state: dict[str, Any]) -> Batch:
    """One stored state as a batch of one."""
    return {key: np.asarray(value)[None] for key, value in state.items()}


class AbstractView:
    """The fixed abstraction rules for one goal's :class:`Relevance`, on batches of states
    (:class:`~langreward.teduo.transitions.Transitions` arrays) or one state."""

    def __init__(self, relevance: Relevance, *, drop_other_rooms: bool = False) -> None:
        """``drop_other_rooms``: the paper's rule (see :mod:`~langreward.teduo.rooms`)."""
        from minigrid.core.constants import COLOR_TO_IDX, OBJECT_TO_IDX

        self.relevance = relevance
        self.drop_other_rooms = drop_other_rooms
        self.goal_object = relevance.goal_object.as_object()
        self.goal_location = (
            relevance.goal_location.as_object() if relevance.goal_location else None
        )
        self._objects = OBJECT_TO_IDX
        self._colours = COLOR_TO_IDX

    # -- batches ------------------------------------------------------------------------
    def carrying_batch(self, batch: Batch) -> np.ndarray:
        """0: nothing, 1: the goal object, 2: another object (indices into CARRYING)."""
        kind, colour = batch["carrying"][:, 0], batch["carrying"][:, 1]
        empty = np.isin(kind, [self._objects["empty"], self._objects["unseen"]])
        goal = (kind == self._objects[self.goal_object[0]]) & (
            colour == self._colours[self.goal_object[1]]
        )
        return np.where(empty, 0, np.where(goal, 1, 2)).astype(np.uint8)

    def _mask(self, grid: np.ndarray, obj: tuple[str, str] | None) -> np.ndarray:
        if obj is None:
            return np.zeros(grid.shape[:3], bool)
        return (grid[..., 0] == self._objects[obj[0]]) & (grid[..., 1] == self._colours[obj[1]])

    def planes_batch(self, batch: Batch) -> np.ndarray:
        """The abstract grids, (N, channels, W, H) uint8: one 0/1 plane per :data:`CHANNELS`."""
        grid = np.asarray(batch["grid"])
        kinds, status = grid[..., 0], grid[..., 2]
        count, width, height = kinds.shape
        planes = np.zeros((count, len(CHANNELS), width, height), dtype=np.uint8)
        door = kinds == self._objects["door"]
        goal_object = self._mask(grid, self.goal_object)
        goal_location = self._mask(grid, self.goal_location)
        movable = np.isin(kinds, [self._objects[k] for k in ("ball", "box", "key")])
        planes[:, 0] = kinds == self._objects["wall"]
        planes[:, 1] = door & (status != 0)
        planes[:, 2] = door & (status == 0)
        planes[:, 3] = movable & ~goal_object & ~goal_location
        planes[:, 4] = goal_object
        planes[:, 5] = goal_location
        agent = kinds == self._objects["agent"]
        planes[:, 6] = agent
        ax, ay = self._agent_xy(agent)
        vectors = np.array(DIRECTION_VECTORS)[np.asarray(batch["direction"]) % 4]
        fx, fy = ax + vectors[:, 0], ay + vectors[:, 1]
        inside = (fx >= 0) & (fx < width) & (fy >= 0) & (fy < height)
        rows = np.arange(count)[inside]
        planes[rows, 7, fx[inside], fy[inside]] = 1
        if self.drop_other_rooms:
            keep = room_view(planes[:, 0].astype(bool) | door, ax, ay)
            named = (planes[:, 4] | planes[:, 5]).astype(bool)
            alone = ~(named & ~keep).reshape(count, -1).any(axis=1)  # all named in the room
            planes[alone] *= keep[alone][:, None].astype(np.uint8)
        return planes

    @staticmethod
    def _agent_xy(agent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        flat = agent.reshape(len(agent), -1).argmax(axis=1)
        return np.divmod(flat, agent.shape[2])

    def keys(self, batch: Batch) -> list[bytes]:
        """Each abstract state as a hashable key (planes, direction, what is carried)."""
        planes = self.planes_batch(batch)
        packed = np.packbits(planes.reshape(len(planes), -1), axis=1)
        tail = np.stack(
            [np.asarray(batch["direction"]) % 4, self.carrying_batch(batch)], axis=1
        ).astype(np.uint8)
        rows = np.concatenate([packed, tail], axis=1)
        return [row.tobytes() for row in rows]

    def label_keys(self, batch: Batch) -> list[bytes]:
        """Only the goal-relevant features (what a label can depend on): the agent's tile and
        direction, what lies in front, what is carried, where the named objects are and
        whether the goal door is open."""
        planes = self.planes_batch(batch)
        front = self._front_class(planes)
        relevant = planes[:, [4, 5, 6]].reshape(len(planes), -1)
        goal_door_open = (planes[:, 2] & planes[:, 4]).reshape(len(planes), -1).any(axis=1)
        tail = np.stack(
            [np.asarray(batch["direction"]) % 4, self.carrying_batch(batch), front,
             goal_door_open],
            axis=1,
        ).astype(np.uint8)  # fmt: skip
        rows = np.concatenate([np.packbits(relevant, axis=1), tail], axis=1)
        return [row.tobytes() for row in rows]

    def near(self, batch: Batch) -> np.ndarray:
        """Whether the goal object is carried, next to the agent, an open door, or (with a
        goal location) next to it: where the states that achieve a goal are (for sampling)."""
        planes = self.planes_batch(batch)
        count = len(planes)
        ax, ay = self._agent_xy(planes[:, 6].astype(bool))
        close = self.carrying_batch(batch) == 1
        rows, ox, oy = np.nonzero(planes[:, 4])
        close[rows[np.abs(ox - ax[rows]) + np.abs(oy - ay[rows]) <= 1]] = True
        close |= (planes[:, 2] & planes[:, 4]).reshape(count, -1).any(axis=1)
        if self.goal_location is not None:  # the first tile of each (sampling only)
            object_at = _first_per_row(rows, ox, oy, count, fill=-99)
            lrows, lx, ly = np.nonzero(planes[:, 5])
            location_at = _first_per_row(lrows, lx, ly, count, fill=99)
            close |= np.abs(object_at - location_at).sum(axis=1) <= 1
        return close

    @staticmethod
    def _front_class(planes: np.ndarray) -> np.ndarray:
        """What lies in front, as an index into :data:`FRONT_WORDS` (last: an empty tile)."""
        front = planes[:, 7].astype(bool)
        ahead = np.zeros((len(planes), len(FRONT_CHANNELS)), bool)
        for column, channel in enumerate(FRONT_CHANNELS):
            ahead[:, column] = (
                (planes[:, channel].astype(bool) & front).reshape(len(planes), -1).any(axis=1)
            )
        first = np.where(ahead.any(axis=1), ahead.argmax(axis=1), len(FRONT_CHANNELS))
        return first.astype(np.uint8)

    # -- one state ----------------------------------------------------------------------
    def carrying(self, state: dict[str, Any]) -> int:
        return int(self.carrying_batch(as_batch(state))[0])

    def features(self, state: dict[str, Any]) -> np.ndarray:
        """The abstract grid of one state, (channels, W, H)."""
        return self.planes_batch(as_batch(state))[0]

    def key(self, state: dict[str, Any]) -> bytes:
        return self.keys(as_batch(state))[0]

    def text(self, state: dict[str, Any]) -> str:
        """The goal-relevant features in words (what the labeller reads).

        Example: ``You are on tile (3, 2), facing east, carrying nothing. In front of you:
        the goal object. The goal object (the red ball) is on tile (4, 2).``
        """
        batch = as_batch(state)
        planes = self.planes_batch(batch)
        x, y = agent_tile(state)
        direction = DIRECTIONS[int(state["direction"]) % 4]
        carrying = int(self.carrying_batch(batch)[0])
        parts = [
            f"You are on tile ({x}, {y}), facing {direction}, carrying {CARRYING[carrying]}.",
            f"In front of you: {FRONT_WORDS[int(self._front_class(planes)[0])]}.",
            self._where("goal object", self.goal_object, state, carrying == 1),
        ]
        if self.goal_location:
            parts.append(self._where("goal location", self.goal_location, state, False))
        return " ".join(parts)

    @staticmethod
    def _where(role: str, obj: tuple[str, str], state: dict[str, Any], carried: bool) -> str:
        name = f"The {role} (the {obj[1]} {obj[0]})"
        if carried:
            return f"{name} is carried by you."
        tiles = tiles_of(state, obj)
        if not tiles:
            return f"{name} is nowhere in sight."
        where = " and ".join(f"({tx}, {ty})" for tx, ty in tiles)
        door = ""
        if obj[0] == "door":
            grid = np.asarray(state["grid"])
            door = "open " if any(int(grid[x, y, 2]) == 0 for x, y in tiles) else "closed "
        return f"{name} is {door}on tile {where}."


FRONT_CHANNELS = (4, 5, 0, 1, 2, 3)  # first match wins


def _first_per_row(
    rows: np.ndarray, xs: np.ndarray, ys: np.ndarray, count: int, fill: int
) -> np.ndarray:
    """(count, 2): the first (x, y) given for each row (np.nonzero's order), ``fill`` else."""
    out = np.full((count, 2), fill)
    unique, first = np.unique(rows, return_index=True)
    out[unique] = np.stack([xs[first], ys[first]], axis=1)
    return out


FRONT_WORDS = ("the goal object", "the goal location", "a wall", "a closed door",
               "an open door", "an obstacle", "an empty tile")  # fmt: skip

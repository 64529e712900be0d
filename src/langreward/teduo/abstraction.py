"""Step 1a: the goal-relevant abstraction of a state, chosen by the LLM once per goal.

The LLM reads the goal in words and one sample state and names the goal object and, for
"put next to" goals, the goal location (one schema-constrained call per goal; it writes no
code). Fixed rules then build the abstract state: the named objects keep their identity,
every other object becomes an obstacle, doors keep only open/closed, walls stay, and the
agent keeps its tile, direction and whether it carries the goal object, another object or
nothing. Many full states share one abstract state, which is what lets a tabular learner
solve each goal from a modest dataset.

Example:
    >>> relevance = Relevance(goal_object=ObjectRef(type="ball", color="red"))
    >>> from langreward.teduo.levels import make_level, reset_layout
    >>> from langreward.teduo.state import encode_state
    >>> env = make_level("one-room")
    >>> _ = reset_layout(env, 0, np.random.default_rng(0))
    >>> view = AbstractView(relevance)
    >>> view.features(encode_state(env)).shape
    (8, 9, 9)
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from langreward.teduo.achieved import agent_tile, front_tile, tiles_of
from langreward.teduo.goals import Goal
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


class Relevance(BaseModel):
    """What the LLM says matters for a goal."""

    model_config = ConfigDict(extra="forbid")
    goal_object: ObjectRef
    goal_location: ObjectRef | None = None

    @classmethod
    def of_goal(cls, goal: Goal) -> Relevance:
        """The correct answer for a goal (for tests and for scoring the LLM's answers)."""
        location = ObjectRef(type=goal.target[0], color=goal.target[1]) if goal.target else None
        return cls(
            goal_object=ObjectRef(type=goal.obj[0], color=goal.obj[1]), goal_location=location
        )  # type: ignore[arg-type]


_SYSTEM = (
    "You help an agent in a grid world with rooms, walls, doors and objects (balls, boxes, "
    "keys). Given an instruction, name the object the agent must act on (the goal object) and, "
    "only when the instruction says to put something next to another object, that other object "
    "(the goal location). Reply in JSON."
)
_EXAMPLES = (
    (
        "Instruction: fetch the purple key",
        '{"goal_object": {"type": "key", "color": "purple"}, "goal_location": null}',
    ),
    (
        "Instruction: set the green ball down by the yellow door",
        '{"goal_object": {"type": "ball", "color": "green"}, '
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


class AbstractView:
    """The fixed abstraction rules for one goal's :class:`Relevance`."""

    def __init__(self, relevance: Relevance) -> None:
        self.relevance = relevance
        self.goal_object = relevance.goal_object.as_object()
        self.goal_location = (
            relevance.goal_location.as_object() if relevance.goal_location else None
        )

    def carrying(self, state: dict[str, Any]) -> int:
        """0: nothing, 1: the goal object, 2: another object (an index into CARRYING)."""
        from minigrid.core.constants import COLOR_TO_IDX, OBJECT_TO_IDX

        kind, colour = (int(v) for v in np.asarray(state["carrying"]))
        if kind in (OBJECT_TO_IDX["empty"], OBJECT_TO_IDX["unseen"]):
            return 0
        wanted = (OBJECT_TO_IDX[self.goal_object[0]], COLOR_TO_IDX[self.goal_object[1]])
        return 1 if (kind, colour) == wanted else 2

    def features(self, state: dict[str, Any]) -> np.ndarray:
        """The abstract grid: one 0/1 plane per channel of :data:`CHANNELS` (uint8)."""
        from minigrid.core.constants import OBJECT_TO_IDX

        grid = np.asarray(state["grid"])
        kinds, status = grid[:, :, 0], grid[:, :, 2]
        planes = np.zeros((len(CHANNELS), *kinds.shape), dtype=np.uint8)
        door = kinds == OBJECT_TO_IDX["door"]
        planes[0] = kinds == OBJECT_TO_IDX["wall"]
        planes[1] = door & (status != 0)
        planes[2] = door & (status == 0)
        movable = np.isin(kinds, [OBJECT_TO_IDX[k] for k in ("ball", "box", "key")])
        planes[3] = movable
        for channel, obj in ((4, self.goal_object), (5, self.goal_location)):
            for x, y in tiles_of(state, obj) if obj else []:
                planes[channel, x, y] = 1
                planes[3, x, y] = 0  # a named object is no obstacle
        planes[6][agent_tile(state)] = 1
        fx, fy = front_tile(state)
        if 0 <= fx < kinds.shape[0] and 0 <= fy < kinds.shape[1]:
            planes[7, fx, fy] = 1
        return planes

    def key(self, state: dict[str, Any]) -> bytes:
        """The abstract state as a hashable key (grid planes, direction, what is carried)."""
        packed = np.packbits(self.features(state), axis=0).tobytes()
        return packed + bytes([int(state["direction"]) % 4, self.carrying(state)])

    def label_key(self, state: dict[str, Any]) -> tuple[Any, ...]:
        """Only the goal-relevant features (what a label can depend on): the agent's tile and
        direction, what lies in front, what is carried, where the named objects are."""
        return (
            agent_tile(state),
            int(state["direction"]) % 4,
            self._front_words(state),
            self.carrying(state),
            tuple(tiles_of(state, self.goal_object)),
            self._door_state(state, self.goal_object),
            tuple(tiles_of(state, self.goal_location)) if self.goal_location else (),
        )

    def text(self, state: dict[str, Any]) -> str:
        """The goal-relevant features in words (what the labeller reads).

        Example: ``You are on tile (3, 2), facing east, carrying nothing. In front of you:
        the goal object. The goal object (the red ball) is on tile (4, 2).``
        """
        x, y = agent_tile(state)
        direction = DIRECTIONS[int(state["direction"]) % 4]
        parts = [
            f"You are on tile ({x}, {y}), facing {direction}, carrying "
            f"{CARRYING[self.carrying(state)]}.",
            f"In front of you: {self._front_words(state)}.",
        ]
        parts.append(self._where("goal object", self.goal_object, state))
        if self.goal_location:
            parts.append(self._where("goal location", self.goal_location, state))
        return " ".join(parts)

    def _where(self, role: str, obj: tuple[str, str], state: dict[str, Any]) -> str:
        name = f"The {role} (the {obj[1]} {obj[0]})"
        tiles = tiles_of(state, obj)
        if role == "goal object" and self.carrying(state) == 1:
            return f"{name} is carried by you."
        if not tiles:
            return f"{name} is nowhere in sight."
        where = " and ".join(f"({tx}, {ty})" for tx, ty in tiles)
        door = self._door_state(state, obj)
        return f"{name} is {door + ' ' if door else ''}on tile {where}."

    def _door_state(self, state: dict[str, Any], obj: tuple[str, str] | None) -> str:
        if obj is None or obj[0] != "door":
            return ""
        grid = np.asarray(state["grid"])
        tiles = tiles_of(state, obj)
        return "open" if any(int(grid[x, y, 2]) == 0 for x, y in tiles) else "closed"

    def _front_words(self, state: dict[str, Any]) -> str:
        planes = self.features(state)
        fx, fy = front_tile(state)
        if not (0 <= fx < planes.shape[1] and 0 <= fy < planes.shape[2]):
            return "the edge of the world"
        for channel, words in (
            (4, "the goal object"),
            (5, "the goal location"),
            (0, "a wall"),
            (1, "a closed door"),
            (2, "an open door"),
            (3, "an obstacle"),
        ):
            if planes[channel, fx, fy]:
                return words
        return "an empty tile"

"""Goals in plain words: what the agent may be asked, phrased for training or for the test.

A :class:`Goal` names an action and the objects it involves by colour and type. Training goals
use BabyAI's own phrasing; the test set holds colour-object combinations never seen in training
and rephrasings with synonyms (the paper's "Grab a X", box -> crate/chest, blue -> azure).

Example:
    >>> goal = Goal("pickup", ("box", "blue"))
    >>> phrase(goal), phrase(goal, test=True, variant=1)
    ('pick up the blue box', 'take the azure chest')
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Object = tuple[str, str]  # (type, colour)
KINDS = ("goto", "pickup", "open", "putnext")
MOVABLE = ("ball", "box", "key")

_TRAIN = {
    "goto": "go to the {a}",
    "pickup": "pick up the {a}",
    "open": "open the {a}",
    "putnext": "put the {a} next to the {b}",
}
_TEST = {
    "goto": ("navigate to the {a}", "walk up to the {a}"),
    "pickup": ("grab the {a}", "take the {a}"),
    "open": ("swing open the {a}", "get the {a} open"),
    "putnext": ("place the {a} beside the {b}", "move the {a} close to the {b}"),
}
_SYNONYMS = {"box": ("crate", "chest"), "blue": ("azure", "azure"), "grey": ("gray", "gray")}


@dataclass(frozen=True, order=True)
class Goal:
    """An action on objects: ``kind`` in go to / pick up / open / put next."""

    kind: str
    obj: Object
    target: Object | None = None  # put next: the object to put it next to

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"goal kind must be one of {KINDS}, not {self.kind!r}")
        if (self.kind == "putnext") != (self.target is not None):
            raise ValueError("a put-next goal needs a target, and only it")

    def instruction(self) -> Any:
        """The BabyAI instruction whose verifier decides when the goal is achieved."""
        from minigrid.envs.babyai.core.verifier import (
            GoToInstr,
            ObjDesc,
            OpenInstr,
            PickupInstr,
            PutNextInstr,
        )

        desc = ObjDesc(self.obj[0], self.obj[1])
        if self.kind == "goto":
            return GoToInstr(desc)
        if self.kind == "pickup":
            return PickupInstr(desc)
        if self.kind == "open":
            return OpenInstr(desc)
        assert self.target is not None
        return PutNextInstr(desc, ObjDesc(self.target[0], self.target[1]))


def _words(obj: Object, synonyms: bool, variant: int) -> str:
    kind, colour = obj
    if synonyms:
        kind = _SYNONYMS.get(kind, (kind, kind))[variant % 2]
        colour = _SYNONYMS.get(colour, (colour, colour))[variant % 2]
    return f"{colour} {kind}"


def phrase(goal: Goal, *, test: bool = False, variant: int = 0) -> str:
    """The goal in words: BabyAI's phrasing, or (``test``) a rephrasing with synonyms."""
    template = _TEST[goal.kind][variant % 2] if test else _TRAIN[goal.kind]
    b = _words(goal.target, test, variant) if goal.target is not None else ""
    return template.format(a=_words(goal.obj, test, variant), b=b)


def goals_in_layout(env: Any) -> list[Goal]:
    """Every goal the objects of the env's current layout allow (one per distinct object
    description; put-next pairs of different objects that do not already lie side by side:
    BabyAI counts those only after a drop, a state cannot tell)."""
    placed = [o for o in env.grid.grid if o is not None and o.type != "wall"]
    objects = sorted({(o.type, o.color) for o in placed})
    tiles: dict[Object, list[tuple[int, int]]] = {}
    for o in placed:
        tiles.setdefault((o.type, o.color), []).append(tuple(o.cur_pos))

    def side_by_side(a: Object, b: Object) -> bool:
        return any(abs(x - u) + abs(y - v) == 1 for x, y in tiles[a] for u, v in tiles[b])

    goals = [Goal("goto", o) for o in objects]
    goals += [Goal("pickup", o) for o in objects if o[0] in MOVABLE]
    goals += [Goal("open", o) for o in objects if o[0] == "door"]
    goals += [
        Goal("putnext", a, b)
        for a in objects
        if a[0] in MOVABLE
        for b in objects
        if b != a and not side_by_side(a, b)
    ]
    return goals


def split_goals(
    goals: Iterable[Goal], test_share: float = 0.25, seed: int = 0
) -> tuple[list[Goal], list[Goal]]:
    """Training and test goals: the test goals' main objects (colour and type) never appear
    as the main object of a training goal, so the test asks for unseen combinations."""
    goals = sorted(set(goals))
    objects = sorted({g.obj for g in goals})
    if not objects:  # no goal of the asked kinds: nothing to split
        return [], []
    rng = random.Random(seed)
    held_out = set(rng.sample(objects, max(1, round(test_share * len(objects)))))
    train = [g for g in goals if g.obj not in held_out]
    test = [g for g in goals if g.obj in held_out]
    return train, test

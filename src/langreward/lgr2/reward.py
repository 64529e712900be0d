"""The high-level reward ``r_phi(state, final_goal, subgoal)``: a list of terms, checked by a
schema, compiled into one vectorised function.

``state`` is what the agent has achieved when the high level acts (its position in a maze),
``final_goal`` the episode's goal and ``subgoal`` the high level's proposal. The reward never
looks at what the low level reached afterwards, so it stays stationary while the low level
learns: the point of LGR2.

Example:
    >>> spec = RewardSpec(terms=[
    ...     RewardTerm(kind="distance", a="subgoal", b="final_goal", weight=-1.0),
    ...     RewardTerm(kind="within", a="state", b="final_goal", weight=1.0, threshold=0.45),
    ... ])
    >>> reward = spec.compile()
    >>> reward(np.zeros((1, 2)), np.array([[3.0, 4.0]]), np.array([[0.0, 4.0]])).tolist()
    [-3.0]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

Entity = Literal["state", "subgoal", "final_goal"]
ENTITY_WORDS: dict[str, str] = {
    "state": "where the agent is when the high level chooses (its achieved goal)",
    "subgoal": "the subgoal the high level proposes to the low level",
    "final_goal": "the goal of the episode",
}


class RewardTerm(BaseModel):
    """One term: ``weight * ||a - b||`` (distance) or ``weight * [||a - b|| <= threshold]``
    (within)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["distance", "within"]
    a: Entity
    b: Entity
    weight: float = Field(ge=-100.0, le=100.0)
    threshold: float | None = Field(None, gt=0.0, le=100.0)

    @model_validator(mode="after")
    def _consistent(self) -> RewardTerm:
        if self.a == self.b:
            raise ValueError(f"a term compares {self.a!r} with itself; name two different entities")
        if self.kind == "within" and self.threshold is None:
            raise ValueError("a 'within' term needs a threshold (a distance > 0)")
        if self.weight == 0.0:
            raise ValueError("a term with weight 0 does nothing; drop it or give a weight")
        return self

    def describe(self) -> str:
        if self.kind == "distance":
            return f"{self.weight:+g} x distance({self.a}, {self.b})"
        return f"{self.weight:+g} if distance({self.a}, {self.b}) <= {self.threshold:g}"


class RewardSpec(BaseModel):
    """The reward parameters: 1 to 6 terms (summed) and a constant ``bias`` per step."""

    model_config = ConfigDict(extra="forbid")

    terms: list[RewardTerm] = Field(min_length=1, max_length=6)
    bias: float = Field(0.0, ge=-100.0, le=100.0)

    @model_validator(mode="after")
    def _uses_the_goal(self) -> RewardSpec:
        if not any("final_goal" in (t.a, t.b) for t in self.terms):
            raise ValueError("no term mentions final_goal: the reward cannot lead to the goal")
        return self

    def describe(self) -> str:
        text = " ; ".join(term.describe() for term in self.terms)
        return f"{text} ; {self.bias:+g}" if self.bias else text

    def compile(self) -> HighLevelReward:
        return HighLevelReward(self)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.model_dump_json(indent=2))

    @classmethod
    def load(cls, path: str | Path) -> RewardSpec:
        return cls.model_validate(json.loads(Path(path).read_text()))


class HighLevelReward:
    """``reward(state, final_goal, subgoal)`` on batches ``(n, goal_dim)`` -> ``(n,)``."""

    def __init__(self, spec: RewardSpec) -> None:
        self.spec = spec

    def __call__(
        self, state: np.ndarray, final_goal: np.ndarray, subgoal: np.ndarray
    ) -> np.ndarray:
        values = {"state": state, "final_goal": final_goal, "subgoal": subgoal}
        total = np.full(len(state), self.spec.bias, dtype=np.float64)
        for term in self.spec.terms:
            distance = np.linalg.norm(values[term.a] - values[term.b], axis=-1)
            if term.kind == "distance":
                total += term.weight * distance
            else:
                total += term.weight * (distance <= (term.threshold or 0.0))
        return total.astype(np.float32)


#: The hand-written stationary reward of the control arm (reach a goal): propose subgoals
#: near the final goal, within reach of where the agent is, and be paid for being there.
HAND_WRITTEN_REACH = RewardSpec(
    terms=[
        RewardTerm(kind="distance", a="subgoal", b="final_goal", weight=-1.0),
        RewardTerm(kind="distance", a="subgoal", b="state", weight=-0.5),
        RewardTerm(kind="within", a="state", b="final_goal", weight=5.0, threshold=0.45),
    ]
)

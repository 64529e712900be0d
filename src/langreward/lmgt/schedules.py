"""Scale schedules and judgment budgets: how much shaping, and on which steps.

Both are functions of the global step count (env steps summed over all sub-envs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np


@dataclass(frozen=True)
class ScaleSchedule:
    """The shaping scale over training: constant, or linear from ``start`` to ``end``.

    Args:
        start: the scale at step 0.
        kind: ``"constant"`` or ``"linear"`` (reaches ``end`` at ``steps``, then stays).
        end: the final scale of a linear schedule.
        steps: how many env steps the linear decay takes.

    Example:
        >>> ScaleSchedule(1.0, "linear", end=0.0, steps=100).value(50)
        0.5
    """

    start: float = 1.0
    kind: Literal["constant", "linear"] = "constant"
    end: float = 0.0
    steps: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("constant", "linear"):
            raise ValueError(
                f"scale schedule kind must be 'constant' or 'linear', not {self.kind!r}"
            )
        if self.kind == "linear" and (self.steps is None or self.steps <= 0):
            raise ValueError("a linear scale schedule needs steps > 0 (how long the decay takes)")

    def value(self, step: int) -> float:
        """The scale at a global env step."""
        if self.kind == "constant" or not self.steps:
            return float(self.start)
        fraction = min(max(step / self.steps, 0.0), 1.0)
        return float(self.start + (self.end - self.start) * fraction)


BudgetKind = Literal["all", "first_n", "probability", "decay"]


@dataclass
class Budget:
    """Which steps get judged; the others get shift 0 (and cost nothing).

    Kinds:
        ``all``: every step.
        ``first_n``: the first ``steps`` env steps of training.
        ``probability``: each step with probability ``p``.
        ``decay``: each step with a probability falling linearly from ``p`` to ``p_end``
        over ``steps`` env steps.

    Args:
        kind: one of the kinds above.
        steps: the step count of ``first_n`` and ``decay``.
        p: the probability of ``probability`` (and the start of ``decay``).
        p_end: the final probability of ``decay``.
        seed: seeds the random draws.

    Example:
        >>> budget = Budget("first_n", steps=3)
        >>> budget.mask(step=2, count=2).tolist()
        [True, False]
    """

    kind: BudgetKind = "all"
    steps: int | None = None
    p: float = 1.0
    p_end: float = 0.0
    seed: int = 0
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in ("all", "first_n", "probability", "decay"):
            raise ValueError(
                f"budget kind must be all, first_n, probability or decay, not {self.kind!r}"
            )
        if self.kind in ("first_n", "decay") and (self.steps is None or self.steps < 0):
            raise ValueError(f"a {self.kind!r} budget needs steps >= 0")
        for name, value in (("p", self.p), ("p_end", self.p_end)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"budget {name} must be in [0, 1], got {value}")
        self._rng = np.random.default_rng(self.seed)

    def probability(self, step: int) -> float:
        """The chance that a step is judged."""
        if self.kind == "all":
            return 1.0
        if self.kind == "first_n":
            return 1.0 if step < (self.steps or 0) else 0.0
        if self.kind == "probability":
            return self.p
        fraction = min(step / self.steps, 1.0) if self.steps else 1.0
        return self.p + (self.p_end - self.p) * fraction

    def mask(self, step: int, count: int) -> np.ndarray:
        """Which of ``count`` steps starting at global step ``step`` are judged."""
        steps = np.arange(step, step + count)
        if self.kind == "all":
            return np.ones(count, dtype=bool)
        if self.kind == "first_n":
            return steps < (self.steps or 0)
        chances = np.array([self.probability(int(s)) for s in steps])
        return self._rng.random(count) < chances

    def state_dict(self) -> dict[str, Any]:
        """The random generator's state (the rest is settings)."""
        return {"rng": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._rng.bit_generator.state = state["rng"]

    def exhausted(self, step: int) -> bool:
        """True once no later step can be judged (the LLM is no longer needed)."""
        if self.kind == "first_n":
            return step >= (self.steps or 0)
        if self.kind == "decay":
            return self.p_end == 0.0 and step >= (self.steps or 0)
        return self.kind == "probability" and self.p == 0.0

"""A reward spec: a few terms over an env's *named* observation features, validated by a schema
and compiled into one vectorised potential ``phi(obs_batch) -> (n,)``.

Each term rates one feature from 0 to 1 across its normalising range ``[low, high]`` (saved
with the spec, so a saved spec needs no env to compile), and keeps growing past it: the ranges
come from random play, and a learning agent goes further (MountainCar's flag lies far beyond
random play's positions), where a clipped term would stop guiding it:

============  =========================================  =====================================
kind          value of the term                            words
============  =========================================  =====================================
increase      ``(x - low) / (high - low)``                 the feature should increase
decrease      ``(high - x) / (high - low)``                the feature should decrease
magnitude     ``|x| / max(|low|, |high|)``                 its size should grow (either sign)
toward        ``1 - |x - target| / (high - low)``          it should be near ``target``
inside        ``1 if lower <= x <= upper else 0``          it should stay within a range
============  =========================================  =====================================

The potential is ``scale * sum(w_i * term_i) / sum(w_i)``, minus ``scale`` when the episode
ends early on success (``termination: success``: within the ranges the potential is then at most
0, the value of a terminal state) and as is when it ends on failure. Past the ranges it can
exceed 0; the optimal policies stay those of the env's own reward either way (Ng et al. 1999).

Example:
    >>> spec = ShapingSpec(terms=[
    ...     SpecTerm(feature="velocity", kind="magnitude"),
    ...     SpecTerm(feature="position", kind="increase", weight=0.5),
    ... ], termination="success", ranges={"position": (-1.2, 0.6), "velocity": (-0.07, 0.07)})
    >>> phi = spec.compile(["position", "velocity"], scale=1.0)
    >>> phi(np.array([[0.6, 0.07], [-1.2, 0.0]])).round(3).tolist()
    [0.0, -1.0]
    >>> spec.describe()
    'the size of velocity should grow (weight 1) ; position should increase (weight 0.5) ; the episode ends early on success'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

TermKind = Literal["increase", "decrease", "magnitude", "toward", "inside"]
Potential = Callable[[np.ndarray], np.ndarray]
MAX_TERMS = 64


class SpecError(ValueError):
    """A spec that cannot be compiled or gives no usable potential (the message says why)."""


class SpecTerm(BaseModel):
    """One term of a spec: how one named feature should behave, and how much it counts."""

    model_config = ConfigDict(extra="forbid")

    feature: str = Field(min_length=1, description="an observation feature, by its name")
    kind: TermKind
    weight: float = Field(1.0, gt=0.0, le=10.0, description="relative importance")
    target: float | None = Field(None, description="the value to be near (kind: toward)")
    lower: float | None = Field(None, description="lower end of the range (kind: inside)")
    upper: float | None = Field(None, description="upper end of the range (kind: inside)")

    @model_validator(mode="after")
    def _parameters(self) -> SpecTerm:
        if self.kind == "toward" and self.target is None:
            raise ValueError(f"term on {self.feature!r}: kind 'toward' needs a target")
        if self.kind == "inside":
            if self.lower is None or self.upper is None or self.lower >= self.upper:
                raise ValueError(f"term on {self.feature!r}: kind 'inside' needs lower < upper")
        return self

    def describe(self) -> str:
        words = {
            "increase": f"{self.feature} should increase",
            "decrease": f"{self.feature} should decrease",
            "magnitude": f"the size of {self.feature} should grow",
            "toward": f"{self.feature} should be near {self.target:g}"
            if self.target is not None
            else "",
            "inside": f"{self.feature} should stay within [{self.lower:g}, {self.upper:g}]"
            if self.lower is not None and self.upper is not None
            else "",
        }[self.kind]
        return f"{words} (weight {self.weight:g})"


class ShapingSpec(BaseModel):
    """A reward spec: 1 to 64 terms, what ends an episode early, and each feature's range.

    ``ranges`` maps a feature name to the ``(low, high)`` its terms are normalised by; a
    feature without one is normalised by ``[-1, 1]`` (:func:`~langreward.spec_shaping.features.
    feature_ranges` fills them from the env's docs and sampled states).
    """

    model_config = ConfigDict(extra="forbid")

    terms: list[SpecTerm] = Field(min_length=1, max_length=MAX_TERMS)
    termination: Literal["success", "failure"] = Field(
        "success", description="what ends an episode before its time limit"
    )
    ranges: dict[str, tuple[float, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ranges(self) -> ShapingSpec:
        for name, (low, high) in self.ranges.items():
            if not (np.isfinite(low) and np.isfinite(high) and low < high):
                raise ValueError(f"ranges.{name}: need finite low < high, got [{low}, {high}]")
        return self

    def describe(self) -> str:
        """The spec in words (for summaries, reports and the CLI)."""
        ends = {"success": "on success", "failure": "on failure"}[self.termination]
        return " ; ".join([*(t.describe() for t in self.terms), f"the episode ends early {ends}"])

    def unknown_features(self, names: Sequence[str]) -> list[str]:
        """The features the terms name that are not among ``names``."""
        known = set(names)
        return [t.feature for t in self.terms if t.feature not in known]

    def compile(self, feature_names: Sequence[str], scale: float = 1.0) -> Potential:
        """The potential as one vectorised function of a batch of flat observations.

        Raises:
            SpecError: a term names a feature not in ``feature_names``.
        """
        unknown = self.unknown_features(feature_names)
        if unknown:
            raise SpecError(
                f"unknown feature(s) {unknown}; the env's features are: "
                + ", ".join(repr(n) for n in feature_names)
            )
        index = {name: i for i, name in enumerate(feature_names)}
        total_weight = sum(t.weight for t in self.terms)
        constant = -scale if self.termination == "success" else 0.0
        # every term is one of: coef * x + const, coef * |x - center| + const, w * [lo <= x <= hi]
        linear: list[tuple[int, float]] = []
        absolute: list[tuple[int, float, float]] = []
        inside: list[tuple[int, float, float, float]] = []  # column, lower, upper, weight
        for term in self.terms:
            low, high = self.ranges.get(term.feature, (-1.0, 1.0))
            column, w = index[term.feature], scale * term.weight / total_weight
            if term.kind == "increase":
                linear.append((column, w / (high - low)))
                constant -= w * low / (high - low)
            elif term.kind == "decrease":
                linear.append((column, -w / (high - low)))
                constant += w * high / (high - low)
            elif term.kind == "magnitude":
                absolute.append((column, 0.0, w / max(abs(low), abs(high))))
            elif term.kind == "toward":
                absolute.append((column, float(term.target or 0.0), -w / (high - low)))
                constant += w
            else:
                inside.append((column, float(term.lower or 0.0), float(term.upper or 0.0), w))
        lin_cols = np.array([c for c, _ in linear], dtype=np.intp)
        lin_coef = np.array([k for _, k in linear])
        abs_cols = np.array([c for c, _, _ in absolute], dtype=np.intp)
        abs_center = np.array([m for _, m, _ in absolute])
        abs_coef = np.array([k for _, _, k in absolute])
        in_cols = np.array([c for c, *_ in inside], dtype=np.intp)
        in_low, in_high, in_w = (np.array([term[k] for term in inside]) for k in (1, 2, 3))

        def potential(obs: np.ndarray) -> np.ndarray:
            x = np.asarray(obs, dtype=np.float64)
            if x.ndim != 2:
                x = x.reshape(len(x), -1)
            total = x[:, lin_cols] @ lin_coef + constant
            if abs_cols.size:
                total += np.abs(x[:, abs_cols] - abs_center) @ abs_coef
            if in_cols.size:
                values = x[:, in_cols]
                total += ((values >= in_low) & (values <= in_high)) @ in_w
            return total

        return potential

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> ShapingSpec:
        """A saved spec (``spec.json``); hand edits are validated like an LLM's answer."""
        try:
            return cls.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise SpecError(f"{path}: not a usable spec: {exc}") from None


def check_potential(potential: Potential, states: np.ndarray) -> list[str]:
    """Problems of a compiled potential on sampled states: non-finite values, or the same value
    everywhere (a potential that never changes shapes nothing)."""
    values = potential(states)
    problems = []
    if not np.all(np.isfinite(values)):
        problems.append(
            f"the potential is NaN or infinite on {int(np.sum(~np.isfinite(values)))} of "
            f"{len(values)} sampled states"
        )
    elif np.ptp(values) < 1e-9:
        problems.append(f"the potential is the same ({values[0]:.3g}) on every sampled state")
    return problems

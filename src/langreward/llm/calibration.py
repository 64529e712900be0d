"""Turn (debiased) option probabilities into decisions, with a calibrated threshold or prior.

A small model's probabilities rank well even where their argmax is useless: on BabyAI goal
labels the 1.5B model's P(yes) had a ROC AUC of 0.93-1.00 while its argmax said "yes" to every
state. Two ways to turn such probabilities into decisions:

- :class:`ThresholdCalibrator`: one option against the rest, decided by a threshold on its
  probability, fitted on a small labelled set (best accuracy) or set at a known base rate.
- :class:`ContextualCalibrator`: contextual calibration (Zhao et al., 2021): divide by the
  probabilities the model gives a content-free input (``"N/A"``), which holds its prior over
  the options, then renormalise.

Both record their parameters (``as_dict``) so a run can store how it decided.

Example:
    >>> cal = ThresholdCalibrator.fit([0.9, 0.8, 0.7, 0.6], [True, True, False, False])
    >>> cal.threshold, cal.decide(0.75), cal.decide(0.65)
    (0.75, True, False)
    >>> ContextualCalibrator({"yes": 0.8, "no": 0.2}).apply({"yes": 0.8, "no": 0.2})  # prior only
    {'yes': 0.5, 'no': 0.5}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CONTENT_FREE = "N/A"


@dataclass(frozen=True)
class ThresholdCalibrator:
    """Decide ``P(option) >= threshold``.

    Attributes:
        threshold: the decision threshold on the probability.
        how: how it was set (``"fitted"``, ``"base_rate"``, ``"given"``).
    """

    threshold: float = 0.5
    how: str = "given"

    @classmethod
    def fit(cls, probs: Sequence[float], labels: Sequence[bool]) -> ThresholdCalibrator:
        """The threshold with the best accuracy on a labelled set (midpoints between sorted
        probabilities; ties go to the threshold nearest 0.5)."""
        if len(probs) != len(labels) or not probs:
            raise ValueError("fit needs as many labels as probabilities, and at least one")
        values = sorted(set(float(p) for p in probs))
        candidates = [0.0, *((a + b) / 2 for a, b in zip(values, values[1:], strict=False)), 1.01]

        def accuracy(threshold: float) -> float:
            hits = sum((p >= threshold) == bool(y) for p, y in zip(probs, labels, strict=True))
            return hits / len(probs)

        best = max(candidates, key=lambda t: (accuracy(t), -abs(t - 0.5)))
        return cls(round(best, 6), "fitted")

    @classmethod
    def at_base_rate(cls, probs: Sequence[float], rate: float) -> ThresholdCalibrator:
        """The threshold that calls the top ``rate`` share of ``probs`` positive (no labels
        needed: only how common positives are)."""
        if not probs or not 0.0 <= rate <= 1.0:
            raise ValueError("at_base_rate needs probabilities and a rate in [0, 1]")
        ordered = sorted((float(p) for p in probs), reverse=True)
        count = round(rate * len(ordered))
        if count == 0:
            return cls(ordered[0] + 1e-9, "base_rate")
        return cls(ordered[count - 1], "base_rate")

    def decide(self, prob: float) -> bool:
        return prob >= self.threshold

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "threshold", "threshold": self.threshold, "how": self.how}


@dataclass(frozen=True)
class ContextualCalibrator:
    """Divide option probabilities by the model's prior (its answer to a content-free input).

    Attributes:
        prior: the probabilities the model gave each option for :data:`CONTENT_FREE`.
    """

    prior: Mapping[str, float]

    @classmethod
    def from_llm(
        cls, llm: Any, template: str, options: Sequence[str], **choose: Any
    ) -> ContextualCalibrator:
        """Measure the prior: ``llm.choose`` on ``template`` with ``{input}`` set to
        :data:`CONTENT_FREE` (debiased over option orders like every choice)."""
        if "{input}" not in template:
            raise ValueError("the template needs an {input} field for the content-free input")
        return cls(llm.choose(template.format(input=CONTENT_FREE), options, **choose).probs)

    def apply(self, probs: Mapping[str, float]) -> dict[str, float]:
        """The calibrated probabilities (renormalised)."""
        scaled = {k: float(v) / max(float(self.prior.get(k, 1.0)), 1e-9) for k, v in probs.items()}
        total = sum(scaled.values()) or 1.0
        return {k: round(v / total, 12) for k, v in scaled.items()}

    def decide(self, probs: Mapping[str, float]) -> str:
        calibrated = self.apply(probs)
        return max(calibrated, key=calibrated.__getitem__)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": "contextual", "prior": dict(self.prior), "input": CONTENT_FREE}

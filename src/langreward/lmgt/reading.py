"""Reading the LLM judge's answers: labels out of replies, calibration, the confidence bar.

Option orders are averaged before this, by ``llm.choose`` / ``llm.choose_many`` (the
``orders`` settings); what arrives here is one probability per label.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from langreward.llm import Choice
from langreward.llm.calibration import CONTENT_FREE, ContextualCalibrator
from langreward.lmgt.config import LLMJudgeSettings
from langreward.lmgt.judge import JudgeStats
from langreward.lmgt.prompts import SHIFT_OF

logger = logging.getLogger(__name__)

_ANSWER = re.compile(r"answer\s*[:=\-]\s*[*\"'`]*\s*(good|neutral|bad)\b", re.IGNORECASE)
_ANSWERS = re.compile(r"answers\s*[:=\-]\s*(.+)$", re.IGNORECASE | re.MULTILINE)


def parse_cot(text: str) -> str | None:
    """The label of the last ``Answer: <label>`` line of a reasoning reply, or ``None``.

    Example:
        >>> parse_cot("The pole leans right, pushing right helps.\\nAnswer: good")
        'good'
    """
    matches = _ANSWER.findall(text)
    return matches[-1].lower() if matches else None


def parse_packed_cot(text: str, count: int) -> list[str] | None:
    """The labels of the last ``Answers: a, b, ...`` line, or ``None`` unless exactly ``count``.

    Example:
        >>> parse_packed_cot("1 helps. 2 hurts.\\nAnswers: good, bad", 2)
        ['good', 'bad']
    """
    matches = _ANSWERS.findall(text)
    if not matches:
        return None
    labels = [w.lower() for w in re.findall(r"good|neutral|bad", matches[-1], re.IGNORECASE)]
    return labels if len(labels) == count else None


class AnswerReader:
    """Turns label probabilities into shifts: calibrated (``calibration``), then the label
    with the largest probability, 0 when that is below ``min_confidence`` (``uncertain``).

    With ``calibration: contextual`` the probabilities are divided by :attr:`prior`, the
    model's answer for a content-free item, which the asker measures on first use
    (:meth:`set_prior`); without log-probabilities the prior is ``{}`` and nothing changes.

    Args:
        settings: the judge's settings (``calibration``, ``min_confidence``).

    Example:
        >>> reader = AnswerReader(LLMJudgeSettings(min_confidence=0.6))
        >>> stats = JudgeStats()
        >>> reader.shift(*reader.decide({"good": 0.7, "neutral": 0.2, "bad": 0.1}), stats)
        1
        >>> reader.shift(*reader.decide({"good": 0.5, "neutral": 0.2, "bad": 0.3}), stats)
        0
        >>> stats.uncertain
        1
        >>> calibrated = AnswerReader(LLMJudgeSettings(calibration="contextual"))
        >>> calibrated.set_prior(Choice("good", {"good": 0.8, "neutral": 0.1, "bad": 0.1},
        ...                             "logprobs"), source="scripted")
        >>> calibrated.decide({"good": 0.6, "neutral": 0.1, "bad": 0.3})[0]
        'bad'
    """

    def __init__(self, settings: LLMJudgeSettings) -> None:
        self.settings = settings
        self.prior: dict[str, float] | None = None  # contextual: measured on first use

    @property
    def needs_prior(self) -> bool:
        """Whether :meth:`decide` needs :meth:`set_prior` first."""
        return self.settings.calibration == "contextual" and self.prior is None

    def set_prior(self, choice: Choice, source: str) -> None:
        """Keep the content-free item's probabilities as the prior; ``{}`` (no calibration)
        when they are not log-probabilities: a prior of votes would divide by zero."""
        if "logprobs" not in choice.method:
            logger.warning(
                "lmgt.calibration: contextual needs log-probabilities, which %s does not give; "
                "deciding uncalibrated",
                source,
            )
            self.prior = {}
            return
        logger.info("LLM judge prior for a content-free item: %s", choice.probs)
        self.prior = dict(choice.probs)

    def decide(self, probs: Mapping[str, float]) -> tuple[str, float]:
        """The label and its probability, after calibration."""
        if self.settings.calibration == "contextual":
            assert self.prior is not None, "set_prior first (see needs_prior)"
            if self.prior:
                probs = ContextualCalibrator(self.prior).apply(probs)
        label = max(probs, key=probs.__getitem__)
        return label, probs[label]

    def shift(self, label: str, confidence: float, stats: JudgeStats) -> int:
        """The label's shift, or 0 (counted ``uncertain``) below ``min_confidence``."""
        if confidence < self.settings.min_confidence:
            stats.uncertain += 1
            return 0
        return SHIFT_OF.get(label, 0)

    def summary(self) -> dict[str, Any]:
        """How choices become labels, for ``summary.json`` (the prior once measured)."""
        if self.settings.calibration == "none":
            return {"kind": "none"}
        return {
            "kind": "contextual",
            "input": CONTENT_FREE,
            "prior": self.prior,  # None: not measured yet; {}: no log-probabilities, unused
        }

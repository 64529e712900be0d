"""Measure a backend's letter-position bias before training with it.

Each question has a known yes/no answer and is asked with the options in both orders, one
order at a time (no debiasing). A model without position bias answers the same in both orders;
a biased one picks the first letter whatever it says.

Example:
    >>> from langreward.llm import make_llm
    >>> report = measure_position_bias(make_llm("scripted", responses=["A"]), QUESTIONS[:4])
    >>> report.first_option_wins, report.argmax_accuracy, report.debiased_accuracy, report.auc
    (1.0, 0.5, 0.5, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: (question, true answer) pairs a small model should know; half say yes.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("Is fire hot?", "yes"),
    ("Is ice hot?", "no"),
    ("Is 7 a prime number?", "yes"),
    ("Is 9 a prime number?", "no"),
    ("Does a week have seven days?", "yes"),
    ("Does a triangle have four sides?", "no"),
    ("Is the sun a star?", "yes"),
    ("Is a cat a kind of bird?", "no"),
    ("Is 10 greater than 3?", "yes"),
    ("Is 2 greater than 5?", "no"),
    ("Can fish live in water?", "yes"),
    ("Is Paris in Japan?", "no"),
    ("Is water wet?", "yes"),
    ("Do cars have wings?", "no"),
    ("Is 4 an even number?", "yes"),
    ("Is 15 an even number?", "no"),
)


@dataclass(frozen=True)
class BiasReport:
    """What the questions showed.

    Attributes:
        questions: questions asked (each in two orders, so twice as many calls).
        first_option_wins: share of the calls whose answer was the option listed first
            (0.5 is unbiased; 1.0 always the first).
        argmax_accuracy: share of calls answered right when read in one order.
        debiased_accuracy: share of questions answered right after averaging both orders.
        auc: ROC AUC of the order-averaged P(yes) against the truth: how well the
            probabilities rank the questions, whatever threshold turns them into answers
            (0.5 is chance).
        seconds: LLM time spent (cache misses).
    """

    questions: int
    first_option_wins: float
    argmax_accuracy: float
    debiased_accuracy: float
    auc: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def measure_position_bias(llm: Any, questions: Sequence[tuple[str, str]] = QUESTIONS) -> BiasReport:
    """Ask each yes/no question in both orders and count how often the first option wins."""
    start = llm.stats.llm_seconds
    first_wins = right = debiased_right = 0
    scored: list[tuple[float, bool]] = []
    for question, truth in questions:
        forward = llm.choose(question, ["yes", "no"], orders="none")
        backward = llm.choose(question, ["no", "yes"], orders="none")
        first_wins += (forward.option == "yes") + (backward.option == "no")
        right += (forward.option == truth) + (backward.option == truth)
        p_yes = (forward.probs["yes"] + backward.probs["yes"]) / 2
        debiased_right += ("yes" if p_yes >= 0.5 else "no") == truth
        scored.append((p_yes, truth == "yes"))
    calls = 2 * len(questions)
    return BiasReport(
        questions=len(questions),
        first_option_wins=first_wins / calls,
        argmax_accuracy=right / calls,
        debiased_accuracy=debiased_right / len(questions),
        auc=roc_auc(scored),
        seconds=round(llm.stats.llm_seconds - start, 3),
    )


def roc_auc(scored: Sequence[tuple[float, bool]]) -> float:
    """ROC AUC of (score, is_positive) pairs: the chance that a random positive outscores a
    random negative (ties count half); NaN without both classes.

    Example:
        >>> roc_auc([(0.9, True), (0.4, True), (0.5, False), (0.1, False)])
        0.75
    """
    positives = [s for s, y in scored if y]
    negatives = [s for s, y in scored if not y]
    if not positives or not negatives:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))

"""Step 1b: label sample states "goal achieved" or not.

:class:`LLMLabeller` asks the LLM a yes/no question per state, through ``LLM.choose``: the
answer is read from the model's probabilities of the two letters, averaged over both option
orders (the small embedded models otherwise answer by letter position), and decided with a
threshold on P(yes). :class:`VerifierLabeller` applies BabyAI's verifier rules instead: an
oracle stand-in FOR TESTS AND ABLATIONS, never the method itself.

The states to label are the distinct goal-relevant views (:meth:`AbstractView.label_keys`) of
the dataset, sampled up to a budget per goal.

Example:
    >>> labeller = VerifierLabeller()
    >>> labeller.name
    'verifier (oracle stand-in)'
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langreward.llm import MalformedReplyError
from langreward.plugin import MethodError
from langreward.teduo.abstraction import AbstractView, Batch, Relevance
from langreward.teduo.achieved import achieved
from langreward.teduo.goals import Goal

log = logging.getLogger(__name__)

RULES = (
    "How to judge: going to an object means it is on the tile right in front of you; picking "
    "it up means you carry it; opening a door means it is open; putting an object next to "
    "another means it lies on a tile beside that object (not diagonally), not carried."
)


def top_gap_threshold(probs: Sequence[float]) -> float:
    """The midpoint of the largest gap between consecutive values in the upper half of one
    goal's P(yes): the states above it are called "achieved" (above 1 when there are fewer
    than two values or all are alike).

    Why: averaged over option orders, a small model's P(yes) ranks a goal's states well
    (ROC AUC 0.85-1.0 per goal with the 1.5B model) but sits in a narrow band whose level
    differs by goal (0.38-0.50), so no fixed threshold fits; positives, the minority, form
    the top cluster. Example:

    >>> top_gap_threshold([0.40, 0.41, 0.42, 0.43, 0.48, 0.49])
    0.455
    """
    ordered = sorted(probs, reverse=True)
    top = ordered[: max(2, len(ordered) // 2)]
    if len(top) < 2:
        return 1.01
    gaps = [a - b for a, b in zip(top, top[1:], strict=False)]
    at = max(range(len(gaps)), key=gaps.__getitem__)
    if gaps[at] < 1e-6:  # all alike: no cluster stands out, nothing is called achieved
        return 1.01
    return round((top[at] + top[at + 1]) / 2, 6)


def fitted_threshold(probs: Sequence[float], labels: Sequence[bool]) -> float | None:
    """The P(yes) threshold with the best F1 on a few states labelled by hand (the higher
    one on ties); ``None`` when none of them is positive.

    Example:
        >>> fitted_threshold([0.40, 0.46, 0.47, 0.41], [False, True, True, False])
        0.46
    """
    if not any(labels):
        return None
    best, chosen = -1.0, None
    for candidate in sorted(set(probs)):
        called = [p >= candidate for p in probs]
        hits = sum(c and t for c, t in zip(called, labels, strict=True))
        f1 = 2 * hits / (sum(called) + sum(labels))
        if f1 >= best:
            best, chosen = f1, candidate
    return chosen


def label_question(instruction: str, state_text: str, rules: str = RULES) -> str:
    """The yes/no question asked about one state (then "yes"/"no" as lettered options)."""
    rules = f"\n{rules}" if rules else ""
    return (
        f"An agent in a grid world was told: {instruction}.{rules}\n"
        f"Current state: {state_text}\n"
        "Has the agent carried out the instruction in this state?"
    )


class VerifierLabeller:
    """BabyAI's verifier rules as the labeller: an oracle stand-in for tests and ablations."""

    name = "verifier (oracle stand-in)"

    def label(
        self, goal: Goal, instruction: str, view: AbstractView, states: Sequence[dict[str, Any]]
    ) -> tuple[list[float], list[bool]]:
        truth = [achieved(state, goal) for state in states]
        return [float(t) for t in truth], truth


class LLMLabeller:
    """The LLM as the labeller: debiased P(yes), decided per goal by ``decision``.

    Args:
        llm: a :class:`~langreward.llm.LLM`.
        orders: option orders to average over (``auto``: both; ``none``: yes first only).
        threshold: with ``decision="threshold"``, "achieved" when P(yes) is at least this.
        decision: ``top_gap`` (default): per goal, "achieved" above the largest gap between
            consecutive P(yes) values in the upper half (see :func:`top_gap_threshold`);
            ``threshold``: the fixed ``threshold``; ``calibrated``: per goal, the threshold
            with the best F1 on ``calibration_states`` states labelled by hand (here BabyAI's
            rules stand in for the person: an oracle stand-in for ablations), which keep those
            labels (top gap when none of them is positive).
        calibration_states: how many states per goal are labelled by hand for ``calibrated``.
        rules: the plain-words definition of achieving each kind of goal, given with every
            question (``""``: none).
    """

    def __init__(
        self,
        llm: Any,
        *,
        orders: str = "auto",
        threshold: float = 0.5,
        decision: str = "top_gap",
        calibration_states: int = 10,
        rules: str = RULES,
    ) -> None:
        self.llm = llm
        self.orders = orders
        self.threshold = threshold
        self.decision = decision
        self.calibration_states = calibration_states
        self.rules = rules
        spec = LabellerSpec("llm", llm.spec, orders, threshold, decision, calibration_states)
        self.name = spec.name()
        self.failures = 0  # states whose answer could not be read
        self.given: list[int] = []  # states of the last goal labelled by hand (calibrated)

    def question(self, instruction: str, state_text: str) -> str:
        return label_question(instruction, state_text, self.rules)

    def label(
        self, goal: Goal, instruction: str, view: AbstractView, states: Sequence[dict[str, Any]]
    ) -> tuple[list[float], list[bool]]:
        probs = []
        for state in states:
            try:
                choice = self.llm.choose(
                    self.question(instruction, view.text(state)), ["yes", "no"], orders=self.orders
                )
                probs.append(float(choice.probs["yes"]))
            except MalformedReplyError:  # no letter read: the state stays unlabelled (counted)
                self.failures += 1
                probs.append(float("nan"))
        read = [i for i, p in enumerate(probs) if p == p]  # NaN: unread
        self.given = []  # states labelled by hand: only for the calibrated decision
        if self.decision == "calibrated":
            count = min(self.calibration_states, len(read))
            self.given = sorted(random.Random(0).sample(read, count))
        truth = {i: achieved(states[i], goal) for i in self.given}
        threshold = self._threshold([probs[i] for i in read], truth, probs)
        return probs, [truth.get(i, p >= threshold) for i, p in enumerate(probs)]

    def _threshold(self, read: list[float], truth: dict[int, bool], probs: list[float]) -> float:
        """The P(yes) threshold for one goal (``read``: the values that could be read)."""
        if self.decision == "threshold":
            return self.threshold
        if self.decision == "calibrated":
            fitted = fitted_threshold([probs[i] for i in truth], list(truth.values()))
            if fitted is not None:
                return fitted
        return top_gap_threshold(read)


@dataclass(frozen=True)
class LabellerSpec:
    """Which labeller to build (also inside a Ray task): ``kind`` llm or verifier."""

    kind: str
    llm: str
    orders: str = "auto"
    threshold: float = 0.5
    decision: str = "top_gap"
    calibration_states: int = 10

    def name(self) -> str:
        if self.kind == "verifier":
            return VerifierLabeller.name
        rule = {
            "top_gap": "top gap",
            "threshold": f"threshold {self.threshold}",
            "calibrated": f"threshold fitted on {self.calibration_states} states per goal "
            "labelled by BabyAI's rules, standing in for a person",
        }[self.decision]
        return f"llm ({self.llm}, orders {self.orders}, {rule})"

    def build(self, llm: Any = None) -> VerifierLabeller | LLMLabeller:
        if self.kind == "verifier":
            return VerifierLabeller()
        if llm is None:
            from langreward.llm import make_llm

            llm = make_llm(self.llm)
        return LLMLabeller(
            llm,
            orders=self.orders,
            threshold=self.threshold,
            decision=self.decision,
            calibration_states=self.calibration_states,
        )


@dataclass(frozen=True)
class LabelJob:
    """One goal's states to label."""

    goal_id: str
    goal: Goal
    instruction: str
    relevance: Relevance
    states: list[dict[str, Any]]


@dataclass(frozen=True)
class LabelResult:
    probs: list[float]
    decisions: list[bool]
    seconds: float
    llm_calls: int
    failures: int = 0
    given: list[int] = field(default_factory=list)  # labelled by hand (calibrated decision)


def label_job(job: LabelJob, spec: LabellerSpec, llm: Any = None) -> LabelResult:
    """Label one goal's states (with ``llm`` when given, else one built from ``spec``)."""
    started = time.perf_counter()
    labeller = spec.build(llm)
    before = labeller.llm.stats.calls if isinstance(labeller, LLMLabeller) else 0
    probs, decisions = labeller.label(
        job.goal, job.instruction, AbstractView(job.relevance), job.states
    )
    after = labeller.llm.stats.calls if isinstance(labeller, LLMLabeller) else 0
    failures = labeller.failures if isinstance(labeller, LLMLabeller) else 0
    given = labeller.given if isinstance(labeller, LLMLabeller) else []
    log.info("labelled %d states of %s", len(job.states), job.goal_id)
    seconds = round(time.perf_counter() - started, 2)
    return LabelResult(probs, decisions, seconds, after - before, failures, given)


def label_on_ray(jobs: list[LabelJob], spec: LabellerSpec, address: str) -> list[LabelResult]:
    """:func:`label_job` for every goal as Ray tasks (one CPU each; each task builds its own
    LLM from the spec, with the default response cache of the machine it runs on).

    Raises:
        MethodError: ray is not installed.
    """
    try:
        import ray
    except ImportError:
        raise MethodError(
            "labelling on Ray needs the ray package: pip install 'langreward[ray]'"
        ) from None
    started = False
    if not ray.is_initialized():
        if address == "local":
            ray.init(include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
        started = True
    try:
        task = ray.remote(num_cpus=1, max_retries=1)(label_job)
        return list(ray.get([task.remote(job, spec) for job in jobs]))
    finally:
        if started:
            ray.shutdown()


def sample_states(
    view: AbstractView, batch: Batch, budget: int, seed: int = 0, near_share: float = 0.5
) -> list[int]:
    """Indices of up to ``budget`` states with distinct goal-relevant views, drawn at random;
    ``near_share`` of them, where there are enough, among views where the goal object is
    carried or close (:meth:`AbstractView.near`), since states that achieve a goal are rare
    among random ones."""
    first: dict[bytes, int] = {}
    for index, key in enumerate(view.label_keys(batch)):
        first.setdefault(key, index)
    is_near = view.near(batch)
    near = [i for i in first.values() if is_near[i]]
    far = [i for i in first.values() if not is_near[i]]
    rng = random.Random(seed)
    rng.shuffle(near)
    rng.shuffle(far)
    take_near = min(len(near), max(round(near_share * budget), budget - len(far)))
    return sorted(near[:take_near] + far[: budget - take_near])


def precision_recall(predicted: Sequence[bool], truth: Sequence[bool]) -> dict[str, float | int]:
    """Precision and recall of ``predicted`` against ``truth`` (``nan`` where undefined)."""
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    return {
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "recall": tp / (tp + fn) if tp + fn else float("nan"),
        "positives": tp + fn,
        "predicted": tp + fp,
        "states": len(truth),
    }

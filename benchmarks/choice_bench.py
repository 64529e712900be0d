"""How to read a small model's choices: argmax vs debiased vs calibrated, against ground truth.

    python benchmarks/choice_bench.py --llm embedded embedded:qwen2.5-coder-1.5b

Judgment sets (states from seeded rollouts; the truth from code, never from an LLM):

- ``mountaincar`` / ``cartpole`` / ``babyai``: LMGT judgments, (state, action) pairs described
  by the project's describers; the truth is the reference policy's score (+1 good, -1 bad;
  MountainCar's "do nothing" is 0 and left out). Score: P(good) - P(bad).
- ``goal``: BabyAI-GoToLocal goal labelling (TEDUO's step 1): "has the agent reached the goal
  of its mission in this state?", the truth from BabyAI's own verifier. Score: P(yes).

Readings of the same model: ``argmax`` (one call, options as listed), ``debiased`` (averaged
over every option order), ``contextual`` (debiased, divided by the model's answer to a
content-free "N/A" item), ``fitted`` (debiased score, threshold fitted on the other half of the
set: a small labelled set; 2-fold), and the packed variants (16 items per prompt, letter
probabilities read per item). Every run uses a fresh response cache, so seconds are real.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_utils import update_benchmarks_md  # noqa: E402

from langreward.families import knowledge  # noqa: E402
from langreward.llm import ResponseCache, make_llm  # noqa: E402
from langreward.llm.bias import roc_auc  # noqa: E402
from langreward.llm.calibration import CONTENT_FREE, ThresholdCalibrator  # noqa: E402
from langreward.lmgt.prompts import INSTRUCTION, LABELS, single_messages, system_prompt  # noqa: E402

PACK = 16
GOAL_QUESTION = (
    "State: {state}\n\nHas the agent reached the goal of its mission in this state (for 'go to' "
    "missions: the object is right in front of the agent)?"
)
GOAL_INSTRUCTION = (
    "Each item is a state of an agent in a grid world, with its mission. For each, answer "
    "whether the agent has reached the goal of its mission in that state (for 'go to' missions: "
    "the object is right in front of the agent)."
)


@dataclass
class JudgmentSet:
    """Items with binary truths, asked one way (options, prompt builders)."""

    name: str
    items: list[str]
    truths: list[bool]  # True: the positive option is right
    options: tuple[str, ...]
    positive: str
    negative: str
    single: Callable[[str], Any]  # item -> messages for llm.choose
    instruction: str
    system: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)


# -- building the sets ---------------------------------------------------------------------
def _lmgt_set(env_id: str, states: int, seed: int, epsilon: float = 0.3) -> JudgmentSet:
    import gymnasium as gym

    env = gym.make(env_id)
    describer = knowledge(env, "describer")(env)
    reference = knowledge(env, "reference")(env)
    rng = random.Random(seed)
    observations: list[Any] = []
    obs, _ = env.reset(seed=seed)
    while len(observations) < states * 4:
        observations.append(obs)
        action = env.action_space.sample() if rng.random() < epsilon else reference.act(obs)
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            obs, _ = env.reset(seed=rng.randrange(10**6))
    picked = rng.sample(observations, states)
    items, truths = [], []
    for obs in picked:
        for action in range(env.action_space.n):
            score = reference.judge(obs, action)
            if score in (1, -1):
                items.append(describer.describe(obs, action))
                truths.append(score == 1)
    env.close()
    task = describer.task
    return JudgmentSet(
        env_id.split("-")[0].lower(),
        items,
        truths,
        LABELS,
        "good",
        "bad",
        lambda item: single_messages(task, item),
        INSTRUCTION,
        system_prompt(task),
    )


def _babyai_set(states: int, seed: int, epsilon: float = 0.3) -> JudgmentSet:
    import gymnasium as gym
    import minigrid  # noqa: F401 - registers the envs

    from langreward.lmgt.reference import BabyAIBotTracker

    env = gym.make("BabyAI-GoToRedBallNoDists-v0")
    describer = knowledge(env, "describer")(env)
    rng = random.Random(seed)
    rows: list[tuple[Any, int]] = []
    episode = 0
    while len(rows) < states * 3:
        obs, _ = env.reset(seed=seed + episode)
        episode += 1
        tracker = BabyAIBotTracker(env.unwrapped)
        best = tracker.reset()
        for _ in range(40):
            if best is None:
                break
            rows.append((obs, best))
            action = rng.randrange(3) if rng.random() < epsilon else best
            obs, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                break
            best = tracker.step(action)
    items, truths = [], []
    for obs, best in rng.sample(rows, states):
        for action in range(3):  # turn left, turn right, move forward
            items.append(describer.describe(obs, action))
            truths.append(action == best)
    env.close()
    task = describer.task
    return JudgmentSet(
        "babyai",
        items,
        truths,
        LABELS,
        "good",
        "bad",
        lambda item: single_messages(task, item),
        INSTRUCTION,
        system_prompt(task),
    )


def _goal_set(states: int, seed: int, epsilon: float = 0.2) -> JudgmentSet:
    """GoToLocal states: each bot episode's last state, the one before it, and one earlier
    state; the truth is BabyAI's verifier, asked on the live env at each state."""
    import gymnasium as gym
    import minigrid  # noqa: F401

    from langreward.lmgt.reference import BabyAIBotTracker

    env = gym.make("BabyAI-GoToLocal-v0")
    describer = knowledge(env, "describer")(env)
    unwrapped = env.unwrapped
    rng = random.Random(seed)
    items: list[str] = []
    truths: list[bool] = []
    episode = 0

    def reached() -> bool:  # GoToInstr: the object is right in front of the agent
        return unwrapped.instrs.verify_action(unwrapped.actions.done) == "success"

    while len(items) < states:
        obs, _ = env.reset(seed=seed + episode)
        episode += 1
        tracker = BabyAIBotTracker(unwrapped)
        best = tracker.reset()
        trajectory = [(obs, reached())]
        while best is not None and len(trajectory) < 64:
            action = rng.randrange(3) if rng.random() < epsilon else best
            obs, _, terminated, truncated, _ = env.step(action)
            trajectory.append((obs, reached()))
            if terminated or truncated:
                break
            best = tracker.step(action)
        picks = trajectory[-2:]
        if len(trajectory) > 3:
            picks.append(trajectory[rng.randrange(len(trajectory) - 2)])
        for state, truth in picks:
            items.append(describer.state(state))
            truths.append(truth)
    env.close()
    return JudgmentSet(
        "goal",
        items[:states],
        truths[:states],
        ("yes", "no"),
        "yes",
        "no",
        lambda item: GOAL_QUESTION.format(state=item),
        GOAL_INSTRUCTION,
        None,
    )


# -- reading the model ----------------------------------------------------------------------
@dataclass
class Reading:
    name: str
    scores: list[float]
    decisions: list[int]  # 1 positive, -1 negative, 0 neither (neutral)
    calls: float
    seconds: float


def _score(probs: dict[str, float], js: JudgmentSet) -> float:
    if js.options == LABELS:
        return probs["good"] - probs["bad"]
    return probs[js.positive]


def _decision(option: str, js: JudgmentSet) -> int:
    return 1 if option == js.positive else -1 if option == js.negative else 0


def _calibrated(probs: dict[str, float], prior: dict[str, float]) -> dict[str, float]:
    scaled = {k: v / max(prior[k], 1e-9) for k, v in probs.items()}
    total = sum(scaled.values())
    return {k: v / total for k, v in scaled.items()}


def read_set(llm: Any, js: JudgmentSet) -> list[Reading]:
    n = len(js.items)
    readings: list[Reading] = []

    def timed(fn: Callable[[], Any]) -> tuple[Any, float, int]:
        calls, seconds = llm.stats.calls, llm.stats.llm_seconds
        result = fn()
        return result, llm.stats.llm_seconds - seconds, llm.stats.calls - calls

    def add(name: str, choices: Sequence[Any], seconds: float, calls: int) -> None:
        readings.append(
            Reading(
                name,
                [_score(c.probs, js) for c in choices],
                [_decision(c.option, js) for c in choices],
                calls / n,
                seconds / n,
            )
        )

    first, s1, c1 = timed(
        lambda: [llm.choose(js.single(i), js.options, orders="none") for i in js.items]
    )
    add("argmax", first, s1, c1)
    debiased, s2, c2 = timed(lambda: [llm.choose(js.single(i), js.options) for i in js.items])
    add("debiased", debiased, s1 + s2, c2)  # the first order's calls were argmax's
    prior, s3, c3 = timed(lambda: llm.choose(js.single(CONTENT_FREE), js.options).probs)
    contextual = []
    for choice in debiased:
        probs = _calibrated(choice.probs, prior)
        contextual.append(type(choice)(max(probs, key=probs.__getitem__), probs, "contextual"))
    add("contextual", contextual, s1 + s2 + s3, c2 + c3)
    js.notes.setdefault("prior", {})[llm.spec] = {k: round(v, 3) for k, v in prior.items()}
    # fitted: a threshold on the debiased score, fitted on the other half (2-fold)
    scores = [_score(c.probs, js) for c in debiased]
    fitted_decisions = [0] * n
    halves = [list(range(0, n, 2)), list(range(1, n, 2))]
    for fit_on, apply_to in (halves, halves[::-1]):
        cal = ThresholdCalibrator.fit([scores[i] for i in fit_on], [js.truths[i] for i in fit_on])
        for i in apply_to:
            fitted_decisions[i] = 1 if cal.decide(scores[i]) else -1
    readings.append(Reading("fitted (2-fold)", scores, fitted_decisions, c2 / n, (s1 + s2) / n))
    for orders, name in (("none", "packed argmax"), ("auto", "packed debiased")):
        choices, seconds, calls = timed(
            lambda orders=orders: [
                c
                for start in range(0, n, PACK)
                for c in llm.choose_many(
                    js.items[start : start + PACK],
                    js.options,
                    instruction=js.instruction,
                    system=js.system,
                    orders=orders,
                )
            ]
        )
        if orders == "auto":
            seconds += readings[-1].seconds * n  # its first order was packed argmax's
        add(name, choices, seconds, calls)
        readings[-1].name += f" ({choices[0].method})"
    return readings


def metrics(js: JudgmentSet, reading: Reading) -> dict[str, float]:
    truth_sign = [1 if t else -1 for t in js.truths]
    accuracy = sum(d == t for d, t in zip(reading.decisions, truth_sign, strict=True)) / len(
        truth_sign
    )
    positives = sum(d == 1 for d in reading.decisions) / len(truth_sign)
    auc = roc_auc(list(zip(reading.scores, js.truths, strict=True)))
    return {"accuracy": accuracy, "auc": auc, "said_positive": positives}


def build_sets(args: argparse.Namespace) -> list[JudgmentSet]:
    builders = {
        "mountaincar": lambda: _lmgt_set("MountainCar-v0", args.states, args.seed),
        "cartpole": lambda: _lmgt_set("CartPole-v1", args.states, args.seed),
        "babyai": lambda: _babyai_set(args.states, args.seed),
        "goal": lambda: _goal_set(args.goal_states, args.seed),
    }
    return [builders[name]() for name in args.sets]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--llm", nargs="+", default=["embedded"])
    parser.add_argument("--sets", nargs="+", default=["mountaincar", "cartpole", "babyai", "goal"])
    parser.add_argument("--states", type=int, default=24, help="states per LMGT set")
    parser.add_argument("--goal-states", type=int, default=96)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    started = time.time()
    sets = build_sets(args)
    rows = []
    for spec in args.llm:
        with tempfile.TemporaryDirectory() as tmp:
            llm = make_llm(spec, cache=ResponseCache(Path(tmp) / "cache.sqlite"))
            llm.chat("Say ok.", max_tokens=1)  # load the model outside the timings
            for js in sets:
                for reading in read_set(llm, js):
                    m = metrics(js, reading)
                    rows.append((spec, js, reading, m))
                    print(
                        f"{spec:32s} {js.name:12s} {reading.name:40s} acc {m['accuracy']:.2f} "
                        f"auc {m['auc']:.2f} said+ {m['said_positive']:.2f} "
                        f"calls {reading.calls:.2f} s {reading.seconds:.2f}",
                        flush=True,
                    )
            llm.close()
    body = render(args, sets, rows, time.time() - started)
    print(body)
    if not args.no_docs:
        update_benchmarks_md(
            "choice_calibration", "Reading choices: argmax vs debiased vs calibrated", body
        )


def render(args: argparse.Namespace, sets: list[JudgmentSet], rows: list[Any], wall: float) -> str:
    described = "; ".join(
        f"{js.name}: {len(js.items)} items, {sum(js.truths) / len(js.truths):.0%} positive"
        + "".join(f", prior of {spec} {p}" for spec, p in js.notes.get("prior", {}).items())
        for js in sets
    )
    lines = [
        f"LLMs {', '.join(f'`{s}`' for s in args.llm)}; {platform.machine()}, {os.cpu_count()} "
        f"cores, {date.today()}, {wall / 60:.0f} min in all. Command: `python "
        f"benchmarks/choice_bench.py --llm {' '.join(args.llm)} --states {args.states} "
        f"--goal-states {args.goal_states} --seed {args.seed}`. Sets: {described}. Accuracy: "
        "decisions equal to the truth (a 'neutral' is wrong); AUC: ROC AUC of the score "
        "(P(good) - P(bad), or P(yes)) against the truth, 0.5 is chance; said +: share decided "
        "positive (good / yes). Calls and seconds are per judgment, on a fresh cache (cached "
        "repeats cost nothing); the packed rows ask 16 items per call.",
        "",
        "| LLM | set | reading | accuracy | AUC | said + | calls | s/judgment |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for spec, js, reading, m in rows:
        lines.append(
            f"| {spec} | {js.name} | {reading.name} | {m['accuracy']:.2f} | {m['auc']:.2f} | "
            f"{m['said_positive']:.0%} | {reading.calls:.2f} | {reading.seconds:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()

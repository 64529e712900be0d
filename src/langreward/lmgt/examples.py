"""Few-shot examples for the LLM judge, labelled by a reference policy."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np

from langreward.lmgt.context import JudgeContextWrapper
from langreward.lmgt.prompts import LABEL_OF
from langreward.lmgt.reference import ReferencePolicy
from langreward.text import Describer


def reference_examples(
    env: gym.Env | Callable[[], gym.Env],
    describer: Describer,
    reference: ReferencePolicy,
    *,
    count: int = 4,
    seed: int = 0,
    max_steps: int = 2_000,
) -> list[tuple[str, str]]:
    """``count`` (item text, label) pairs from random play, labelled by ``reference``.

    The env is played with random actions; each (state, action) is described and labelled
    good / neutral / bad by the reference's score. Labels are balanced (good and bad take
    turns; neutral ones fill in when there are too few of the others). Note that these
    examples leak the reference's knowledge into the prompt: report few-shot results as such.

    Args:
        env: an env (used and reset here) or a function making one.
        describer: turns pairs into text, as the judge will.
        reference: labels the pairs.
        count: how many examples.
        seed: seeds the env and the random actions.
        max_steps: the most env steps to play.

    Example:
        >>> import gymnasium as gym
        >>> from langreward.lmgt.reference import CartPoleReference
        >>> from langreward.text import CartPoleDescriber
        >>> shots = reference_examples(gym.make("CartPole-v1"), CartPoleDescriber(),
        ...                            CartPoleReference(), count=2)
        >>> [label for _, label in shots]
        ['good', 'bad']
    """
    if count < 1:
        return []
    env = env() if callable(env) and not isinstance(env, gym.Env) else env
    if reference.needs_env:
        env = JudgeContextWrapper(env, reference)
    env.action_space.seed(seed)
    rng = np.random.default_rng(seed)
    found: dict[int, list[str]] = {1: [], -1: [], 0: []}
    obs, info = env.reset(seed=seed)
    for _ in range(max_steps):
        action = env.action_space.sample()
        score = reference.judge(obs, action, info)
        if score is not None and len(found[score]) < count:
            found[score].append(describer.describe(obs, action, info))
        if len(found[1]) >= count and len(found[-1]) >= count:
            break
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            obs, info = env.reset(seed=int(rng.integers(2**31)))
    chosen: list[tuple[str, str]] = []
    while len(chosen) < count:
        progressed = False
        for shift in (1, -1):
            if found[shift] and len(chosen) < count:
                chosen.append((found[shift].pop(0), LABEL_OF[shift]))
                progressed = True
        if not progressed:
            if not found[0]:
                break
            chosen.append((found[0].pop(0), LABEL_OF[0]))
    return chosen

"""Online evaluation in the live BabyAI env, on the four cells of the paper's table: training or
unseen layouts x training or unseen goals.

An episode starts on a layout of the cell at a random tile, with a goal of the cell that the
layout's objects allow; BabyAI's own verifier ends it with success, or the level's step limit
ends it. An action is invalid when it leaves the state unchanged (walking into a wall,
picking up nothing, toggling nothing).

Example:
    >>> random_policy = lambda state, goal, instruction: 2
    >>> cell = evaluate_cell("one-room", random_policy, [Goal("goto", ("ball", "red"))],
    ...                      layouts=[0, 1, 2], episodes=2, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from langreward.teduo.goals import Goal, goals_in_layout, phrase
from langreward.teduo.levels import make_level, reset_layout
from langreward.teduo.state import encode_state

#: A policy: (state as stored, goal, instruction in words) -> action. ``None``: it has no
#: answer for this goal (the episode is not run and counts as not applicable).
Policy = Callable[[dict[str, Any], Goal, str], int | None]
CELLS = (
    ("train layouts", "train goals"),
    ("test layouts", "train goals"),
    ("train layouts", "test goals"),
    ("test layouts", "test goals"),
)


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return all(np.array_equal(a[k], b[k]) for k in a)


def rollout(env: Any, policy: Policy, goal: Goal, instruction: str) -> dict[str, Any] | None:
    """One episode from the env's current state; ``None`` if the policy has no answer."""
    env.instrs = goal.instruction()
    env.instrs.reset_verifier(env)
    if hasattr(policy, "reset"):  # an agent that plans several actions ahead
        policy.reset()
    state = encode_state(env)
    invalid = steps = 0
    success = False
    while True:
        action = policy(state, goal, instruction)
        if action is None:
            return None
        _, reward, terminated, truncated, _ = env.step(int(action))
        steps += 1
        after = encode_state(env)
        invalid += _same(state, after)
        state = after
        if terminated or truncated:
            success = bool(terminated and reward > 0)
            break
    return {"success": success, "length": steps, "invalid": invalid}


def evaluate_cell(
    level: str,
    policy: Policy,
    goals: Sequence[Goal],
    layouts: Sequence[int],
    episodes: int,
    seed: int,
    *,
    test_phrasing: bool = False,
) -> dict[str, Any]:
    """Success rate, mean episode length and invalid-action share over ``episodes`` episodes
    (goals phrased for the test with ``test_phrasing``)."""
    env = make_level(level)
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    wanted = set(goals)
    results = []
    skipped = 0
    for episode in range(episodes):
        for _ in range(8 * len(layouts)):
            reset_layout(env, layouts[pick.randrange(len(layouts))], rng)
            allowed = [g for g in goals_in_layout(env) if g in wanted]
            if allowed:
                break
        else:
            return {"episodes": 0, "note": "no layout of the cell allows one of its goals"}
        goal = allowed[pick.randrange(len(allowed))]
        instruction = phrase(goal, test=test_phrasing, variant=episode)
        result = rollout(env, policy, goal, instruction)
        if result is None:
            skipped += 1
            continue
        results.append(result)
    if not results:
        return {"episodes": 0, "not_applicable": skipped}
    steps = sum(r["length"] for r in results)
    return {
        "episodes": len(results),
        "success": sum(r["success"] for r in results) / len(results),
        "length": steps / len(results),
        "invalid": sum(r["invalid"] for r in results) / steps,
        "not_applicable": skipped,
    }

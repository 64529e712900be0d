"""Online evaluation in the live BabyAI env, on the four cells of the paper's table: training or
unseen layouts x training or unseen goals.

An episode starts on a layout of the cell at a random tile, with a goal of the cell that the
layout's objects allow; BabyAI's own verifier ends it with success, or the level's step limit
ends it. An action is invalid when it leaves the state unchanged (walking into a wall,
picking up nothing, toggling nothing).

The episodes of a cell (or of all four cells, :func:`evaluate_cells`) run side by side, one
env each: a policy with ``act_many`` (the LLM agent) answers all of them in one call, so an LLM
generates its replies in batches.

Example:
    >>> random_policy = lambda state, goal, instruction: 2
    >>> cell = evaluate_cell("one-room", random_policy, [Goal("goto", ("ball", "red"))],
    ...                      layouts=[0, 1, 2], episodes=2, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np

from langreward.teduo.goals import Goal, goals_in_layout, phrase
from langreward.teduo.levels import make_level, reset_layout
from langreward.teduo.state import encode_state

#: A policy: (state as stored, goal, instruction in words) -> action. ``None``: it has no
#: answer for this goal (the episode is not run and counts as not applicable).
Policy = Callable[[dict[str, Any], Goal, str], int | None]
#: One decision asked of a policy that acts in many episodes: (episode slot, state, goal,
#: instruction).
Request = tuple[int, dict[str, Any], Goal, str]
CELLS = (
    ("train layouts", "train goals"),
    ("test layouts", "train goals"),
    ("train layouts", "test goals"),
    ("test layouts", "test goals"),
)


class BatchPolicy(Protocol):
    """A policy acting in many episodes at once (slots tell the episodes apart)."""

    def reset(self, slot: int | None = None) -> None:
        """Forget what it planned for episode ``slot`` (every episode with ``None``)."""

    def act_many(self, requests: Sequence[Request]) -> list[int | None]:
        """One action (or ``None``: no answer for this goal) per request."""


@dataclass
class Episode:
    """One evaluation episode: its env (reset to its start), goal and instruction, and how it
    is going."""

    env: Any
    goal: Goal
    instruction: str
    state: dict[str, np.ndarray] = field(default_factory=dict)
    steps: int = 0
    invalid: int = 0


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return all(np.array_equal(a[k], b[k]) for k in a)


def plan_episodes(
    level: str,
    goals: Sequence[Goal],
    layouts: Sequence[int],
    episodes: int,
    seed: int,
    *,
    test_phrasing: bool = False,
) -> list[Episode]:
    """``episodes`` envs reset to a layout of the cell, each with a goal its layout allows
    (phrased for the test with ``test_phrasing``); empty if no layout allows any goal."""
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    wanted = set(goals)
    planned = []
    for episode in range(episodes):
        env = make_level(level)
        for _ in range(8 * len(layouts)):
            reset_layout(env, layouts[pick.randrange(len(layouts))], rng)
            allowed = [g for g in goals_in_layout(env) if g in wanted]
            if allowed:
                break
        else:
            return []
        goal = allowed[pick.randrange(len(allowed))]
        planned.append(Episode(env, goal, phrase(goal, test=test_phrasing, variant=episode)))
    return planned


def run_episodes(
    episodes: Sequence[Episode],
    policy: Policy | BatchPolicy,
    progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """Play every episode to its end, side by side; per episode ``{"success", "length",
    "invalid"}``, or ``None`` where the policy had no answer. ``progress(finished, total)``
    after each round in which episodes ended."""
    # hasattr tells the two apart; mypy cannot rule out a Callable that has act_many
    batch: BatchPolicy = (
        cast(BatchPolicy, policy) if hasattr(policy, "act_many") else _OneByOne(policy)
    )
    batch.reset()
    for episode in episodes:
        episode.env.instrs = episode.goal.instruction()
        episode.env.instrs.reset_verifier(episode.env)
        episode.state = encode_state(episode.env)
    results: list[Any] = [None] * len(episodes)
    live = list(range(len(episodes)))
    while live:
        requests = [(i, episodes[i].state, episodes[i].goal, episodes[i].instruction) for i in live]
        still = []
        for i, action in zip(live, batch.act_many(requests), strict=True):
            if action is None:
                continue
            episode = episodes[i]
            _, reward, terminated, truncated, _ = episode.env.step(int(action))
            after = encode_state(episode.env)
            episode.steps += 1
            episode.invalid += _same(episode.state, after)
            episode.state = after
            if terminated or truncated:
                success = bool(terminated and reward > 0)
                results[i] = {
                    "success": success,
                    "length": episode.steps,
                    "invalid": episode.invalid,
                }
            else:
                still.append(i)
        if progress is not None and len(still) < len(live):
            progress(len(episodes) - len(still), len(episodes))
        live = still
    return results


class _OneByOne:
    """A plain :data:`Policy` asked once per episode and step."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def reset(self, slot: int | None = None) -> None:
        pass

    def act_many(self, requests: Sequence[Request]) -> list[int | None]:
        return [self.policy(state, goal, text) for _, state, goal, text in requests]


def summarise(results: Sequence[Any]) -> dict[str, Any]:
    """Success rate, mean episode length and invalid-action share of finished episodes."""
    done = [r for r in results if r is not None]
    skipped = len(results) - len(done)
    if not done:
        return {"episodes": 0, "not_applicable": skipped}
    steps = sum(r["length"] for r in done)
    return {
        "episodes": len(done),
        "success": sum(r["success"] for r in done) / len(done),
        "length": steps / len(done),
        "invalid": sum(r["invalid"] for r in done) / steps,
        "not_applicable": skipped,
    }


def evaluate_cells(
    level: str,
    policy: Policy | BatchPolicy,
    cells: Mapping[str, tuple[Sequence[Goal], Sequence[int], bool]],
    episodes: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Every cell (name -> goals, layouts, test phrasing) with ``episodes`` episodes each, all
    played side by side; per cell what :func:`summarise` gives (``progress`` as in
    :func:`run_episodes`)."""
    planned = {
        name: plan_episodes(level, goals, layouts, episodes, seed, test_phrasing=test)
        for name, (goals, layouts, test) in cells.items()
    }
    everything = [episode for group in planned.values() for episode in group]
    results = run_episodes(everything, policy, progress)
    out, start = {}, 0
    for name, group in planned.items():
        if not group:
            out[name] = {"episodes": 0, "note": "no layout of the cell allows one of its goals"}
            continue
        out[name] = summarise(results[start : start + len(group)])
        start += len(group)
    return out


def evaluate_cell(
    level: str,
    policy: Policy | BatchPolicy,
    goals: Sequence[Goal],
    layouts: Sequence[int],
    episodes: int,
    seed: int,
    *,
    test_phrasing: bool = False,
) -> dict[str, Any]:
    """One cell: success rate, mean episode length and invalid-action share over ``episodes``
    episodes (goals phrased for the test with ``test_phrasing``)."""
    cells = {"cell": (goals, layouts, test_phrasing)}
    return evaluate_cells(level, policy, cells, episodes, seed)["cell"]

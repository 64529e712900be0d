"""Step 2: offline Q-learning per goal on its abstract MDP, from the data and step 1's rewards
alone (tabular to convergence, or Stable-Baselines3's DQN trained offline)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from langreward.teduo.abstraction import as_batch
from langreward.teduo.collect import ACTIONS, RANDOM_ACTIONS
from langreward.teduo.dqn import QNetwork, observations_of, solve_goal_dqn
from langreward.teduo.evaluate import Policy
from langreward.teduo.goals import Goal
from langreward.teduo.qlearning import QTable, index_states, solve_goal
from langreward.teduo.stages.context import TEDUORun


def qlearn(run: TEDUORun) -> None:
    """Stage ``qlearn``: each abstracted goal's Q-table (``qtables/<goal>.npz``, with DQN also
    its network ``qtables/<goal>.pt``) and a report per goal (``qlearning.json``)."""
    data = run.data()
    batch = data.batch()
    report = {}
    q = run.settings.qlearning
    (run.dir / "qtables").mkdir(exist_ok=True)
    transitions = (data.states_from, data.actions, data.states_to)
    views = run.views()
    for done, (gid, view) in enumerate(views.items()):
        run.progress(done, len(views), "goals")
        rewards = np.load(run.dir / "rewards" / f"{gid}.npy")
        rows, keys = index_states(view.keys(batch))
        extra: dict[str, Any] = {}
        if q.algorithm == "dqn":
            table, net, extra = solve_goal_dqn(
                observations_of(view, batch), rows, *transitions, rewards,
                actions_count=ACTIONS, gamma=q.gamma, settings=q.dqn, seed=run.seed,
            )  # fmt: skip
            net.save(run.dir / "qtables" / f"{gid}.pt")
        else:
            table, extra["transitions"] = solve_goal(
                rows, *transitions, rewards, actions_count=ACTIONS, alpha=q.alpha,
                gamma=q.gamma, tol=q.tol, max_iterations=q.max_iterations,
            )  # fmt: skip
        table.save(run.dir / "qtables" / f"{gid}.npz", keys)
        report[gid] = {
            "algorithm": q.algorithm,
            "abstract_states": len(keys),
            "goal_states": int(rewards.sum()),
            "iterations": table.iterations,
            "converged": table.converged,
            **extra,
        }
    run.write("qlearning.json", report)


def policy(run: TEDUORun) -> tuple[Policy, dict[str, int]]:
    """The step-2 policies: greedy on each training goal's Q-table; in an abstract state the
    data never showed, DQN's network (with ``algorithm: dqn``) or a random action; no answer
    for a goal without a table. Also the counts of steps and unknown states it met."""
    views = run.views()
    tables = {}
    networks = {}
    for gid, goal in run.goals():
        if gid in views:
            table, keys = QTable.load(run.dir / "qtables" / f"{gid}.npz")
            tables[goal] = (views[gid], table, {k: i for i, k in enumerate(keys)})
            if (run.dir / "qtables" / f"{gid}.pt").exists():
                networks[goal] = QNetwork.load(run.dir / "qtables" / f"{gid}.pt")
    counts = {"steps": 0, "unknown_states": 0}
    rng = random.Random(run.seed)
    ties = np.random.default_rng(run.seed)

    def act(state: dict[str, Any], goal: Goal, instruction: str) -> int | None:
        if goal not in tables:
            return None
        view, table, rows = tables[goal]
        counts["steps"] += 1
        row = rows.get(view.key(state))
        if row is None or not table.known(row):
            counts["unknown_states"] += 1
            if goal in networks:
                return networks[goal].greedy(observations_of(view, as_batch(state))[0])
            return rng.randrange(RANDOM_ACTIONS)
        return table.greedy(row, ties)

    return act, counts

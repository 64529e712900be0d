"""The evaluation: every policy (step 3's LLM agent and the same LLM untuned, the baselines,
the step-2 policies, random actions) on the four cells of training/unseen layouts x
training/unseen goals; writes ``evaluation.json`` and ``evaluation.md``."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import numpy as np

from langreward.teduo.achieved import achieved_batch
from langreward.teduo.baselines import raw_tabular_policies, train_gcbc
from langreward.teduo.collect import RANDOM_ACTIONS
from langreward.teduo.config import TEDUOSettings
from langreward.teduo.evaluate import CELLS, Policy, evaluate_cells
from langreward.teduo.stages import step2, step3
from langreward.teduo.stages.context import TEDUORun

log = logging.getLogger(__name__)


def step2_name(settings: TEDUOSettings) -> str:
    """The step-2 row's name: its solver and where its abstraction and rewards came from,
    e.g. ``step-2 policies (tabular, LLM abstraction and labels)``."""
    solver = "tabular" if settings.qlearning.algorithm == "tabular" else "DQN"
    if settings.abstraction == "llm" and settings.labels.labeller == "llm":
        source = "LLM abstraction and labels"
    else:
        source = f"{settings.abstraction} abstraction, {settings.labels.labeller} labels"
    return f"step-2 policies ({solver}, {source})"


def baselines(run: TEDUORun) -> tuple[dict[str, Policy], dict[str, Any]]:
    """Goal-conditioned behaviour cloning (hindsight goals from the step-1 rewards) and
    tabular Q-learning on full states with BabyAI's rules as reward (no LLM)."""
    data = run.data()
    batch = data.batch()
    goals = dict(run.goals())
    views = run.views()
    rewards = {goals[gid]: np.load(run.dir / "rewards" / f"{gid}.npy") for gid in views}
    truth = {goal: achieved_batch(batch, goal) for goal in goals.values()}
    q = run.settings.qlearning
    raw = raw_tabular_policies(data, truth, q.alpha, q.gamma)
    gcbc, report = train_gcbc(data, rewards, seed=run.seed)
    return {
        "goal-conditioned BC (raw data, hindsight goals from step 1)": gcbc,
        "tabular RL, no LLM (full states, BabyAI's rules as reward)": raw,
    }, {"gcbc": report}


def evaluate(run: TEDUORun, episodes: int, deterministic: bool) -> dict[str, Any]:
    """Every policy on the four cells; writes ``evaluation.json`` and ``evaluation.md`` and
    returns the headline policy's (the LLM agent's, else step 2's) training cell for the
    runner (success rate as its return)."""
    layouts = run.read("goals.json")
    cell_goals = {
        "train goals": [g for _, g in run.goals()],
        "test goals": [g for _, g in run.goals("test")],
    }
    cell_layouts = {
        "train layouts": layouts["train_layouts"],
        "test layouts": layouts["test_layouts"],
    }
    step2_policy, counts = step2.policy(run)
    rng = random.Random(run.seed)
    agents = step3.agents(run) if run.settings.distill else {}
    others, baseline_report = baselines(run) if run.settings.baselines else ({}, {})
    policies: dict[str, Policy] = {
        **agents,
        **others,
        step2_name(run.settings): step2_policy,
        "random actions (reference)": lambda state, goal, text: rng.randrange(RANDOM_ACTIONS),
    }
    cells = {
        f"{layout_set} / {goal_set}": (
            cell_goals[goal_set], cell_layouts[layout_set], goal_set == "test goals"
        )
        for layout_set, goal_set in CELLS
    }  # fmt: skip
    rows, seconds = {}, {}
    for number, (name, policy) in enumerate(policies.items(), 1):
        log.info("evaluating %s: %d episodes in each of 4 cells", name, episodes)
        started = time.perf_counter()
        unit = f"episodes, policy {number}/{len(policies)}"
        rows[name] = evaluate_cells(
            run.level, policy, cells, episodes, run.context.eval_seed,
            progress=lambda done, total, unit=unit: run.progress(done, total, unit),  # type: ignore[misc]  # mypy cannot type a lambda whose default binds a loop variable (python/mypy#15459)
        )  # fmt: skip
        seconds[name] = round(time.perf_counter() - started, 1)
    run.write(
        "evaluation.json",
        {
            "episodes_per_cell": episodes,
            "rows": rows,
            "seconds": seconds,
            "step2_counts": counts,
            "baselines": baseline_report,
            "agents": {
                name: {**agent.stats(), "llm": agent.llm.stats.as_dict()}
                for name, agent in agents.items()
            },
        },
    )
    (run.dir / "evaluation.md").write_text(evaluation_table(rows) + "\n")
    headline = next(iter(agents)) if agents else next(n for n in rows if n.startswith("step-2"))
    main = rows[headline]["train layouts / train goals"]
    return {
        "return_mean": float(main.get("success", 0.0)),
        "return_std": 0.0,
        "length_mean": float(main.get("length", 0.0)),
        "episodes": float(main.get("episodes", 0)),
        "success_train_train": float(main.get("success", 0.0)),
        "policy": headline,  # whose success the return is
    }


def evaluation_table(rows: dict[str, dict[str, dict[str, Any]]]) -> str:
    """A markdown table: success / episode length / invalid share per cell."""
    head = "| policy | " + " | ".join(f"{a} / {b}" for a, b in CELLS) + " |"
    lines = [head, "| --- |" + " ---: |" * len(CELLS)]
    for name, cells in rows.items():
        values = []
        for layouts, goal_set in CELLS:
            cell = cells[f"{layouts} / {goal_set}"]
            values.append(
                f"{cell['success']:.0%} / {cell['length']:.0f} / {cell['invalid']:.0%}"
                if cell.get("episodes")
                else "n/a"
            )
        lines.append(f"| {name} | " + " | ".join(values) + " |")
    return "\n".join(lines)

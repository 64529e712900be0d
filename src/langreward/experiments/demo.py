"""``langreward demo``: where language guidance pays and where it does not, in a few minutes.

Two tasks, each with the same budget for every arm:

- **sparse**: MountainCar-v0 (DQN), -1 per step until the flag. A judge that knows to pump
  energy (push along the velocity) shortens the search a lot; the demo runs the plain baseline,
  LMGT with that reference as a perfect judge (the oracle, labelled as such) and LMGT with the
  LLM as the judge. The judge's agreement with the reference sits next to each: it decides.
- **dense**: CartPole-v1 (PPO), +1 per step alive. The reward already says what is good at
  every step; even the perfect judge does not pay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from rich.table import Table

from langreward.experiments.config import ExperimentConfig, validate_config
from langreward.experiments.report_data import find_run_dirs, read_run

MOUNTAINCAR: dict[str, Any] = {
    "env": {"id": "MountainCar-v0"},
    "algo": "dqn",
    "algo_kwargs": {  # RL-zoo hyper-parameters
        "learning_rate": 4.0e-3,
        "batch_size": 128,
        "buffer_size": 10_000,
        "learning_starts": 1000,
        "gamma": 0.98,
        "target_update_interval": 600,
        "train_freq": 16,
        "gradient_steps": 8,
        "exploration_fraction": 0.2,
        "exploration_final_eps": 0.07,
        "policy_kwargs": {"net_arch": [256, 256]},
    },
    "threshold": -150,
}
MOUNTAINCAR_LMGT: dict[str, Any] = {"scale": 0.5, "key": {"bins": [9, 7]}}  # 63 states x 3
MOUNTAINCAR_SPEC: dict[str, Any] = {
    "candidates": 4,
    "trial": {"workers": 1},
}  # steps: 1/12 of the budget
CARTPOLE: dict[str, Any] = {
    "env": {"id": "CartPole-v1"},
    "algo": "ppo",
    "algo_kwargs": {"n_steps": 256},
    "n_envs": 4,
    "threshold": 475,
}
CARTPOLE_LMGT: dict[str, Any] = {
    "scale": 0.2,
    "scale_schedule": "linear",
    "scale_end": 0.0,
    "key": {"bins": [1, 1, 6, 6]},
}


@dataclass(frozen=True)
class DemoArm:
    """One sweep of the demo: which task, what is compared, its config."""

    task: str
    label: str
    config: ExperimentConfig


def demo_arms(
    llm: str = "embedded", mountaincar_steps: int = 30_000, cartpole_steps: int = 30_000
) -> list[DemoArm]:
    """The demo's sweeps, in the order they run."""
    sparse = {**MOUNTAINCAR, "total_timesteps": mountaincar_steps, "eval": {"episodes": 5}}
    dense = {**CARTPOLE, "total_timesteps": cartpole_steps, "eval": {"episodes": 5}}
    trial = {**MOUNTAINCAR_SPEC["trial"], "steps": mountaincar_steps // 12}
    spec_section = {**MOUNTAINCAR_SPEC, "trial": trial}
    spec_trial = MOUNTAINCAR_SPEC["candidates"] * trial["steps"]
    arms: list[tuple[str, str, str, dict[str, Any], str, dict[str, Any] | None]] = [
        ("MountainCar (sparse)", "baseline", "demo-mc-baseline", sparse, "baseline", None),
        (
            "MountainCar (sparse)",
            "perfect judge",
            "demo-mc-oracle",
            sparse,
            "lmgt",
            {**MOUNTAINCAR_LMGT, "judge": "oracle"},
        ),
        (
            "MountainCar (sparse)",
            "LLM judge",
            "demo-mc-llm",
            sparse,
            "lmgt",
            {**MOUNTAINCAR_LMGT, "judge": "llm"},
        ),
        (
            "MountainCar (sparse)",
            "LLM spec (4 tried)",
            "demo-mc-spec",
            {**sparse, "total_timesteps": mountaincar_steps - spec_trial},
            "spec_shaping",
            spec_section,
        ),
        ("CartPole (dense)", "baseline", "demo-cp-baseline", dense, "baseline", None),
        (
            "CartPole (dense)",
            "perfect judge",
            "demo-cp-oracle",
            dense,
            "lmgt",
            {**CARTPOLE_LMGT, "judge": "oracle"},
        ),
    ]
    built = []
    for task, label, name, base, method, section in arms:
        extra: dict[str, Any] = {"name": name, "method": method}
        if section is not None:
            extra.update({"llm": llm, method: section})
        built.append(DemoArm(task, label, validate_config({**base, **extra}, "demo")))
    return built


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def summarize(arms: list[DemoArm], sweep_dirs: Iterable[Path], llm: str) -> Table:
    """One row per arm: seeds that reached the threshold, median steps to it and final return,
    the judge's agreement with the reference, and the LLM's calls (each spec-shaping run's
    trial steps are added to its steps to the threshold)."""
    thresholds = ", ".join(sorted({f"{a.task.split()[0]} {a.config.threshold:g}" for a in arms}))
    table = Table(
        title=f"demo (medians over seeds; thresholds: {thresholds}; "
        f"perfect judge: the reference policy; LLM judge: {llm}; LMGT shifts the reward; "
        "LLM spec: the same LLM's reward spec, its trial steps counted in its steps)"
    )
    for column in ("task", "arm", "reached", "steps", "return", "agreement", "LLM calls"):
        table.add_column(column, justify="left" if column in ("task", "arm") else "right")
    previous = None
    for arm, sweep_dir in zip(arms, sweep_dirs, strict=True):
        summaries = [read_run(d).summary or {} for d in find_run_dirs([sweep_dir])]
        steps = [  # spec shaping's trial steps count too: they came out of the same budget
            s["steps_to_threshold"] + ((s.get("method_summary") or {}).get("trial_steps") or 0)
            for s in summaries
            if s.get("steps_to_threshold")
        ]
        finals = [
            s["final_eval_return_mean"]
            for s in summaries
            if s.get("final_eval_return_mean") is not None
        ]
        judges = [(s.get("method_summary") or {}).get("judge") or {} for s in summaries]
        agreement = [j["agreement"] for j in judges if j.get("agreement") is not None]
        calls = [(s.get("llm") or {}).get("calls") or 0 for s in summaries]
        if previous is not None and arm.task != previous:
            table.add_section()
        table.add_row(
            arm.task if arm.task != previous else "",
            arm.label,
            f"{len(steps)}/{len(summaries)}",
            _fmt(median(steps) if steps else None),
            _fmt(median(finals) if finals else None),
            f"{median(agreement):.0%}" if agreement else "—",
            _fmt(sum(calls) if any(calls) else None),
        )
        previous = arm.task
    return table

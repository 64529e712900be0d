"""``langreward demo``: LMGT vs the plain baseline on CartPole (PPO), a few minutes on 2 cores.

Three sweeps of the same PPO set-up: the baseline (no shaping), LMGT with the LLM as the judge,
and LMGT with the reference heuristic as a perfect judge (the oracle, labelled as such), so the
report shows how much of any difference is the judge's quality.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.table import Table

from langreward.experiments.config import ExperimentConfig, validate_config
from langreward.experiments.report_data import find_run_dirs, read_run

BASE: dict[str, Any] = {
    "env": {"id": "CartPole-v1", "kwargs": {}},
    "algo": "ppo",
    "algo_kwargs": {"n_steps": 256},
    "n_envs": 4,
    "total_timesteps": 40_000,
    "eval": {"every": 20_000, "episodes": 5},
    "threshold": 475,
}
LMGT: dict[str, Any] = {
    "scale": 0.2,
    "scale_schedule": "linear",
    "scale_end": 0.0,
    "budget": {"kind": "first_n", "steps": 20_000},
    "key": {"bins": [1, 1, 6, 6]},  # pole angle x angular velocity: at most 72 judgments
    "batch_size": 16,
}


def demo_sweeps(llm: str = "embedded", steps: int = 40_000) -> list[tuple[str, ExperimentConfig]]:
    """(label, config) of the demo's three sweeps."""
    base = {**BASE, "total_timesteps": steps, "eval": {"every": max(steps // 2, 1), "episodes": 5}}
    configs = [
        ("baseline (PPO, no shaping)", {"name": "demo-baseline", "method": "baseline"}),
        (
            f"LMGT, LLM judge ({llm})",
            {
                "name": "demo-lmgt-llm",
                "method": "lmgt",
                "llm": llm,
                "lmgt": {**LMGT, "judge": "llm"},
            },
        ),
        (
            "LMGT, oracle judge (reference heuristic)",
            {"name": "demo-lmgt-oracle", "method": "lmgt", "lmgt": {**LMGT, "judge": "oracle"}},
        ),
    ]
    return [(label, validate_config({**base, **extra}, "demo")) for label, extra in configs]


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def summarize(sweep_dirs: Iterable[Path]) -> Table:
    """A terminal table of every demo run: returns, steps to 475, judge and LLM cost."""
    table = Table(title="demo: CartPole-v1, PPO (original-reward returns)")
    for column in (
        "run",
        "final eval return",
        "steps to 475",
        "judge agreement",
        "LLM calls",
        "LLM s",
        "wall s",
    ):
        table.add_column(column, justify="left" if column == "run" else "right")
    for run_dir in find_run_dirs(sweep_dirs):
        record = read_run(run_dir)
        summary = record.summary or {}
        method = summary.get("method_summary") or {}
        judge = method.get("judge") or {}
        llm = summary.get("llm") or method.get("llm") or {}
        agreement = judge.get("agreement")
        table.add_row(
            f"{record.config.get('name')} seed {record.meta.get('seed')}",
            _fmt(summary.get("final_eval_return_mean")),
            _fmt(summary.get("steps_to_threshold")),
            "—" if agreement is None else f"{agreement:.0%}",
            _fmt(llm.get("calls")),
            _fmt(llm.get("llm_seconds")),
            _fmt(summary.get("wall_time_s")),
        )
    return table

"""Experiments: config files → runs (each in its own directory) → sweeps → comparison reports.

Public API (imported lazily, so ``import langreward.experiments`` stays cheap)::

    config = load_config("configs/baseline/cartpole-ppo.yaml", ["seeds=3"])
    result = run_experiment(config)                      # one seed, resumable
    sweep = run_sweep(config, seeds=5, grid={"lmgt.scale": [0.2, 1.0]}, workers=2)
    build_report([sweep.sweep_dir], Path("report.html"))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ExperimentConfig": "config",
    "load_config": "config",
    "validate_config": "config",
    "apply_overrides": "overrides",
    "run_experiment": "runner",
    "resume_run": "runner",
    "RunResult": "runner",
    "RunProgress": "callbacks",
    "run_sweep": "sweep",
    "plan_sweep": "sweep",
    "parse_grid": "sweep",
    "expand_grid": "sweep",
    "SweepResult": "sweep",
    "SweepRun": "sweep",
    "SweepProgress": "sweep",
    "build_report": "report",
    "ExperimentError": "errors",
    "ConfigError": "errors",
    "MethodNotAvailableError": "errors",
    "RunExistsError": "errors",
    "RunInterrupted": "errors",
}

__all__ = [
    "ConfigError",
    "ExperimentConfig",
    "ExperimentError",
    "MethodNotAvailableError",
    "RunExistsError",
    "RunInterrupted",
    "RunProgress",
    "RunResult",
    "SweepProgress",
    "SweepResult",
    "SweepRun",
    "apply_overrides",
    "build_report",
    "expand_grid",
    "load_config",
    "parse_grid",
    "plan_sweep",
    "resume_run",
    "run_experiment",
    "run_sweep",
    "validate_config",
]

if TYPE_CHECKING:
    from langreward.experiments.callbacks import RunProgress
    from langreward.experiments.config import ExperimentConfig, load_config, validate_config
    from langreward.experiments.errors import (
        ConfigError,
        ExperimentError,
        MethodNotAvailableError,
        RunExistsError,
        RunInterrupted,
    )
    from langreward.experiments.overrides import apply_overrides
    from langreward.experiments.report import build_report
    from langreward.experiments.runner import RunResult, resume_run, run_experiment
    from langreward.experiments.sweep import (
        SweepProgress,
        SweepResult,
        SweepRun,
        expand_grid,
        parse_grid,
        plan_sweep,
        run_sweep,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'langreward.experiments' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"langreward.experiments.{module}"), name)
    globals()[name] = value
    return value

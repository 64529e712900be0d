"""What one session of a run works with: the config, its directory, metrics, the run's LLM.

Shared by the online trainer (:mod:`.online`) and the offline pipeline runner (:mod:`.offline`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from langreward.experiments.callbacks import ProgressFn, RunProgress
from langreward.experiments.config import ExperimentConfig
from langreward.experiments.jsonio import write_json
from langreward.experiments.rundir import MetricsWriter, RunPaths, now_iso
from langreward.plugin import RunLLM


@dataclass
class Session:
    """What a (fresh or resumed) session of a run starts from."""

    state: dict[str, Any] | None = None  # the last checkpoint's state.json
    labels: dict[str, Any] = field(default_factory=dict)

    @property
    def wall_offset(self) -> float:
        """Seconds the run's earlier sessions took (up to their last checkpoint)."""
        return float(self.state["wall_time"]) if self.state else 0.0


@dataclass
class ActiveRun:
    """One run while it executes."""

    config: ExperimentConfig
    seed: int
    paths: RunPaths
    session: Session
    metrics: MetricsWriter
    llm: RunLLM
    progress: ProgressFn | None = None
    clock_start: float = field(default_factory=time.monotonic)
    method_stats: dict[str, Any] = field(default_factory=dict)
    stage: tuple[int, int, str] | None = None  # offline: (index, stages, name) of the running one

    def wall_time(self) -> float:
        """Seconds of this run so far, earlier sessions included."""
        return self.session.wall_offset + time.monotonic() - self.clock_start

    def report_stage(self, detail: str | None = None) -> None:
        """Tell the progress callback which stage runs and, with ``detail``, how far it is."""
        if self.progress is None or self.stage is None:
            return
        index, stages, name = self.stage
        self.progress(
            RunProgress(
                timesteps=index,
                total_timesteps=stages,
                episodes=0,
                recent_return=None,
                wall_time=self.wall_time(),
                stage=name,
                detail=detail,
            )
        )

    def stage_progress(self, done: int, total: int, unit: str) -> None:
        """A method's ``context.progress``: how far the running stage has got."""
        self.report_stage(f"{done:,}/{total:,} {unit}")


def base_summary(run: ActiveRun, final: dict[str, float], timesteps: int | None) -> dict[str, Any]:
    """The summary fields every run has, online or offline (the method's part included)."""
    config, meta = run.config, run.paths.read_meta()
    wall_time = run.wall_time()
    method_stats = run.method_stats
    return {
        "status": "finished",
        "name": config.name,
        "method": config.method,
        "env": config.env.id,
        "algo": config.algo,
        "seed": run.seed,
        "labels": run.session.labels,
        "config_key": config.config_key(),
        "llm_spec": config.llm if run.llm.used else None,
        "total_timesteps": config.total_timesteps,
        "timesteps_done": timesteps,
        "final_eval": final,
        "final_eval_return_mean": final["return_mean"],
        "final_eval_return_std": final["return_std"],
        "threshold": config.threshold,
        "threshold_window": config.threshold_window,
        "wall_time_s": round(wall_time, 3),
        "steps_per_s": round(timesteps / wall_time, 2) if timesteps and wall_time > 0 else None,
        "sessions": 1 + len(meta.get("resumes") or []),
        "method_summary": method_stats,
        "llm": run.llm.stats() if run.llm.used else None,
        "torch_threads": config.torch_threads,
        "started_at": meta.get("started_at"),
        "finished_at": now_iso(),
    }


def write_status(
    paths: RunPaths,
    config: ExperimentConfig,
    seed: int,
    status: str,
    timesteps: int | None,
    error: str | None = None,
    trace: str | None = None,
) -> None:
    """Write a ``summary.json`` for a run that did not finish (failed, interrupted)."""
    data: dict[str, Any] = {
        "status": status,
        "name": config.name,
        "method": config.method,
        "env": config.env.id,
        "algo": config.algo,
        "seed": seed,
        "timesteps_done": timesteps,
        "total_timesteps": config.total_timesteps,
        "at": now_iso(),
    }
    if error:
        data["error"] = error
        data["traceback"] = trace
    write_json(paths.summary, data)

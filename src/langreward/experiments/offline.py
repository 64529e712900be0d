"""Run an :class:`~langreward.plugin.OfflinePipeline`: its stages in order (a stage done in an
earlier session is skipped), then its evaluation.

A stage counts as done once its ``run`` returned and every output it names exists; the runner
then records it in ``checkpoints/state.json`` (with the metrics line count, wall time and LLM
counters), so a killed pipeline resumes at the first unfinished stage.
"""

from __future__ import annotations

import logging
from typing import Any

from langreward.experiments.errors import ExperimentError, RunInterrupted
from langreward.experiments.rundir import write_checkpoint_state
from langreward.experiments.session import ActiveRun, base_summary, write_status
from langreward.plugin import OfflinePipeline, Stage

log = logging.getLogger(__name__)


def _report(run: ActiveRun, done: int, total: int, stage: str) -> None:
    run.stage = (done, total, stage)
    run.report_stage()


def _finished(run: ActiveRun, stage: Stage, done: list[str]) -> bool:
    return stage.name in done and all((run.paths.root / out).exists() for out in stage.outputs)


def _checkpoint(run: ActiveRun, done: list[str]) -> None:
    write_checkpoint_state(
        run.paths,
        {
            "timesteps": 0,
            "stages_done": done,
            "metrics_lines": run.metrics.lines,
            "wall_time": run.wall_time(),
            "llm": run.llm.state_dict(),
        },
    )


def run_pipeline(run: ActiveRun, pipeline: OfflinePipeline) -> dict[str, Any]:
    """Run the unfinished stages, evaluate, return the summary.

    Raises:
        ExperimentError: a stage returned without writing an output it names.
        RunInterrupted: Ctrl-C during a stage (the stages done so far are kept).
    """
    names = [stage.name for stage in pipeline.stages]
    if len(set(names)) != len(names):
        raise ExperimentError(f"method {run.config.method!r}: stage names repeat: {names}")
    state = run.session.state or {}
    done = [name for name in state.get("stages_done", []) if name in names]
    run.paths.checkpoints.mkdir(parents=True, exist_ok=True)
    for index, stage in enumerate(pipeline.stages):
        if _finished(run, stage, done):
            log.info("stage %s already done; skipped", stage.name)
            continue
        _report(run, index, len(names), stage.name)
        log.info("stage %s", stage.name)
        try:
            stage.run(run.paths.root)
        except KeyboardInterrupt:
            write_status(run.paths, run.config, run.seed, "interrupted", None)
            raise RunInterrupted(run.paths.root, 0) from None
        missing = [out for out in stage.outputs if not (run.paths.root / out).exists()]
        if missing:
            raise ExperimentError(
                f"stage {stage.name!r} of method {run.config.method!r} finished without "
                f"writing {', '.join(missing)}"
            )
        if stage.name not in done:
            done.append(stage.name)
        run.metrics.write(
            {"type": "stage", "name": stage.name, "wall_time": round(run.wall_time(), 3)}
        )
        _checkpoint(run, done)
    _report(run, len(names), len(names), "evaluate")
    final = pipeline.evaluate(run.config.eval.episodes, run.config.eval.deterministic)
    run.metrics.write({"type": "eval", "timestep": 0, "final": True, **final})
    run.method_stats = pipeline.summary() or {}
    run.metrics.write({"type": "method", "timestep": 0, "stats": run.method_stats})
    return {
        **base_summary(run, final, None),
        "stages": names,
        "episodes": 0,
        "steps_to_threshold": None,
        "auc": None,
        "final_train_return": None,
    }

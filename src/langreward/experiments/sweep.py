"""Run many seeds × a grid of overrides, in local processes or on Ray.

Example:
    >>> from langreward.experiments import load_config, run_sweep
    >>> config = load_config("configs/lmgt/cartpole-ppo.yaml")  # doctest: +SKIP
    >>> result = run_sweep(config, seeds=5, grid={"lmgt.scale": [0.2, 1.0]}, workers=2)  # doctest: +SKIP
    >>> [run.status for run in result.runs]  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from langreward.experiments.config import ExperimentConfig, as_config, short_hash, validate_config
from langreward.experiments.errors import ConfigError, ExperimentError
from langreward.experiments.jsonio import read_json, write_json
from langreward.experiments.overrides import apply_values
from langreward.experiments.preflight import preflight
from langreward.experiments.rundir import DEFAULT_RUNS_ROOT, RunPaths, now_iso, run_dir_name
from langreward.experiments.yamlio import parse_yaml

log = logging.getLogger(__name__)

RAY_OBJECT_STORE_BYTES = 100 * 1024**2
_SUMMARY_KEYS = (
    "final_eval_return_mean",
    "final_eval_return_std",
    "steps_to_threshold",
    "auc",
    "wall_time_s",
    "timesteps_done",
)


@dataclass
class SweepRun:
    """One run of a sweep: a seed and a grid point."""

    seed: int
    grid: dict[str, Any]
    run_dir: Path
    status: str = "pending"  # pending | finished | failed | interrupted
    error: str | None = None
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        parts = [f"{k}={v}" for k, v in self.grid.items()] + [f"seed={self.seed}"]
        return " ".join(parts)


@dataclass(frozen=True)
class SweepProgress:
    """What a sweep's progress callback receives after each run ends."""

    done: int
    total: int
    failed: int
    last: SweepRun
    best: SweepRun | None  # highest final eval return so far


@dataclass
class SweepResult:
    """The outcome of :func:`run_sweep`."""

    sweep_dir: Path
    runs: list[SweepRun]

    @property
    def failed(self) -> list[SweepRun]:
        return [r for r in self.runs if r.status != "finished"]

    @property
    def best(self) -> SweepRun | None:
        return _best(self.runs)


SweepProgressFn = Callable[[SweepProgress], None]


# -- planning ---------------------------------------------------------------------------------
def expand_grid(grid: Mapping[str, Sequence[Any]] | None) -> list[dict[str, Any]]:
    """The cross product of a grid: ``{"a": [1, 2], "b": [3]}`` → ``[{a:1,b:3}, {a:2,b:3}]``."""
    if not grid:
        return [{}]
    for key, values in grid.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise ConfigError(
                f"sweep grid: {key}: give a non-empty list of values (got {values!r})"
            )
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def parse_grid(assignments: Sequence[str]) -> dict[str, list[Any]]:
    """Parse ``--grid`` options: ``"lmgt.scale=[0.2, 1.0]"`` or ``"lmgt.scale=0.2,1.0"``.

    Example:
        >>> parse_grid(["lmgt.scale=0.2,1.0", "algo=[ppo, a2c]"])
        {'lmgt.scale': [0.2, 1.0], 'algo': ['ppo', 'a2c']}
    """
    grid: dict[str, list[Any]] = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        key = key.strip()
        if not sep or not key or not raw.strip():
            raise ConfigError(
                f"--grid {assignment!r}: expected KEY=V1,V2 or KEY=[V1, V2], "
                "e.g. --grid lmgt.scale=0.2,1.0"
            )
        value = parse_yaml(raw, f"--grid {key}")
        if not isinstance(value, list):
            value = [parse_yaml(part, f"--grid {key}") for part in raw.split(",")]
        grid[key] = value
    return grid


def _seed_list(config: ExperimentConfig, seeds: int | Sequence[int] | None) -> list[int]:
    if seeds is None:
        return list(config.seeds)
    if isinstance(seeds, int):
        if seeds < 1:
            raise ConfigError(f"sweep seeds: give at least one seed (got {seeds})")
        return list(range(seeds))
    return list(seeds)


def plan_sweep(
    config: ExperimentConfig,
    seeds: int | Sequence[int] | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    out_dir: str | Path | None = None,
) -> tuple[Path, list[tuple[ExperimentConfig, SweepRun]]]:
    """Validate every grid point (its env made once with its kwargs, the method's pre-flight
    rules) and lay out the sweep's run directories (nothing runs).

    Raises:
        ConfigError: a grid value makes an invalid config (the message names the grid key).
    """
    seed_list = _seed_list(config, seeds)
    points = expand_grid(grid)
    base = config.to_dict()
    sweep_dir = Path(out_dir) if out_dir else _default_sweep_dir(config, seed_list, grid)
    planned = []
    for point in points:
        source = (
            "sweep grid " + ", ".join(f"{k}={v!r}" for k, v in point.items()) if point else "sweep"
        )
        point_config = validate_config(apply_values(base, point), source)
        # the env with its kwargs and the method's rules, before any run or LLM call
        preflight(point_config, source)
        for seed in seed_list:
            run = SweepRun(seed, dict(point), sweep_dir / run_dir_name(point_config, seed))
            planned.append((point_config.for_seed(seed), run))
    return sweep_dir, planned


def _default_sweep_dir(
    config: ExperimentConfig, seeds: list[int], grid: Mapping[str, Any] | None
) -> Path:
    key = short_hash({"config": config.to_dict(), "seeds": seeds, "grid": dict(grid or {})})
    return DEFAULT_RUNS_ROOT / config.name / f"sweep-{key}"


# -- running ----------------------------------------------------------------------------------
def run_sweep(
    config: ExperimentConfig | Mapping[str, Any] | str | Path,
    seeds: int | Sequence[int] | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    workers: int = 1,
    ray_address: str | None = None,
    *,
    out_dir: str | Path | None = None,
    resume: bool = True,
    progress: SweepProgressFn | None = None,
) -> SweepResult:
    """Run every (grid point, seed) of a config; failed runs are recorded, not fatal.

    Args:
        config: the base experiment config.
        seeds: a count (``5`` → seeds 0..4) or a list; default: the config's seeds.
        grid: override paths → values, crossed (``{"lmgt.scale": [0.2, 1.0]}``).
        workers: runs at once. Local: ``1`` runs in this process, more use spawned processes.
        ray_address: ``None``: local processes. ``"local"``: start a single-machine Ray in this
            process with ``workers`` CPUs. Anything else (``"auto"``, ``"ray://host:10001"``) is
            passed to ``ray.init(address=...)``; run directories must then be on a filesystem
            the Ray workers share.
        out_dir: the sweep directory (default ``runs/<name>/sweep-<hash>``; the same sweep
            asked again finds the same directory, skips finished runs and resumes the rest).
        resume: resume unfinished runs from their checkpoints.
        progress: called after each run with a :class:`SweepProgress`.

    Returns:
        A :class:`SweepResult`; ``sweep.json`` in ``sweep_dir`` lists every run.
    """
    config = as_config(config)
    if workers < 1:
        raise ConfigError(f"sweep workers: must be at least 1 (got {workers})")
    sweep_dir, planned = plan_sweep(config, seeds, grid, out_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    runs = [run for _, run in planned]
    backend = "ray" if ray_address else ("processes" if workers > 1 else "in-process")
    header = {
        "name": config.name,
        "created": (read_json(sweep_dir / "sweep.json") or {}).get("created", now_iso()),
        "backend": backend,
        "ray_address": ray_address,
        "workers": workers,
        "seeds": _seed_list(config, seeds),
        "grid": dict(grid or {}),
        "config": config.model_copy(update={"seeds": _seed_list(config, seeds)}).to_dict(),
    }
    tracker = _Tracker(sweep_dir, header, runs, progress)
    todo = []
    for run_config, run in planned:
        summary = RunPaths(run.run_dir).read_summary()
        if summary and summary.get("status") == "finished":
            tracker.finish(run, {"status": "finished", "summary": summary})
        else:
            todo.append((run_config, run))
    tracker.save()
    jobs = [
        _Job(c.to_dict(), r.seed, str(r.run_dir.resolve()), r.grid, resume, workers > 1)
        for c, r in todo
    ]
    todo_runs = [r for _, r in todo]
    if not jobs:
        pass
    elif ray_address:
        _run_on_ray(jobs, todo_runs, tracker, ray_address, workers)
    elif workers == 1:
        for job, run in zip(jobs, todo_runs, strict=True):
            tracker.finish(run, _run_job(job))
    else:
        _run_in_processes(jobs, todo_runs, tracker, workers)
    tracker.save()
    return SweepResult(sweep_dir, runs)


@dataclass(frozen=True)
class _Job:
    config: dict[str, Any]
    seed: int
    run_dir: str
    labels: dict[str, Any]
    resume: bool
    single_thread: bool


def _run_job(job: _Job) -> dict[str, Any]:
    """Run one job and return a small picklable outcome (never raises, except Ctrl-C)."""
    from langreward.experiments.errors import RunInterrupted
    from langreward.experiments.runner import run_experiment

    try:
        if job.single_thread:  # parallel runs: one core each, no oversubscription
            import os

            import torch

            torch.set_num_threads(1)
            os.environ["LANGREWARD_LLM_THREADS"] = "1"
        result = run_experiment(
            ExperimentConfig.model_validate(job.config),
            job.run_dir,
            resume=job.resume,
            seed=job.seed,
            labels=job.labels,
        )
        return {"status": result.status, "summary": result.summary}
    except RunInterrupted as exc:
        return {"status": "interrupted", "error": str(exc)}
    except Exception as exc:
        return {
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }


def _run_in_processes(
    jobs: list[_Job], runs: list[SweepRun], tracker: _Tracker, workers: int
) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: dict[Future[dict[str, Any]], SweepRun] = {
            pool.submit(_run_job, job): run for job, run in zip(jobs, runs, strict=True)
        }
        try:
            for future in as_completed(futures):
                run = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # the worker process died (BrokenProcessPool, ...)
                    outcome = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
                tracker.finish(run, outcome)
        except KeyboardInterrupt:
            pool.shutdown(wait=True, cancel_futures=True)
            tracker.save()
            raise


def _run_on_ray(
    jobs: list[_Job], runs: list[SweepRun], tracker: _Tracker, address: str, workers: int
) -> None:
    try:
        import ray
    except ImportError:
        raise ExperimentError(
            "running a sweep on Ray needs the ray package: pip install 'langreward[ray]'"
        ) from None
    started = False
    if not ray.is_initialized():
        if address == "local":
            ray.init(
                num_cpus=workers,
                object_store_memory=RAY_OBJECT_STORE_BYTES,
                include_dashboard=False,
                log_to_driver=False,
            )
        else:
            ray.init(address=address, log_to_driver=False)
        started = True
    pending: dict[Any, SweepRun] = {}
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(_run_job)
        pending = {remote.remote(job): run for job, run in zip(jobs, runs, strict=True)}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            run = pending.pop(ready[0])
            try:
                outcome = ray.get(ready[0])
            except Exception as exc:  # the task's worker died
                outcome = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
            tracker.finish(run, outcome)
    except KeyboardInterrupt:
        for ref in pending:
            ray.cancel(ref, force=True)
        tracker.save()
        raise
    finally:
        if started:
            ray.shutdown()


# -- bookkeeping ------------------------------------------------------------------------------
def _best(runs: list[SweepRun]) -> SweepRun | None:
    scored = [
        r
        for r in runs
        if r.status == "finished" and r.results.get("final_eval_return_mean") is not None
    ]
    return max(scored, key=lambda r: r.results["final_eval_return_mean"], default=None)


class _Tracker:
    """Keeps ``sweep.json`` up to date and calls the progress callback."""

    def __init__(
        self,
        sweep_dir: Path,
        header: dict[str, Any],
        runs: list[SweepRun],
        progress: SweepProgressFn | None,
    ) -> None:
        self.sweep_dir = sweep_dir
        self.header = header
        self.runs = runs
        self.progress = progress

    def finish(self, run: SweepRun, outcome: dict[str, Any]) -> None:
        run.status = str(outcome.get("status", "failed"))
        run.error = outcome.get("error")
        summary = outcome.get("summary") or {}
        run.results = {k: summary.get(k) for k in _SUMMARY_KEYS if k in summary}
        if run.status == "failed":
            log.warning("sweep run %s failed: %s", run.run_dir, run.error)
        self.save()
        if self.progress is not None:
            ended = [r for r in self.runs if r.status != "pending"]
            self.progress(
                SweepProgress(
                    done=len(ended),
                    total=len(self.runs),
                    failed=sum(r.status != "finished" for r in ended),
                    last=run,
                    best=_best(self.runs),
                )
            )

    def save(self) -> None:
        rows = []
        for run in self.runs:
            row = asdict(run)
            try:
                row["run_dir"] = str(run.run_dir.relative_to(self.sweep_dir))
            except ValueError:
                row["run_dir"] = str(run.run_dir)
            rows.append(row)
        counts = {
            s: sum(r.status == s for r in self.runs)
            for s in ("pending", "finished", "failed", "interrupted")
        }
        write_json(
            self.sweep_dir / "sweep.json",
            {
                **self.header,
                "updated": now_iso(),
                "total": len(self.runs),
                "counts": counts,
                "runs": rows,
            },
        )

"""Run one experiment (one config, one seed) in its own directory, resumably.

Example:
    >>> from langreward.experiments import load_config, run_experiment
    >>> result = run_experiment(load_config("configs/baseline/cartpole-ppo.yaml"))  # doctest: +SKIP
    >>> result.summary["final_eval"]["return_mean"]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import CallbackList
from stable_baselines3.common.utils import configure_logger

from langreward.experiments.algos import (
    OFF_POLICY,
    algo_class,
    check_algo_kwargs,
    prepare_algo_kwargs,
)
from langreward.experiments.callbacks import ProgressFn, RunMonitorCallback
from langreward.experiments.config import ExperimentConfig, as_config, load_config
from langreward.experiments.curves import curve_auc, learning_curve, steps_to_threshold
from langreward.experiments.errors import ConfigError, RunExistsError, RunInterrupted
from langreward.experiments.jsonio import write_json
from langreward.experiments.methods import resolve_method
from langreward.experiments.rundir import (
    MetricsWriter,
    RunPaths,
    default_run_dir,
    new_meta,
    now_iso,
    record_resume,
)
from langreward.rl.training import RunContext, TrainingSetup

log = logging.getLogger(__name__)

TB_LOG_NAME = "run"


@dataclass
class RunResult:
    """The outcome of :func:`run_experiment`."""

    run_dir: Path
    summary: dict[str, Any]
    skipped: bool = False  # the run had already finished; nothing was trained
    resumed_from: int | None = None  # steps done when this session resumed it

    @property
    def status(self) -> str:
        return str(self.summary.get("status", "unknown"))


@dataclass
class _Session:
    """What a (fresh or resumed) session of a run starts from."""

    state: dict[str, Any] | None = None
    labels: dict[str, Any] = field(default_factory=dict)


def run_experiment(
    config: ExperimentConfig | Mapping[str, Any] | str | Path,
    run_dir: str | Path | None = None,
    resume: bool = False,
    *,
    seed: int | None = None,
    labels: Mapping[str, Any] | None = None,
    runs_root: str | Path | None = None,
    progress: ProgressFn | None = None,
) -> RunResult:
    """Train one seed of ``config`` in a run directory and write its summary.

    Args:
        config: the experiment config (object, raw mapping or YAML path).
        run_dir: where to run; default ``<runs_root>/<name>/<method>-<env>-<algo>-seed<k>-<hash>``.
        resume: continue an unfinished run in ``run_dir`` from its latest checkpoint (training
            continues to exactly ``total_timesteps``; earlier metrics rows are kept).
        seed: which seed (default: the seed of an existing ``run_dir``, else the config's
            first seed).
        labels: extra labels stored with the run (a sweep's grid values), shown in reports.
        runs_root: root of default run directories (default ``./runs``).
        progress: called now and then with a :class:`RunProgress` (for a CLI progress bar).

    Returns:
        A :class:`RunResult`. A run whose ``summary.json`` says ``finished`` is not repeated:
        its summary is returned with ``skipped=True``.

    Raises:
        ConfigError: bad config, or ``resume`` with a config that differs from the run's.
        RunExistsError: ``run_dir`` holds an unfinished run and ``resume`` is False.
        MethodNotAvailableError: the method's package is missing.
        RunInterrupted: Ctrl-C; a checkpoint was saved first (a ``KeyboardInterrupt``).
    """
    config = as_config(config)
    if seed is None and run_dir is not None:  # resuming a given run dir: its own seed
        seed = RunPaths(Path(run_dir)).read_meta().get("seed")
    seed = config.seeds[0] if seed is None else int(seed)
    config = config.for_seed(seed)
    problems = check_algo_kwargs(config.algo, config.algo_kwargs)
    if problems:
        raise ConfigError(problems)
    paths = RunPaths(Path(run_dir) if run_dir else default_run_dir(config, seed, runs_root))

    previous = paths.read_summary()
    if previous and previous.get("status") == "finished":
        log.info("run %s already finished; not repeating it", paths.root)
        return RunResult(paths.root, previous, skipped=True)
    session = _prepare(config, seed, paths, resume, dict(labels or {}))
    return _train(config, seed, paths, session, progress)


def resume_run(run_dir: str | Path, progress: ProgressFn | None = None) -> RunResult:
    """Resume (or, if finished, just return) the run in ``run_dir`` from its own config.yaml."""
    paths = RunPaths(Path(run_dir))
    if not paths.config.is_file():
        raise ConfigError(f"{run_dir}: not a run directory (no config.yaml)")
    config = load_config(paths.config)
    labels = paths.read_meta().get("labels") or {}
    return run_experiment(config, paths.root, resume=True, labels=labels, progress=progress)


# -- preparing the directory ----------------------------------------------------------------
def _prepare(
    config: ExperimentConfig,
    seed: int,
    paths: RunPaths,
    resume: bool,
    labels: dict[str, Any],
) -> _Session:
    started = paths.config.is_file()
    state = paths.read_state() if started else None
    if started and not resume:
        done = (
            f"{state['timesteps']} of {config.total_timesteps} steps checkpointed"
            if state
            else "no checkpoint"
        )
        raise RunExistsError(
            f"{paths.root} already holds an unfinished run ({done}); resume it "
            "(resume=True, --resume) or remove the directory"
        )
    if started:
        existing = load_config(paths.config, check_algo=False)
        if existing.to_dict() != config.to_dict():
            changed = [k for k, v in existing.to_dict().items() if config.to_dict().get(k) != v]
            raise ConfigError(
                f"{paths.root}: cannot resume with a different config (changed: "
                f"{', '.join(changed)}); use the run's own config.yaml or a new run directory"
            )
        labels = paths.read_meta().get("labels") or labels
    paths.summary.unlink(missing_ok=True)  # a stale failed/interrupted status
    if state is None:
        paths.root.mkdir(parents=True, exist_ok=True)
        paths.config.write_text(config.to_yaml(), encoding="utf-8")
        write_json(paths.meta, new_meta(config, seed, labels))
    else:
        record_resume(paths, int(state["timesteps"]))
    return _Session(state=state, labels=labels)


# -- training ---------------------------------------------------------------------------------
def _context(config: ExperimentConfig, seed: int, paths: RunPaths) -> RunContext:
    return RunContext(
        env_id=config.env.id,
        algo=config.algo,
        seed=seed,
        n_envs=config.n_envs,
        total_timesteps=config.total_timesteps,
        run_dir=paths.root,
        llm_spec=config.llm,
        env_kwargs=dict(config.env.kwargs),
    )


def _model_kwargs(config: ExperimentConfig, setup: TrainingSetup) -> dict[str, Any]:
    kwargs = prepare_algo_kwargs(config.algo, config.algo_kwargs)
    overlap = sorted(set(kwargs) & set(setup.model_kwargs))
    if overlap:
        log.warning("method %s overrides algo_kwargs %s", config.method, overlap)
    kwargs.update(setup.model_kwargs)
    kwargs.setdefault("verbose", 0)
    return kwargs


def _build_model(
    config: ExperimentConfig, seed: int, paths: RunPaths, setup: TrainingSetup, state: dict | None
) -> BaseAlgorithm:
    cls = algo_class(config.algo)
    kwargs = _model_kwargs(config, setup)
    if state is None:
        return cls(
            config.policy, setup.env, seed=seed, tensorboard_log=str(paths.tensorboard), **kwargs
        )
    # Resume: the saved model, with this session's env, paths and method objects.
    overrides = {k: v for k, v in kwargs.items() if k not in ("policy_kwargs", "device")}
    model = cls.load(
        paths.model,
        env=setup.env,
        device=kwargs.get("device", "auto"),
        tensorboard_log=str(paths.tensorboard),
        **overrides,
    )
    if config.algo in OFF_POLICY and paths.replay_buffer.is_file():
        model.load_replay_buffer(paths.replay_buffer)
    if model.num_timesteps != int(state["timesteps"]):
        log.warning(
            "checkpoint model is at %d steps, state.json says %d; continuing from the model",
            model.num_timesteps,
            state["timesteps"],
        )
    return model


def _train(
    config: ExperimentConfig,
    seed: int,
    paths: RunPaths,
    session: _Session,
    progress: ProgressFn | None,
) -> RunResult:
    state = session.state
    clock_start = time.monotonic()  # wall time includes building the method (LLM loading...)
    metrics = MetricsWriter(paths.metrics, keep_lines=state["metrics_lines"] if state else 0)
    setup: TrainingSetup | None = None
    try:
        build = resolve_method(config.method)
        setup = build(config.method_settings(), _context(config, seed, paths))
        model = _build_model(config, seed, paths, setup, state)
        monitor = RunMonitorCallback(
            paths=paths,
            metrics=metrics,
            eval_env=setup.eval_env,
            eval_config=config.eval,
            checkpoint_every=config.checkpoint_every,
            total_timesteps=config.total_timesteps,
            off_policy=config.algo in OFF_POLICY,
            method_summary=setup.summary,
            wall_offset=float(state["wall_time"]) if state else 0.0,
            episodes_done=int(state.get("episodes", 0)) if state else 0,
            recent_returns=state.get("recent_returns") if state else None,
            progress=progress,
            clock_start=clock_start,
        )
        remaining = config.total_timesteps - model.num_timesteps
        if remaining > 0:
            log.info("training %s for %d steps in %s", config.name, remaining, paths.root)
            try:
                model.learn(
                    total_timesteps=remaining,
                    callback=CallbackList([monitor, *setup.callbacks]),
                    reset_num_timesteps=state is None,
                    tb_log_name=TB_LOG_NAME,
                    progress_bar=False,
                )
            except KeyboardInterrupt:
                monitor.save_checkpoint()
                _write_status(paths, config, seed, "interrupted", model.num_timesteps)
                raise RunInterrupted(paths.root, int(model.num_timesteps)) from None
            monitor.save_checkpoint()
        else:  # the last checkpoint is already at the budget: only evaluate
            model.set_logger(
                configure_logger(0, str(paths.tensorboard), TB_LOG_NAME, reset_num_timesteps=False)
            )
            monitor.init_callback(model)
        final = monitor.run_eval(final=True)
        stats = monitor.last_stats
        monitor.report_progress()
        summary = _summary(config, seed, paths, session, model, final, stats, monitor.wall_time())
        write_json(paths.summary, summary)
        log.info("run finished: %s", paths.root)
        return RunResult(
            paths.root, summary, resumed_from=int(state["timesteps"]) if state else None
        )
    except RunInterrupted:
        raise
    except Exception as exc:
        _write_status(
            paths,
            config,
            seed,
            "failed",
            None,
            error=f"{type(exc).__name__}: {exc}",
            trace=traceback.format_exc(),
        )
        raise
    finally:
        metrics.close()
        if setup is not None:
            _close(setup)


def _close(setup: TrainingSetup) -> None:
    for closer in (setup.close, setup.env.close, setup.eval_env.close):
        try:
            closer()
        except Exception:  # closing must not hide the real outcome
            log.debug("close failed", exc_info=True)


def _write_status(
    paths: RunPaths,
    config: ExperimentConfig,
    seed: int,
    status: str,
    timesteps: int | None,
    error: str | None = None,
    trace: str | None = None,
) -> None:
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


def _summary(
    config: ExperimentConfig,
    seed: int,
    paths: RunPaths,
    session: _Session,
    model: BaseAlgorithm,
    final: dict[str, float],
    method_stats: dict[str, Any],
    wall_time: float,
) -> dict[str, Any]:
    steps, curve = learning_curve(paths.rows("episode"), config.threshold_window)
    meta = paths.read_meta()
    timesteps = int(model.num_timesteps)
    return {
        "status": "finished",
        "name": config.name,
        "method": config.method,
        "env": config.env.id,
        "algo": config.algo,
        "seed": seed,
        "labels": session.labels,
        "config_key": config.config_key(),
        "llm_spec": config.llm if config.method != "baseline" else None,
        "total_timesteps": config.total_timesteps,
        "timesteps_done": timesteps,
        "episodes": int(steps.size),
        "final_eval": final,
        "final_eval_return_mean": final["return_mean"],
        "final_eval_return_std": final["return_std"],
        "threshold": config.threshold,
        "threshold_window": config.threshold_window,
        "steps_to_threshold": steps_to_threshold(
            steps, curve, config.threshold, config.threshold_window
        ),
        "auc": curve_auc(steps, curve, config.total_timesteps),
        "final_train_return": float(curve[-1]) if curve.size else None,
        "wall_time_s": round(wall_time, 3),
        "steps_per_s": round(timesteps / wall_time, 2) if wall_time > 0 else None,
        "sessions": 1 + len(meta.get("resumes") or []),
        "method_summary": method_stats,
        "llm": method_stats.get("llm") if isinstance(method_stats.get("llm"), dict) else None,
        "started_at": meta.get("started_at"),
        "finished_at": now_iso(),
    }

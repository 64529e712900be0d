"""Run one experiment (one config, one seed) in its own directory, resumably.

The runner knows no method by name: it looks ``config.method`` up in the plug-in registry,
builds it with the run's context (the run's LLM included), then trains its
:class:`~langreward.plugin.OnlineSetup` (:mod:`.online`) or runs its
:class:`~langreward.plugin.OfflinePipeline` (:mod:`.offline`). It owns the LLM: it exports
the transcript, closes it and writes its cost into ``summary.json`` whatever the method.

Example:
    >>> from langreward.experiments import load_config, run_experiment
    >>> result = run_experiment(load_config("configs/baseline/cartpole-ppo.yaml"))  # doctest: +SKIP
    >>> result.summary["final_eval"]["return_mean"]  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import shutil
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langreward.experiments.algos import check_algo_kwargs, prepare_algo_kwargs
from langreward.experiments.callbacks import ProgressFn
from langreward.experiments.config import ExperimentConfig, as_config, load_config
from langreward.experiments.errors import (
    ConfigError,
    ExperimentError,
    RunExistsError,
    RunInterrupted,
)
from langreward.experiments.jsonio import write_json
from langreward.experiments.offline import run_pipeline
from langreward.experiments.online import train_online
from langreward.experiments.preflight import preflight
from langreward.experiments.rundir import (
    MetricsWriter,
    RunPaths,
    default_run_dir,
    new_meta,
    record_resume,
)
from langreward.experiments.session import ActiveRun, Session, write_status
from langreward.plugin import (
    TRANSCRIPT_NAME,
    OfflinePipeline,
    OnlineSetup,
    RunContext,
    RunLLM,
    get_method,
    prepare_env,
)

log = logging.getLogger(__name__)


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


def run_experiment(
    config: ExperimentConfig | Mapping[str, Any] | str | Path,
    run_dir: str | Path | None = None,
    resume: bool = False,
    *,
    seed: int | None = None,
    labels: Mapping[str, Any] | None = None,
    runs_root: str | Path | None = None,
    progress: ProgressFn | None = None,
    ray_address: str | None = None,
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
        ray_address: a Ray cluster the method may spread work on (``"local"``: a
            single-machine Ray); handed to the method in its :class:`RunContext`.

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
    problems = check_algo_kwargs(config.algo, config.algo_kwargs) if config.algo else []
    if problems:
        raise ConfigError(problems)
    _import_env_modules(config)  # this process may be a sweep worker or a Ray task
    paths = RunPaths(Path(run_dir) if run_dir else default_run_dir(config, seed, runs_root))

    previous = paths.read_summary()
    if previous and previous.get("status") == "finished":
        log.info("run %s already finished; not repeating it", paths.root)
        return RunResult(paths.root, previous, skipped=True)
    preflight(config)  # the env with its kwargs and the method's rules, before any LLM call
    created = _missing_dirs(paths.root)
    session = _prepare(config, seed, paths, resume, dict(labels or {}))
    try:
        return _execute(config, seed, paths, session, progress, ray_address, fresh=bool(created))
    except _NothingRan as exc:  # a bad config makes no directory: remove what _prepare made
        _remove_created(paths.root, created)
        raise exc.error from None


def resume_run(
    run_dir: str | Path, progress: ProgressFn | None = None, ray_address: str | None = None
) -> RunResult:
    """Resume (or, if finished, just return) the run in ``run_dir`` from its own config.yaml."""
    paths = RunPaths(Path(run_dir))
    if not paths.config.is_file():
        raise ConfigError(f"{run_dir}: not a run directory (no config.yaml)")
    config = load_config(paths.config)
    labels = paths.read_meta().get("labels") or {}
    return run_experiment(
        config, paths.root, resume=True, labels=labels, progress=progress, ray_address=ray_address
    )


def _import_env_modules(config: ExperimentConfig) -> None:
    """Import the config's ``env.imports`` here (they register the env), before any directory."""
    from langreward.rl.envs import EnvModuleError, import_env_modules

    try:
        import_env_modules(config.env.imports, config.env.id)
    except EnvModuleError as exc:
        raise ConfigError(f"env.imports: {exc}") from None


# -- preparing the directory ----------------------------------------------------------------
def _missing_dirs(root: Path) -> list[Path]:
    """``root`` and its ancestors that do not exist yet (deepest first)."""
    missing = []
    for path in (root, *root.parents):
        if path.exists():
            break
        missing.append(path)
    return missing


def _remove_created(root: Path, created: list[Path]) -> None:
    """Remove the run directory this call created, and its new parents while empty."""
    if not created:
        return
    shutil.rmtree(root, ignore_errors=True)
    for parent in created[1:]:
        try:
            parent.rmdir()  # only while empty: a sweep's sibling run may have appeared
        except OSError:
            break


def _prepare(
    config: ExperimentConfig,
    seed: int,
    paths: RunPaths,
    resume: bool,
    labels: dict[str, Any],
) -> Session:
    started = paths.config.is_file()
    state = paths.read_state() if started else None
    if started and state is None and (paths.read_summary() or {}).get("status") == "failed":
        log.info(
            "%s: the last attempt failed before its first checkpoint; starting again", paths.root
        )
        started = False  # nothing was saved that a fresh start could lose
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
    try:
        paths.summary.unlink(missing_ok=True)  # a stale failed/interrupted status
        if state is None:
            paths.root.mkdir(parents=True, exist_ok=True)
            paths.config.write_text(config.to_yaml(), encoding="utf-8")
    except OSError as exc:
        raise ExperimentError(
            f"cannot write the run directory {paths.root}: {exc.strerror or exc}"
        ) from None
    if state is None:
        write_json(paths.meta, new_meta(config, seed, labels))
    else:
        record_resume(paths, int(state["timesteps"]))
    return Session(state=state, labels=labels)


# -- running ----------------------------------------------------------------------------------
def _context(
    config: ExperimentConfig, seed: int, paths: RunPaths, llm: RunLLM, ray_address: str | None
) -> RunContext:
    return RunContext(
        env_id=config.env.id,
        algo=config.algo,
        seed=seed,
        n_envs=config.n_envs,
        total_timesteps=config.total_timesteps,
        run_dir=paths.root,
        llm=llm,
        env_kwargs=dict(config.env.kwargs),
        ray_address=ray_address,
        policy=config.policy,
        algo_kwargs=prepare_algo_kwargs(config.algo, config.algo_kwargs) if config.algo else {},
        env_imports=tuple(config.env.imports),
    )


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run with ``count`` torch threads (0: leave torch's setting), restored afterwards."""
    if count <= 0:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _execute(
    config: ExperimentConfig,
    seed: int,
    paths: RunPaths,
    session: Session,
    progress: ProgressFn | None,
    ray_address: str | None = None,
    fresh: bool = False,
) -> RunResult:
    """Build the method and run it; ``fresh``: this call created the run directory (a build
    that fails before anything ran then raises :class:`_NothingRan` to have it removed)."""
    state = session.state
    clock_start = time.monotonic()  # wall time includes building the method (LLM loading...)
    metrics = MetricsWriter(paths.metrics, keep_lines=state["metrics_lines"] if state else 0)
    llm = RunLLM(config.llm)
    if state and state.get("llm"):
        llm.load_state_dict(state["llm"])
    built: OnlineSetup | OfflinePipeline | None = None
    try:
        with torch_threads(config.torch_threads):
            method = get_method(config.method)
            run = ActiveRun(config, seed, paths, session, metrics, llm, progress, clock_start)
            context = _context(config, seed, paths, llm, ray_address)
            context.progress = run.stage_progress
            prepare_env(config.env.id, method)  # the env family, for every method
            built = method.build(config.method_settings(), context)
            if isinstance(built, OnlineSetup):
                summary = train_online(run, built)
            elif isinstance(built, OfflinePipeline):
                summary = run_pipeline(run, built)
            else:
                raise ExperimentError(
                    f"method {config.method!r}: build() returned a {type(built).__name__}; "
                    "expected an OnlineSetup or an OfflinePipeline"
                )
        write_json(paths.summary, summary)
        log.info("run finished: %s", paths.root)
        return RunResult(
            paths.root, summary, resumed_from=int(state["timesteps"]) if state else None
        )
    except RunInterrupted:
        raise
    except Exception as exc:
        if fresh and built is None and not llm.stats().get("calls"):
            # the method could not be built and nothing ran (no step, no LLM call)
            raise _NothingRan(exc) from exc
        write_status(
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
        _close(built, llm, paths)


class _NothingRan(Exception):  # noqa: N818 - carries the error out of ``_execute``
    """Building the method failed before anything ran: the caller removes the new directory
    and raises ``error``."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _close(built: OnlineSetup | OfflinePipeline | None, llm: RunLLM, paths: RunPaths) -> None:
    closers: list[Any] = []
    if built is not None:
        closers.append(built.close)
    if isinstance(built, OnlineSetup):
        closers += [built.env.close, built.eval_env.close]
    if paths.root.is_dir():
        closers.append(lambda: llm.export_transcript(paths.root / TRANSCRIPT_NAME))
    closers.append(llm.close)
    for closer in closers:
        try:
            closer()
        except Exception:  # closing must not hide the real outcome
            log.debug("close failed", exc_info=True)

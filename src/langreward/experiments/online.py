"""Train an :class:`~langreward.plugin.OnlineSetup` with SB3: build or load the algorithm,
learn with the runner's monitor, checkpoint the model with the method's state, evaluate."""

from __future__ import annotations

import logging
import os
from typing import Any

import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import CallbackList
from stable_baselines3.common.utils import configure_logger

from langreward.experiments.algos import algo_class, prepare_algo_kwargs
from langreward.experiments.callbacks import (
    EpisodeLog,
    PeriodicEvaluation,
    ProgressReport,
    RolloutCheckpoint,
    RunRecord,
)
from langreward.experiments.curves import curve_auc, learning_curve, steps_to_threshold
from langreward.experiments.errors import RunInterrupted
from langreward.experiments.rundir import RunPaths
from langreward.experiments.session import ActiveRun, base_summary, write_status
from langreward.plugin import OnlineSetup

log = logging.getLogger(__name__)

TB_LOG_NAME = "run"


def _model_kwargs(run: ActiveRun, setup: OnlineSetup) -> dict[str, Any]:
    config = run.config
    kwargs = prepare_algo_kwargs(config.algo or "", config.algo_kwargs)
    overlap = sorted(set(kwargs) & set(setup.model_kwargs))
    if overlap:
        log.warning("method %s overrides algo_kwargs %s", config.method, overlap)
    kwargs.update(setup.model_kwargs)
    kwargs.setdefault("verbose", 0)
    return kwargs


def _build_model(run: ActiveRun, setup: OnlineSetup) -> BaseAlgorithm:
    config, paths, state = run.config, run.paths, run.session.state
    cls = setup.algorithm or algo_class(config.algo or "")
    kwargs = _model_kwargs(run, setup)
    if state is None:
        return cls(
            config.policy,
            setup.env,
            seed=run.seed,
            tensorboard_log=str(paths.tensorboard),
            **kwargs,
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
    if paths.replay_buffer.is_file() and hasattr(model, "load_replay_buffer"):
        model.load_replay_buffer(paths.replay_buffer)
    if model.num_timesteps != int(state["timesteps"]):
        log.warning(
            "checkpoint model is at %d steps, state.json says %d; continuing from the model",
            model.num_timesteps,
            state["timesteps"],
        )
    return model


def save_method_state(paths: RunPaths, setup: OnlineSetup) -> None:
    """Write the method's state next to the model (atomically, before ``state.json``)."""
    tmp = paths.checkpoints / "method_state.tmp.pt"
    torch.save(setup.state_dict(), tmp)
    os.replace(tmp, paths.method_state)


def load_method_state(paths: RunPaths, setup: OnlineSetup) -> None:
    """Give a resumed method its checkpointed state (runs from before the seam have none)."""
    if paths.method_state.is_file():
        setup.load_state_dict(torch.load(paths.method_state, weights_only=False))
    else:
        log.warning("%s has no method state; the method starts its own state afresh", paths.root)


def model_updates(model: Any) -> int | None:
    """The model's gradient updates so far (SB3's ``_n_updates``; ``None`` when the algorithm
    does not count them): what a resumed run must end with as the uninterrupted one does."""
    updates = getattr(model, "_n_updates", None)
    return None if updates is None else int(updates)


def train_online(run: ActiveRun, setup: OnlineSetup) -> dict[str, Any]:
    """Train to ``total_timesteps`` (continuing a resumed run), evaluate, return the summary.

    Raises:
        RunInterrupted: Ctrl-C; a checkpoint (model, method state) was saved first.
    """
    config, paths, state = run.config, run.paths, run.session.state
    model = _build_model(run, setup)
    if state is not None:
        load_method_state(paths, setup)
    record = RunRecord(
        run.metrics,
        setup.summary,
        wall_offset=run.session.wall_offset,
        episodes=int(state.get("episodes", 0)) if state else 0,
        recent=(state.get("recent_returns") or []) if state else [],
        clock_start=run.clock_start,
    )
    evaluation = PeriodicEvaluation(
        record, setup.eval_env, config.eval, config.total_timesteps, setup.eval_policy
    )
    checkpoint = RolloutCheckpoint(
        record,
        paths,
        config.checkpoint_every,
        save_method_state=lambda: save_method_state(paths, setup),
        llm_state=run.llm.state_dict,
    )
    progress = ProgressReport(record, config.total_timesteps, run.progress)
    # the order the rows come in: episodes, evaluation, checkpoint, progress
    ours = [EpisodeLog(record, config.total_timesteps), evaluation, checkpoint, progress]
    remaining = config.total_timesteps - model.num_timesteps
    if remaining > 0:
        log.info("training %s for %d steps in %s", config.name, remaining, paths.root)
        try:
            model.learn(
                total_timesteps=remaining,
                callback=CallbackList([*ours, *setup.callbacks]),
                reset_num_timesteps=state is None,
                tb_log_name=TB_LOG_NAME,
                progress_bar=False,
            )
        except KeyboardInterrupt:
            checkpoint.save()
            write_status(paths, config, run.seed, "interrupted", model.num_timesteps)
            raise RunInterrupted(paths.root, int(model.num_timesteps)) from None
        checkpoint.save()
    else:  # the last checkpoint is already at the budget: only evaluate
        model.set_logger(
            configure_logger(0, str(paths.tensorboard), TB_LOG_NAME, reset_num_timesteps=False)
        )
        CallbackList(ours).init_callback(model)
    final = evaluation.evaluate_now(final=True)
    run.method_stats = record.last_stats
    progress.report()
    steps, curve = learning_curve(paths.rows("episode"), config.threshold_window)
    timesteps = int(model.num_timesteps)
    return {
        **base_summary(run, final, timesteps),
        "algorithm": type(model).__name__,
        "model_updates": model_updates(model),
        "episodes": int(steps.size),
        "steps_to_threshold": steps_to_threshold(
            steps, curve, config.threshold, config.threshold_window
        ),
        "auc": curve_auc(steps, curve, config.total_timesteps),
        "final_train_return": float(curve[-1]) if curve.size else None,
    }

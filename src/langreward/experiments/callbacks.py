"""The runner's SB3 callbacks, split along SB3's own lines (its ``EvalCallback``,
``CheckpointCallback`` and ``ProgressBarCallback``):

- :class:`EpisodeLog` writes an ``episode`` row per finished episode and stops training at
  exactly ``total_timesteps``;
- :class:`PeriodicEvaluation` evaluates every ``eval.every`` steps (and once at the end);
- :class:`RolloutCheckpoint` saves a checkpoint at the start of the rollout after one falls due;
- :class:`ProgressReport` calls the run's progress function now and then.

They share one :class:`RunRecord`: the metrics file, the run's wall clock, the episode count
and recent returns (what a checkpoint's ``state.json`` keeps) and the method's stats, written
at most once per timestep whether an evaluation or a checkpoint asks first.
:func:`run_callbacks` builds the four in the order the rows must come in.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.vec_env import VecEnv

from langreward.experiments.config import EvalConfig
from langreward.experiments.rundir import MetricsWriter, RunPaths, write_checkpoint_state

if TYPE_CHECKING:
    from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

log = logging.getLogger(__name__)

#: How many recent episode returns the progress line and ``state.json`` keep.
RECENT_EPISODES = 20


@dataclass(frozen=True)
class RunProgress:
    """What a run's progress callback receives."""

    timesteps: int
    total_timesteps: int
    episodes: int
    recent_return: float | None  # mean original return of the last 20 episodes
    wall_time: float
    stage: str | None = None  # offline pipelines: the stage running (timesteps count stages)
    detail: str | None = None  # how far the stage has got, e.g. "3/8 goals"


ProgressFn = Callable[[RunProgress], None]


def evaluate(model: Any, env: VecEnv, episodes: int, deterministic: bool) -> dict[str, float]:
    """Evaluate on ``env`` (its Monitor gives original-reward returns)."""
    # return_episode_rewards=True: per-episode lists (SB3's return type has no overload for it)
    returns, lengths = cast(
        "tuple[list[float], list[int]]",
        evaluate_policy(
            model,
            env,
            n_eval_episodes=episodes,
            deterministic=deterministic,
            return_episode_rewards=True,
            warn=False,
        ),
    )
    return {
        "return_mean": float(np.mean(returns)),
        "return_std": float(np.std(returns)),
        "length_mean": float(np.mean(lengths)),
        "episodes": len(returns),
    }


def flat_scalars(data: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested dict as ``{"a/b": value}``."""
    out: dict[str, float] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_scalars(value, name + "/"))
        elif isinstance(value, int | float | np.number) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def _next(done: int, every: int) -> int:
    """The first multiple of ``every`` after ``done`` (-1: never)."""
    return (done // every + 1) * every if every > 0 else -1


@dataclass
class RunRecord:
    """What a run's callbacks share: its ``metrics.jsonl``, wall clock and episode counts, and
    the method's stats (a ``method`` row, at most one per timestep).

    A resumed run passes the counts its checkpoint kept (``episodes``, ``recent``) and the
    seconds earlier sessions took (``wall_offset``).

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> writer = MetricsWriter(Path(tempfile.mkdtemp()) / "metrics.jsonl")
        >>> record = RunRecord(writer, method_summary=lambda: {"shaping": "none"})
        >>> record.record_episode(timestep=200, episode={"r": 1.5, "l": 200}, env_index=0)
        >>> record.episodes, record.recent_return()
        (1, 1.5)
    """

    metrics: MetricsWriter
    method_summary: Callable[[], dict[str, Any]]
    wall_offset: float = 0.0
    episodes: int = 0
    recent: list[float] = field(default_factory=list)
    clock_start: float = field(default_factory=time.monotonic)
    last_stats: dict[str, Any] = field(default_factory=dict)
    _last_stats_t: int = -1

    def __post_init__(self) -> None:
        self.recent = list(self.recent)[-RECENT_EPISODES:]

    def wall_time(self) -> float:
        """Seconds of this run so far, earlier sessions included."""
        return self.wall_offset + time.monotonic() - self.clock_start

    def recent_return(self) -> float | None:
        """Mean original return of the recent episodes (None before the first)."""
        return float(np.mean(self.recent)) if self.recent else None

    def write(self, row: dict[str, Any]) -> None:
        """One row of ``metrics.jsonl``, stamped with the wall time."""
        self.metrics.write({**row, "wall_time": round(self.wall_time(), 3)})

    def record_episode(self, timestep: int, episode: dict[str, Any], env_index: int) -> None:
        """An ``episode`` row from Monitor's ``info["episode"]`` (the original reward)."""
        self.episodes += 1
        self.recent = (self.recent + [float(episode["r"])])[-RECENT_EPISODES:]
        self.write(
            {
                "type": "episode",
                "timestep": timestep,
                "return": float(episode["r"]),
                "length": int(episode["l"]),
                "env": env_index,
            }
        )

    def record_method_stats(self, timestep: int, logger: Logger) -> dict[str, Any]:
        """Write a ``method`` row with the method's summary and log its numbers to TensorBoard
        (once per timestep)."""
        if self._last_stats_t == timestep:
            return self.last_stats
        try:
            stats = self.method_summary() or {}
        except Exception:  # a method's stats must never stop training
            log.exception("the method's summary() failed")
            return {}
        self.last_stats, self._last_stats_t = stats, timestep
        self.write({"type": "method", "timestep": timestep, "stats": stats})
        for key, value in flat_scalars(stats).items():
            logger.record(key if key.startswith("llm/") else f"method/{key}", value)
        return stats


class EpisodeLog(BaseCallback):
    """An ``episode`` row per finished episode (Monitor's original-reward return, whatever
    shaping a method's wrapper outside Monitor adds); stops at ``total_timesteps``."""

    def __init__(self, record: RunRecord, total_timesteps: int) -> None:
        super().__init__(verbose=0)
        self.record, self.total_timesteps = record, total_timesteps

    def _on_step(self) -> bool:
        for i, info in enumerate(self.locals.get("infos") or ()):
            episode = info.get("episode") if isinstance(info, dict) else None
            if episode:
                self.record.record_episode(self.num_timesteps, episode, i)
        return self.num_timesteps < self.total_timesteps


class PeriodicEvaluation(BaseCallback):
    """An ``eval`` row (and TensorBoard scalars, and the method's stats) every
    ``config.every`` steps; :meth:`evaluate_now` for the final one.

    ``eval_policy`` maps the model to what is evaluated (LGR2: its two levels as one policy).
    """

    def __init__(
        self,
        record: RunRecord,
        eval_env: VecEnv,
        config: EvalConfig,
        total_timesteps: int,
        eval_policy: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(verbose=0)
        self.record, self.eval_env, self.config = record, eval_env, config
        self.total_timesteps, self.eval_policy = total_timesteps, eval_policy
        self._next_eval = 0

    def _init_callback(self) -> None:
        self._next_eval = _next(self.model.num_timesteps, self.config.every)

    def _on_step(self) -> bool:
        t = self.num_timesteps
        if 0 <= self._next_eval <= t:
            if t < self.total_timesteps:  # at the budget the final evaluation follows: one row
                self.evaluate_now()
            self._next_eval = _next(t, self.config.every)
        return True

    def evaluate_now(self, final: bool = False) -> dict[str, float]:
        """Evaluate now and write an ``eval`` row (and TensorBoard scalars)."""
        result = evaluate(
            self.model if self.eval_policy is None else self.eval_policy(self.model),
            self.eval_env,
            self.config.episodes,
            self.config.deterministic,
        )
        timestep = int(self.model.num_timesteps)
        self.record.write(
            {"type": "eval", "timestep": timestep, **result, **({"final": True} if final else {})}
        )
        self.logger.record("eval/return_mean", result["return_mean"])
        self.logger.record("eval/return_std", result["return_std"])
        self.record.record_method_stats(timestep, self.logger)
        self.logger.dump(timestep)
        return result


class RolloutCheckpoint(BaseCallback):
    """Saves model (+ replay buffer), the method's state and ``state.json`` every ``every``
    steps, at the start of the rollout after the step it falls due.

    Not at that step: the model and the method's state do not agree yet. SB3's on-policy
    algorithms train on a rollout after its end callbacks (a method relabels it there),
    off-policy ones store the step's transition after the step callbacks and train after the
    rollout. At the next rollout's start all of that has happened, so a resumed run continues
    exactly where the uninterrupted one would.
    """

    def __init__(
        self,
        record: RunRecord,
        paths: RunPaths,
        every: int,
        save_method_state: Callable[[], None] = lambda: None,
        llm_state: Callable[[], dict[str, Any]] = dict,
    ) -> None:
        super().__init__(verbose=0)
        self.record, self.paths, self.every = record, paths, every
        self.save_method_state, self.llm_state = save_method_state, llm_state
        self._next_ckpt, self._due, self._last_t = 0, False, -1

    def _init_callback(self) -> None:
        self._next_ckpt = _next(self.model.num_timesteps, self.every)

    def _on_step(self) -> bool:
        if 0 <= self._next_ckpt <= self.num_timesteps:
            self._due = True
            self._next_ckpt = _next(self.num_timesteps, self.every)
        return True

    def _on_rollout_start(self) -> None:
        if self._due:
            self.save()

    def save(self) -> None:
        """Save now: model (+ replay buffer), the method's state, then ``state.json`` naming the
        metrics line count and the LLM counters (once per timestep)."""
        self._due = False
        timestep = int(self.model.num_timesteps)
        if self._last_t == timestep:
            return
        self._last_t = timestep
        self.record.record_method_stats(timestep, self.logger)
        self.paths.checkpoints.mkdir(parents=True, exist_ok=True)
        tmp_model = self.paths.checkpoints / "latest.tmp.zip"
        self.model.save(tmp_model)
        os.replace(tmp_model, self.paths.model)
        if hasattr(self.model, "save_replay_buffer"):  # SB3's off-policy algorithms
            tmp_buffer = self.paths.checkpoints / "replay_buffer.tmp.pkl"
            # it has save_replay_buffer: an SB3 off-policy algorithm (or a method's own
            # algorithm with the same interface)
            cast("OffPolicyAlgorithm", self.model).save_replay_buffer(tmp_buffer)
            os.replace(tmp_buffer, self.paths.replay_buffer)
        self.save_method_state()
        write_checkpoint_state(
            self.paths,
            {
                "timesteps": timestep,
                "metrics_lines": self.record.metrics.lines,
                "episodes": self.record.episodes,
                "recent_returns": self.record.recent,
                "wall_time": self.record.wall_time(),
                "llm": self.llm_state(),
            },
        )
        log.info("checkpoint at %d steps in %s", timestep, self.paths.checkpoints)


class ProgressReport(BaseCallback):
    """Calls ``progress`` about 200 times over the run (and at its start); nothing when it is
    None."""

    def __init__(
        self, record: RunRecord, total_timesteps: int, progress: ProgressFn | None
    ) -> None:
        super().__init__(verbose=0)
        self.record, self.total_timesteps, self.progress = record, total_timesteps, progress
        self._every, self._next_report = 1, 0

    def _init_callback(self) -> None:
        self._every = max(self.training_env.num_envs, self.total_timesteps // 200)
        self._next_report = _next(self.model.num_timesteps, self._every)
        self.report()

    def _on_step(self) -> bool:
        if 0 <= self._next_report <= self.num_timesteps:
            self.report()
            self._next_report = _next(self.num_timesteps, self._every)
        return True

    def report(self) -> None:
        if self.progress is None:
            return
        self.progress(
            RunProgress(
                timesteps=int(self.model.num_timesteps),
                total_timesteps=self.total_timesteps,
                episodes=self.record.episodes,
                recent_return=self.record.recent_return(),
                wall_time=self.record.wall_time(),
            )
        )

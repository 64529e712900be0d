"""The runner's SB3 callback: records episodes, evaluates, checkpoints, reports progress and
stops training at exactly ``total_timesteps``."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecEnv

from langreward.experiments.config import EvalConfig
from langreward.experiments.rundir import MetricsWriter, RunPaths, write_checkpoint_state

log = logging.getLogger(__name__)


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
    returns, lengths = evaluate_policy(
        model,
        env,
        n_eval_episodes=episodes,
        deterministic=deterministic,
        return_episode_rewards=True,
        warn=False,
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


class RunMonitorCallback(BaseCallback):
    """Writes ``metrics.jsonl`` rows and checkpoints while SB3 trains.

    Episode returns come from Monitor's ``info["episode"]``: the original reward, whatever
    shaping a method's wrapper (outside Monitor) adds.
    """

    def __init__(
        self,
        *,
        paths: RunPaths,
        metrics: MetricsWriter,
        eval_env: VecEnv,
        eval_config: EvalConfig,
        checkpoint_every: int,
        total_timesteps: int,
        off_policy: bool,
        method_summary: Callable[[], dict[str, Any]],
        save_method_state: Callable[[], None] = lambda: None,
        llm_state: Callable[[], dict[str, Any]] = dict,
        wall_offset: float = 0.0,
        episodes_done: int = 0,
        recent_returns: list[float] | None = None,
        progress: ProgressFn | None = None,
        clock_start: float | None = None,
        eval_policy: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(verbose=0)
        self.eval_policy = eval_policy
        self.paths = paths
        self.metrics = metrics
        self.eval_env = eval_env
        self.eval_config = eval_config
        self.checkpoint_every = checkpoint_every
        self.total_timesteps = total_timesteps
        self.off_policy = off_policy
        self.method_summary = method_summary
        self.save_method_state = save_method_state
        self.llm_state = llm_state
        self.wall_offset = wall_offset
        self.episodes = episodes_done
        self.recent = list(recent_returns or [])[-20:]
        self.progress = progress
        self._t0 = time.monotonic() if clock_start is None else clock_start
        self._next_eval = self._next_ckpt = self._next_progress = 0
        self._progress_every = 1
        self._last_ckpt_t = -1
        self._checkpoint_due = False
        self._last_stats_t = -1
        self.last_stats: dict[str, Any] = {}

    # -- helpers ----------------------------------------------------------------------------
    def wall_time(self) -> float:
        """Seconds of this run so far, earlier sessions included."""
        return self.wall_offset + time.monotonic() - self._t0

    @staticmethod
    def _next(done: int, every: int) -> int:
        return (done // every + 1) * every if every > 0 else -1

    def _init_callback(self) -> None:
        done = self.model.num_timesteps
        self._next_eval = self._next(done, self.eval_config.every)
        self._next_ckpt = self._next(done, self.checkpoint_every)
        self._progress_every = max(self.training_env.num_envs, self.total_timesteps // 200)
        self._next_progress = self._next(done, self._progress_every)
        self.report_progress()

    def report_progress(self) -> None:
        if self.progress is None:
            return
        self.progress(
            RunProgress(
                timesteps=int(self.model.num_timesteps),
                total_timesteps=self.total_timesteps,
                episodes=self.episodes,
                recent_return=float(np.mean(self.recent)) if self.recent else None,
                wall_time=self.wall_time(),
            )
        )

    # -- SB3 hooks ----------------------------------------------------------------------------
    def _on_step(self) -> bool:
        t = self.num_timesteps
        for i, info in enumerate(self.locals.get("infos") or ()):
            episode = info.get("episode") if isinstance(info, dict) else None
            if episode:
                self.episodes += 1
                self.recent = (self.recent + [float(episode["r"])])[-20:]
                self.metrics.write(
                    {
                        "type": "episode",
                        "timestep": t,
                        "return": float(episode["r"]),
                        "length": int(episode["l"]),
                        "wall_time": round(self.wall_time(), 3),
                        "env": i,
                    }
                )
        if 0 <= self._next_eval <= t:
            if t < self.total_timesteps:  # at the budget the final evaluation follows: one row
                self.run_eval()
            self._next_eval = self._next(t, self.eval_config.every)
        if 0 <= self._next_ckpt <= t:
            # not now: the model and the method's state do not agree yet. SB3's on-policy
            # algorithms train on this rollout after its end callbacks (a method relabels it
            # there), off-policy ones store this step's transition after this callback and
            # train after the rollout. At the next rollout's start all of that has happened,
            # so a resumed run continues exactly where the uninterrupted one would
            self._checkpoint_due = True
            self._next_ckpt = self._next(t, self.checkpoint_every)
        if 0 <= self._next_progress <= t:
            self.report_progress()
            self._next_progress = self._next(t, self._progress_every)
        return t < self.total_timesteps

    def _on_rollout_start(self) -> None:
        if self._checkpoint_due:
            self.save_checkpoint()

    # -- actions ------------------------------------------------------------------------------
    def run_eval(self, final: bool = False, episodes: int | None = None) -> dict[str, float]:
        """Evaluate now and write an ``eval`` row (and TensorBoard scalars)."""
        result = evaluate(
            self.model if self.eval_policy is None else self.eval_policy(self.model),
            self.eval_env,
            episodes or self.eval_config.episodes,
            self.eval_config.deterministic,
        )
        row = {"type": "eval", "timestep": int(self.model.num_timesteps), **result}
        if final:
            row["final"] = True
        self.metrics.write({**row, "wall_time": round(self.wall_time(), 3)})
        self.logger.record("eval/return_mean", result["return_mean"])
        self.logger.record("eval/return_std", result["return_std"])
        self.record_method_stats()
        self.logger.dump(self.model.num_timesteps)
        return result

    def record_method_stats(self) -> dict[str, Any]:
        """Write a ``method`` row with the method's summary and log its numbers to TensorBoard
        (once per timestep)."""
        if self._last_stats_t == self.model.num_timesteps:
            return self.last_stats
        try:
            stats = self.method_summary() or {}
        except Exception:  # a method's stats must never stop training
            log.exception("the method's summary() failed")
            return {}
        self.last_stats, self._last_stats_t = stats, self.model.num_timesteps
        self.metrics.write(
            {
                "type": "method",
                "timestep": int(self.model.num_timesteps),
                "wall_time": round(self.wall_time(), 3),
                "stats": stats,
            }
        )
        for key, value in flat_scalars(stats).items():
            name = key if key.startswith("llm/") else f"method/{key}"
            self.logger.record(name, value)
        return stats

    def save_checkpoint(self) -> None:
        """Save model (+ replay buffer) and the method's state, then ``state.json`` naming the
        metrics line count and the LLM counters (once per timestep)."""
        self._checkpoint_due = False
        if self._last_ckpt_t == self.model.num_timesteps:
            return
        self._last_ckpt_t = self.model.num_timesteps
        self.record_method_stats()
        self.paths.checkpoints.mkdir(parents=True, exist_ok=True)
        tmp_model = self.paths.checkpoints / "latest.tmp.zip"
        self.model.save(tmp_model)
        os.replace(tmp_model, self.paths.model)
        if self.off_policy:
            tmp_buffer = self.paths.checkpoints / "replay_buffer.tmp.pkl"
            self.model.save_replay_buffer(tmp_buffer)
            os.replace(tmp_buffer, self.paths.replay_buffer)
        self.save_method_state()
        write_checkpoint_state(
            self.paths,
            {
                "timesteps": int(self.model.num_timesteps),
                "metrics_lines": self.metrics.lines,
                "episodes": self.episodes,
                "recent_returns": self.recent,
                "wall_time": self.wall_time(),
                "llm": self.llm_state(),
            },
        )
        log.info("checkpoint at %d steps in %s", self.model.num_timesteps, self.paths.checkpoints)

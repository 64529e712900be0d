"""The short trial: train each candidate spec briefly, score it by the env's *own* return.

As Eureka does with reward programs (Ma et al. 2023), the environment picks among what the
model proposes. Each candidate trains the run's SB3 algorithm for ``steps`` steps on the
shaped env, in its own process (``workers`` at once, one torch thread each); its fitness is
the mean original return of the episodes that end in the trial's last ``window`` share.
Equal fitness goes to the candidate listed first (the likeliest, for the LLM's candidates).

Example:
    >>> job = TrialJob(spec_json, ["position", "velocity"], env_id="MountainCar-v0",
    ...                algo="dqn", steps=2000)  # doctest: +SKIP
    >>> run_trials([job], workers=1)[0].fitness  # doctest: +SKIP
    -200.0
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from langreward.spec_shaping.shaping import ShapingMode, VecPotentialShaping
from langreward.spec_shaping.spec import ShapingSpec


@dataclass(frozen=True)
class TrialJob:
    """Everything one candidate's trial needs (plain data: it crosses process boundaries)."""

    spec_json: str
    feature_names: Sequence[str]
    env_id: str
    algo: str
    steps: int
    seed: int = 0
    n_envs: int = 1
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    policy: str = "MlpPolicy"
    algo_kwargs: dict[str, Any] = field(default_factory=dict)
    scale: float = 50.0
    gamma: float = 0.99
    mode: ShapingMode = "potential"
    window: float = 0.5
    env_imports: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrialResult:
    """One candidate's trial: its fitness (``None``: no episode ended in the window)."""

    fitness: float | None
    episodes: int
    seconds: float
    error: str | None = None
    stderr: float | None = None  # of the fitness (None: fewer than 2 episodes in the window)


def run_trial(job: TrialJob) -> TrialResult:
    """Train one candidate for ``job.steps`` steps; never raises (an error is recorded)."""
    import stable_baselines3
    import torch
    from stable_baselines3.common.env_util import make_vec_env

    from langreward.plugin import prepare_env
    from langreward.rl.envs import import_env_modules

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # restored below: with workers=1 this is the run's own process
    start = time.monotonic()
    try:
        import_env_modules(job.env_imports, job.env_id)  # a spawned process registers anew
        prepare_env(job.env_id)
        spec = ShapingSpec.model_validate_json(job.spec_json)
        env = VecPotentialShaping(
            make_vec_env(job.env_id, n_envs=job.n_envs, seed=job.seed, env_kwargs=job.env_kwargs),
            spec.compile(job.feature_names, job.scale),
            job.gamma,
            job.mode,
        )
        cls = getattr(stable_baselines3, job.algo.upper())
        model = cls(job.policy, env, seed=job.seed, verbose=0, **job.algo_kwargs)
        ends: list[tuple[int, float]] = []
        model.learn(job.steps, callback=_EpisodeRecorder(ends))
        env.close()
    except Exception as exc:  # a trial that breaks scores nothing; the run goes on
        return TrialResult(None, 0, time.monotonic() - start, f"{type(exc).__name__}: {exc}")
    finally:
        torch.set_num_threads(threads)
    first = job.steps * (1.0 - job.window)
    window = [ret for step, ret in ends if step >= first]
    fitness = float(np.mean(window)) if window else None
    stderr = float(np.std(window, ddof=1) / np.sqrt(len(window))) if len(window) > 1 else None
    return TrialResult(fitness, len(ends), time.monotonic() - start, stderr=stderr)


class _EpisodeRecorder(BaseCallback):
    """Records (step, original return) of every episode ``Monitor`` reports."""

    def __init__(self, ends: list[tuple[int, float]]) -> None:
        super().__init__()
        self.ends = ends

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", ()):
            episode = info.get("episode")
            if episode is not None:
                self.ends.append((self.num_timesteps, float(episode["r"])))
        return True


def run_trials(
    jobs: Sequence[TrialJob],
    workers: int = 2,
    on_done: Callable[[int], None] | None = None,
) -> list[TrialResult]:
    """Every job's result, in order; ``workers`` processes at once (1: in this process)."""
    if workers <= 1 or len(jobs) <= 1:
        results = []
        for job in jobs:
            results.append(run_trial(job))
            if on_done:
                on_done(len(results))
        return results
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context) as pool:
        futures = [pool.submit(run_trial, job) for job in jobs]
        results = []
        for future in futures:
            try:
                results.append(future.result())
            except BrokenProcessPool as exc:  # a worker died (out of memory, a crash)
                results.append(TrialResult(None, 0, 0.0, f"the trial's process died: {exc}"))
            if on_done:
                on_done(len(results))
        return results


def pick(results: Sequence[TrialResult], select: str = "fittest") -> int:
    """The chosen candidate's index. ``fittest``: the best fitness, a tie (or no fitness at
    all) going to the earliest; ``one_se``: the earliest candidate whose fitness is within one
    standard error of the best's (the one-standard-error rule of model selection), so a
    difference the trial cannot tell from noise keeps the order the candidates came in (the
    LLM's: likeliest first).

    Example:
        >>> results = [TrialResult(-7.0, 3, 1.0, stderr=4.0), TrialResult(-6.0, 3, 1.0, stderr=3.0),
        ...            TrialResult(-150.0, 6, 1.0), TrialResult(None, 0, 1.0)]
        >>> pick(results), pick(results, "one_se")
        (1, 0)
        >>> pick([TrialResult(-200.0, 9, 1.0, stderr=0.0), TrialResult(-130.0, 9, 1.0, stderr=5.0)],
        ...      "one_se")
        1
    """
    scores = [r.fitness if r.fitness is not None else -np.inf for r in results]
    best = int(np.argmax(scores))
    if select == "fittest" or not np.isfinite(scores[best]):
        return best
    bar = scores[best] - (results[best].stderr or 0.0)
    return next(i for i, score in enumerate(scores) if score >= bar)

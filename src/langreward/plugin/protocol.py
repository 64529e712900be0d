"""The method protocol: what a method plug-in is, and what its build step hands the runner.

A :class:`Method` is a name, a pydantic settings class (its config section, ``extra="forbid"``)
and ``build(settings, context)``. ``build`` returns one of:

- an :class:`OnlineSetup`: the pieces of one SB3 training run (env wrappers applied, extra
  algorithm kwargs such as a replay-buffer class, callbacks, optionally its own SB3-compatible
  algorithm class). The runner builds the algorithm, trains, evaluates on ``eval_env`` with the
  *original* reward, checkpoints the model together with ``state_dict()`` and, on resume, calls
  ``load_state_dict`` before training continues.
- an :class:`OfflinePipeline`: named :class:`Stage` s that write artefacts into the run directory
  (a finished stage is skipped when the run resumes), then ``evaluate``.

Example (a complete method; register it with :func:`langreward.plugin.register`):
    >>> from pydantic import BaseModel, ConfigDict
    >>> class PlainSettings(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    >>> def build(settings: PlainSettings, context: RunContext) -> OnlineSetup:
    ...     return OnlineSetup(context.make_vec_env(), context.make_vec_env(evaluation=True))
    >>> method = Method("plain", PlainSettings, build, description="no shaping")
    >>> method.name
    'plain'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
from pydantic import BaseModel
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecEnv

from langreward.plugin.envs import prepare_env
from langreward.plugin.run_llm import RunLLM

EVAL_SEED_OFFSET = 10_000
StageProgress = Callable[[int, int, str], None]  # done, total, unit ("goals", "episodes")


@dataclass
class RunContext:
    """What every method receives from the runner.

    ``llm`` is the run's :class:`RunLLM`: call ``context.llm.get()`` for the LLM (built on the
    first call; a method that never calls it costs no LLM). The runner exports its transcript,
    closes it and reports its cost. ``ray_address`` is a Ray cluster the method may spread
    independent work on (``langreward run --ray``; ``"local"``: a single-machine Ray; ``None``:
    everything in this process). ``progress(done, total, unit)`` says how far the running
    stage of an offline pipeline (or its evaluation) has got, e.g. ``progress(3, 8, "goals")``;
    the CLI shows it beside the stage's name. ``policy`` and ``algo_kwargs`` are the config's
    (prepared as the runner passes them to the algorithm), for a method that trains
    short side runs of the same algorithm (spec shaping's trial); ``env_imports`` the modules
    that register the env (``env.imports``), for such runs in other processes.
    """

    env_id: str
    algo: str | None  # "ppo", "dqn", "a2c", "sac", "td3"; None for offline methods
    seed: int
    n_envs: int
    total_timesteps: int
    run_dir: Path
    llm: RunLLM = field(default_factory=lambda: RunLLM("embedded"))
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    ray_address: str | None = None
    progress: StageProgress = field(default=lambda done, total, unit: None)
    policy: str = "MlpPolicy"
    algo_kwargs: dict[str, Any] = field(default_factory=dict)
    env_imports: tuple[str, ...] = ()

    @property
    def eval_seed(self) -> int:
        """The seed of the evaluation env (far from the training seeds)."""
        return self.seed + EVAL_SEED_OFFSET

    def make_env(self) -> gym.Env:
        """One env of this run, made with the config's kwargs (``gymnasium.make``), e.g. to
        read its spaces. The env is prepared first (:func:`langreward.plugin.envs.prepare_env`),
        so a method built without the runner finds its env too. Close it after use."""
        prepare_env(self.env_id)
        return gym.make(self.env_id, **self.env_kwargs)

    def make_vec_env(
        self, wrapper_class: Callable[[gym.Env], gym.Env] | None = None, *, evaluation: bool = False
    ) -> VecEnv:
        """SB3's ``make_vec_env`` for this run: the ``n_envs`` training envs, or with
        ``evaluation`` the one evaluation env (seeded apart). ``Monitor`` is innermost, so
        episode returns are original-reward returns whatever ``wrapper_class`` does."""
        prepare_env(self.env_id)
        return make_vec_env(
            self.env_id,
            n_envs=1 if evaluation else self.n_envs,
            seed=self.eval_seed if evaluation else self.seed,
            env_kwargs=self.env_kwargs,
            wrapper_class=wrapper_class,
        )


def _no_state() -> dict[str, Any]:
    return {}


def _ignore_state(state: dict[str, Any]) -> None:
    return None


@dataclass
class OnlineSetup:
    """The pieces of one online SB3 run, built by a method.

    Attributes:
        env: the training VecEnv (the method's wrappers outside ``Monitor``, so episode
            returns stay original-reward returns).
        eval_env: the evaluation VecEnv (original reward).
        model_kwargs: extra keyword arguments of the algorithm (e.g. ``replay_buffer_class``);
            they override the config's ``algo_kwargs``.
        callbacks: SB3 callbacks added to the runner's.
        algorithm: the method's own SB3-compatible algorithm class (``None``: the config's
            ``algo``); it must support ``learn``, ``save``, ``load`` and ``predict``.
        eval_policy: wraps the model into what acts on ``eval_env`` (anything with SB3's
            ``predict``), e.g. one shared policy acting for every agent of a team env
            (``None``: the model itself).
        summary: the method's metrics for ``summary.json`` and ``metrics.jsonl``.
        state_dict: the method's own state (counters, random state, learned parts), saved
            with every checkpoint (pickled with ``torch.save``).
        load_state_dict: restores that state when a run resumes, before training continues.
        close: called once at the end (success or failure).
    """

    env: VecEnv
    eval_env: VecEnv
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    callbacks: list[BaseCallback] = field(default_factory=list)
    algorithm: type[BaseAlgorithm] | None = None
    eval_policy: Callable[[BaseAlgorithm], Any] | None = None
    summary: Callable[[], dict[str, Any]] = dict
    state_dict: Callable[[], dict[str, Any]] = _no_state
    load_state_dict: Callable[[dict[str, Any]], None] = _ignore_state
    close: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class Stage:
    """One step of an offline pipeline.

    ``run(run_dir)`` writes ``outputs`` (paths relative to the run directory). The runner
    records a stage as done once ``run`` returned and every output exists; a resumed run skips
    done stages and starts at the first unfinished one.
    """

    name: str
    run: Callable[[Path], None]
    outputs: tuple[str, ...] = ()


@dataclass
class OfflinePipeline:
    """Named stages run in order, then an evaluation of the result.

    Attributes:
        stages: the stages, in order.
        evaluate: ``evaluate(episodes, deterministic)`` -> at least ``return_mean``,
            ``return_std``, ``length_mean`` and ``episodes`` on the original reward.
        summary: the method's metrics for ``summary.json``.
        close: called once at the end.
    """

    stages: Sequence[Stage]
    evaluate: Callable[[int, bool], dict[str, float]]
    summary: Callable[[], dict[str, Any]] = dict
    close: Callable[[], None] = lambda: None


Build = Callable[[Any, RunContext], OnlineSetup | OfflinePipeline]


@dataclass(frozen=True)
class PreflightInfo:
    """What a method's ``preflight`` checks, when a config is loaded for a run: before any LLM
    call and before a run directory exists.

    ``env`` is the config's env, made once with the user's ``env.kwargs`` (``gymnasium.make``)
    and reset once; the runner closes it afterwards (read its spaces and attributes, do not
    keep it). ``algo_kwargs`` are the config's as written (SB3's defaults not filled in).
    """

    env_id: str
    env: gym.Env
    env_kwargs: dict[str, Any]
    algo: str | None
    algo_kwargs: dict[str, Any]
    n_envs: int
    total_timesteps: int


Preflight = Callable[[Any, PreflightInfo], list[str]]


class MethodError(RuntimeError):
    """A method cannot go on for a reason the user can act on (the message says how): the
    runner records the run as failed and the CLI prints the message as one line."""


@dataclass(frozen=True)
class Method:
    """A method plug-in.

    Attributes:
        name: what ``method:`` names in a config; also the name of its settings section.
        settings: a pydantic model of the settings section (use ``extra="forbid"`` so that a
            typo fails when the config is loaded).
        build: ``build(settings, context)`` -> :class:`OnlineSetup` or :class:`OfflinePipeline`.
        description: one line for ``langreward methods``.
        algos: the SB3 algorithms the method works with (``None``: any).
        online: ``False`` for offline pipelines (the config's ``algo`` is then optional).
        explain: ``explain(env, settings)`` -> what the method would tell its LLM about this
            env, for ``langreward describe`` (``None``: nothing env-specific).
        preflight: ``preflight(settings, info)`` -> the method's rules that depend on the env
            or the algorithm's settings (a :class:`PreflightInfo`), one line per problem that
            names the config field (``"algo_kwargs.n_steps: ..."``); checked before any LLM
            call, so a run that cannot work fails before it costs anything (``None``: none).
        env_families: registers the env families that live in the method's package (their
            :class:`~langreward.families.EnvFamily` and Gymnasium ids, e.g. TEDUO's levels);
            idempotent. The runner calls it before validating the env id and before ``build``
            (:func:`~langreward.plugin.envs.prepare_env`), so no lower layer names the method
            (``None``: the method brings no env of its own).
    """

    name: str
    settings: type[BaseModel]
    build: Build
    description: str = ""
    algos: frozenset[str] | None = None
    online: bool = True
    explain: Callable[[Any, Any], str] | None = None
    preflight: Preflight | None = None
    env_families: Callable[[], None] | None = None

    def problems(self, algo: str | None) -> list[str]:
        """Problems of a config's ``algo`` for this method (one line each)."""
        if self.online and algo is None:
            return [f"algo: method {self.name!r} trains an SB3 algorithm; give algo"]
        if self.algos is not None and algo is not None and algo not in self.algos:
            return [
                f"algo: method {self.name!r} works with {', '.join(sorted(self.algos))}; "
                f"got {algo!r}"
            ]
        return []

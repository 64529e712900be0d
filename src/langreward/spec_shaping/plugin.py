"""The spec-shaping plug-in: candidates -> short trial -> the fittest spec shapes the run.

``build`` (1) reads the env's named features, (2) gets candidate specs from the source
(the LLM's likeliest slot fillings, random fillings, a hand-written spec or a saved file),
(3) sets each feature's range from random play and drops candidates whose potential is NaN,
infinite or constant there, (4) trains each remaining candidate briefly and keeps the one with
the best original return, then (5) wraps the training env in
:class:`~langreward.spec_shaping.VecPotentialShaping`. The chosen spec and the trial's table are
saved as ``spec.json`` and ``trials.json``; a resumed run reads them back and asks nothing.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import stable_baselines3
from stable_baselines3.common.callbacks import BaseCallback

from langreward.llm import make_llm
from langreward.plugin import Method, MethodError, OnlineSetup, PreflightInfo, RunContext
from langreward.spec_shaping.config import SpecShapingSettings
from langreward.spec_shaping.features import (
    EnvFeatures,
    env_features,
    feature_ranges,
    sample_states,
)
from langreward.spec_shaping.shaping import VecPotentialShaping
from langreward.spec_shaping.spec import ShapingSpec, SpecError, check_potential
from langreward.spec_shaping.translate import (
    Candidate,
    Translation,
    check_instruction,
    json_candidates,
    random_candidates,
    slot_candidates,
    slot_question,
    spec_template,
)
from langreward.spec_shaping.trial import TrialJob, TrialResult, pick, run_trials

log = logging.getLogger(__name__)
SPEC_FILE = "spec.json"
TRIALS_FILE = "trials.json"


def algorithm_gamma(algo: str | None, algo_kwargs: dict[str, Any]) -> float:
    """The discount the algorithm trains with: the config's, else SB3's default."""
    if "gamma" in algo_kwargs:
        return float(algo_kwargs["gamma"])
    if algo:
        parameter = inspect.signature(getattr(stable_baselines3, algo.upper())).parameters
        if "gamma" in parameter:
            return float(parameter["gamma"].default)
    return 0.99


def given_spec(settings: SpecShapingSettings) -> ShapingSpec | None:
    """The spec the user gave (``source: hand`` or ``file``); ``None`` for other sources."""
    if settings.source == "hand":
        return settings.spec
    if settings.source == "file":
        assert settings.path is not None
        try:
            return ShapingSpec.load(settings.path)
        except SpecError as exc:
            raise MethodError(f"spec_shaping.path: {exc}") from None
    return None


def candidates_for(
    settings: SpecShapingSettings, features: EnvFeatures, context: RunContext
) -> Translation:
    """The candidate specs the settings ask for, likeliest first."""
    instruction = settings.instruction or features.task
    spec = given_spec(settings)
    if spec is not None:
        return Translation([Candidate(spec, 1.0, settings.source)])
    if settings.source == "random":
        return Translation(random_candidates(features, settings.candidates, context.seed))
    llm = context.llm.get(settings.llm)
    if settings.instruction and settings.check_instruction:
        check_instruction(llm, features, settings.instruction)
    if settings.translator == "json":
        return json_candidates(
            llm, features, instruction, settings.candidates, settings.repair_rounds
        )
    return slot_candidates(llm, features, instruction, settings.candidates)


def usable(
    candidates: list[Candidate],
    features: EnvFeatures,
    states: np.ndarray,
    scale: float,
) -> tuple[list[Candidate], list[str]]:
    """The candidates that compile and whose potential varies and stays finite on ``states``
    (ranges filled from them where the spec has none), and one line per dropped one."""
    ranges = feature_ranges(features, states)
    kept, dropped = [], []
    for k, candidate in enumerate(candidates):
        spec = candidate.spec.model_copy(update={"ranges": {**ranges, **candidate.spec.ranges}})
        try:
            problems = check_potential(spec.compile(features.names, scale), states)
        except SpecError as exc:
            problems = [str(exc)]
        if problems:
            dropped.append(f"candidate {k + 1} ({spec.describe()}): {'; '.join(problems)}")
        else:
            kept.append(Candidate(spec, candidate.prior, candidate.origin))
    return kept, dropped


class ShapingLogCallback(BaseCallback):
    """Logs the mean added term per step (``reward/shaping_mean``, ``reward/shaping_abs_mean``)
    at each rollout end."""

    def __init__(self, env: VecPotentialShaping) -> None:
        super().__init__()
        self.shaped = env

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        for key, value in self.shaped.pop_stats().items():
            self.logger.record(f"reward/{key}", value)


def _select(
    settings: SpecShapingSettings,
    candidates: list[Candidate],
    features: EnvFeatures,
    context: RunContext,
    gamma: float,
) -> tuple[int, list[TrialResult]]:
    if len(candidates) == 1 or settings.trial.steps == 0:
        return 0, []
    jobs = [
        TrialJob(
            spec_json=c.spec.model_dump_json(),
            feature_names=features.names,
            env_id=context.env_id,
            algo=context.algo or "",
            steps=settings.trial.steps,
            seed=context.seed,
            n_envs=context.n_envs,
            env_kwargs=dict(context.env_kwargs),
            policy=context.policy,
            algo_kwargs=dict(context.algo_kwargs),
            scale=settings.scale,
            gamma=gamma,
            mode=settings.mode,
            window=settings.trial.window,
            env_imports=context.env_imports,
        )
        for c in candidates
    ]
    context.progress(0, len(jobs), "candidates")
    results = run_trials(
        jobs,
        settings.trial.workers,
        on_done=lambda done: context.progress(done, len(jobs), "candidates"),
    )
    return pick(results, settings.trial.select), results


def _choose_spec(
    settings: SpecShapingSettings,
    features: EnvFeatures,
    states: np.ndarray,
    context: RunContext,
    gamma: float,
) -> dict[str, Any]:
    """Candidates, checks and trial; returns what ``trials.json`` records."""
    start = time.monotonic()
    translation = candidates_for(settings, features, context)
    llm_seconds = time.monotonic() - start
    candidates, dropped = usable(translation.candidates, features, states, settings.scale)
    if not candidates:
        raise MethodError(
            "no candidate spec gives a usable potential on sampled states: "
            + " | ".join(dropped)
            + "; give other features or the spec yourself (spec_shaping.source: hand)"
        )
    winner, results = _select(settings, candidates, features, context, gamma)
    trial_steps = settings.trial.steps * len(results)
    return {
        "source": settings.source,
        "translator": settings.translator if settings.source == "llm" else None,
        "description": translation.description,
        "slots": translation.slots,
        "dropped": dropped,
        "winner": winner,
        "translation_seconds": round(llm_seconds, 3),
        "trial_steps": trial_steps,
        "trial_seconds": round(sum(r.seconds for r in results), 3),
        "candidates": [
            {
                "spec": c.spec.model_dump(mode="json"),
                "words": c.spec.describe(),
                "prior": round(c.prior, 6),
                "origin": c.origin,
                "fitness": results[k].fitness if results else None,
                "fitness_stderr": results[k].stderr if results else None,
                "episodes": results[k].episodes if results else None,
                "error": results[k].error if results else None,
            }
            for k, c in enumerate(candidates)
        ],
    }


def _saved_spec(path: Path, features: EnvFeatures) -> ShapingSpec:
    """The run's own ``spec.json`` (perhaps edited by hand), checked against the features."""
    try:
        spec = ShapingSpec.load(path)
        spec.compile(features.names)
    except SpecError as exc:
        raise MethodError(f"{exc}; fix it, or delete it and trials.json to choose again") from None
    return spec


def build(settings: SpecShapingSettings, context: RunContext) -> OnlineSetup:
    """Build one spec-shaping run (see the module docstring for the steps).

    Example:
        >>> from pathlib import Path
        >>> spec = ShapingSpec.model_validate({"terms": [
        ...     {"feature": "velocity of the car (v)", "kind": "magnitude"}]})
        >>> ctx = RunContext("MountainCar-v0", "dqn", 0, 1, 1000, Path("/tmp/spec-run"))
        >>> setup = build(SpecShapingSettings(source="hand", spec=spec), ctx)
        >>> setup.summary()["spec"]
        'the size of velocity of the car (v) should grow (weight 1) ; the episode ends early on success'
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = context.make_env()
    gamma = settings.gamma or algorithm_gamma(context.algo, context.algo_kwargs)
    spec_path, trials_path = context.run_dir / SPEC_FILE, context.run_dir / TRIALS_FILE
    resumed = spec_path.is_file() and trials_path.is_file()  # the spec was chosen before
    try:
        features = env_features(probe, settings.feature_names, settings.instruction)
        states = None if resumed else sample_states(probe, settings.sample_steps)
    finally:
        probe.close()
    if states is None:
        record = json.loads(trials_path.read_text(encoding="utf-8"))
        spec = _saved_spec(spec_path, features)
        log.info("resuming with the spec chosen before (%s)", spec_path)
    else:
        record = _choose_spec(settings, features, states, context, gamma)
        spec = ShapingSpec.model_validate(record["candidates"][record["winner"]]["spec"])
        context.run_dir.mkdir(parents=True, exist_ok=True)
        trials_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        spec.save(spec_path)
    potential = spec.compile(features.names, settings.scale)
    env = VecPotentialShaping(context.make_vec_env(), potential, gamma, settings.mode)
    eval_env = context.make_vec_env(evaluation=True)
    log.info("spec shaping with: %s", spec.describe())

    def summary() -> dict[str, Any]:
        return {
            "spec": spec.describe(),
            "spec_source": record["source"],
            "candidates": len(record["candidates"]),
            "winner": record["winner"] + 1,
            "trial_steps": record["trial_steps"],
            "trial_seconds": record["trial_seconds"],
            "translation_seconds": record["translation_seconds"],
            "fitness": [c["fitness"] for c in record["candidates"]],
            "shaping": f"{settings.mode} (scale {settings.scale:g}, gamma {gamma:g})",
        }

    return OnlineSetup(
        env=env,
        eval_env=eval_env,
        callbacks=[ShapingLogCallback(env)],
        summary=summary,
    )


def preflight(settings: SpecShapingSettings, info: PreflightInfo) -> list[str]:
    """Before any LLM call: the env's features can be named, and a hand-written or saved spec
    names only those features."""
    try:
        features = env_features(info.env, settings.feature_names, settings.instruction)
        spec = given_spec(settings)
        unknown = spec.unknown_features(features.names) if spec is not None else []
        if unknown:
            raise MethodError(
                f"spec_shaping.spec names unknown feature(s) {unknown}; the env's features "
                "are: " + ", ".join(repr(n) for n in features.names)
            )
    except MethodError as exc:
        return [str(exc)]
    return []


def explain(env: gym.Env, settings: SpecShapingSettings) -> str:
    """The features a spec may name, the template the LLM fills and one slot's question; with
    ``settings.llm`` set (``langreward describe ENV -m spec_shaping --llm SPEC``), also that
    LLM's slot probabilities and its ``candidates`` likeliest specs."""
    features = env_features(env, settings.feature_names, settings.instruction)
    instruction = settings.instruction or features.task
    template = spec_template(features)
    question = slot_question(features, instruction)(template.splitlines()[2])
    lines = [
        f"Features ({len(features.names)}): " + "; ".join(features.names),
        "Template, filled slot by slot (each option's probability read from the model, "
        "averaged over option orders):",
        template,
        "One slot's question:",
        question,
    ]
    if settings.llm:
        llm = make_llm(settings.llm)
        try:
            translation = slot_candidates(llm, features, instruction, settings.candidates)
        finally:
            llm.close()
        lines.append(f"\n{settings.llm} fills the slots with (probability of each option):")
        lines += [f"  {slot['line']}  {slot['probs']}" for slot in translation.slots]
        lines.append(f"Its {len(translation.candidates)} likeliest specs (the trial's candidates):")
        lines += [
            f"  {k + 1}. ({c.prior:.3f}) {c.spec.describe()}"
            for k, c in enumerate(translation.candidates)
        ]
    return "\n".join(lines)


METHOD = Method(
    name="spec_shaping",
    settings=SpecShapingSettings,
    build=build,
    description="LLM fills a reward spec over named features; a short trial picks among "
    "candidates; potential-based shaping",
    algos=frozenset({"ppo", "a2c", "dqn", "sac", "td3"}),
    explain=explain,
    preflight=preflight,
)

"""The LMGT plug-in: one LMGT training run for the experiment runner.

See :mod:`langreward.plugin` for the contract. The training env is ``make_vec_env``'s
VecEnv (a ``Monitor`` inside each sub-env records the *original* rewards) wrapped in
:class:`~langreward.lmgt.VecRewardShift`; the evaluation env is unshaped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym

from langreward.envdocs import component_count
from langreward.llm import LLM
from langreward.lmgt.callbacks import LMGTLogCallback
from langreward.lmgt.config import LMGTConfigError, LMGTSettings
from langreward.lmgt.context import JudgeContextWrapper
from langreward.lmgt.examples import reference_examples
from langreward.lmgt.judge import Judge
from langreward.lmgt.keys import PairKey, TextKey, default_key
from langreward.lmgt.llm_judge import LLMJudge
from langreward.lmgt.reference import ReferencePolicy, reference_for
from langreward.lmgt.reference_judge import ConstantJudge, NoisyReferenceJudge, ReferenceJudge
from langreward.lmgt.wrappers import VecRewardShift
from langreward.plugin import Method, OnlineSetup, RunContext
from langreward.rl.envs import image_observations
from langreward.text import Describer, describer_for

logger = logging.getLogger(__name__)
EnvWrapper = Callable[[gym.Env], gym.Env]


def env_wrappers(
    env_id: str, reference: ReferencePolicy | None
) -> tuple[EnvWrapper | None, EnvWrapper | None]:
    """(training wrapper, evaluation wrapper) applied over each sub-env's ``Monitor``.

    MiniGrid/BabyAI: the mission (and the BabyAI bot's action, when ``reference`` is given)
    go into ``info`` through :class:`~langreward.lmgt.context.JudgeContextWrapper`, then only the
    image is kept, which SB3 accepts. Other envs need no wrapper.
    """
    images = image_observations(env_id)
    if images is None:
        return None, None

    def train(env: gym.Env) -> gym.Env:
        return images(JudgeContextWrapper(env, reference))

    return train, images


def build_judge(
    settings: LMGTSettings,
    *,
    env: gym.Env,
    describer: Describer,
    reference: ReferencePolicy | None,
    key: PairKey,
    llm: LLM | None,
    seed: int,
) -> Judge:
    """The judge the settings ask for (``judge: none`` has no judge: do not call this)."""
    env_name = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    if settings.judge in ("oracle", "noisy") and reference is None:
        raise LMGTConfigError(
            f"lmgt.judge: {settings.judge!r} needs a reference policy, and {env_name} has none "
            "(references exist for CartPole, MountainCar, MountainCarContinuous, Pendulum, "
            "Blackjack and BabyAI); use judge: llm"
        )
    if settings.judge == "oracle":
        assert reference is not None
        return ReferenceJudge(reference)
    if settings.judge == "noisy":
        assert reference is not None
        return NoisyReferenceJudge(reference, settings.accuracy, seed=seed, key=key)
    if settings.judge == "constant":
        return ConstantJudge(settings.constant, reference)
    assert llm is not None
    examples: Sequence[tuple[str, str]] = settings.examples
    if settings.strategy == "few_shot" and not examples:
        if reference is None:
            raise LMGTConfigError(
                f"lmgt.examples: few_shot on {env_name} needs examples (no reference policy "
                "to draw them from): give lmgt.examples as [item text, good|neutral|bad] pairs"
            )
        examples = reference_examples(
            env, describer, reference, count=settings.few_shot_count, seed=seed
        )
    return LLMJudge(llm, describer, settings, key=key, examples=examples, reference=reference)


def _build_key(settings: LMGTSettings, env: gym.Env, describer: Describer) -> PairKey:
    if settings.key.kind == "text":
        return TextKey(describer)
    try:
        return default_key(
            env,
            bins=settings.key.bins,
            low=settings.key.low,
            high=settings.key.high,
            action_bins=settings.key.action_bins,
        )
    except ValueError as exc:
        raise LMGTConfigError(f"lmgt.key: {exc}") from None


def make_describer(settings: LMGTSettings, env: gym.Env) -> Describer:
    """The describer of the judge's prompts: the env family's own, else one from the env's
    docs, with ``lmgt.describer`` replacing any part."""
    options: dict[str, Any] = {"grid": True} if settings.describer.grid else {}
    return describer_for(
        env,
        feature_names=settings.describer.feature_names,
        action_names=settings.describer.action_names,
        task=settings.describer.task,
        **options,
    )


def describer_gaps(describer: Describer, env: gym.Env) -> list[str]:
    """The ``lmgt.describer`` fields that would replace generic words, with their sizes."""
    missing = getattr(describer, "missing", ())
    sizes = {
        "task": "",
        "feature_names": f" ({component_count(env.observation_space)} names)",
        "action_names": f" ({action_count(env.action_space)} names)",
    }
    return [f"lmgt.describer.{name}{sizes[name]}" for name in missing]


def action_count(space: gym.Space[Any]) -> int | None:
    """Actions of a Discrete space, else its components."""
    return int(space.n) if isinstance(space, gym.spaces.Discrete) else component_count(space)


def explain(env: gym.Env, settings: LMGTSettings) -> str:
    """What the LLM judge is told about ``env``: the task and one judged pair."""
    describer = make_describer(settings, env)
    obs, info = env.reset(seed=0)
    env.action_space.seed(0)
    pair = describer.describe(obs, env.action_space.sample(), info)
    lines = [f"Task: {describer.task}", f"A judged pair: {_shorten(pair, 1500)}"]
    gaps = describer_gaps(describer, env)
    if gaps:
        lines.append("Generic words where the docs name nothing; give: " + ", ".join(gaps))
    return "\n".join(lines)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def build(settings: LMGTSettings, context: RunContext) -> OnlineSetup:
    """Build the LMGT training setup of one run.

    Args:
        settings: the validated ``lmgt:`` section of the config.
        context: what the runner provides (env, algo, seed, the run's LLM, run directory).

    Returns:
        The shaped training VecEnv, an unshaped evaluation VecEnv, a logging callback
        (``llm/``, ``reward/``), ``summary()`` -> ``{"judge": {...}}`` and the shifter's state
        (budget and schedule counters, random state, the judge's memory and counters) for
        checkpoints. The LLM is asked for only with ``judge: llm``.

    Example:
        >>> from pathlib import Path
        >>> ctx = RunContext("CartPole-v1", "ppo", seed=0, n_envs=2, total_timesteps=1000,
        ...                  run_dir=Path("/tmp/run"))
        >>> setup = build(LMGTSettings(judge="oracle", scale=0.2), ctx)
        >>> setup.summary()["judge"]["name"]
        'oracle'
    """
    probe = context.make_env()
    reference = reference_for(probe)
    # without a judge, the BabyAI bot would plan every step for nothing
    train_wrapper, eval_wrapper = env_wrappers(
        context.env_id, reference if settings.judge != "none" else None
    )
    wrapped_probe = train_wrapper(probe) if train_wrapper is not None else probe
    describer = make_describer(settings, probe)
    gaps = describer_gaps(describer, probe)
    if gaps and settings.judge == "llm":
        logger.warning(
            "%s: the LLM judge gets generic words (x[0], action 0) for what the env's docs do "
            "not name; give %s (see `langreward describe %s`)",
            context.env_id,
            ", ".join(gaps),
            context.env_id,
        )
    key = _build_key(settings, wrapped_probe, describer)

    venv = context.make_vec_env(train_wrapper)
    eval_env = context.make_vec_env(eval_wrapper, evaluation=True)
    if settings.judge == "none":
        wrapped_probe.close()
        return OnlineSetup(env=venv, eval_env=eval_env, summary=lambda: {"judge": {"name": "none"}})

    llm = context.llm.get() if settings.judge == "llm" else None
    judge = build_judge(
        settings,
        env=wrapped_probe,
        describer=describer,
        reference=reference,
        key=key,
        llm=llm,
        seed=context.seed,
    )
    wrapped_probe.close()
    env = VecRewardShift(
        venv,
        judge,
        scale=settings.scale_schedule_for(context.total_timesteps),
        budget=settings.budget.build(context.total_timesteps, seed=context.seed),
        key=key,
    )

    def close() -> None:
        if isinstance(judge, LLMJudge):
            judge.close()

    def summary() -> dict[str, Any]:
        calibration = judge.calibration_summary() if isinstance(judge, LLMJudge) else None
        return {"judge": {**env.shifter.summary(), "calibration": calibration}}

    return OnlineSetup(
        env=env,
        eval_env=eval_env,
        callbacks=[LMGTLogCallback(env.shifter, llm)],
        summary=summary,
        state_dict=env.shifter.state_dict,
        load_state_dict=env.shifter.load_state_dict,
        close=close,
    )


METHOD = Method(
    name="lmgt",
    settings=LMGTSettings,
    build=build,
    description="LLM-guided reward shifting: a judge scores each (state, action) +1/0/-1",
    explain=explain,
)

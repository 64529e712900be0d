"""LaRe as an experiment-runner method: ``build_setup(settings, context)``.

The training env pays its return only at the end of each episode (episodic reward); SB3's SAC
or TD3 learns from rewards relabelled by the chosen variant when the replay buffer samples. The
evaluation env and the learning curves use the env's original dense reward (Monitor sits inside
the episodic wrapper), so every variant is scored on the same scale.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from stable_baselines3.common.env_util import make_vec_env

from langreward.lare.config import LaReSettings
from langreward.lare.reward import DecoderTrainingCallback, ProxyReward, raw_features
from langreward.rl.episodic import EpisodicRewardWrapper
from langreward.rl.relabel import RelabelingReplayBuffer
from langreward.rl.training import RunContext, TrainingSetup

OFF_POLICY = ("sac", "td3")
EVAL_SEED_OFFSET = 10_000


def parse_settings(method_settings: dict[str, Any]) -> LaReSettings:
    try:
        return LaReSettings.model_validate(method_settings)
    except ValidationError as exc:
        errors = "; ".join(f"lare.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(errors) from None


def build_setup(method_settings: dict[str, Any], context: RunContext) -> TrainingSetup:
    """Envs, replay buffer and decoder callback of one LaRe (or baseline variant) run.

    Example:
        >>> setup = build_setup({"variant": "rrd"}, context)  # doctest: +SKIP
    """
    settings = parse_settings(method_settings)
    if context.algo not in OFF_POLICY:
        raise ValueError(
            f"lare relabels rewards in the replay buffer, so it needs an off-policy algorithm "
            f"({', '.join(OFF_POLICY)}); got algo {context.algo!r}"
        )
    dense = settings.variant == "dense"
    env = make_vec_env(
        context.env_id,
        n_envs=context.n_envs,
        seed=context.seed,
        env_kwargs=context.env_kwargs,
        wrapper_class=None if dense else EpisodicRewardWrapper,
    )
    eval_env = make_vec_env(
        context.env_id,
        n_envs=1,
        seed=context.seed + EVAL_SEED_OFFSET,
        env_kwargs=context.env_kwargs,
    )
    summary: dict[str, Any] = {
        "variant": settings.variant,
        "reward": "dense" if dense else "episodic",
    }
    if dense:
        return TrainingSetup(env=env, eval_env=eval_env, summary=lambda: summary)

    proxy: ProxyReward | None = None
    extra_metrics = None
    if settings.variant in ("rd", "rrd"):
        decoder = settings.decoder.model_copy(update={"loss": settings.variant})
        proxy = ProxyReward(raw_features, decoder, seed=context.seed)
    elif settings.variant == "lare":
        from langreward.lare.encoder import load_encoder

        encoder = load_encoder(settings, context)
        proxy = ProxyReward(encoder.features, settings.decoder, seed=context.seed)
        extra_metrics = encoder.failure_metrics
        summary["encoder"] = encoder.summary()
    callback = DecoderTrainingCallback(
        proxy, settings.decoder, extra_metrics=extra_metrics, seed=context.seed
    )

    def run_summary() -> dict[str, Any]:
        result = dict(summary)
        if proxy is not None:
            result["decoder_updates"] = proxy.updates
            result["decoder_loss"] = callback.last_loss
            result["decoder"] = (
                "linear, exact" if proxy.exact else f"mlp {settings.decoder.hidden}, adam"
            )
        result["proxy_corr"] = callback.last_correlation
        if extra_metrics is not None:
            result["encoder_failures"] = extra_metrics()
        return result

    return TrainingSetup(
        env=env,
        eval_env=eval_env,
        model_kwargs={"replay_buffer_class": RelabelingReplayBuffer},
        callbacks=[callback],
        summary=run_summary,
    )

"""The LaRe plug-in: ``build(settings, context)`` for the experiment runner.

The training env pays its return only at the end of each episode (episodic reward); SB3's SAC
or TD3 learns from rewards relabelled by the chosen variant when the replay buffer samples. The
evaluation env and the learning curves use the env's original dense reward (Monitor sits inside
the episodic wrapper), so every variant is scored on the same scale.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from langreward.lare.config import LaReSettings
from langreward.lare.forms import FormError
from langreward.lare.reward import DecoderTrainingCallback, ProxyReward, raw_features
from langreward.plugin import Method, OnlineSetup, RunContext
from langreward.rl.episodic import EpisodicRewardWrapper
from langreward.rl.relabel import RelabelingReplayBuffer

OFF_POLICY = frozenset({"sac", "td3"})


def build(settings: LaReSettings, context: RunContext) -> OnlineSetup:
    """Envs, replay buffer and decoder callback of one LaRe (or baseline variant) run.

    The decoder, its optimiser and the sampler's random state are the method's state: saved
    with every checkpoint and restored on resume. The LLM is asked for only to write the
    encoder (``variant: lare`` with ``encoder.source: llm``, once per run).

    Example:
        >>> from pathlib import Path
        >>> ctx = RunContext("Pendulum-v1", "sac", 0, 1, 1000, Path("/tmp/lare-doc"))
        >>> setup = build(LaReSettings(variant="rrd"), ctx)
        >>> setup.summary()["variant"], setup.model_kwargs["replay_buffer_class"].__name__
        ('rrd', 'RelabelingReplayBuffer')
    """
    dense = settings.variant == "dense"
    env = context.make_vec_env(None if dense else EpisodicRewardWrapper)
    eval_env = context.make_vec_env(evaluation=True)
    summary: dict[str, Any] = {
        "variant": settings.variant,
        "reward": "dense" if dense else "episodic",
    }
    if dense:
        return OnlineSetup(env=env, eval_env=eval_env, summary=lambda: summary)

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

    return OnlineSetup(
        env=env,
        eval_env=eval_env,
        model_kwargs={"replay_buffer_class": RelabelingReplayBuffer},
        callbacks=[callback],
        summary=run_summary,
        state_dict=callback.state_dict,
        load_state_dict=callback.load_state_dict,
    )


def explain(env: gym.Env, settings: LaReSettings) -> str:
    """What the encoder prompt says about ``env``: its form (or which fields to give)."""
    from langreward.lare.encoder import form_of

    env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    spaces = (env.observation_space, env.action_space)
    if not all(isinstance(space, gym.spaces.Box) for space in spaces):
        kinds = " and ".join(type(space).__name__ for space in spaces)
        return (
            f"not applicable: LaRe needs Box observations and continuous (Box) actions for "
            f"SAC or TD3; {env_id} has {kinds}"
        )
    try:
        return form_of(settings, env_id, env).describe()
    except FormError as exc:
        return str(exc)


METHOD = Method(
    name="lare",
    settings=LaReSettings,
    build=build,
    description="latent rewards: LLM-written factors, a decoder learns per-step rewards "
    "from episodic returns",
    algos=OFF_POLICY,
    explain=explain,
)

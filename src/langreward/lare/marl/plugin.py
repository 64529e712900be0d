"""The multi-agent LaRe plug-in (method ``lare_marl``): IPPO with one shared policy on a team
env whose return is paid at the end of each episode, every agent's rewards relabelled by the
chosen variant before PPO computes advantages. PPO's ``n_steps`` must be a multiple of the
episode length (25 on MPE2) so that every rollout holds whole team episodes: :func:`preflight`
checks it when the config is loaded, before the encoder is written.

Evaluation and the learning curves use the env's dense team reward (``Monitor`` sits inside
the episodic wrapper), so every variant is scored on the same scale. SB3 counts one timestep
per agent: ``total_timesteps`` is agent-steps (env steps x agents).
"""

from __future__ import annotations

from typing import Any, cast

import gymnasium as gym

from langreward.lare.marl.config import LaReMARLSettings
from langreward.lare.marl.relabel import TeamRelabelCallback
from langreward.plugin import Method, MethodError, OnlineSetup, PreflightInfo, RunContext
from langreward.rl.episodic import EpisodicRewardWrapper
from langreward.rl.teams import AgentSlotVecEnv, SharedPolicy

RELABEL_MODE = {"lare": "decoder", "rd": "decoder", "ircr": "uniform", "episodic": "keep"}


def _team_shape(context: RunContext) -> tuple[int, int, int]:
    """(agents, episode length, actions) of the run's team env."""
    env = context.make_env()  # prepared: a fresh worker process has not registered it yet
    try:
        team = env.unwrapped
        length = getattr(team, "max_cycles", None)
        if not hasattr(team, "n_agents") or length is None:
            raise MethodError(
                f"{context.env_id} is not a fixed-length team env; lare_marl runs on team envs "
                "such as MPE2-SimpleSpread-v3 (see langreward.rl.teams)"
            )
        actions = cast(gym.spaces.MultiDiscrete, env.action_space)  # one action per agent
        return int(team.n_agents), int(length), int(actions.nvec[0])
    finally:
        env.close()


def preflight(settings: LaReMARLSettings, info: PreflightInfo) -> list[str]:
    """Before the encoder is written: a fixed-length team env, and PPO rollouts of whole team
    episodes (``algo_kwargs.n_steps`` a multiple of the episode length).

    Example:
        >>> import gymnasium as gym
        >>> import langreward.rl.mpe
        >>> env = gym.make("MPE2-SimpleSpread-v3")
        >>> info = PreflightInfo("MPE2-SimpleSpread-v3", env, {}, "ppo", {"n_steps": 60}, 2, 900)
        >>> print(preflight(LaReMARLSettings(), info)[0])  # doctest: +ELLIPSIS
        algo_kwargs.n_steps: 60 must be a multiple of the episode length (25) of ...; e.g. 50 or 75
    """
    team = info.env.unwrapped
    length = getattr(team, "max_cycles", None)
    if not hasattr(team, "n_agents") or length is None:
        return [
            f"env.id: {info.env_id} is not a fixed-length team env; lare_marl runs on team envs "
            "such as MPE2-SimpleSpread-v3 (see langreward.rl.teams)"
        ]
    if settings.variant == "dense":  # nothing is relabelled: any rollout length works
        return []
    length = int(length)
    n_steps = int(info.algo_kwargs.get("n_steps", _ppo_default("n_steps")))
    if n_steps % length == 0:
        return []
    below = max(length, n_steps // length * length)
    return [
        f"algo_kwargs.n_steps: {n_steps} must be a multiple of the episode length ({length}) "
        f"of {info.env_id} so that every PPO rollout holds whole team episodes; e.g. {below} "
        f"or {below + length}"
    ]


def _ppo_default(name: str) -> Any:
    import inspect

    from stable_baselines3 import PPO

    return inspect.signature(PPO.__init__).parameters[name].default


def build(settings: LaReMARLSettings, context: RunContext) -> OnlineSetup:
    """Envs, PPO settings and the relabelling callback of one multi-agent run.

    Example:
        >>> from pathlib import Path
        >>> import langreward.rl.mpe
        >>> ctx = RunContext("MPE2-SimpleSpread-v3", "ppo", 0, 2, 1500, Path("/tmp/marl-doc"))
        >>> setup = build(LaReMARLSettings(variant="ircr"), ctx)
        >>> setup.env.num_envs, setup.summary()["reward"]
        (6, 'team return at the end, spread over agents and steps')
    """
    n_agents, length, n_actions = _team_shape(context)
    dense = settings.variant == "dense"
    team_env = context.make_vec_env(None if dense else EpisodicRewardWrapper)
    env = AgentSlotVecEnv(team_env)
    eval_env = context.make_vec_env(evaluation=True)
    summary: dict[str, Any] = {
        "variant": settings.variant,
        "agents": n_agents,
        "reward": _reward_words(settings),
    }
    if dense:
        return OnlineSetup(
            env=env, eval_env=eval_env, eval_policy=SharedPolicy, summary=lambda: summary
        )

    features = None
    extra: dict[str, Any] = {}
    if settings.variant == "rd":
        features = _raw_features
    elif settings.variant == "lare":
        from langreward.lare.marl.encoder import load_team_encoder

        encoder = load_team_encoder(settings, context)
        features = encoder.features
        summary["encoder"] = encoder.summary()
        extra["failures"] = encoder.failure_metrics
    callback = TeamRelabelCallback(
        RELABEL_MODE[settings.variant],
        n_agents=n_agents,
        episode_length=length,
        n_actions=n_actions,
        features=features,
        settings=settings.decoder,
        agent_credit=settings.agent_credit,
        seed=context.seed,
    )

    def run_summary() -> dict[str, Any]:
        result = {**summary, "proxy_corr": callback.last_correlation}
        if features is not None:
            result["decoder_updates"] = callback.decoder.updates if callback.decoder else 0
            result["decoder_loss"] = callback.last_loss
        if "failures" in extra:
            result["encoder_failures"] = extra["failures"]()
        return result

    return OnlineSetup(
        env=env,
        eval_env=eval_env,
        callbacks=[callback],
        summary=run_summary,
        state_dict=callback.state_dict,
        load_state_dict=callback.load_state_dict,
        eval_policy=SharedPolicy,
    )


def _raw_features(obs: Any, actions: Any) -> Any:
    import numpy as np

    return np.concatenate([obs, actions], axis=1)


def _reward_words(settings: LaReMARLSettings) -> str:
    words = {
        "lare": "decoded from the encoder's latent factors of each agent",
        "rd": "decoded from each agent's raw observation and action",
        "ircr": "team return at the end, spread over agents and steps",
        "episodic": "team return at the last step, to every agent",
        "dense": "the team's dense reward at every step, to every agent (reference)",
    }[settings.variant]
    if settings.variant in ("lare", "rd") and not settings.agent_credit:
        words += ", averaged across agents (ablation)"
    return words


def explain(env: gym.Env, settings: LaReMARLSettings) -> str:
    """What the encoder prompt says about one agent of ``env``."""
    from langreward.lare.forms import FormError
    from langreward.lare.marl.encoder import agent_form

    try:
        return agent_form(env, settings.task).describe()
    except FormError as exc:
        return str(exc)


METHOD = Method(
    name="lare_marl",
    settings=LaReMARLSettings,
    build=build,
    description="latent rewards for cooperative teams: per-agent LLM factors, a shared decoder "
    "explains the team return, IPPO",
    algos=frozenset({"ppo"}),
    explain=explain,
    preflight=preflight,
)

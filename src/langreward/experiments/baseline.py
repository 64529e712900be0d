"""The ``baseline`` method: the plain environment, no shaping (the reference every method beats)."""

from __future__ import annotations

from typing import Any

from stable_baselines3.common.env_util import make_vec_env

from langreward.experiments.errors import ConfigError
from langreward.rl.envs import image_observations, register_env_family
from langreward.rl.training import RunContext, TrainingSetup

EVAL_SEED_OFFSET = 10_000


def build_setup(method_settings: dict[str, Any], context: RunContext) -> TrainingSetup:
    """Build the plain training and evaluation envs with SB3's ``make_vec_env``.

    ``make_vec_env`` wraps every env in ``Monitor`` (innermost), so episode returns in
    ``info["episode"]`` are original-reward returns. MiniGrid/BabyAI envs keep only the
    image observation, as under the methods.

    Example:
        >>> setup = build_setup({}, RunContext("CartPole-v1", "ppo", 0, 1, 1000, Path("r")))  # doctest: +SKIP

    Raises:
        ConfigError: ``baseline`` was given settings (it takes none).
    """
    if method_settings:
        raise ConfigError(
            f"baseline: the baseline method takes no settings (got {sorted(method_settings)}); "
            "remove the 'baseline' section"
        )
    register_env_family(context.env_id)
    wrapper = image_observations(context.env_id)
    env = make_vec_env(
        context.env_id,
        n_envs=context.n_envs,
        seed=context.seed,
        env_kwargs=context.env_kwargs,
        wrapper_class=wrapper,
    )
    eval_env = make_vec_env(
        context.env_id,
        n_envs=1,
        seed=context.seed + EVAL_SEED_OFFSET,
        env_kwargs=context.env_kwargs,
        wrapper_class=wrapper,
    )
    return TrainingSetup(env=env, eval_env=eval_env, summary=lambda: {"shaping": "none"})

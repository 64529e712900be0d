"""The ``baseline`` plug-in: the plain environment, no shaping (the reference every method beats)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from langreward.plugin import Method, OnlineSetup, RunContext
from langreward.rl.envs import image_observations


class BaselineSettings(BaseModel):
    """The baseline takes no settings (an empty ``baseline:`` section is allowed)."""

    model_config = ConfigDict(extra="forbid")


def build(settings: BaselineSettings, context: RunContext) -> OnlineSetup:
    """Build the plain training and evaluation envs with SB3's ``make_vec_env``.

    ``make_vec_env`` wraps every env in ``Monitor`` (innermost), so episode returns in
    ``info["episode"]`` are original-reward returns. MiniGrid/BabyAI envs keep only the
    image observation, as under the methods.

    Example:
        >>> from pathlib import Path
        >>> context = RunContext("CartPole-v1", "ppo", 0, 2, 1000, Path("/tmp/run"))
        >>> setup = build(BaselineSettings(), context)
        >>> setup.env.num_envs, setup.summary()
        (2, {'shaping': 'none'})
    """
    wrapper = image_observations(context.env_id)
    env = context.make_vec_env(wrapper)
    eval_env = context.make_vec_env(wrapper, evaluation=True)
    return OnlineSetup(env=env, eval_env=eval_env, summary=lambda: {"shaping": "none"})


METHOD = Method(
    name="baseline",
    settings=BaselineSettings,
    build=build,
    description="the plain env and SB3 algorithm, no shaping (the reference)",
)

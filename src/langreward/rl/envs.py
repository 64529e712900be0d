"""Env families that need a step before SB3 can train on them (MiniGrid/BabyAI)."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym

EnvWrapper = Callable[[gym.Env], gym.Env]


def is_minigrid(env_id: str) -> bool:
    """Whether ``env_id`` is a MiniGrid or BabyAI env."""
    return env_id.split("/")[-1].startswith(("MiniGrid", "BabyAI"))


def register_env_family(env_id: str) -> None:
    """Register MiniGrid/BabyAI envs with Gymnasium (1.x needs ``gym.register_envs``).

    Raises:
        ImportError: the family's package is missing; the message says what to install.
    """
    if not is_minigrid(env_id):
        return
    try:
        import minigrid
    except ImportError as exc:
        raise ImportError(
            f"{env_id} needs the 'minigrid' package: pip install 'langreward[minigrid]'"
        ) from exc
    gym.register_envs(minigrid)


def image_observations(env_id: str) -> EnvWrapper | None:
    """MiniGrid/BabyAI: a wrapper keeping only the image of the dict observation (SB3 cannot
    take the mission text); ``None`` for other envs."""
    if not is_minigrid(env_id):
        return None
    from minigrid.wrappers import ImgObsWrapper

    return ImgObsWrapper

"""Env families that need a step before SB3 can train on them (MiniGrid/BabyAI).

What a family needs comes from :mod:`langreward.families`.
"""

from __future__ import annotations

import contextlib
import importlib
import io
from collections.abc import Callable

import gymnasium as gym

from langreward.families import family_of

EnvWrapper = Callable[[gym.Env], gym.Env]


def is_minigrid(env_id: str) -> bool:
    """Whether ``env_id`` is a MiniGrid or BabyAI env."""
    family = family_of(env_id)
    return family is not None and family.name == "MiniGrid"


def register_env_family(env_id: str) -> None:
    """Register the env's family with Gymnasium where it needs it (``gym.register_envs``).

    Raises:
        ImportError: the family's package is missing; the message says what to install.
    """
    family = family_of(env_id)
    if family is None or family.package is None:
        return
    try:
        with (
            contextlib.redirect_stderr(io.StringIO())
            if family.quiet_import
            else contextlib.nullcontext()
        ):
            module = importlib.import_module(family.package)
    except ImportError as exc:
        raise ImportError(
            f"{env_id} needs the {family.package!r} package: "
            f"pip install 'langreward[{family.extra or family.package}]'"
        ) from exc
    gym.register_envs(module)


def env_id_problem(env_id: str) -> str | None:
    """What keeps ``env_id`` from being made, without making it (``None``: it is registered).

    Example:
        >>> env_id_problem("CartPole-v1") is None
        True
        >>> env_id_problem("CartPole-v9")
        "unknown environment 'CartPole-v9': Environment version `v9` for environment ..."
    """
    try:
        register_env_family(env_id)
    except ImportError as exc:
        return str(exc)
    try:
        gym.spec(env_id)
    except ModuleNotFoundError as exc:  # "module:Env-v0" ids import their module
        return f"environment {env_id!r}: cannot import module {exc.name!r}"
    except gym.error.Error as exc:
        return f"unknown environment {env_id!r}: {exc}"
    return None


def image_observations(env_id: str) -> EnvWrapper | None:
    """A wrapper keeping only the image of the dict observation for families whose mission
    text SB3 cannot take (MiniGrid/BabyAI); ``None`` for other envs."""
    family = family_of(env_id)
    if family is None or not family.image_only:
        return None
    from minigrid.wrappers import ImgObsWrapper

    return ImgObsWrapper

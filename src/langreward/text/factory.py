"""``describer_for(env)``: pick the describer that fits an environment."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym

from langreward.text.base import Describer
from langreward.text.classic_control import (
    CartPoleDescriber,
    MountainCarContinuousDescriber,
    MountainCarDescriber,
    PendulumDescriber,
)
from langreward.text.generic import GenericDescriber
from langreward.text.toy_text import BlackjackDescriber

# (env id prefix, unwrapped class name, factory); the first match wins.
_KNOWN: list[tuple[str, str, Callable[[gym.Env], Describer]]] = [
    ("CartPole", "CartPoleEnv", lambda env: CartPoleDescriber()),
    (
        "MountainCarContinuous",
        "Continuous_MountainCarEnv",
        lambda env: MountainCarContinuousDescriber(),
    ),
    ("MountainCar", "MountainCarEnv", lambda env: MountainCarDescriber()),
    (
        "Pendulum",
        "PendulumEnv",
        lambda env: PendulumDescriber(float(getattr(env.unwrapped, "max_torque", 2.0))),
    ),
    ("Blackjack", "BlackjackEnv", lambda env: BlackjackDescriber()),
]


def family_of(env_id: str | None, class_name: str | None = None) -> str | None:
    """A short family name from an env id and/or unwrapped class name, or ``None``.

    Example:
        >>> family_of("MountainCarContinuous-v0"), family_of("BabyAI-GoToLocal-v0")
        ('MountainCarContinuous', 'MiniGrid')
    """
    name = (env_id or "").split("/")[-1]
    for prefix, cls_name, _ in _KNOWN:
        if (name and name.startswith(prefix)) or class_name == cls_name:
            return prefix
    if name.startswith(("MiniGrid", "BabyAI")):
        return "MiniGrid"
    return None


def env_family(env: gym.Env) -> str | None:
    """A short family name for an env (``"CartPole"``, ``"MiniGrid"``, ...), or ``None``.

    Matches the registered id first, then the unwrapped class.
    """
    family = family_of(env.spec.id if env.spec is not None else None, type(env.unwrapped).__name__)
    if family is None and _is_minigrid(env):
        return "MiniGrid"
    return family


def _is_minigrid(env: gym.Env) -> bool:
    return any(cls.__module__.startswith("minigrid.") for cls in type(env.unwrapped).__mro__)


def describer_for(
    env: gym.Env,
    *,
    feature_names: Sequence[str] | None = None,
    action_names: Sequence[str] | None = None,
    task: str | None = None,
    **options: Any,
) -> Describer:
    """The describer for an env: a specific one for known families, else a generic one.

    Args:
        env: the (possibly wrapped) environment.
        feature_names: observation component names for the generic describer; giving them
            forces the generic describer.
        action_names: action names for the generic describer.
        task: a task description; overrides the describer's own.
        **options: passed to the MiniGrid describer (``mission=``, ``grid=``).

    Example:
        >>> import gymnasium as gym
        >>> type(describer_for(gym.make("CartPole-v1"))).__name__
        'CartPoleDescriber'
    """
    describer: Describer
    family = None if feature_names is not None or action_names is not None else env_family(env)
    if family == "MiniGrid":
        from langreward.text.minigrid import MiniGridDescriber

        describer = MiniGridDescriber(**options)
    elif family is not None:
        describer = next(make for prefix, _, make in _KNOWN if prefix == family)(env)
    else:
        describer = GenericDescriber(
            env.observation_space,
            env.action_space,
            feature_names=feature_names,
            action_names=action_names,
        )
    if task:
        describer.task = task
    return describer

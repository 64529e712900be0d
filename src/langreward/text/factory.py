"""``describer_for(env)``: pick the describer that fits an environment."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym

from langreward import families
from langreward.envdocs import read_env_docs
from langreward.families import register_knowledge
from langreward.text.base import Describer
from langreward.text.classic_control import (
    CartPoleDescriber,
    MountainCarContinuousDescriber,
    MountainCarDescriber,
    PendulumDescriber,
)
from langreward.text.generic import GenericDescriber
from langreward.text.toy_text import BlackjackDescriber

# The specific describers, registered as knowledge of their env family: ``make(env, **options)``
# (only the MiniGrid describer takes options: ``mission=``, ``grid=``).
_DESCRIBERS: dict[str, Callable[..., Describer]] = {
    "CartPole": lambda env, **_: CartPoleDescriber(),
    "MountainCarContinuous": lambda env, **_: MountainCarContinuousDescriber(),
    "MountainCar": lambda env, **_: MountainCarDescriber(),
    "Pendulum": lambda env, **_: PendulumDescriber(
        float(getattr(env.unwrapped, "max_torque", 2.0))
    ),
    "Blackjack": lambda env, **_: BlackjackDescriber(),
    "MiniGrid": lambda env, **options: _minigrid_describer(**options),
}
for _family, _make in _DESCRIBERS.items():
    register_knowledge(_family, "describer", _make)


def _minigrid_describer(**options: Any) -> Describer:
    from langreward.text.minigrid import MiniGridDescriber

    return MiniGridDescriber(**options)


def family_of(env_id: str | None, class_name: str | None = None) -> str | None:
    """The family name of an env id (see :func:`langreward.families.family_of`), or ``None``.

    Example:
        >>> family_of("MountainCarContinuous-v0"), family_of("BabyAI-GoToLocal-v0")
        ('MountainCarContinuous', 'MiniGrid')
    """
    family = families.family_of(env_id)
    if family is None and class_name:
        family = next((f for f in families.FAMILIES if class_name in f.classes), None)
    return family.name if family is not None else None


def env_family(env: gym.Env) -> str | None:
    """The family name of an env (its registered id first, then its unwrapped class)."""
    family = families.family_of(env)
    return family.name if family is not None else None


def describer_for(
    env: gym.Env,
    *,
    feature_names: Sequence[str] | None = None,
    action_names: Sequence[str] | None = None,
    task: str | None = None,
    **options: Any,
) -> Describer:
    """The describer for an env: a specific one for known families, else a generic one that
    takes the task, feature names and action names from the env's documentation
    (:func:`langreward.envdocs.read_env_docs`) where the arguments do not give them.

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
    generic = feature_names is not None or action_names is not None
    make = None if generic else families.knowledge(env, "describer")
    if make is not None:
        describer = make(env, **options)
    else:
        docs = read_env_docs(env)
        describer = GenericDescriber(
            env.observation_space,
            env.action_space,
            feature_names=feature_names or docs.feature_names(),
            action_names=action_names or docs.action_names(),
            task=docs.task_text() or None,
            blocks=[(b.start, b.size, f"{b.name} ({b.meaning})") for b in docs.blocks],
        )
    if task:
        describer.task = task
    return describer

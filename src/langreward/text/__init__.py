"""Observations, actions and goals in words, for prompts.

One describer per environment family (CartPole, MountainCar, Pendulum, Blackjack,
MiniGrid/BabyAI) plus :class:`GenericDescriber` for any Box/Discrete env;
:func:`describer_for` picks one.

Example:
    >>> import gymnasium as gym
    >>> from langreward.text import describer_for
    >>> env = gym.make("MountainCar-v0")
    >>> describer_for(env).action(2)
    'accelerate to the right'
"""

from langreward.text.base import Describer, describe_continuous
from langreward.text.classic_control import (
    CartPoleDescriber,
    MountainCarContinuousDescriber,
    MountainCarDescriber,
    PendulumDescriber,
)
from langreward.text.factory import describer_for, env_family, family_of
from langreward.text.generic import GenericDescriber
from langreward.text.toy_text import BlackjackDescriber


def __getattr__(name: str) -> object:
    if name == "MiniGridDescriber":  # lazy: needs the optional 'minigrid' package
        from langreward.text.minigrid import MiniGridDescriber

        return MiniGridDescriber
    raise AttributeError(f"module 'langreward.text' has no attribute {name!r}")


__all__ = [
    "BlackjackDescriber",
    "CartPoleDescriber",
    "Describer",
    "GenericDescriber",
    "MiniGridDescriber",
    "MountainCarContinuousDescriber",
    "MountainCarDescriber",
    "PendulumDescriber",
    "describe_continuous",
    "describer_for",
    "env_family",
    "family_of",
]

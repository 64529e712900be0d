"""The :class:`Describer` interface and small formatting helpers shared by all describers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def signed(value: float, digits: int = 2) -> str:
    """Format a number with an explicit sign: ``signed(1.234) == "+1.23"``."""
    return f"{float(value):+.{digits}f}"


def compact(value: float) -> str:
    """A short number for a range bound: ``compact(2.0) == "2"``, ``compact(0.07) == "0.07"``."""
    return f"{float(value):g}"


def describe_continuous(
    name: str,
    value: float,
    low: float,
    high: float,
    *,
    digits: int = 2,
    positive: str | None = None,
    negative: str | None = None,
) -> str:
    """Describe one continuous action component in words.

    Args:
        name: what the component is (``"torque"``).
        value: the commanded value.
        low: lower bound of the component.
        high: upper bound of the component.
        digits: decimals shown.
        positive: words for what a positive value does (``"pushing right"``).
        negative: words for what a negative value does.

    Returns:
        e.g. ``"torque +1.30 (range -2..2), pushing right"``.

    Example:
        >>> describe_continuous("torque", 1.3, -2, 2)
        'torque +1.30 (range -2..2)'
    """
    text = f"{name} {signed(value, digits)}"
    if np.isfinite(low) and np.isfinite(high):
        text += f" (range {compact(low)}..{compact(high)})"
    if value > 0 and positive:
        text += f", {positive}"
    elif value < 0 and negative:
        text += f", {negative}"
    return text


def scalar(value: Any) -> float:
    """A Python float from a number, a 0-d array or a 1-element array."""
    return float(np.asarray(value, dtype=np.float64).reshape(-1)[0])


def discrete(value: Any) -> int:
    """A Python int from an int, a numpy integer or a 1-element array."""
    return int(np.asarray(value).reshape(-1)[0])


class Describer(ABC):
    """Turns observations and actions of one environment family into plain words.

    Subclasses implement :meth:`state` and :meth:`action`; :attr:`task` says what the agent
    is trying to do. ``info`` is the step's info dict (some envs keep text such as a mission
    there once an observation wrapper has dropped it from the observation).

    Example:
        >>> from langreward.text import CartPoleDescriber
        >>> d = CartPoleDescriber()
        >>> d.action(1)
        'push the cart to the right'
    """

    #: One or two sentences on the goal, for the prompt.
    task: str = "Act well in the environment."
    #: Names of the discrete actions, or ``None`` for continuous actions.
    action_names: Sequence[str] | None = None

    @abstractmethod
    def state(self, obs: Any, info: Mapping[str, Any] | None = None) -> str:
        """Describe an observation."""

    @abstractmethod
    def action(self, action: Any) -> str:
        """Describe an action."""

    def describe(self, obs: Any, action: Any, info: Mapping[str, Any] | None = None) -> str:
        """Describe a (state, action) pair in one line.

        Example:
            >>> from langreward.text import CartPoleDescriber
            >>> CartPoleDescriber().describe([0, 0, 0.05, 0], 1)  # doctest: +ELLIPSIS
            'State: ... Action: push the cart to the right.'
        """
        return f"State: {self.state(obs, info)}. Action: {self.action(action)}."

    def discrete_action_name(self, action: Any) -> str:
        """The name of a discrete action, with a clear error when it is out of range."""
        names = self.action_names or ()
        index = discrete(action)
        if not 0 <= index < len(names):
            raise ValueError(
                f"{type(self).__name__}: action {index} out of range 0..{len(names) - 1}"
            )
        return names[index]

"""Describers for Gymnasium's classic-control tasks: CartPole, MountainCar, Pendulum."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from langreward.text.base import Describer, describe_continuous, scalar, signed


def _direction(value: float, positive: str, negative: str, still: str, eps: float) -> str:
    if value > eps:
        return positive
    if value < -eps:
        return negative
    return still


class CartPoleDescriber(Describer):
    """CartPole-v0/v1: cart position and velocity, pole angle and angular velocity.

    Example:
        >>> CartPoleDescriber().state([0.1, -0.2, 0.05, 0.3])
        'cart at +0.10, moving left at 0.20; pole leaning right by 2.9 degrees, rotating right at 0.30 rad/s'

    The constant facts (track ends, failure angle) are in :attr:`task`, said once per prompt,
    so that a packed prompt of many states stays short (prompt prefill is most of an LLM
    judgment's cost on a CPU).
    """

    task = (
        "Keep the pole balanced upright on the cart and keep the cart on the track. "
        "The agent gets +1 for every step the pole stays up; the episode ends when the pole "
        "leans beyond 12 degrees or the cart leaves the track (positions -2.4 to +2.4)."
    )
    action_names = ("push the cart to the left", "push the cart to the right")

    def state(self, obs: Any, info: Mapping[str, Any] | None = None) -> str:
        x, x_dot, theta, theta_dot = (float(v) for v in np.asarray(obs, dtype=np.float64)[:4])
        move = _direction(x_dot, "moving right", "moving left", "almost still", 0.05)
        lean = _direction(theta, "leaning right", "leaning left", "upright", 0.005)
        spin = _direction(theta_dot, "rotating right", "rotating left", "not rotating", 0.02)
        degrees = abs(math.degrees(theta))
        pole = f"pole {lean}" + (f" by {degrees:.1f} degrees" if lean != "upright" else "")
        return (
            f"cart at {signed(x)}, {move} at {abs(x_dot):.2f}; "
            f"{pole}, {spin} at {abs(theta_dot):.2f} rad/s"
        )

    def action(self, action: Any) -> str:
        return self.discrete_action_name(action)


_VALLEY = (
    "Positions run from the left wall at -1.2 to +0.6, the valley bottom is near -0.52, and "
    "the velocity stays within -0.07..+0.07."
)


class MountainCarDescriber(Describer):
    """MountainCar-v0: a car in a valley that must build momentum to reach the right hilltop.

    As for CartPole, the constant facts (the valley's shape, the velocity limits) are in
    :attr:`task`, not in every state.

    Example:
        >>> MountainCarDescriber().action(2)
        'accelerate to the right'
    """

    task = (
        "Drive an underpowered car up the right hill to the flag at position 0.5. The engine "
        "is too weak to climb directly: the car must rock back and forth to build momentum. "
        "Every step costs -1 until the flag is reached. " + _VALLEY
    )
    action_names: Sequence[str] | None = (
        "accelerate to the left",
        "do not accelerate",
        "accelerate to the right",
    )

    def state(self, obs: Any, info: Mapping[str, Any] | None = None) -> str:
        position, velocity = (float(v) for v in np.asarray(obs, dtype=np.float64)[:2])
        if position > -0.45:
            where = "on the right slope, towards the goal"
        elif position < -0.6:
            where = "on the left slope, away from the goal"
        else:
            where = "near the bottom of the valley"
        move = _direction(velocity, "moving right", "moving left", "almost still", 1e-3)
        return (
            f"car at position {signed(position)} ({where}), {move} with velocity "
            f"{signed(velocity, 3)}"
        )

    def action(self, action: Any) -> str:
        return self.discrete_action_name(action)


class MountainCarContinuousDescriber(MountainCarDescriber):
    """MountainCarContinuous-v0: the same valley, with a continuous force in [-1, 1].

    Example:
        >>> MountainCarContinuousDescriber().action([0.6])
        'force +0.60 (range -1..1), pushing right'
    """

    task = (
        "Drive an underpowered car up the right hill to the flag at position 0.45. The engine "
        "is too weak to climb directly: the car must rock back and forth to build momentum. "
        "Reaching the flag gives +100; force costs a little energy every step. " + _VALLEY
    )
    action_names = None

    def action(self, action: Any) -> str:
        return describe_continuous(
            "force", scalar(action), -1.0, 1.0, positive="pushing right", negative="pushing left"
        )


class PendulumDescriber(Describer):
    """Pendulum-v1: swing a pendulum up and hold it upright with a limited torque.

    The observation is ``[cos(theta), sin(theta), angular velocity]`` with ``theta = 0``
    upright; a positive torque accelerates the angle in the positive direction.

    Example:
        >>> PendulumDescriber().action([1.3])
        'torque +1.30 (range -2..2), turning in the positive direction'
    """

    task = (
        "Swing the pendulum up and keep it upright (angle 0) with little spinning and little "
        "torque. The torque is too weak to lift the pendulum directly from the bottom: it must "
        "swing to build energy. The angular speed is at most 8 rad/s."
    )

    def __init__(self, max_torque: float = 2.0) -> None:
        self.max_torque = max_torque

    def state(self, obs: Any, info: Mapping[str, Any] | None = None) -> str:
        cos_t, sin_t, theta_dot = (float(v) for v in np.asarray(obs, dtype=np.float64)[:3])
        theta = math.degrees(math.atan2(sin_t, cos_t))
        if abs(theta) < 15:
            where = "near upright"
        elif abs(theta) > 150:
            where = "hanging near the bottom"
        elif abs(theta) < 90:
            where = "in the upper half"
        else:
            where = "in the lower half"
        spin = _direction(
            theta_dot,
            "turning in the positive direction",
            "turning in the negative direction",
            "almost still",
            0.05,
        )
        return (
            f"pendulum at {theta:+.0f} degrees from upright ({where}), {spin} at "
            f"{abs(theta_dot):.2f} rad/s"
        )

    def action(self, action: Any) -> str:
        return describe_continuous(
            "torque",
            scalar(action),
            -self.max_torque,
            self.max_torque,
            positive="turning in the positive direction",
            negative="turning in the negative direction",
        )

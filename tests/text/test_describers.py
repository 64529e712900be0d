"""Each describer: words for states and actions, and the factory that picks one."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from langreward.text import (
    BlackjackDescriber,
    CartPoleDescriber,
    Describer,
    GenericDescriber,
    MountainCarContinuousDescriber,
    MountainCarDescriber,
    PendulumDescriber,
    describe_continuous,
    describer_for,
    env_family,
    family_of,
)


def test_cartpole_words() -> None:
    d = CartPoleDescriber()
    text = d.state(np.array([-0.5, 0.4, -0.1, -0.6], dtype=np.float32))
    assert "cart at -0.50" in text and "moving right" in text
    assert "leaning left by 5.7 degrees" in text and "rotating left" in text
    assert d.action(0) == "push the cart to the left"
    assert d.action(np.int64(1)) == "push the cart to the right"
    line = d.describe([0, 0, 0, 0], 1)
    assert line.startswith("State: ") and line.endswith("Action: push the cart to the right.")
    assert "upright" in line
    with pytest.raises(ValueError, match="out of range"):
        d.action(2)


def test_mountaincar_words() -> None:
    d = MountainCarDescriber()
    assert "on the right slope" in d.state([-0.2, 0.01]) and "moving right" in d.state([-0.2, 0.01])
    assert "on the left slope" in d.state([-1.0, -0.02])
    assert "moving left" in d.state([-1.0, -0.02])
    assert "bottom of the valley" in d.state([-0.5, 0.0])
    assert [d.action(a) for a in range(3)] == [
        "accelerate to the left",
        "do not accelerate",
        "accelerate to the right",
    ]
    assert "momentum" in d.task


def test_continuous_actions_in_words() -> None:
    assert describe_continuous("torque", 1.3, -2, 2) == "torque +1.30 (range -2..2)"
    assert describe_continuous("x", -0.5, -np.inf, np.inf) == "x -0.50"
    mc = MountainCarContinuousDescriber()
    assert mc.action(np.array([-0.25], dtype=np.float32)) == (
        "force -0.25 (range -1..1), pushing left"
    )
    p = PendulumDescriber()
    assert p.action([1.3]) == "torque +1.30 (range -2..2), turning in the positive direction"
    assert p.action(np.array([-2.0])).startswith("torque -2.00 (range -2..2)")


def test_pendulum_state() -> None:
    d = PendulumDescriber()
    up = d.state([1.0, 0.0, 0.0])
    assert "+0 degrees from upright (near upright)" in up and "almost still" in up
    down = d.state([np.cos(3.0), np.sin(3.0), -2.0])
    assert "+172 degrees" in down and "hanging near the bottom" in down
    assert "negative direction at 2.00 rad/s" in down


def test_blackjack() -> None:
    d = BlackjackDescriber()
    assert d.state((13, 1, 1)) == (
        "your hand totals 13 (a usable ace counted as 11); the dealer shows an ace"
    )
    assert "a 10 or face card" in d.state(np.array([20, 10, 0]))
    assert d.action(0).startswith("stick") and d.action(1).startswith("hit")


def test_generic_with_names() -> None:
    d = GenericDescriber(
        spaces.Box(-1, 1, (3,)),
        spaces.Box(-2, 2, (1,)),
        feature_names=["x", "y", "speed"],
        action_names=["torque"],
        task="Reach the goal.",
    )
    assert d.state([0.5, -0.25, 0.0]) == "x=+0.50, y=-0.25, speed=0"
    assert d.action([1.3]) == "torque +1.30 (range -2..2)"
    assert d.task == "Reach the goal."


def test_generic_fallback_names() -> None:
    d = GenericDescriber(spaces.Box(-np.inf, np.inf, (2, 2)), spaces.Discrete(3, start=1))
    assert d.state(np.array([[0.5, 1.5], [2.25, -1.0]])) == (
        "x[0]=+0.50, x[1]=+1.50, x[2]=+2.25, x[3]=-1"
    )
    assert d.action(2) == "action 1"
    boxed = GenericDescriber(spaces.Discrete(5), spaces.Box(-1, 1, (2,)))
    assert boxed.state(3) == "state 3"
    assert boxed.action([0.1, -0.3]) == "a[0] +0.10 (range -1..1), a[1] -0.30 (range -1..1)"
    tup = GenericDescriber(
        spaces.Tuple((spaces.Discrete(4), spaces.Discrete(2))), spaces.MultiDiscrete([2, 3])
    )
    assert tup.state((3, 1)) == "x[0]=3, x[1]=1"
    assert tup.action([1, 2]) == "a[0]=1, a[1]=2"


def test_generic_rejects_bad_names() -> None:
    with pytest.raises(ValueError, match="feature_names has 1 names"):
        GenericDescriber(spaces.Box(-1, 1, (2,)), spaces.Discrete(2), feature_names=["x"])
    with pytest.raises(ValueError, match="action_names has 3 names for 2 actions"):
        GenericDescriber(spaces.Box(-1, 1, (2,)), spaces.Discrete(2), action_names=["a"] * 3)
    with pytest.raises(TypeError, match="supports Discrete, Box"):
        GenericDescriber(spaces.Box(-1, 1, (2,)), spaces.MultiBinary(2))


@pytest.mark.parametrize(
    ("env_id", "expected"),
    [
        ("CartPole-v1", "CartPoleDescriber"),
        ("MountainCar-v0", "MountainCarDescriber"),
        ("MountainCarContinuous-v0", "MountainCarContinuousDescriber"),
        ("Pendulum-v1", "PendulumDescriber"),
        ("Blackjack-v1", "BlackjackDescriber"),
        ("Acrobot-v1", "GenericDescriber"),
    ],
)
def test_describer_for(env_id: str, expected: str) -> None:
    env = gym.make(env_id)
    describer = describer_for(env)
    assert type(describer).__name__ == expected
    obs, _ = env.reset(seed=0)
    text = describer.describe(obs, env.action_space.sample())
    assert text.startswith("State: ") and "Action: " in text


def test_describer_for_custom_env_and_overrides() -> None:
    env = gym.make("CartPole-v1")
    generic = describer_for(env, feature_names=["x", "v", "a", "w"], task="Balance.")
    assert isinstance(generic, GenericDescriber) and generic.task == "Balance."
    assert generic.state([1, 2, 3, 4]) == "x=1, v=2, a=3, w=4"
    # an unregistered env is matched by its class
    unregistered = gym.make("Pendulum-v1").unwrapped
    assert isinstance(describer_for(unregistered), PendulumDescriber)
    assert env_family(unregistered) == "Pendulum"
    assert family_of("BabyAI-GoToLocal-v0") == "MiniGrid" and family_of("Foo-v0") is None


def test_describer_is_abstract() -> None:
    with pytest.raises(TypeError):
        Describer()  # type: ignore[abstract]

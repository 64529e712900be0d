"""Reference policies: they act sensibly and score actions in {-1, 0, +1}."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from langreward.lmgt import reference_for
from langreward.lmgt.context import JudgeContextWrapper
from langreward.lmgt.reference import (
    BabyAIBotReference,
    BlackjackReference,
    CartPoleReference,
    MountainCarContinuousReference,
    MountainCarReference,
    PendulumReference,
)


def _episode_return(env_id: str, policy, seed: int = 0, steps: int = 1000) -> float:
    env = gym.make(env_id)
    obs, _ = env.reset(seed=seed)
    total = 0.0
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total += float(reward)
        if terminated or truncated:
            break
    return total


def test_cartpole_reference_balances_and_scores() -> None:
    ref = CartPoleReference()
    assert _episode_return("CartPole-v1", ref.act) >= 150
    obs = [0.0, 0.0, 0.05, 0.0]
    assert ref.judge(obs, 1) == 1 and ref.judge(obs, 0) == -1
    assert ref.act([0.0, 0.0, 0.05, -0.2]) == 0  # falling back left


def test_mountaincar_reference_reaches_flag_and_scores_noop_neutral() -> None:
    ref = MountainCarReference()
    assert _episode_return("MountainCar-v0", ref.act) > -150
    obs = [-0.5, 0.01]
    assert [ref.judge(obs, a) for a in range(3)] == [-1, 0, 1]


def test_continuous_references() -> None:
    ref = PendulumReference()
    assert _episode_return("Pendulum-v1", ref.act, seed=1, steps=200) > -300
    obs = [0.0, 1.0, 1.0]  # horizontal, swinging positive: pump with positive torque
    assert float(ref.act(obs)[0]) == 2.0
    assert ref.judge(obs, [1.8]) == 1
    assert ref.judge(obs, [-1.5]) == -1
    assert ref.judge(obs, [0.1]) == 0  # too weak, not opposite
    mc = MountainCarContinuousReference()
    assert _episode_return("MountainCarContinuous-v0", mc.act) > 50
    assert mc.judge([-0.5, -0.01], np.array([-0.9])) == 1
    assert mc.judge([-0.5, -0.01], np.array([0.9])) == -1


@pytest.mark.parametrize(
    ("obs", "action"),
    [
        ((20, 10, 0), 0),
        ((16, 10, 0), 1),
        ((16, 6, 0), 0),
        ((12, 3, 0), 1),
        ((12, 4, 0), 0),
        ((11, 10, 0), 1),
        ((18, 9, 1), 1),
        ((18, 8, 1), 0),
        ((17, 5, 1), 1),
        ((19, 10, 1), 0),
    ],
)
def test_blackjack_basic_strategy(obs: tuple[int, int, int], action: int) -> None:
    assert BlackjackReference().act(obs) == action


def test_blackjack_strategy_beats_random() -> None:
    env = gym.make("Blackjack-v1")
    ref, rng = BlackjackReference(), np.random.default_rng(0)
    totals = {"ref": 0.0, "random": 0.0}
    for name, policy in (("ref", ref.act), ("random", lambda o: int(rng.integers(2)))):
        for seed in range(400):
            obs, _ = env.reset(seed=seed)
            done = False
            while not done:
                obs, reward, terminated, truncated, _ = env.step(policy(obs))
                done = terminated or truncated
            totals[name] += float(reward)
    assert totals["ref"] > totals["random"] + 40


def test_reference_for() -> None:
    names = {
        env_id: getattr(reference_for(gym.make(env_id)), "name", None)
        for env_id in (
            "CartPole-v1",
            "MountainCar-v0",
            "MountainCarContinuous-v0",
            "Pendulum-v1",
            "Blackjack-v1",
            "Acrobot-v1",
        )
    }
    assert names == {
        "CartPole-v1": "cartpole-heuristic",
        "MountainCar-v0": "mountaincar-energy",
        "MountainCarContinuous-v0": "mountaincar-continuous-energy",
        "Pendulum-v1": "pendulum-energy-pd",
        "Blackjack-v1": "blackjack-basic-strategy",
        "Acrobot-v1": None,
    }


def test_babyai_bot_reference_through_context_wrapper() -> None:
    minigrid = pytest.importorskip("minigrid")
    gym.register_envs(minigrid)
    env = gym.make("BabyAI-GoToLocal-v0")
    ref = reference_for(env)
    assert isinstance(ref, BabyAIBotReference) and ref.needs_env
    wrapped = JudgeContextWrapper(env, ref)
    obs, info = wrapped.reset(seed=5)
    assert info["mission"] == obs["mission"]
    reward, done = 0.0, False
    while not done:  # following the bot solves the level
        action = info["reference_action"]
        assert ref.judge(obs, action, info) == 1
        assert ref.judge(obs, (action + 1) % 7, info) == -1
        obs, reward, terminated, truncated, info = wrapped.step(action)
        done = terminated or truncated
    assert terminated and float(reward) > 0
    assert info["reference_action"] is None and ref.judge(obs, 0, info) is None
    with pytest.raises(RuntimeError, match="live env"):
        ref.act(obs)

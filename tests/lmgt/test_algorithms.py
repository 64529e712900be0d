"""Every SB3 algorithm trains unchanged through the wrappers (scripted LLM judge)."""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import pytest
from stable_baselines3 import A2C, DQN, PPO, SAC, TD3
from stable_baselines3.common.env_util import make_vec_env

from langreward.llm import LLM
from langreward.lmgt import (
    LLMJudge,
    LLMJudgeSettings,
    LMGTLogCallback,
    RewardShiftWrapper,
    VecRewardShift,
)
from langreward.lmgt.reference import PendulumReference
from langreward.text import CartPoleDescriber, PendulumDescriber


def small() -> dict[str, list[int]]:
    return {"net_arch": [16]}  # a fresh dict: SB3 adds keys to policy_kwargs


def positive_torque_is_good(item: str) -> str:
    return "good" if "Action: torque +" in item else "bad"


@pytest.mark.parametrize(
    ("algo", "kwargs", "n_envs"),
    [
        (PPO, {"n_steps": 64, "batch_size": 64, "n_epochs": 1}, 2),
        (A2C, {"n_steps": 8}, 2),
        (DQN, {"learning_starts": 100, "buffer_size": 1000, "train_freq": 4}, 1),
    ],
)
def test_cartpole_algorithms(judge_llm: Callable[..., LLM], algo, kwargs, n_envs: int) -> None:
    llm = judge_llm()
    judge = LLMJudge(llm, CartPoleDescriber(), LLMJudgeSettings(batch_size=8, defer=False))
    env = VecRewardShift(make_vec_env("CartPole-v1", n_envs=n_envs, seed=0), judge, scale=0.2)
    callback = LMGTLogCallback(env.shifter, llm)
    model = algo("MlpPolicy", env, policy_kwargs=small(), seed=0, **kwargs)
    model.learn(256, callback=callback)
    assert judge.stats.pairs >= 256 and judge.stats.llm_rounds <= env.shifter.stats.steps
    values = callback.record()
    assert values["llm/calls"] == llm.stats.calls > 0
    assert values["reward/judged_share"] == 1.0 and -1 <= values["reward/mean_shift"] <= 1
    assert "llm/wall_share" in values and "reward/key_hit_rate" in values
    assert model.logger.name_to_value["llm/calls"] == llm.stats.calls


@pytest.mark.parametrize("algo", [SAC, TD3])
def test_pendulum_algorithms(judge_llm: Callable[..., LLM], algo) -> None:
    llm = judge_llm(positive_torque_is_good)
    judge = LLMJudge(
        llm, PendulumDescriber(), LLMJudgeSettings(defer=False), reference=PendulumReference()
    )
    env = RewardShiftWrapper(gym.make("Pendulum-v1"), judge, scale=0.5)
    model = algo(
        "MlpPolicy",
        env,
        learning_starts=100,
        buffer_size=1000,
        batch_size=32,
        policy_kwargs=small(),
        seed=0,
    )
    model.learn(250)
    stats = judge.stats
    assert stats.pairs == 250 and stats.positive > 0 and stats.negative > 0
    assert stats.compared == 250 and stats.agreement is not None
    assert stats.llm_rounds == stats.queries  # one pair per step: one round per miss
    assert stats.key_hits > 0  # discretised keys repeat

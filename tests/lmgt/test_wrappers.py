"""RewardShiftWrapper and VecRewardShift: env checks, infos, batching, Monitor, HER."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3 import SAC, HerReplayBuffer
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.env_util import make_vec_env

from langreward.llm import LLM
from langreward.lmgt import (
    Budget,
    LLMJudge,
    LLMJudgeSettings,
    ReferenceJudge,
    RewardShiftWrapper,
    VecRewardShift,
)
from langreward.lmgt.judge import BaseJudge
from langreward.lmgt.reference import CartPoleReference, PendulumReference
from langreward.text import CartPoleDescriber

# check_env warns that it checks a wrapped env and about CartPole's infinite bounds: expected.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


class ConstantJudge(BaseJudge):
    """Gives every pair the same shift."""

    name = "constant"

    def __init__(self, shift: int = 1) -> None:
        super().__init__()
        self.shift = shift

    def _judge(self, obs: Any, actions: Any, infos: Any) -> np.ndarray:
        return np.full(len(obs), self.shift, dtype=np.int8)


class PointGoalEnv(gym.Env[dict[str, np.ndarray], np.ndarray]):
    """A tiny goal-conditioned env: move a point in [-1, 1]^2 to a goal (reward 0 or -1)."""

    def __init__(self) -> None:
        box = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.observation_space = spaces.Dict(
            {"observation": box, "achieved_goal": box, "desired_goal": box}
        )
        self.action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        self._pos = np.zeros(2, np.float32)
        self._goal = np.zeros(2, np.float32)
        self._t = 0

    def _obs(self) -> dict[str, np.ndarray]:
        return {
            "observation": self._pos.copy(),
            "achieved_goal": self._pos.copy(),
            "desired_goal": self._goal.copy(),
        }

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self._pos = self.np_random.uniform(-1, 1, 2).astype(np.float32)
        self._goal = self.np_random.uniform(-1, 1, 2).astype(np.float32)
        self._t = 0
        return self._obs(), {}

    def compute_reward(self, achieved_goal: Any, desired_goal: Any, info: Any) -> Any:
        distance = np.linalg.norm(np.asarray(achieved_goal) - np.asarray(desired_goal), axis=-1)
        return -(distance > 0.1).astype(np.float32)

    def step(self, action: np.ndarray):
        self._pos = np.clip(self._pos + 0.1 * np.asarray(action), -1, 1).astype(np.float32)
        self._t += 1
        obs = self._obs()
        reward = float(self.compute_reward(obs["achieved_goal"], obs["desired_goal"], {}))
        return obs, reward, reward == 0.0, self._t >= 20, {}


def test_wrapper_passes_env_checkers_and_shapes_reward(judge_llm: Callable[..., LLM]) -> None:
    env = RewardShiftWrapper(
        gym.make("CartPole-v1"), ReferenceJudge(CartPoleReference()), scale=0.5
    )
    gym_check_env(env, skip_render_check=True)
    sb3_check_env(env, warn=False)
    env.reset(seed=0)
    obs, _ = env.reset(seed=0)
    good = CartPoleReference().act(obs)
    _, reward, _, _, info = env.step(good)
    assert info["original_reward"] == 1.0 and info["shift"] == 1.0 and reward == 1.5
    _, reward, _, _, info = env.step(1 - good)
    assert info["shift"] in (-1.0, 1.0) and reward == 1.0 + 0.5 * info["shift"]

    llm_env = RewardShiftWrapper(
        gym.make("CartPole-v1"), LLMJudge(judge_llm(), CartPoleDescriber())
    )
    gym_check_env(llm_env, skip_render_check=True)
    sb3_check_env(llm_env, warn=False)
    assert llm_env.judge.key is not None  # the wrapper gave the judge the env's default key
    with pytest.raises(gym.error.ResetNeeded):
        RewardShiftWrapper(gym.make("CartPole-v1"), ConstantJudge()).step(0)


def test_wrapper_budget_leaves_unjudged_steps_unshaped() -> None:
    judge = ConstantJudge(1)
    env = RewardShiftWrapper(
        gym.make("CartPole-v1"), judge, scale=1.0, budget=Budget("first_n", steps=2)
    )
    env.reset(seed=0)
    shifts = [env.step(0)[4]["shift"] for _ in range(4)]
    assert shifts == [1.0, 1.0, 0.0, 0.0] and judge.stats.pairs == 2


def test_vec_wrapper_one_llm_round_per_step(judge_llm: Callable[..., LLM]) -> None:
    llm = judge_llm()
    judge = LLMJudge(llm, CartPoleDescriber(), LLMJudgeSettings(batch_size=16))
    venv = VecRewardShift(make_vec_env("CartPole-v1", n_envs=4, seed=0), judge, scale=0.5)
    assert judge.key is not None
    venv.reset()
    episode_rewards: list[float] = []
    for step in range(30):
        rounds_before = judge.stats.llm_rounds
        obs, rewards, dones, infos = venv.step(np.array([step % 2, 1, 0, 1]))
        assert judge.stats.llm_rounds - rounds_before <= 1  # all misses in one packed prompt
        for i, info in enumerate(infos):
            assert rewards[i] == pytest.approx(info["original_reward"] + 0.5 * info["shift"])
            if "episode" in info:
                episode_rewards.append(info["episode"]["r"])
    assert judge.stats.pairs == 120 and judge.stats.llm_rounds <= 30
    assert judge.stats.llm_rounds == llm.stats.calls  # no fallbacks: every reply was read
    assert judge.stats.key_hits > 0
    # Monitor sits inside: recorded returns are original rewards (whole numbers on CartPole)
    assert episode_rewards and all(float(r).is_integer() for r in episode_rewards)


def test_vec_wrapper_warns_without_monitor(caplog: pytest.LogCaptureFixture) -> None:
    from stable_baselines3.common.vec_env import DummyVecEnv

    VecRewardShift(DummyVecEnv([lambda: gym.make("CartPole-v1")]), ConstantJudge())
    assert "no Monitor inside" in caplog.text


def test_goal_env_shaping_survives_her_relabelling() -> None:
    base = PointGoalEnv()
    wrapped = RewardShiftWrapper(base, ConstantJudge(1), scale=0.5)
    sb3_check_env(wrapped, warn=False)  # checks compute_reward against step rewards
    obs, _ = wrapped.reset(seed=0)
    _, reward, _, _, info = wrapped.step(np.zeros(2, np.float32))
    assert wrapped.compute_reward(obs["achieved_goal"], obs["desired_goal"], info) in (-0.5, 0.5)

    for use_vec in (False, True):
        if use_vec:
            venv = VecRewardShift(
                make_vec_env(PointGoalEnv, n_envs=2, seed=0), ConstantJudge(1), scale=0.5
            )
        else:
            venv = make_vec_env(
                PointGoalEnv,
                n_envs=2,
                seed=0,
                wrapper_class=RewardShiftWrapper,
                wrapper_kwargs={"judge": ConstantJudge(1), "scale": 0.5},
            )
        model = SAC(
            "MultiInputPolicy",
            venv,
            learning_starts=50,
            batch_size=64,
            buffer_size=1000,
            replay_buffer_class=HerReplayBuffer,
            replay_buffer_kwargs={"n_sampled_goal": 4, "copy_info_dict": True},
            policy_kwargs={"net_arch": [16]},
            seed=0,
        )
        model.learn(120)
        rewards = model.replay_buffer.sample(256).rewards.numpy().reshape(-1)
        # relabelled (base 0 or -1) and original rewards all carry the +0.5 shaping
        assert set(np.round(rewards, 4)) <= {0.5, -0.5}, sorted(set(rewards.tolist()))


def test_goal_env_without_info_copy_warns(caplog: pytest.LogCaptureFixture) -> None:
    wrapped = RewardShiftWrapper(PointGoalEnv(), ConstantJudge(1), scale=0.5)
    rewards = wrapped.compute_reward(np.zeros((3, 2)), np.ones((3, 2)), [{}, {}, {}])
    assert rewards.tolist() == [-1.0, -1.0, -1.0]
    assert "copy_info_dict" in caplog.text


def test_continuous_action_env_checks() -> None:
    env = RewardShiftWrapper(
        gym.make("Pendulum-v1"), ReferenceJudge(PendulumReference()), scale=0.1
    )
    gym_check_env(env, skip_render_check=True)
    sb3_check_env(env, warn=False)

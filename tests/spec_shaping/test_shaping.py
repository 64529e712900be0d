"""Potential-based shaping: F = gamma*phi(s') - phi(s), terminal states worth 0, truncation not
terminal; SB3's loop unchanged and the logged returns original."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

from langreward.spec_shaping.shaping import PotentialShaping, VecPotentialShaping


def velocity_phi(obs: np.ndarray) -> np.ndarray:
    return 100.0 * np.abs(obs[:, 1])


def test_gym_wrapper_adds_the_potential_difference() -> None:
    env = PotentialShaping(gym.make("MountainCar-v0"), velocity_phi, gamma=0.9)
    obs, _ = env.reset(seed=0)
    before = velocity_phi(obs[None])[0]
    obs, reward, *_, info = env.step(2)
    assert info["shaping"] == pytest.approx(0.9 * velocity_phi(obs[None])[0] - before)
    assert reward == pytest.approx(-1.0 + info["shaping"])


def test_vec_wrapper_telescopes_and_zeroes_terminal_states() -> None:
    """Over a terminated CartPole episode the shaping sums to -phi(s0) (discount 1)."""
    phi = lambda obs: 1.0 + np.abs(obs[:, 2])  # noqa: E731 - a potential that is never 0
    venv = make_vec_env("CartPole-v1", n_envs=1, seed=3)
    env = VecPotentialShaping(venv, phi, gamma=1.0)
    obs = env.reset()
    start = phi(obs)[0]
    total, done = 0.0, False
    while not done:
        obs, rewards, dones, infos = env.step(np.array([0]))
        total += rewards[0] - 1.0
        done = bool(dones[0])
    assert not infos[0].get("TimeLimit.truncated", False)
    assert total == pytest.approx(-start)


def test_vec_wrapper_treats_truncation_as_not_terminal() -> None:
    phi = lambda obs: np.full(len(obs), 5.0)  # noqa: E731 - constant: F = (gamma-1)*5
    venv = make_vec_env("CartPole-v1", n_envs=1, seed=0, env_kwargs={"max_episode_steps": 3})
    env = VecPotentialShaping(venv, phi, gamma=0.5)
    env.reset()
    terms = []
    for _ in range(3):
        _, rewards, dones, infos = env.step(np.array([0]))
        terms.append(rewards[0] - 1.0)
    assert dones[0] and infos[0]["TimeLimit.truncated"]
    assert terms == pytest.approx([-2.5, -2.5, -2.5])  # the last step too: s' is not terminal


def test_additive_mode_adds_phi_of_the_next_state() -> None:
    env = VecPotentialShaping(
        make_vec_env("MountainCar-v0", n_envs=2, seed=0), velocity_phi, 0.99, mode="additive"
    )
    env.reset()
    obs, rewards, *_ = env.step(np.array([2, 0]))
    assert rewards == pytest.approx(-1.0 + velocity_phi(obs))


def test_sb3_learns_through_it_and_monitor_logs_original_returns() -> None:
    env = VecPotentialShaping(make_vec_env("CartPole-v1", n_envs=2, seed=0), velocity_phi, 0.99)
    model = PPO("MlpPolicy", env, n_steps=64, batch_size=64, n_epochs=1, seed=0)
    model.learn(256)
    returns = [info["r"] for info in model.ep_info_buffer]
    lengths = [info["l"] for info in model.ep_info_buffer]
    assert returns and returns == pytest.approx(lengths)  # CartPole: +1 per step, unshaped
    assert env.pop_stats()["shaping_abs_mean"] > 0

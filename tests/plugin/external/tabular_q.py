"""A small offline method written outside langreward, as a third-party package would.

``tabular_q``: collect random-policy transitions of a discrete env (stage ``collect``), solve
the dataset by offline Q-iteration (stage ``solve``), evaluate the greedy policy. It is
registered through the ``langreward.methods`` entry-point group by the tests.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from langreward.plugin import Method, OfflinePipeline, RunContext, Stage


class TabularQSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gamma: float = Field(0.95, gt=0, le=1)
    iterations: int = Field(100, ge=1)


def build(settings: TabularQSettings, context: RunContext) -> OfflinePipeline:
    data, q_file = "data.npz", "q.npy"

    def collect(run_dir: Path) -> None:
        env = gym.make(context.env_id, **context.env_kwargs)
        env.action_space.seed(context.seed)
        obs, _ = env.reset(seed=context.seed)
        rows = []
        for _ in range(context.total_timesteps):
            action = env.action_space.sample()
            next_obs, reward, terminated, truncated, _ = env.step(action)
            rows.append((obs, action, reward, next_obs, terminated))
            obs = env.reset()[0] if terminated or truncated else next_obs
        s, a, r, s2, done = (np.array(column) for column in zip(*rows, strict=True))
        np.savez(run_dir / data, s=s, a=a, r=r, s2=s2, done=done)

    def solve(run_dir: Path) -> None:
        batch = np.load(run_dir / data)
        env = gym.make(context.env_id, **context.env_kwargs)
        q = np.zeros((env.observation_space.n, env.action_space.n))
        for _ in range(settings.iterations):
            target = batch["r"] + settings.gamma * (1 - batch["done"]) * q[batch["s2"]].max(1)
            total = np.zeros_like(q)
            count = np.zeros_like(q)
            np.add.at(total, (batch["s"], batch["a"]), target)
            np.add.at(count, (batch["s"], batch["a"]), 1)
            q = np.where(count > 0, total / np.maximum(count, 1), q)
        np.save(run_dir / q_file, q)

    def evaluate(episodes: int, deterministic: bool) -> dict[str, float]:
        q = np.load(context.run_dir / q_file)
        env = gym.make(context.env_id, **context.env_kwargs)
        returns, lengths = [], []
        for episode in range(episodes):
            obs, _ = env.reset(seed=context.eval_seed + episode)
            done, total, length = False, 0.0, 0
            while not done:
                obs, reward, terminated, truncated, _ = env.step(int(q[obs].argmax()))
                total, length, done = total + float(reward), length + 1, terminated or truncated
            returns.append(total)
            lengths.append(length)
        return {
            "return_mean": float(np.mean(returns)),
            "return_std": float(np.std(returns)),
            "length_mean": float(np.mean(lengths)),
            "episodes": episodes,
        }

    return OfflinePipeline(
        stages=[Stage("collect", collect, (data,)), Stage("solve", solve, (q_file,))],
        evaluate=evaluate,
        summary=lambda: {"gamma": settings.gamma},
    )


METHOD = Method(
    "tabular_q",
    TabularQSettings,
    build,
    description="offline Q-iteration on random-policy data (a test plug-in)",
    online=False,
)

"""Step 2 with DQN (``teduo.qlearning.algorithm: dqn``): Stable-Baselines3's DQN trained
offline, per goal, on the same transitions and rewards as the tabular solver.

Every stored transition goes into DQN's replay buffer once (observation: the abstract planes
and the direction and carried-object one-hots; reward 1 and episode end when the next state
achieves the goal; transitions out of achieved states dropped, as in
:func:`~langreward.teduo.qlearning.solve_goal`); then only gradient steps run, the target
network copied every ``target_update`` steps. The network's values on the dataset's abstract
states fill a :class:`~langreward.teduo.qlearning.QTable` (pairs the data never showed stay
out), so evaluation and step 3 read it like the tabular one; in an abstract state the data
never showed, the saved network decides (the tabular policy acts at random there).

Example:
    >>> settings = DQNSettings(gradient_steps=2000)
    >>> table, net, report = solve_goal_dqn(observations, rows, data.states_from, data.actions,
    ...     data.states_to, achieved, actions_count=7, gamma=0.7, settings=settings, seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from langreward.teduo.abstraction import AbstractView, Batch
from langreward.teduo.config import DQNSettings
from langreward.teduo.proxy import extras_of
from langreward.teduo.qlearning import QTable, likeliest_next


def observations_of(view: AbstractView, batch: Batch) -> np.ndarray:
    """DQN's observations: each state's abstract planes, flattened, then the direction and
    carried-object one-hots (float32, one row per state)."""
    planes = view.planes_batch(batch)
    flat = planes.reshape(len(planes), -1).astype(np.float32)
    return np.concatenate([flat, extras_of(view, batch)], axis=1)


class _SpacesOnly(gym.Env):
    """Only the spaces DQN is built for: offline, it never steps an env."""

    def __init__(self, observation_dim: int, actions: int) -> None:
        self.observation_space = gym.spaces.Box(0.0, 1.0, (observation_dim,), np.float32)
        self.action_space = gym.spaces.Discrete(actions)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        raise RuntimeError("offline DQN: there is no env to reset")

    def step(self, action: Any) -> Any:
        raise RuntimeError("offline DQN: there is no env to step")


class QNetwork:
    """A trained DQN's Q-values as a plain MLP over observations (saved with the tables as
    weights and layer sizes, no pickled classes)."""

    def __init__(self, net: torch.nn.Sequential, sizes: list[int]) -> None:
        self.net = net.eval()
        self.sizes = sizes  # observation size, hidden sizes..., actions

    @classmethod
    def of_dqn(cls, model: Any, observation_dim: int, actions: int) -> QNetwork:
        """The MLP inside SB3's DQN (its flatten extractor is the identity on 1-D inputs)."""
        return cls(model.q_net.q_net, [observation_dim, *model.q_net.net_arch, actions])

    def values(self, observations: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.net(torch.as_tensor(observations, dtype=torch.float32)).numpy()

    def greedy(self, observation: np.ndarray) -> int:
        return int(self.values(observation[None])[0].argmax())

    def save(self, path: Path) -> None:
        torch.save({"sizes": self.sizes, "weights": self.net.state_dict()}, path)

    @classmethod
    def load(cls, path: Path) -> QNetwork:
        from stable_baselines3.common.torch_layers import create_mlp

        saved = torch.load(path, weights_only=True)
        sizes = saved["sizes"]
        net = torch.nn.Sequential(*create_mlp(sizes[0], sizes[-1], sizes[1:-1]))
        net.load_state_dict(saved["weights"])
        return cls(net, sizes)


def solve_goal_dqn(
    observations: np.ndarray,
    rows: np.ndarray,
    states_from: np.ndarray,
    actions: np.ndarray,
    states_to: np.ndarray,
    achieved: np.ndarray,
    *,
    actions_count: int,
    gamma: float,
    settings: DQNSettings,
    seed: int,
) -> tuple[QTable, QNetwork, dict[str, Any]]:
    """DQN for one goal: ``observations`` (one row per stored state), ``rows`` each stored
    state's abstract state, ``achieved`` which stored states achieve the goal. Returns the
    table over abstract states, the network and a report (transitions, final loss, whether
    the greedy policy still changed in the last ``target_update`` steps)."""
    from stable_baselines3 import DQN
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.utils import polyak_update

    keep = ~achieved[states_from]
    start, action, end = states_from[keep], actions[keep], states_to[keep]
    done = achieved[end].astype(np.float32)
    model = DQN(
        "MlpPolicy",
        _SpacesOnly(observations.shape[1], actions_count),
        learning_rate=settings.learning_rate,
        buffer_size=max(len(start), 1),
        learning_starts=0,
        batch_size=settings.batch_size,
        gamma=gamma,
        target_update_interval=settings.target_update,
        policy_kwargs={"net_arch": list(settings.net_arch)},
        seed=seed,
        device="cpu",
    )
    model.set_logger(configure(None, []))
    buffer = model.replay_buffer
    assert buffer is not None  # DQN(...) built it (SB3's _setup_model)
    for i in range(len(start)):
        buffer.add(
            observations[start[i]][None], observations[end[i]][None], np.array([action[i]]),
            done[i : i + 1], done[i : i + 1], [{}],
        )  # fmt: skip
    seen_rows = observations[_first_of_each(rows)]  # one observation per abstract state
    pair = rows[start].astype(np.int64) * actions_count + action.astype(np.int64)
    states = int(rows.max()) + 1 if len(rows) else 0
    seen: np.ndarray = np.zeros(states * actions_count, bool)  # reshaped to 2-D below
    seen[pair] = True
    seen = seen.reshape(states, actions_count)
    q_net = QNetwork.of_dqn(model, observations.shape[1], actions_count)
    greedy_before = None
    changed = True
    steps_done = 0
    while steps_done < settings.gradient_steps and len(start):
        chunk = min(settings.target_update, settings.gradient_steps - steps_done)
        model.train(gradient_steps=chunk, batch_size=settings.batch_size)
        polyak_update(model.q_net.parameters(), model.q_net_target.parameters(), 1.0)
        steps_done += chunk
        greedy = np.where(seen, q_net.values(seen_rows), -np.inf).argmax(axis=1)  # as the table
        changed = greedy_before is None or bool((greedy != greedy_before).any())
        greedy_before = greedy
    q_net.net.eval()
    table = QTable(
        np.where(seen, q_net.values(seen_rows), -np.inf),
        likeliest_next(pair, rows[end], states, actions_count),
        iterations=steps_done,
        converged=not changed,
    )
    loss = model.logger.name_to_value.get("train/loss")
    report = {
        "transitions": int(keep.sum()),
        "final_loss": None if loss is None else float(loss),
        "policy_stable": not changed,
    }
    return table, q_net, report


def _first_of_each(rows: np.ndarray) -> np.ndarray:
    """For each abstract state 0..max, the first stored state in it."""
    distinct, first = np.unique(rows, return_index=True)
    out = np.zeros(int(rows.max()) + 1 if len(rows) else 0, dtype=np.int64)
    out[distinct] = first
    return out

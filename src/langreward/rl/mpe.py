"""MPE2's cooperative tasks as Gymnasium team envs (:class:`~langreward.rl.teams.TeamEnv`).

Registered on import (``pip install 'langreward[marl]'``):

- ``MPE2-SimpleSpread-v3``: ``N`` agents (default 3) cover ``N`` landmarks without colliding;
  25 steps; each agent's reward mixes the shared coverage term (minus the sum over landmarks
  of the nearest agent's distance) and its own collision penalty by ``local_ratio`` (0.5).
- ``MPE2-SimpleTag-v3``: ``num_adversaries`` predators (default 3, the team) chase one
  faster prey that flees by a fixed script (:func:`fleeing_prey`) among ``num_obstacles``
  obstacles (default 2); 25 steps; every predator gets +10 whenever any predator touches the
  prey.

Each env states its task in words (``task``) and the meaning of every block of one agent's
observation (``observation_blocks``), read by methods that describe the task to an LLM.

Example:
    >>> import gymnasium as gym
    >>> env = gym.make("MPE2-SimpleSpread-v3", N=3)
    >>> env.observation_space.shape, env.unwrapped.observation_blocks[2]
    ((3, 18), (4, 6, 'position of each of the 3 landmarks relative to the agent (x, y pairs)'))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from langreward.rl.teams import TeamEnv

MOVES = ("stay", "move left (-x)", "move right (+x)", "move down (-y)", "move up (+y)")


class SimpleSpreadTeam(TeamEnv):
    """MPE2 ``simple_spread_v3`` as a team env (see the module docstring)."""

    def __init__(
        self,
        N: int = 3,
        local_ratio: float = 0.5,
        max_cycles: int = 25,
        render_mode: str | None = None,
    ) -> None:
        from mpe2 import simple_spread_v3

        super().__init__(
            lambda mode: simple_spread_v3.parallel_env(
                N=N,
                local_ratio=local_ratio,
                max_cycles=max_cycles,
                continuous_actions=False,
                render_mode=mode,
            ),
            render_mode=render_mode,
        )
        self.max_cycles = max_cycles
        others = N - 1
        self.task = (
            f"{N} cooperative agents move in a 2D arena and must cover all {N} landmarks: every "
            "landmark should have an agent on it, and agents must not collide with each other "
            "(agents have radius 0.15, so centres closer than 0.3 collide). The team is scored "
            "at every step by minus the sum over landmarks of the distance from the landmark to "
            "its nearest agent, minus 1 per colliding pair."
        )
        self.observation_blocks: tuple[tuple[int, int, str], ...] = (
            (0, 2, "velocity of the agent (vx, vy)"),
            (2, 2, "absolute position of the agent (x, y)"),
            (4, 2 * N, f"position of each of the {N} landmarks relative to the agent (x, y pairs)"),
            (
                4 + 2 * N,
                2 * others,
                f"position of each of the {others} other agents relative to the agent (x, y pairs)",
            ),
            (4 + 2 * N + 2 * others, 2 * others, "communication of the other agents (always 0)"),
        )
        self.action_meanings = MOVES


def fleeing_prey(num_obstacles: int) -> Callable[[str, np.ndarray], int]:
    """The fixed prey of ``MPE2-SimpleTag-v3``: move away from the nearest predator, and back
    toward the centre beyond 0.8 from it (the prey's observation: velocity, position, the
    obstacles' and then the predators' relative positions)."""
    start = 4 + 2 * num_obstacles

    def act(agent: str, obs: np.ndarray) -> int:
        position = obs[2:4]
        predators = obs[start:].reshape(-1, 2)
        nearest = predators[np.argmin(np.linalg.norm(predators, axis=1))]
        away = -nearest / (np.linalg.norm(nearest) + 1e-6)
        away -= 5 * np.sign(position) * np.clip(np.abs(position) - 0.8, 0, None)
        axis = int(np.argmax(np.abs(away)))
        return 1 + 2 * axis + int(away[axis] > 0)  # MOVES: -x, +x, -y, +y

    return act


class SimpleTagTeam(TeamEnv):
    """MPE2 ``simple_tag_v3``: the predators are the team, the prey flees by a script."""

    def __init__(
        self,
        num_adversaries: int = 3,
        num_obstacles: int = 2,
        max_cycles: int = 25,
        render_mode: str | None = None,
    ) -> None:
        from mpe2 import simple_tag_v3

        super().__init__(
            lambda mode: simple_tag_v3.parallel_env(
                num_good=1,
                num_adversaries=num_adversaries,
                num_obstacles=num_obstacles,
                max_cycles=max_cycles,
                continuous_actions=False,
                render_mode=mode,
            ),
            team=[f"adversary_{i}" for i in range(num_adversaries)],
            scripted=fleeing_prey(num_obstacles),
            render_mode=render_mode,
        )
        self.max_cycles = max_cycles
        others = num_adversaries - 1
        self.task = (
            f"{num_adversaries} cooperative predators (radius 0.075, slower) chase one prey "
            "(radius 0.05, faster) that flees from the nearest predator, among "
            f"{num_obstacles} fixed obstacles (radius 0.2). Every time any predator touches the "
            "prey (centres closer than 0.125) the team scores 10 per predator."
        )
        self.observation_blocks: tuple[tuple[int, int, str], ...] = (
            (0, 2, "velocity of the predator (vx, vy)"),
            (2, 2, "absolute position of the predator (x, y)"),
            (
                4,
                2 * num_obstacles,
                "position of each obstacle relative to the predator (x, y pairs)",
            ),
            (
                4 + 2 * num_obstacles,
                2 * others,
                f"position of each of the {others} other predators relative to the predator",
            ),
            (
                4 + 2 * num_obstacles + 2 * others,
                2,
                "position of the prey relative to the predator",
            ),
            (6 + 2 * num_obstacles + 2 * others, 2, "velocity of the prey (vx, vy)"),
        )
        self.action_meanings = MOVES


def _register() -> None:
    specs: dict[str, tuple[str, dict[str, Any]]] = {
        "MPE2-SimpleSpread-v3": ("langreward.rl.mpe:SimpleSpreadTeam", {}),
        "MPE2-SimpleTag-v3": ("langreward.rl.mpe:SimpleTagTeam", {}),
    }
    for env_id, (entry_point, kwargs) in specs.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, kwargs=kwargs)


_register()

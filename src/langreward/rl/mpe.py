"""MPE2's cooperative tasks as Gymnasium team envs (:class:`~langreward.rl.teams.TeamEnv`).

Registered on import (``pip install 'langreward[marl]'``):

- ``MPE2-SimpleSpread-v3``: ``N`` agents (default 3) cover ``N`` landmarks without colliding;
  25 steps; each agent's reward mixes the shared coverage term (minus the sum over landmarks
  of the nearest agent's distance) and its own collision penalty by ``local_ratio`` (0.5).

Each env states its task in words (``task``) and the meaning of every block of one agent's
observation (``observation_blocks``), read by methods that describe the task to an LLM.

Example:
    >>> import gymnasium as gym
    >>> env = gym.make("MPE2-SimpleSpread-v3", N=3)
    >>> env.observation_space.shape, env.unwrapped.observation_blocks[2]
    ((3, 18), (4, 6, 'position of each of the 3 landmarks relative to the agent (x, y pairs)'))
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

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


def _register() -> None:
    specs: dict[str, tuple[str, dict[str, Any]]] = {
        "MPE2-SimpleSpread-v3": ("langreward.rl.mpe:SimpleSpreadTeam", {}),
    }
    for env_id, (entry_point, kwargs) in specs.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, kwargs=kwargs)


_register()

"""A walker in a short corridor: a tiny documented Gymnasium env, as a user would write one."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

LENGTH = 6.0


class CorridorEnv(gym.Env):
    """
    ## Description
    A walker starts at the left end of a corridor six metres long and must reach the door at
    the right end. Each step moves it one metre to the left or to the right.

    ## Action Space
    The action is a `Discrete(2)`:

    - 0: step left, towards the wall
    - 1: step right, towards the door

    ## Observation Space
    | Num | Observation                 | Min | Max | Unit         |
    |-----|-----------------------------|-----|-----|--------------|
    | 0   | position of the walker      | 0   | 6   | position (m) |
    | 1   | distance to the door        | 0   | 6   | distance (m) |

    ## Rewards
    +1 for reaching the door, which ends the episode; -0.05 for every other step.

    ## Episode End
    The episode ends at the door, or after 40 steps.
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"]}

    def __init__(self, render_mode: str | None = None) -> None:
        self.render_mode = render_mode
        self.observation_space = spaces.Box(0.0, LENGTH, shape=(2,), dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self.position = 0.0

    def _obs(self) -> np.ndarray:
        return np.array([self.position, LENGTH - self.position], dtype=np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.position = 0.0
        return self._obs(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        move = 1.0 if int(action) == 1 else -1.0
        self.position = float(np.clip(self.position + move, 0.0, LENGTH))
        at_door = self.position >= LENGTH
        return self._obs(), 1.0 if at_door else -0.05, at_door, False, {}

    def render(self) -> np.ndarray:
        image = np.zeros((1, int(LENGTH) + 1, 3), dtype=np.uint8)
        image[0, int(self.position)] = 255
        return image


class ContinuousCorridorEnv(CorridorEnv):
    """
    ## Description
    A walker starts at the left end of a corridor six metres long and must reach the door at
    the right end. Each step it chooses how far to walk.

    ## Action Space
    | Num | Action                                 | Min | Max | Unit         |
    |-----|----------------------------------------|-----|-----|--------------|
    | 0   | metres walked towards the door         | -1  | 1   | distance (m) |

    ## Observation Space
    | Num | Observation                 | Min | Max | Unit         |
    |-----|-----------------------------|-----|-----|--------------|
    | 0   | position of the walker      | 0   | 6   | position (m) |
    | 1   | distance to the door        | 0   | 6   | distance (m) |

    ## Rewards
    +1 for reaching the door, which ends the episode; -0.05 for every other step.
    """

    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__(render_mode)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        move = float(np.clip(np.asarray(action, dtype=np.float64).reshape(-1)[0], -1.0, 1.0))
        self.position = float(np.clip(self.position + move, 0.0, LENGTH))
        at_door = self.position >= LENGTH
        return self._obs(), 1.0 if at_door else -0.05, at_door, False, {}


class UndocumentedCorridorEnv(CorridorEnv):
    """The same corridor, documented only in part.

    ## Description
    A walker must reach the door at the end of a corridor.
    """

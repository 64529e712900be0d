"""A user's env module that raises while registering (a malformed env id)."""

import gymnasium as gym

gym.register(id="Broken Env!-v0", entry_point="mylab_envs.corridor:CorridorEnv")

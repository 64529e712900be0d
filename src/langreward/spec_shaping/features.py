"""The named observation features a spec may use: names from the env's own docs (or the
config), ranges from states sampled by random play.

Example:
    >>> import gymnasium as gym
    >>> features = env_features(gym.make("MountainCar-v0"))
    >>> features.names
    ['position of the car along the x-axis (m)', 'velocity of the car (v)']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from langreward.envdocs import read_env_docs
from langreward.plugin import MethodError


@dataclass
class EnvFeatures:
    """What a spec may name: one name per component of a flat ``Box`` observation.

    Attributes:
        task: the task in words (from the docs, or the config's instruction).
        names: one name per observation component.
        documented: ``(low, high)`` per component as the docs give them (``None`` when not).
        episode_end: what the docs say ends an episode (empty when they say nothing).
    """

    task: str
    names: list[str]
    documented: list[tuple[float, float] | None]
    episode_end: str = ""


def env_features(
    env: gym.Env, feature_names: Sequence[str] | None = None, instruction: str | None = None
) -> EnvFeatures:
    """The env's features: ``feature_names`` when given, else those its docstring names. The
    task is the docs' description; ``instruction`` stands in where the docs have none.

    Raises:
        MethodError: the observation is not a flat ``Box``, the names do not cover it, or the
            docs name no features and none were given.
    """
    space = env.observation_space
    env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1:
        raise MethodError(
            f"{env_id}: spec shaping reads a flat Box observation (a vector of named "
            f"features); this env's observation space is {space}"
        )
    docs = read_env_docs(env)
    size = int(space.shape[0])
    if feature_names:
        names = list(feature_names)
        documented: list[tuple[float, float] | None] = [None] * size
    else:
        names = [c.label() for c in docs.observation]
        documented = [
            (c.low, c.high) if c.low is not None and c.high is not None and c.low < c.high else None
            for c in docs.observation
        ]
    if len(names) != size:
        given = "spec_shaping.feature_names gives" if feature_names else "the env's docs name"
        lacks = f" ({'; '.join(docs.problems)})" if docs.problems and not feature_names else ""
        raise MethodError(
            f"{env_id}: {given} {len(names)} features, but the observation has {size}{lacks}; "
            f"give spec_shaping.feature_names ({size} names)"
        )
    if len(set(names)) != len(names):
        raise MethodError(f"{env_id}: feature names must be different from each other: {names}")
    words = docs.task_text() or instruction or ""
    if not words:
        raise MethodError(
            f"{env_id}: the docs give no task description; give spec_shaping.instruction"
        )
    return EnvFeatures(words, names, documented, docs.episode_end)


def sample_states(env: gym.Env, steps: int = 2000, seed: int = 0) -> np.ndarray:
    """Observations visited by uniformly random actions (``steps`` of them, resets included)."""
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    states = [np.asarray(obs, dtype=np.float64).ravel()]
    for _ in range(steps - 1):
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            obs, _ = env.reset()
        states.append(np.asarray(obs, dtype=np.float64).ravel())
    return np.stack(states)


def feature_ranges(features: EnvFeatures, states: np.ndarray) -> dict[str, tuple[float, float]]:
    """A normalising range per feature: the 1st to 99th percentile of the sampled states, or
    the documented range where random play leaves the feature (almost) constant, else
    ``[-1, 1]``."""
    ranges: dict[str, tuple[float, float]] = {}
    for i, name in enumerate(features.names):
        low, high = np.percentile(states[:, i], [1.0, 99.0])
        if not high - low > 1e-6:
            low, high = features.documented[i] or (-1.0, 1.0)
        ranges[name] = (round(float(low), 6), round(float(high), 6))
    return ranges

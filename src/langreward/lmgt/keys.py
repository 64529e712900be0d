"""State-action keys: discretise (obs, action) so that repeated states share one judgment.

A judge keeps its judgments in a dict keyed by :class:`StateActionKey`; the coarser the bins,
the more steps are answered from that dict instead of the LLM (and the coarser the judgment).
:class:`TextKey` keys a pair by its description instead: exactly the pairs the LLM cannot tell
apart share one judgment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from langreward.families import family_of
from langreward.text.base import Describer

# Default (low, high, bins) per observation component, for families with unbounded spaces.
DEFAULT_BINS: dict[str, tuple[list[float], list[float], list[int]]] = {
    "CartPole": ([-2.4, -3.0, -0.21, -3.5], [2.4, 3.0, 0.21, 3.5], [6, 6, 14, 14]),
    "MountainCar": ([-1.2, -0.07], [0.6, 0.07], [18, 14]),
    "MountainCarContinuous": ([-1.2, -0.07], [0.6, 0.07], [18, 14]),
    "Pendulum": ([-1.0, -1.0, -8.0], [1.0, 1.0, 8.0], [12, 12, 16]),
}
#: Bins per continuous action component unless told otherwise.
DEFAULT_ACTION_BINS = 8
#: Cell width for an observation component whose space has no finite bounds and no default.
UNBOUNDED_WIDTH = 0.1
_KEYED_SPACES = (
    spaces.Box,
    spaces.Discrete,
    spaces.MultiDiscrete,
    spaces.MultiBinary,
    spaces.Tuple,
)


class StateActionKey:
    """Maps (obs, action[, info]) to a hashable key.

    Box components are clipped to ``[low, high]`` and cut into ``bins`` equal cells (a
    component with infinite bounds and no ``low``/``high`` is rounded to multiples of
    ``width``); integer observations (Discrete, MultiDiscrete, integer Box such as MiniGrid
    images) are kept exactly; Dict observations are keyed part by part. Discrete actions are
    kept; continuous ones are cut into ``action_bins`` cells per component. A ``mission``
    in ``info`` (MiniGrid after ``ImgObsWrapper``) is part of the key.

    Args:
        observation_space: the env's observation space.
        action_space: the env's action space.
        bins: cells per Box component (an int for all, or one per flattened component).
        low: lower bounds (default: the space's, where finite).
        high: upper bounds (default: the space's, where finite).
        action_bins: cells per continuous action component.
        width: cell width for unbounded components.

    Example:
        >>> from gymnasium import spaces
        >>> key = StateActionKey(spaces.Box(-1, 1, (2,)), spaces.Discrete(2), bins=4)
        >>> key([0.1, -0.9], 1) == key([0.2, -0.8], 1)
        True
    """

    def __init__(
        self,
        observation_space: spaces.Space[Any],
        action_space: spaces.Space[Any],
        *,
        bins: int | Sequence[int] = 10,
        low: Sequence[float] | None = None,
        high: Sequence[float] | None = None,
        action_bins: int = DEFAULT_ACTION_BINS,
        width: float = UNBOUNDED_WIDTH,
    ) -> None:
        self.observation_space = observation_space
        self.action_space = action_space
        self.width = float(width)
        if width <= 0:
            raise ValueError(f"width must be > 0, got {width}")
        if action_bins < 1:
            raise ValueError(f"action_bins must be >= 1, got {action_bins}")
        self._box = _BoxBins.for_space(observation_space, bins, low, high, width)
        part_bins = bins if isinstance(bins, int) else 10
        self._parts = (
            {
                name: _BoxBins.for_space(sub, part_bins, None, None, width)
                for name, sub in observation_space.spaces.items()
            }
            if isinstance(observation_space, spaces.Dict)
            else {}
        )
        self._action_box = (
            _BoxBins.for_space(action_space, action_bins, None, None, width)
            if isinstance(action_space, spaces.Box)
            else None
        )

    def obs_key(self, obs: Any) -> Hashable:
        """The key of an observation alone."""
        return _obs_key(obs, self.observation_space, self._box, self._parts, self.width)

    def action_key(self, action: Any) -> Hashable:
        """The key of an action alone."""
        if self._action_box is not None:
            return self._action_box(action)
        return tuple(int(v) for v in np.asarray(action).reshape(-1))

    def __call__(self, obs: Any, action: Any, info: Mapping[str, Any] | None = None) -> Hashable:
        mission = (info or {}).get("mission")
        if mission is None and isinstance(obs, Mapping):
            mission = obs.get("mission")
        key = (self.obs_key(obs), self.action_key(action))
        return (*key, mission) if isinstance(mission, str) else key


class TextKey:
    """Keys a pair by its description in words, the LLM judge's whole input.

    The natural key where observations are finer than their description, e.g. MiniGrid
    images: every distinct image is a new pair, but many describe alike ("a red ball 2 steps
    ahead"). Coarser or finer than a :class:`StateActionKey` depending on the describer.

    Example:
        >>> from langreward.text import CartPoleDescriber
        >>> key = TextKey(CartPoleDescriber())
        >>> key([0.0, 0.0, 0.05, 0.0], 1) == key([0.001, 0.0, 0.05, 0.0], 1)
        True
    """

    def __init__(self, describer: Describer) -> None:
        self.describer = describer

    def __call__(self, obs: Any, action: Any, info: Mapping[str, Any] | None = None) -> str:
        return self.describer.describe(obs, action, info or {})


#: Either kind of key a judge can remember its judgments by.
PairKey = StateActionKey | TextKey


class _BoxBins:
    """Equal-width bins over a Box (components without finite bounds: fixed-width rounding)."""

    def __init__(self, low: np.ndarray, high: np.ndarray, bins: np.ndarray, width: float):
        self.low, self.high, self.bins, self.width = low, high, bins, width
        self.bounded = np.isfinite(low) & np.isfinite(high) & (high > low)

    @classmethod
    def for_space(
        cls,
        space: spaces.Space[Any],
        bins: int | Sequence[int],
        low: Sequence[float] | None,
        high: Sequence[float] | None,
        width: float,
    ) -> _BoxBins | None:
        if not isinstance(space, spaces.Box) or np.issubdtype(space.dtype, np.integer):
            return None
        size = int(np.prod(space.shape))
        lows = np.asarray(low if low is not None else space.low.reshape(-1), dtype=np.float64)
        highs = np.asarray(high if high is not None else space.high.reshape(-1), dtype=np.float64)
        counts = np.asarray(bins, dtype=np.int64).reshape(-1)
        counts = np.full(size, counts[0]) if counts.size == 1 else counts
        for name, array in (("low", lows), ("high", highs), ("bins", counts)):
            if array.size != size:
                raise ValueError(f"key {name} has {array.size} values for {size} components")
        if (counts < 1).any():
            raise ValueError(f"key bins must be >= 1, got {counts.tolist()}")
        return cls(lows, highs, counts, width)

    def __call__(self, value: Any) -> tuple[int, ...]:
        x = np.asarray(value, dtype=np.float64).reshape(-1)
        span = np.where(self.bounded, self.high - self.low, 1.0)
        scaled = (np.clip(x, self.low, self.high) - np.where(self.bounded, self.low, 0.0)) / span
        cells = np.where(
            self.bounded,
            np.minimum(np.floor(scaled * self.bins), self.bins - 1),
            np.floor(x / self.width),
        )
        return tuple(int(c) for c in cells)


def _obs_key(
    obs: Any,
    space: spaces.Space[Any],
    box: _BoxBins | None,
    parts: Mapping[str, _BoxBins | None],
    width: float,
) -> Hashable:
    if box is not None:
        return box(obs)
    if isinstance(space, spaces.Dict):
        return tuple(
            (name, _obs_key(obs[name], sub, parts.get(name), {}, width))
            for name, sub in space.spaces.items()
            if isinstance(sub, _KEYED_SPACES)
        )
    if isinstance(space, spaces.Tuple):
        return tuple(int(v) for v in np.concatenate([np.asarray(v).reshape(-1) for v in obs]))
    array = np.asarray(obs)
    if array.size <= 16:
        return tuple(array.reshape(-1).tolist())
    return hashlib.blake2b(np.ascontiguousarray(array).tobytes(), digest_size=12).hexdigest()


def key_for_spaces(
    observation_space: spaces.Space[Any],
    action_space: spaces.Space[Any],
    family: str | None = None,
    *,
    bins: int | Sequence[int] | None = None,
    low: Sequence[float] | None = None,
    high: Sequence[float] | None = None,
    action_bins: int | None = None,
) -> StateActionKey:
    """A key for two spaces, with the defaults of an env ``family`` (anything given overrides)."""
    defaults = DEFAULT_BINS.get(family or "")
    if defaults is not None and isinstance(observation_space, spaces.Box):
        d_low, d_high, d_bins = defaults
        if int(np.prod(observation_space.shape)) == len(d_bins):
            low = low if low is not None else d_low
            high = high if high is not None else d_high
            bins = bins if bins is not None else d_bins
    return StateActionKey(
        observation_space,
        action_space,
        bins=bins if bins is not None else 10,
        low=low,
        high=high,
        action_bins=action_bins or DEFAULT_ACTION_BINS,
    )


def default_key(
    env: gym.Env,
    *,
    bins: int | Sequence[int] | None = None,
    low: Sequence[float] | None = None,
    high: Sequence[float] | None = None,
    action_bins: int | None = None,
) -> StateActionKey:
    """The key for an env, with sensible bins for known families (anything given overrides).

    Example:
        >>> import gymnasium as gym
        >>> key = default_key(gym.make("CartPole-v1"))
        >>> key([0.0, 0.0, 0.01, 0.0], 1)
        ((3, 3, 7, 7), (1,))
    """
    return key_for_spaces(
        env.observation_space,
        env.action_space,
        family.name if (family := family_of(env)) is not None else None,
        bins=bins,
        low=low,
        high=high,
        action_bins=action_bins,
    )

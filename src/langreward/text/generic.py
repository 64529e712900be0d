"""A describer for any Box/Discrete environment, driven by optional feature and action names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

from langreward.envdocs import component_count
from langreward.text.base import Describer, describe_continuous, discrete


class GenericDescriber(Describer):
    """Describes observations as ``name=value`` lists and actions by name or value.

    Without names it falls back to ``x[0]=+0.12, x[1]=-3.40`` for observations,
    ``action 2`` for discrete actions and ``a[0] +0.30 (range -1..1)`` for continuous ones.

    Args:
        observation_space: the env's observation space (Box, Discrete, MultiDiscrete,
            MultiBinary, Tuple or Dict of those).
        action_space: the env's action space (Discrete, Box or MultiDiscrete).
        feature_names: one name per (flattened) observation component.
        action_names: one name per discrete action, or per continuous action component.
        task: what the agent should do, for the prompt.
        blocks: ``(start, size, name)`` runs of observation values (MuJoCo's ``cinert``...)
            shown as one summary each (``cinert (130 values): mean +0.12, largest |x| 3.40``)
            instead of value by value.
        digits: decimals shown for continuous values.

    Example:
        >>> from gymnasium import spaces
        >>> d = GenericDescriber(spaces.Box(-1, 1, (2,)), spaces.Discrete(2),
        ...                      feature_names=["x", "y"], action_names=["left", "right"])
        >>> d.describe([0.5, -0.25], 1)
        'State: x=+0.50, y=-0.25. Action: right.'
    """

    def __init__(
        self,
        observation_space: spaces.Space[Any],
        action_space: spaces.Space[Any],
        *,
        feature_names: Sequence[str] | None = None,
        action_names: Sequence[str] | None = None,
        task: str | None = None,
        blocks: Sequence[tuple[int, int, str]] = (),
        digits: int = 2,
    ) -> None:
        if not isinstance(action_space, spaces.Discrete | spaces.Box | spaces.MultiDiscrete):
            raise TypeError(
                f"GenericDescriber supports Discrete, Box and MultiDiscrete actions, got "
                f"{type(action_space).__name__}"
            )
        self.observation_space = observation_space
        self.action_space = action_space
        self.feature_names = list(feature_names) if feature_names is not None else None
        self.digits = digits
        self.blocks = [(int(start), int(size), str(name)) for start, size, name in blocks]
        if task:
            self.task = task
        # what fell back to x[i] / "action i" / the default task: for "fill these" messages
        self.missing = tuple(
            name
            for name, given in (
                ("task", bool(task)),
                ("feature_names", feature_names is not None),
                ("action_names", action_names is not None),
            )
            if not given
        )
        if isinstance(action_space, spaces.Discrete):
            count = int(action_space.n)
            names = list(action_names) if action_names is not None else None
            if names is not None and len(names) != count:
                raise ValueError(f"action_names has {len(names)} names for {count} actions")
            self.action_names = names or [f"action {i}" for i in range(count)]
            self._component_names: list[str] | None = None
        else:
            size = int(np.prod(action_space.shape))
            names = list(action_names) if action_names is not None else None
            if names is not None and len(names) != size:
                raise ValueError(f"action_names has {len(names)} names for {size} components")
            self._component_names = names or [f"a[{i}]" for i in range(size)]
            self.action_names = None
        flat_size = component_count(observation_space)
        if self.feature_names is not None and flat_size is not None:
            if len(self.feature_names) != flat_size:
                raise ValueError(
                    f"feature_names has {len(self.feature_names)} names for an observation "
                    f"of {flat_size} components"
                )

    def _number(self, value: float) -> str:
        return f"{value:+.{self.digits}f}" if not float(value).is_integer() else f"{int(value)}"

    def _values(self, values: np.ndarray, names: Sequence[str] | None, prefix: str) -> str:
        flat = np.asarray(values, dtype=np.float64).reshape(-1)
        labels = names if names is not None else [f"{prefix}[{i}]" for i in range(flat.size)]
        in_block = np.zeros(flat.size, dtype=bool)
        summaries = []
        for start, size, name in self.blocks:
            part = flat[start : start + size]
            if part.size:
                in_block[start : start + size] = True
                summaries.append(
                    f"{name} ({part.size} values): mean {self._number(part.mean())}, "
                    f"largest |x| {abs(part).max():.{self.digits}f}"
                )
        singles = [
            f"{n}={self._number(v)}"
            for i, (n, v) in enumerate(zip(labels, flat, strict=False))
            if not in_block[i]
        ]
        return ", ".join(singles + summaries)

    def _describe(
        self, obs: Any, space: spaces.Space[Any], names: Sequence[str] | None, prefix: str
    ) -> str:
        if isinstance(space, spaces.Dict):
            return "; ".join(
                f"{key}: {self._describe(obs[key], sub, None, key)}"
                for key, sub in space.spaces.items()
                if isinstance(
                    sub,
                    spaces.Box
                    | spaces.Discrete
                    | spaces.MultiDiscrete
                    | spaces.MultiBinary
                    | spaces.Tuple,
                )
            )
        if isinstance(space, spaces.Tuple):
            values = [
                discrete(v) if isinstance(s, spaces.Discrete) else v
                for v, s in zip(obs, space.spaces, strict=True)
            ]
            flat = np.concatenate([np.asarray(v, dtype=np.float64).reshape(-1) for v in values])
            return self._values(flat, names, prefix)
        if isinstance(space, spaces.Discrete):
            value = discrete(obs)
            return f"{names[0]}={value}" if names else f"state {value}"
        return self._values(np.asarray(obs), names, prefix)

    def state(self, obs: Any, info: Mapping[str, Any] | None = None) -> str:
        return self._describe(obs, self.observation_space, self.feature_names, "x")

    def action(self, action: Any) -> str:
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            return self.discrete_action_name(discrete(action) - int(space.start))
        values = np.asarray(action, dtype=np.float64).reshape(-1)
        assert self._component_names is not None
        if isinstance(space, spaces.MultiDiscrete):
            return ", ".join(
                f"{n}={int(v)}" for n, v in zip(self._component_names, values, strict=False)
            )
        low, high = space.low.reshape(-1), space.high.reshape(-1)
        return ", ".join(
            describe_continuous(n, v, lo, hi, digits=self.digits)
            for n, v, lo, hi in zip(self._component_names, values, low, high, strict=False)
        )

"""Describer for MiniGrid and BabyAI: the agent's egocentric view and its mission in words.

``minigrid`` is an optional dependency (``pip install 'langreward[minigrid]'``); it is imported
only when a :class:`MiniGridDescriber` is created.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from langreward.text.base import Describer, discrete

_DIRECTIONS = ("east", "south", "west", "north")
_ACTIONS = (
    "turn left",
    "turn right",
    "move forward",
    "pick up the object in front",
    "drop the carried object in front",
    "toggle (open/close) the object in front",
    "declare the task done",
)


def _minigrid_constants() -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    try:
        from minigrid.core.constants import IDX_TO_COLOR, IDX_TO_OBJECT, STATE_TO_IDX
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "MiniGridDescriber needs the 'minigrid' package: pip install 'langreward[minigrid]'"
        ) from exc
    idx_to_state = {index: name for name, index in STATE_TO_IDX.items()}
    return dict(IDX_TO_OBJECT), dict(IDX_TO_COLOR), idx_to_state


def _steps(count: int, forward: str, backward: str) -> str:
    word = forward if count > 0 else backward
    count = abs(count)
    return f"{count} step{'s' if count != 1 else ''} {word}"


class MiniGridDescriber(Describer):
    """MiniGrid/BabyAI: objects in the agent's view, what is in front, what it carries.

    Accepts the raw dict observation (``image``, ``direction``, ``mission``) or just the
    ``image`` array (after ``ImgObsWrapper``); then the mission is read from
    ``info["mission"]`` or from ``mission`` given here.

    Args:
        mission: a fixed mission text used when neither the observation nor the info has one.
        grid: also include the view as a small text map (one character per cell).

    Example:
        >>> d = MiniGridDescriber()  # doctest: +SKIP
        >>> d.describe(env.reset()[0], 2)  # doctest: +SKIP
        'State: mission: go to the red ball; facing north; in front: empty floor; you see: a red
        ball 2 steps ahead and 1 step to the left; carrying nothing. Action: move forward.'
    """

    task = "Complete the mission written in the state, moving in a grid world."
    action_names = _ACTIONS

    _SYMBOLS = {
        "unseen": "?",
        "empty": ".",
        "wall": "#",
        "floor": ".",
        "door": "D",
        "key": "K",
        "ball": "O",
        "box": "B",
        "goal": "G",
        "lava": "~",
        "agent": "A",
    }

    def __init__(self, mission: str | None = None, *, grid: bool = False) -> None:
        self.mission = mission
        self.grid = grid
        self._objects, self._colors, self._states = _minigrid_constants()

    # -- parts ----------------------------------------------------------------------------
    def _cell(self, cell: np.ndarray) -> str:
        kind = self._objects.get(int(cell[0]), "unknown")
        if kind in ("empty", "floor"):
            return "empty floor"
        if kind in ("unseen", "wall", "goal", "lava"):
            return {
                "unseen": "an unseen cell",
                "wall": "a wall",
                "goal": "the green goal square",
                "lava": "lava",
            }[kind]
        color = self._colors.get(int(cell[1]), "")
        if kind == "door":
            return f"a {self._states.get(int(cell[2]), 'closed')} {color} door"
        return f"a {color} {kind}"

    def _objects_in_view(self, image: np.ndarray) -> list[str]:
        size = image.shape[0]
        centre = size // 2
        seen: list[tuple[int, str]] = []
        for x in range(image.shape[0]):
            for y in range(image.shape[1]):
                kind = self._objects.get(int(image[x, y, 0]), "unknown")
                if kind in ("unseen", "empty", "floor", "wall", "agent"):
                    continue
                if (x, y) == (centre, image.shape[1] - 1):
                    continue  # the carried object is drawn on the agent's own cell
                ahead, right = image.shape[1] - 1 - y, x - centre
                where = []
                if ahead:
                    where.append(_steps(ahead, "ahead", "behind"))
                if right:
                    where.append(_steps(right, "to the right", "to the left"))
                seen.append(
                    (
                        ahead + abs(right),
                        f"{self._cell(image[x, y])} {' and '.join(where) or 'here'}",
                    )
                )
        return [text for _, text in sorted(seen)]

    def _free_ahead(self, image: np.ndarray) -> int:
        centre, count = image.shape[0] // 2, 0
        for y in range(image.shape[1] - 2, -1, -1):
            if self._objects.get(int(image[centre, y, 0])) not in ("empty", "floor", "goal"):
                break
            count += 1
        return count

    def _text_map(self, image: np.ndarray) -> str:
        rows = []
        for y in range(image.shape[1]):
            row = "".join(
                self._SYMBOLS.get(self._objects.get(int(image[x, y, 0]), "unseen"), "?")
                for x in range(image.shape[0])
            )
            rows.append(row)
        centre = image.shape[0] // 2
        last = list(rows[-1])
        last[centre] = "^"
        rows[-1] = "".join(last)
        return "/".join(rows)

    # -- Describer ------------------------------------------------------------------------
    def state(self, obs: Any, info: Mapping[str, Any] | None = None) -> str:
        from_info = (info or {}).get("mission")
        if isinstance(obs, Mapping):
            image = np.asarray(obs["image"])
            mission = obs.get("mission") or from_info or self.mission
            direction = obs.get("direction")
        else:
            image, direction = np.asarray(obs), None
            mission = from_info or self.mission
        if image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(
                "MiniGridDescriber expects the (view, view, 3) 'image' observation (raw dict "
                f"obs or ImgObsWrapper), got shape {image.shape}"
            )
        parts = [f"mission: {mission}" if mission else "mission: unknown"]
        if direction is not None:
            parts.append(f"facing {_DIRECTIONS[discrete(direction) % 4]}")
        centre, bottom = image.shape[0] // 2, image.shape[1] - 1
        parts.append(f"in front: {self._cell(image[centre, bottom - 1])}")
        parts.append(f"free cells straight ahead: {self._free_ahead(image)}")
        objects = self._objects_in_view(image)
        parts.append("you see: " + ("; ".join(objects) if objects else "no objects"))
        carried = self._objects.get(int(image[centre, bottom, 0]))
        parts.append(
            "carrying nothing"
            if carried in ("empty", "unseen", "agent", None)
            else f"carrying {self._cell(image[centre, bottom])}"
        )
        if self.grid:
            parts.append(f"view (rows far to near, ^ is you): {self._text_map(image)}")
        return "; ".join(parts)

    def action(self, action: Any) -> str:
        return self.discrete_action_name(action)

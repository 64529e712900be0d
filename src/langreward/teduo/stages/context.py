"""What every TEDUO stage shares: the run directory, its JSON files, and the earlier stages'
results read back from them (goals, the dataset, each goal's abstraction)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from langreward.plugin import RunContext, Stage
from langreward.teduo.abstraction import AbstractView, Relevance
from langreward.teduo.config import TEDUOSettings
from langreward.teduo.goals import Goal
from langreward.teduo.levels import level_of
from langreward.teduo.transitions import Transitions, load_transitions


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically (numpy scalars become plain numbers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_plain) + "\n")
    tmp.replace(path)


def read_json(path: Path) -> Any:
    """The JSON in ``path``."""
    return json.loads(path.read_text())


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def goal_id(index: int, goal: Goal) -> str:
    """A file-name-safe id, e.g. ``03-pickup-blue-box``."""
    words = [goal.kind, goal.obj[1], goal.obj[0]]
    if goal.target:
        words += [goal.target[1], goal.target[0]]
    return f"{index:02d}-" + "-".join(words)


def goal_record(goal: Goal) -> dict[str, Any]:
    """A goal as ``goals.json`` stores it (without its id and instruction)."""
    return {"kind": goal.kind, "obj": list(goal.obj), "target": list(goal.target or []) or None}


def goal_from(data: dict[str, Any]) -> Goal:
    """The goal of a :func:`goal_record`."""
    target = tuple(data["target"]) if data.get("target") else None
    return Goal(data["kind"], tuple(data["obj"]), target)


class TEDUORun:
    """One TEDUO run as its stages see it: settings, the runner's context, the level and the
    run directory ``dir``, with the earlier stages' results read from their files."""

    def __init__(self, settings: TEDUOSettings, context: RunContext) -> None:
        self.settings = settings
        self.context = context
        self.level = level_of(context.env_id)  # ValueError: not a TEDUO level
        self.dir = context.run_dir
        self.seed = context.seed
        self._data: Transitions | None = None

    def stage(self, name: str, step: Callable[[TEDUORun], None], outputs: tuple[str, ...]) -> Stage:
        """The runner's :class:`~langreward.plugin.Stage` for ``step(self)``, its wall time
        recorded in ``timings.json`` once it returned (the runner passes ``self.dir``)."""

        def run(_run_dir: Path) -> None:
            started = time.perf_counter()
            step(self)
            write_json(
                self.dir / "timings.json",
                {**self.timings(), name: round(time.perf_counter() - started, 3)},
            )

        return Stage(name, run, outputs)

    def progress(self, done: int, total: int, unit: str) -> None:
        """How far the running stage has got (shown beside its name)."""
        self.context.progress(done, total, unit)

    # -- files ---------------------------------------------------------------------------
    def read(self, name: str) -> Any:
        """The JSON file ``name`` of the run directory."""
        return read_json(self.dir / name)

    def write(self, name: str, data: Any) -> None:
        """Write ``data`` as the JSON file ``name`` of the run directory."""
        write_json(self.dir / name, data)

    def timings(self) -> dict[str, float]:
        """Each finished stage's wall time in seconds (``timings.json``)."""
        path = self.dir / "timings.json"
        return read_json(path) if path.exists() else {}

    # -- earlier stages' results ---------------------------------------------------------
    def goals(self, split: str = "train") -> list[tuple[str, Goal]]:
        """The ``train`` or ``test`` goals with their ids (``goals.json``)."""
        return [(entry["id"], goal_from(entry)) for entry in self.read("goals.json")[split]]

    def data(self) -> Transitions:
        """The unlabelled dataset (``dataset/``), loaded once."""
        if self._data is None:
            self._data = load_transitions(self.dir / "dataset", self.level)
        return self._data

    def views(self) -> dict[str, AbstractView]:
        """Each goal's abstraction (goals whose abstraction failed are left out)."""
        return {
            gid: AbstractView(
                Relevance.model_validate(entry["relevance"]),
                drop_other_rooms=self.settings.drop_other_rooms,
            )
            for gid, entry in self.read("abstractions.json").items()
            if entry["relevance"] is not None
        }

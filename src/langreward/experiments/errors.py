"""Typed errors of :mod:`langreward.experiments`; each message names what is wrong and the fix."""

from __future__ import annotations

from pathlib import Path

from langreward.plugin.registry import MethodNotAvailableError

__all__ = [
    "ConfigError",
    "ExperimentError",
    "MethodNotAvailableError",
    "RunExistsError",
    "RunInterrupted",
]


class ExperimentError(Exception):
    """Base class of every error raised by :mod:`langreward.experiments`."""


class ConfigError(ExperimentError, ValueError):
    """An invalid experiment config (file, ``--set`` override or sweep grid).

    ``str(error)`` is one line per problem, each naming the field path and what is allowed.
    """

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class RunExistsError(ExperimentError):
    """The run directory already holds an unfinished run and ``resume`` was not asked for."""


class RunInterrupted(KeyboardInterrupt):  # noqa: N818 - it *is* a KeyboardInterrupt
    """Ctrl-C stopped a run; a checkpoint was saved first, so the run can be resumed."""

    def __init__(self, run_dir: Path, timesteps: int) -> None:
        super().__init__(f"run interrupted at {timesteps} steps; checkpoint saved in {run_dir}")
        self.run_dir = run_dir
        self.timesteps = timesteps

"""One line for every failure a user can cause; the traceback only with ``--debug``.

Example:
    >>> explain(ModuleNotFoundError("No module named 'minigrid'", name="minigrid"))
    (2, "missing optional dependency 'minigrid': pip install 'langreward[minigrid]'")
    >>> explain(PermissionError(13, "Permission denied", "runs/x"))
    (2, 'cannot write runs/x: Permission denied')
"""

from __future__ import annotations

import sqlite3

#: The pip extra that brings each optional module.
EXTRA_OF: dict[str, str] = {
    "minigrid": "langreward[minigrid]",
    "mujoco": "langreward[mujoco]",
    "imageio": "langreward[mujoco]",
    "ray": "langreward[ray]",
    "transformers": "langreward[hf]",
    "Box2D": "gymnasium[box2d]",
    "pygame": "gymnasium[classic-control]",
}

USER_ERROR = 2
INTERNAL_ERROR = 1
INTERRUPTED = 130


def explain(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line to print for an exception that reached the CLI."""
    import gymnasium as gym

    from langreward.experiments import ExperimentError
    from langreward.llm import LLMError
    from langreward.plugin import MethodError, MethodNotAvailableError

    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED, "interrupted"
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        extra = EXTRA_OF.get(top)
        hint = f": pip install '{extra}'" if extra else f" (pip install {top})"
        return USER_ERROR, f"missing optional dependency {top!r}{hint}"
    if isinstance(exc, gym.error.DependencyNotInstalled):
        return USER_ERROR, f"missing optional dependency: {exc}"
    if isinstance(exc, gym.error.Error):
        return USER_ERROR, f"environment: {exc}"
    if isinstance(exc, PermissionError | IsADirectoryError | NotADirectoryError | FileExistsError):
        where = f"{exc.filename}" if exc.filename else "a file"
        return USER_ERROR, f"cannot write {where}: {exc.strerror}"
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return USER_ERROR, f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, sqlite3.DatabaseError):
        return USER_ERROR, f"a database file could not be read: {exc}"
    if isinstance(
        exc, ExperimentError | LLMError | MethodError | MethodNotAvailableError | ImportError
    ):
        return USER_ERROR, str(exc)
    return (
        INTERNAL_ERROR,
        f"internal error ({type(exc).__name__}: {exc}); run again with --debug for the "
        "traceback, and please report it",
    )

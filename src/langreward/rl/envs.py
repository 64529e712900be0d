"""Where env ids are resolved: a user's own env modules, and env families that need a step
before SB3 can train on them (MiniGrid/BabyAI).

An env id is what Gymnasium accepts: a registered id (``"CartPole-v1"``) or
``"module:EnvId"`` (``"mypackage.envs:MyEnv-v0"``: the module is imported, which registers the
id). A config's ``env.imports`` lists more modules to import in every process of a run.
:func:`env_imports_problem` and :func:`env_id_problem` check both without making the env; the
runner calls :func:`import_env_modules` in each process (sweep workers, Ray tasks included).
What a family needs comes from :mod:`langreward.families`.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import sys
from collections.abc import Callable, Iterable

import gymnasium as gym

from langreward.families import family_of
from langreward.rl.mazes import maze_map_problem

EnvWrapper = Callable[[gym.Env], gym.Env]


def is_minigrid(env_id: str) -> bool:
    """Whether ``env_id`` is a MiniGrid or BabyAI env."""
    family = family_of(env_id)
    return family is not None and family.name == "MiniGrid"


def env_kwargs_problem(env_id: str, kwargs: dict[str, object]) -> str | None:
    """A family's own check of ``env.kwargs`` before the env is made (one line, or ``None``):
    a hand-written ``maze_map`` for PointMaze and AntMaze (:mod:`langreward.rl.mazes`).

    Example:
        >>> env_kwargs_problem("PointMaze_UMaze-v3", {"maze_map": [[1, 1], [1, 1]]})
        "env.kwargs.maze_map: no free cell: the maze needs at least one cell that is 0, 'g', 'r' or 'c'"
    """
    family = family_of(env_id)
    if family is not None and family.name == "Maze" and "maze_map" in kwargs:
        problem = maze_map_problem(kwargs["maze_map"])
        return None if problem is None else f"env.kwargs.maze_map: {problem}"
    return None


def _register_team_envs() -> None:
    from langreward.rl import mpe  # noqa: F401  (registers MPE2-SimpleSpread-v3, MPE2-SimpleTag-v3)


#: Families whose ids this package registers itself, imported here by name (where the import
#: contracts see it) rather than through a module string in :mod:`langreward.families`.
_OWN_FAMILIES: dict[str, Callable[[], None]] = {"MPE2": _register_team_envs}


def register_env_family(env_id: str) -> None:
    """Register the env's family with Gymnasium where it needs it (``gym.register_envs``).

    Raises:
        ImportError: the family's package is missing; the message says what to install.
    """
    family = family_of(env_id)
    if family is not None and family.name in _OWN_FAMILIES:
        _OWN_FAMILIES[family.name]()
        return
    if family is None or family.package is None:
        return
    try:
        with (
            contextlib.redirect_stderr(io.StringIO())
            if family.quiet_import
            else contextlib.nullcontext()
        ):
            module = importlib.import_module(family.package)
    except ImportError as exc:
        raise ImportError(
            f"{env_id} needs the {family.package!r} package: "
            f"pip install 'langreward[{family.extra or family.package}]'"
        ) from exc
    gym.register_envs(module)


_MODULE_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
#: The env ids each module registered when this process first imported it here.
_REGISTERED_BY: dict[str, list[str]] = {}


class EnvModuleError(ImportError):
    """A module named by an env id or ``env.imports`` cannot be imported, or raised while
    registering its envs. The message names the module and the env id."""


def split_env_id(env_id: str) -> tuple[str | None, str]:
    """Split Gymnasium's ``"module:EnvId"`` form: ``(module or None, the registered id)``.

    Example:
        >>> split_env_id("mypackage.envs:MyEnv-v0")
        ('mypackage.envs', 'MyEnv-v0')
        >>> split_env_id("CartPole-v1")
        (None, 'CartPole-v1')
    """
    module, sep, name = env_id.partition(":")
    return (module, name) if sep else (None, env_id)


def _import_problem(module: str, env_id: str, named_in: str) -> str | None:
    """Import ``module`` (it registers envs); what went wrong, naming the module and the id."""
    where = f"module {module!r} (named in {named_in}, for env {env_id!r})"
    if not _MODULE_NAME.match(module):
        return f"{where}: not a Python module name (e.g. mypackage.envs)"
    fresh = module not in sys.modules
    before = set(gym.registry)
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (module == missing or module.startswith(missing + ".")):
            return (
                f"cannot import {where}: no module named {missing!r}; install the package that "
                "provides it (pip install -e .) or add its folder to PYTHONPATH"
            )
        return f"importing {where} failed: it needs the missing module {missing!r}"
    except Exception as exc:
        return (
            f"{where} raised while importing or registering its envs: {type(exc).__name__}: {exc}"
        )
    if fresh:
        _REGISTERED_BY[module] = sorted(set(gym.registry) - before)
    return None


def _registered_by(module: str) -> list[str]:
    """The env ids ``module`` registered when we imported it, and those whose entry points
    live in its package (it may have been imported before we looked)."""
    top = module.split(".")[0]
    found = list(_REGISTERED_BY.get(module, []))
    for env_id, spec in gym.registry.items():
        entry = spec.entry_point
        where = (
            entry.partition(":")[0] if isinstance(entry, str) else getattr(entry, "__module__", "")
        )
        if where == top or str(where).startswith(top + "."):
            found.append(env_id)
    return sorted(set(found))


def import_env_modules(modules: Iterable[str], env_id: str = "") -> None:
    """Import the modules that register a run's envs (``env.imports``) in this process.

    Raises:
        EnvModuleError: a module cannot be imported or raised while registering (the message
            names the module and ``env_id``).
    """
    for module in modules:
        problem = _import_problem(module, env_id, "env.imports")
        if problem:
            raise EnvModuleError(problem)


def env_imports_problem(modules: Iterable[str], env_id: str = "") -> str | None:
    """What keeps the ``env.imports`` modules from being imported (``None``: all imported)."""
    try:
        import_env_modules(modules, env_id)
    except EnvModuleError as exc:
        return str(exc)
    return None


def env_id_problem(env_id: str, imports: Iterable[str] = ()) -> str | None:
    """What keeps ``env_id`` from being made, without making it (``None``: it is registered).

    A ``"module:EnvId"`` id imports its module first (as ``gymnasium.make`` does); ``imports``
    are modules already imported for it (``env.imports``), named when the id is still unknown.

    Example:
        >>> env_id_problem("CartPole-v1") is None
        True
        >>> env_id_problem("CartPole-v9")
        "unknown environment 'CartPole-v9': Environment version `v9` for environment ..."
        >>> env_id_problem("no_such_package:MyEnv-v0")
        "cannot import module 'no_such_package' (named in env id, for env ..."
    """
    try:
        register_env_family(env_id)
    except ImportError as exc:
        return str(exc)
    module, name = split_env_id(env_id)
    if module is not None:
        if ":" in name or not module or not name:
            return f"environment {env_id!r}: write a module's env as MODULE:ENV_ID, e.g. mypackage.envs:MyEnv-v0"
        problem = _import_problem(module, env_id, "env id")
        if problem:
            return problem
    try:
        gym.spec(name)
    except gym.error.Error as exc:
        modules = [module] if module is not None else list(imports)
        if not modules:
            return f"unknown environment {env_id!r}: {exc}"
        registered = sorted({i for m in modules for i in _registered_by(m)})
        listing = (
            f"it registers {', '.join(registered)}"
            if registered
            else "it registers no envs (does it call gymnasium.register when imported?)"
        )
        which = " or ".join(repr(m) for m in modules)
        return (
            f"unknown environment {env_id!r}: module {which} was imported but registers no "
            f"env {name!r} ({exc}); {listing}"
        )
    return None


def image_observations(env_id: str) -> EnvWrapper | None:
    """A wrapper keeping only the image of the dict observation for families whose mission
    text SB3 cannot take (MiniGrid/BabyAI); ``None`` for other envs."""
    family = family_of(env_id)
    if family is None or not family.image_only:
        return None
    from minigrid.wrappers import ImgObsWrapper

    return ImgObsWrapper

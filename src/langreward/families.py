"""Env families: which family an env belongs to, and what langreward knows about it, looked up
one way.

A family is matched from an env id (any version, with or without a ``module:`` or namespace
prefix) or an env instance (its registered id, else its unwrapped class). Each layer registers
the knowledge it owns under the family's name when it is imported: ``langreward.text`` the
describers, ``langreward.lmgt`` the reference policies and default key bins,
``langreward.lare`` the observation/action forms and reference encoders. So a lookup finds a
part once the package that owns it is imported, and no lower layer names a higher one.
Families that live in a method package (TEDUO's levels) are registered by that package with
:func:`register_family`, declared as its method's ``env_families`` (see
:mod:`langreward.plugin.envs`).

Example:
    >>> family_of("BabyAI-GoToLocal-v0").name, family_of("gymnasium:Hopper-v5").name
    ('MiniGrid', 'Hopper')
    >>> family_of("Acrobot-v1") is None
    True
    >>> register_knowledge("Pendulum", "doc_example", 42)
    >>> knowledge("Pendulum-v1", "doc_example"), knowledge("CartPole-v1", "doc_example")
    (42, None)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class _EnvLike(Protocol):
    # Read-only, so gymnasium's Env (whose `unwrapped` is a property) matches.
    @property
    def spec(self) -> Any: ...
    @property
    def unwrapped(self) -> Any: ...


@dataclass(frozen=True)
class EnvFamily:
    """One env family.

    Attributes:
        name: the family's name (``"CartPole"``), the key of its knowledge.
        prefixes: env id names that belong to it (``"BabyAI"`` matches ``BabyAI-GoTo-v0``).
        classes: unwrapped class names that belong to it (for envs made without an id).
        module: a module prefix of the unwrapped class that marks it (``"minigrid."``).
        package: the package whose envs must be registered with Gymnasium first.
        extra: the langreward extra that installs ``package``.
        image_only: SB3 trains on the image of its dict observation (MiniGrid's mission text
            cannot go into a policy network).
        quiet_import: its package prints notices on import that concern none of its envs used
            here (Gymnasium-Robotics prints one about its Adroit envs); they are not shown.
    """

    name: str
    prefixes: tuple[str, ...]
    classes: tuple[str, ...] = ()
    module: str | None = None
    package: str | None = None
    extra: str | None = None
    image_only: bool = False
    quiet_import: bool = False


#: Known families, first match wins (so MountainCarContinuous comes before MountainCar).
FAMILIES: tuple[EnvFamily, ...] = (
    EnvFamily("CartPole", ("CartPole",), ("CartPoleEnv",)),
    EnvFamily("MountainCarContinuous", ("MountainCarContinuous",), ("Continuous_MountainCarEnv",)),
    EnvFamily("MountainCar", ("MountainCar",), ("MountainCarEnv",)),
    EnvFamily("Pendulum", ("Pendulum",), ("PendulumEnv",)),
    EnvFamily("Blackjack", ("Blackjack",), ("BlackjackEnv",)),
    # MPE2's cooperative tasks as team envs (registered by the rl layer: rl/envs.py)
    EnvFamily("MPE2", ("MPE2",)),
    EnvFamily(  # Gymnasium-Robotics' goal-conditioned mazes
        "Maze",
        ("PointMaze", "AntMaze"),
        module="gymnasium_robotics.",
        package="gymnasium_robotics",
        extra="robotics",
        quiet_import=True,
    ),
    EnvFamily(
        "MiniGrid",
        ("MiniGrid", "BabyAI"),
        module="minigrid.",
        package="minigrid",
        extra="minigrid",
        image_only=True,
    ),
    EnvFamily("Hopper", ("Hopper",), ("HopperEnv",)),
    EnvFamily("Walker2d", ("Walker2d",), ("Walker2dEnv",)),
    EnvFamily("HalfCheetah", ("HalfCheetah",), ("HalfCheetahEnv",)),
    EnvFamily("Swimmer", ("Swimmer",), ("SwimmerEnv",)),
)

_KNOWLEDGE: dict[tuple[str, str], Any] = {}
_ADDED: list[EnvFamily] = []  # families registered by users, matched before the built-ins


def register_family(family: EnvFamily) -> None:
    """Teach langreward a new env family (matched before the built-in ones).

    Example:
        >>> register_family(EnvFamily("Acrobot", ("Acrobot",), ("AcrobotEnv",)))
        >>> family_of("Acrobot-v1").name
        'Acrobot'
        >>> unregister_family("Acrobot")
    """
    unregister_family(family.name)
    _ADDED.insert(0, family)


def unregister_family(name: str) -> None:
    """Forget a family added with :func:`register_family` (and its knowledge)."""
    _ADDED[:] = [f for f in _ADDED if f.name != name]
    for key in [k for k in _KNOWLEDGE if k[0] == name]:
        del _KNOWLEDGE[key]


def all_families() -> list[EnvFamily]:
    """Every family, user-registered first, in matching order."""
    return [*_ADDED, *FAMILIES]


def id_name(env_id: str | None) -> str:
    """The bare env name of an id: ``"gymnasium:ALE/Pong-v5"`` -> ``"Pong-v5"``."""
    return (env_id or "").split(":")[-1].split("/")[-1]


def family_of(env: str | _EnvLike | None) -> EnvFamily | None:
    """The family of an env id or env instance, or ``None`` when langreward knows none."""
    classes: tuple[type, ...]
    if env is None or isinstance(env, str):
        name, classes = id_name(env), ()
    else:
        name = id_name(env.spec.id if env.spec is not None else None)
        classes = tuple(cls for cls in type(env.unwrapped).__mro__)
    for family in all_families():
        if name and name.startswith(family.prefixes):
            return family
        for cls in classes:
            if cls.__name__ in family.classes or (
                family.module and cls.__module__.startswith(family.module)
            ):
                return family
    return None


def register_knowledge(family: str, part: str, value: Any) -> None:
    """Record one part of what is known about ``family`` (a describer factory, a form...)."""
    known = [f.name for f in all_families()]
    if family not in known:
        raise ValueError(
            f"unknown env family {family!r}; known: {', '.join(known)} "
            "(add one with register_family)"
        )
    _KNOWLEDGE[(family, part)] = value


def knowledge(env: str | _EnvLike | None, part: str) -> Any:
    """The ``part`` registered for the env's family, or ``None``."""
    family = family_of(env)
    return None if family is None else _KNOWLEDGE.get((family.name, part))


def families_with(part: str) -> list[str]:
    """The families that have ``part`` registered (for error messages)."""
    return [name for (name, known) in _KNOWLEDGE if known == part]

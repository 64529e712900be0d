"""Env preparation, in one place: what an env id needs before it can be made in this process.

Two things, both idempotent and cheap once done:

1. the env families a method declares (:attr:`Method.env_families`): families that live in a
   method package, such as TEDUO's BabyAI levels, register themselves with
   :mod:`langreward.families` and their ids with Gymnasium; the bottom layer names no method;
2. the env family's own registration with Gymnasium (MiniGrid/BabyAI, MPE2, the mazes:
   :func:`langreward.rl.envs.register_env_family`).

The runner calls :func:`prepare_env` before a method's ``build`` (and the pre-flight before it
makes the env), in every process of a run; :meth:`RunContext.make_env` and
:meth:`RunContext.make_vec_env` call it too, so a method built directly (a doctest, a script)
finds its env ready. No method registers env families itself.

Example:
    >>> from langreward.plugin import get_method
    >>> prepare_env("BabyAI-GoToLocal-v0")  # imports minigrid, which registers its ids
    >>> prepare_env("TEDUO-TwoRooms-v0", get_method("teduo"))  # TEDUO's own levels
    >>> import gymnasium as gym
    >>> gym.spec("TEDUO-TwoRooms-v0").id
    'TEDUO-TwoRooms-v0'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langreward.rl.envs import register_env_family

if TYPE_CHECKING:
    from langreward.plugin.protocol import Method


def declare_env_families(*methods: Method) -> None:
    """Register the env families ``methods`` declare (:attr:`Method.env_families`)."""
    for method in methods:
        if method.env_families is not None:
            method.env_families()


def prepare_env(env_id: str, *methods: Method) -> None:
    """Get ``env_id`` ready to be made here: the families ``methods`` declare, then the env
    family's registration with Gymnasium.

    Raises:
        ImportError: the family's package is missing; the message says what to install.
    """
    declare_env_families(*methods)
    register_env_family(env_id)

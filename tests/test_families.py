"""One place knows env families: every layer's knowledge is found by the same lookup."""

from __future__ import annotations

import gymnasium as gym
import pytest
from gymnasium.envs.classic_control import CartPoleEnv

import langreward.lare.forms  # noqa: F401  (registers LaRe forms)
import langreward.lare.reference_encoders  # noqa: F401  (registers reference encoders)
import langreward.lmgt  # noqa: F401  (registers reference policies)
from langreward.families import (
    FAMILIES,
    EnvFamily,
    family_of,
    knowledge,
    register_family,
    register_knowledge,
    unregister_family,
)


@pytest.mark.parametrize(
    ("env_id", "family"),
    [
        ("CartPole-v1", "CartPole"),
        ("MountainCarContinuous-v0", "MountainCarContinuous"),
        ("MountainCar-v0", "MountainCar"),
        ("gymnasium:Pendulum-v1", "Pendulum"),
        ("BabyAI-GoToLocal-v0", "MiniGrid"),
        ("MiniGrid-Empty-5x5-v0", "MiniGrid"),
        ("Hopper-v5", "Hopper"),
        ("Acrobot-v1", None),
        ("", None),
    ],
)
def test_family_of_an_id(env_id: str, family: str | None) -> None:
    found = family_of(env_id)
    assert (found.name if found else None) == family


def test_an_env_without_a_registered_id_is_known_by_its_class() -> None:
    assert family_of(CartPoleEnv()).name == "CartPole"
    assert family_of(gym.make("CartPole-v1")).name == "CartPole"


def test_each_layers_knowledge_is_found_one_way() -> None:
    env = gym.make("Pendulum-v1")
    assert knowledge(env, "describer")(env).__class__.__name__ == "PendulumDescriber"
    assert knowledge(env, "reference")(env).name == "pendulum-energy-pd"
    assert knowledge("Pendulum-v1", "lare_form").action_range == (-2.0, 2.0)
    assert "def" in knowledge("Pendulum-v1", "reference_encoder")
    assert knowledge("Acrobot-v1", "describer") is None


def test_minigrid_family_prepares_envs_for_sb3() -> None:
    (minigrid,) = [f for f in FAMILIES if f.name == "MiniGrid"]
    assert minigrid.package == "minigrid" and minigrid.image_only


def test_knowledge_of_an_unknown_family_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown env family 'Cartpole'"):
        register_knowledge("Cartpole", "describer", object())


def test_a_user_family_is_matched_and_its_describer_used() -> None:
    from langreward.text import GenericDescriber, describer_for

    register_family(EnvFamily("Acrobot", ("Acrobot",), ("AcrobotEnv",)))
    env = gym.make("Acrobot-v1")
    try:
        made = GenericDescriber(env.observation_space, env.action_space, task="swing up")
        register_knowledge("Acrobot", "describer", lambda env: made)
        assert family_of("Acrobot-v1").name == "Acrobot"
        assert describer_for(env) is made
    finally:
        unregister_family("Acrobot")
    assert family_of("Acrobot-v1") is None and knowledge(env, "describer") is None

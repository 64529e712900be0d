"""The docstring reader on every classic-control, toy-text and MuJoCo env installed here."""

from __future__ import annotations

import warnings

import gymnasium as gym
import pytest
from gymnasium.spaces import Discrete

from langreward.envdocs import component_count, read_env_docs

FAMILIES = ("classic_control", "toy_text", "mujoco")
ENV_IDS = sorted(
    env_id
    for env_id, spec in gym.registry.items()
    if isinstance(spec.entry_point, str) and any(f in spec.entry_point for f in FAMILIES)
)
#: Envs whose docs give every observation component and action (their spaces as made here).
DOCUMENTED = {
    "CartPole-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1", "Acrobot-v1",
    "Blackjack-v1", "FrozenLake-v1", "CliffWalking-v1", "Taxi-v4", "Reacher-v5", "Pusher-v5",
    "InvertedPendulum-v5", "InvertedDoublePendulum-v5", "HalfCheetah-v5", "Hopper-v5",
    "Swimmer-v5", "Walker2d-v5", "Ant-v5", "Humanoid-v5", "HumanoidStandup-v5", "Hopper-v4",
}  # fmt: skip


def make(env_id: str) -> gym.Env:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return gym.make(env_id)
        except (ImportError, gym.error.DependencyNotInstalled) as exc:
            pytest.skip(f"{env_id} cannot be made here: {exc}")


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_names_match_the_spaces_or_the_gap_is_said(env_id: str) -> None:
    env = make(env_id)
    docs = read_env_docs(env)
    if docs.observation:
        assert len(docs.observation) == component_count(env.observation_space)
        assert all(c.name for c in docs.observation)
    if docs.actions:
        space = env.action_space
        assert len(docs.actions) == (
            space.n if isinstance(space, Discrete) else component_count(space)
        )
    if not docs.documented:
        assert docs.problems, "an incomplete reading must say what is missing"
    if env_id in DOCUMENTED:
        assert docs.documented and not docs.problems, docs.problems
        assert len(docs.task) > 40
    env.close()


def test_acrobot_names_units_and_ranges() -> None:
    docs = read_env_docs(make("Acrobot-v1"))
    assert docs.observation[4].name == "Angular velocity of theta1"
    assert docs.observation[4].low == pytest.approx(-12.567)
    assert docs.actions[2].label() == "apply 1 torque to the actuated joint (N m)"
    assert "links" in docs.task and "Reward:" in docs.task_text()


def test_mujoco_blocks_are_grouped() -> None:
    pytest.importorskip("mujoco")
    humanoid = read_env_docs(make("Humanoid-v5"))
    assert [(b.name, b.start, b.size) for b in humanoid.blocks] == [
        ("cinert", 45, 130),
        ("cvel", 175, 78),
        ("qfrc_actuator", 253, 17),
        ("cfrc_ext", 270, 78),
    ]
    assert humanoid.observation[0].label() == "z-coordinate of the torso (centre) (m)"
    assert "walk forward" in humanoid.task


def test_an_undocumented_version_reads_its_documented_sibling_when_the_sizes_match() -> None:
    pytest.importorskip("mujoco")
    docs = read_env_docs(make("Hopper-v4"))
    assert docs.source.startswith("Hopper-v5") and docs.documented
    humanoid_v4 = read_env_docs(make("Humanoid-v4"))  # 376 components, v5 documents 348
    assert not humanoid_v4.observation
    assert "376" in humanoid_v4.problems[0]


def test_an_env_without_docs_says_so() -> None:
    class Bare(gym.Env):
        observation_space = gym.spaces.Box(-1, 1, (3,))
        action_space = Discrete(2)

    docs = read_env_docs(Bare())
    assert not docs.documented and "no documentation" in docs.problems[0]

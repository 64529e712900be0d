"""Env preparation in one place: the runner prepares every method's env (its family, and the
families a method declares); no method registers env families itself; the bottom layers name
no method package."""

from __future__ import annotations

import re
from pathlib import Path

import gymnasium as gym
import pytest
from pydantic import BaseModel, ConfigDict

import langreward
from langreward.experiments import run_experiment, validate_config
from langreward.families import EnvFamily, all_families, family_of, register_family
from langreward.families import unregister_family as forget_family
from langreward.plugin import Method, OnlineSetup, RunContext, get_method, prepare_env
from langreward.plugin import register as register_method
from langreward.plugin import unregister as unregister_method
from langreward.plugin.registry import BUILTIN

SRC = Path(langreward.__file__).parent
ENV_ID = "ProbeRooms-v0"  # exists only through the probe method's declaration
FAMILY = EnvFamily("ProbeRooms", ("ProbeRooms",))
METHOD_PACKAGES = sorted({t.partition(":")[0].split(".")[1] for t in BUILTIN.values()})


def _declare() -> None:
    if FAMILY not in all_families():
        register_family(FAMILY)
    if ENV_ID not in gym.registry:
        gym.register(ENV_ID, entry_point="gymnasium.envs.classic_control:CartPoleEnv")


def _forget() -> None:
    forget_family(FAMILY.name)
    gym.registry.pop(ENV_ID, None)


class ProbeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


SEEN: list[str | None] = []


def _build(settings: ProbeSettings, context: RunContext) -> OnlineSetup:
    family = family_of(context.env_id)
    SEEN.append(family.name if family is not None else None)  # prepared before build?
    return OnlineSetup(context.make_vec_env(), context.make_vec_env(evaluation=True))


@pytest.fixture
def probe_method():
    register_method(Method("probe_envs", ProbeSettings, _build, env_families=_declare))
    yield
    unregister_method("probe_envs")
    _forget()


def test_prepare_env_runs_the_methods_declaration_then_the_family() -> None:
    calls = []
    method = Method("m", ProbeSettings, _build, env_families=lambda: calls.append(1))
    prepare_env("CartPole-v1", method, method)
    assert calls == [1, 1]
    prepare_env("BabyAI-GoToLocal-v0")  # imports minigrid, which registers its ids
    assert gym.spec("BabyAI-GoToLocal-v0") is not None


def test_teduo_levels_come_from_the_method_declaration() -> None:
    method = get_method("teduo")
    assert method.env_families is not None
    forget_family("TEDUO")
    assert family_of("TEDUO-TwoRooms-v0") is None
    prepare_env("TEDUO-TwoRooms-v0", method)
    assert family_of("TEDUO-TwoRooms-v0").image_only
    assert gym.spec("TEDUO-TwoRooms-v0").id == "TEDUO-TwoRooms-v0"


def test_the_runner_prepares_a_declared_env_before_build(probe_method, tmp_path) -> None:
    config = {
        "name": "probe",
        "method": "probe_envs",
        "env": {"id": ENV_ID},
        "algo": "ppo",
        "algo_kwargs": {"n_steps": 64, "batch_size": 32, "n_epochs": 1},
        "total_timesteps": 64,
        "seeds": [0],
        "eval": {"episodes": 1},
    }
    validated = validate_config(config, "probe")  # the id is known through the declaration
    _forget()  # a fresh worker process knows nothing of it
    SEEN.clear()
    result = run_experiment(validated, tmp_path / "run")
    assert result.status == "finished" and SEEN == ["ProbeRooms"]


def test_no_method_registers_env_families_in_its_build() -> None:
    plugins = [p for package in METHOD_PACKAGES for p in (SRC / package).rglob("plugin.py")]
    assert len(plugins) == len(BUILTIN)
    registering = [str(p) for p in plugins if "register_env_family" in p.read_text()]
    assert registering == [], "the runner prepares the env (langreward.plugin.prepare_env)"


def test_the_lower_layers_name_no_method_package() -> None:
    lower = [SRC / "families.py", SRC / "envdocs.py"]
    for folder in ("llm", "rl", "text", "codegen"):
        lower += sorted((SRC / folder).rglob("*.py"))
    lower += [p for p in (SRC / "plugin").glob("*.py") if p.name != "registry.py"]
    # a module name in a string (an import the contracts cannot see), not prose in docs
    pattern = re.compile(r"[\"']langreward\.(" + "|".join(METHOD_PACKAGES) + r")\b")
    named = [
        f"{p.relative_to(SRC)}: {m.group(0)}"
        for p in lower
        for m in pattern.finditer(p.read_text())
    ]
    assert named == []

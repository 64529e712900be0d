"""Envs without built-in knowledge: LMGT's judge prompt and LaRe's encoder prompt use the names
derived from the env's docs; ``lmgt.describer`` and ``lare.form`` give or replace them."""

from __future__ import annotations

import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from typer.testing import CliRunner

from langreward.cli.main import app
from langreward.experiments import ConfigError, validate_config
from langreward.lare.config import LaReSettings
from langreward.lare.encoder import form_of
from langreward.lare.forms import FormError, form_for
from langreward.lare.prompts import candidate_prompt
from langreward.lmgt import LMGTSettings
from langreward.lmgt.plugin import build
from langreward.plugin import RunContext, RunLLM


def _make(env_id: str) -> gym.Env:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gym.make(env_id)


def test_lmgt_judge_prompt_speaks_of_acrobots_joints(tmp_path: Path) -> None:
    llm = RunLLM("scripted")
    context = RunContext("Acrobot-v1", "ppo", 0, 1, 256, tmp_path, llm=llm)
    settings = LMGTSettings.parse({"batch_size": 2, "budget": {"kind": "first_n", "steps": 4}})
    setup = build(settings, context)
    setup.env.reset()
    for _ in range(4):
        setup.env.step(np.array([0]))
    prompts = [request.messages for request in llm.get().backend.requests]
    text = "\n".join(content for messages in prompts for _, content in messages)
    assert "Angular velocity of theta1=" in text and "x[4]" not in text
    assert "apply -1 torque to the actuated joint" in text
    assert "links" in text and "Act well in the environment" not in text
    setup.close()


def test_lmgt_describer_section_overrides_the_docs(tmp_path: Path) -> None:
    llm = RunLLM("scripted")
    context = RunContext("Acrobot-v1", "ppo", 0, 1, 256, tmp_path, llm=llm)
    names = [f"f{i}" for i in range(6)]
    settings = LMGTSettings.parse(
        {"describer": {"feature_names": names, "task": "Swing up."}, "batch_size": 1}
    )
    setup = build(settings, context)
    setup.env.reset()
    setup.env.step(np.array([1]))
    [content] = [c for _, c in llm.get().backend.requests[0].messages if "f5=" in c]
    assert "apply 0 torque" in content  # the actions still come from the docs
    system = llm.get().backend.requests[0].messages[0][1]
    assert "Swing up." in system
    setup.close()


def test_lare_encoder_prompt_for_ant_uses_the_docs_and_groups_blocks() -> None:
    pytest.importorskip("mujoco")
    env = _make("Ant-v5")
    prompt = candidate_prompt(form_for("Ant-v5", env))
    assert "obs[:, 27:105] (78 values): cfrc_ext" in prompt
    assert "angle between torso and first link on front left (rad)" in prompt
    assert (
        "action[:, 0]: Torque applied on the rotor between the torso and back right hip" in prompt
    )
    assert "quadruped" in prompt
    assert "obs[:, 60]" not in prompt  # inside the block: not listed one by one


def test_lare_form_section_fills_what_the_docs_lack() -> None:
    pytest.importorskip("mujoco")
    settings = LaReSettings.model_validate({"form": {"observation": [f"o{i}" for i in range(376)]}})
    form = form_of(settings, "Humanoid-v4", None)  # v5's docs give 348 of v4's 376: not used
    assert form.obs_dim == 376 and form.observation[375] == "o375"
    assert "walk forward" in form.task  # task and actions still come from the docs
    with pytest.raises(FormError, match=r"give lare.form.observation \(376 meanings"):
        form_of(LaReSettings(), "Humanoid-v4", None)
    with pytest.raises(FormError, match="the form has 3 observation"):
        form_of(LaReSettings.model_validate({"form": {"observation": ["a", "b", "c"]}}),
                "Hopper-v5", None)  # fmt: skip


def test_lare_form_section_is_validated() -> None:
    base = {"name": "x", "method": "lare", "env": "Pendulum-v1", "algo": "sac",
            "total_timesteps": 100}  # fmt: skip
    with pytest.raises(ConfigError, match=r"lare.form.obsevation: unknown field; allowed fields"):
        validate_config({**base, "lare": {"form": {"obsevation": ["a"]}}})
    with pytest.raises(ConfigError, match="action_range must be"):
        validate_config({**base, "lare": {"form": {"action_range": [1, -1]}}})


def test_describe_command(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["describe", "Acrobot-v1"])
    assert result.exit_code == 0, result.output
    assert "Angular velocity of theta1" in result.output
    assert "lmgt tells its LLM" in result.output
    lare = runner.invoke(app, ["describe", "FrozenLake-v1", "--method", "lare"])
    assert "not applicable: LaRe needs Box observations" in " ".join(lare.output.split())
    missing = runner.invoke(app, ["describe", "NoSuch-v0"])
    assert missing.exit_code == 2 and "unknown environment 'NoSuch-v0'" in missing.output

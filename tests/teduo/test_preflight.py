"""TEDUO's pre-flight rules: a goal set that cannot train and a model that cannot be
fine-tuned are one config error before the data is collected or an LLM is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from langreward.experiments import ConfigError, load_config, run_experiment
from langreward.experiments.preflight import preflight_problems
from langreward.teduo.goals import split_goals
from langreward.teduo.pipeline import NO_TRAINING_GOAL

CONFIG = Path(__file__).parents[2] / "configs" / "teduo" / "two_rooms.yaml"

pytest.importorskip("minigrid")


@pytest.mark.parametrize(
    "overrides",
    [
        ["teduo.goals.kinds=[]"],
        ["env.id=TEDUO-OneRoom-v0", "teduo.goals.kinds=[open]"],  # one room: no doors
    ],
)
def test_no_training_goal_is_a_config_error_before_anything_runs(overrides, tmp_path) -> None:
    config = load_config(CONFIG, [*overrides, "llm=scripted", "seeds=[0]"])
    with pytest.raises(ConfigError) as error:
        run_experiment(config, tmp_path / "run")
    assert error.value.problems == [NO_TRAINING_GOAL]
    assert "add layouts (teduo.data.layouts) or kinds (teduo.goals.kinds)" in NO_TRAINING_GOAL
    assert not (tmp_path / "run").exists()


def test_a_missing_model_to_fine_tune_is_found_before_anything_runs() -> None:
    config = load_config(CONFIG, ["teduo.sft.model=/no/such/model", "seeds=[0]"])
    [line] = preflight_problems(config)
    assert line.startswith("teduo.sft.model: '/no/such/model' is neither 'embedded'")
    assert preflight_problems(load_config(CONFIG, ["teduo.distill=false", "seeds=[0]"])) == []


def test_no_goals_split_into_nothing() -> None:
    assert split_goals([]) == ([], [])

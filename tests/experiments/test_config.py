from __future__ import annotations

from pathlib import Path

import pytest

from langreward.experiments import ConfigError, apply_overrides, load_config, validate_config

GOOD = """
name: demo
method: baseline
env: CartPole-v1
algo: ppo
algo_kwargs: {n_steps: 128}
total_timesteps: 1000
seeds: 3
eval: {every: 500, episodes: 2}
lmgt: {scale: 0.5}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str, *overrides: str) -> list[str]:
    """The error lines of loading ``text`` with ``overrides`` (it must fail)."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    lines = str(info.value).splitlines()
    assert lines and all(line.startswith(f"{path}: ") for line in lines), lines
    return lines


def test_good_config_resolves_shorthands_and_seed_count(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.env.id == "CartPole-v1" and config.env.kwargs == {}
    assert config.seeds == [0, 1, 2]
    assert config.llm == "embedded" and config.threshold is None
    assert config.method_section() == {} and config.method_settings().model_dump() == {}
    assert config.lmgt == {"scale": 0.5}
    # the resolved config round-trips through YAML
    again = load_config(write(tmp_path, config.to_yaml()))
    assert again == config


def test_invalid_method_names_the_field_and_choices(tmp_path):
    (line,) = problems(tmp_path, GOOD.replace("method: baseline", "method: lmgtt"))
    assert (
        "method: unknown method 'lmgtt'" in line and "baseline, lare, lare_marl, lgr2, lmgt" in line
    )


def test_unknown_field_lists_allowed_fields(tmp_path):
    lines = problems(tmp_path, GOOD + "total_steps: 5\neval2: {}\n")
    assert len(lines) == 2
    assert lines[0].split(": ")[1] in {"total_steps", "eval2"}
    assert "unknown field" in lines[0] and "total_timesteps" in lines[0]


def test_nested_errors_name_the_path_one_line_each(tmp_path):
    lines = problems(
        tmp_path,
        GOOD.replace("episodes: 2", "episodes: 0, often: 1").replace("algo: ppo", "algo: ppo2"),
    )
    text = "\n".join(lines)
    assert len(lines) == 3, text
    assert "eval.episodes: Input should be greater than or equal to 1 (got 0)" in text
    assert "eval.often: unknown field; allowed fields here: every, episodes, deterministic" in text
    assert "algo:" in text and "'td3'" in text


def test_missing_required_and_bad_types(tmp_path):
    text = "\n".join(line for line in GOOD.splitlines() if not line.startswith("total_timesteps"))
    lines = problems(tmp_path, text + "\nthreshold: high\nseeds: 0\n")
    joined = "\n".join(lines)
    assert "total_timesteps: required field is missing" in joined
    assert "threshold: Input should be a valid number" in joined
    assert "seeds: a seed count must be at least 1" in joined


def test_unknown_algo_kwargs_list_valid_names(tmp_path):
    (line,) = problems(tmp_path, GOOD.replace("n_steps: 128", "n_stepz: 128"))
    assert "algo_kwargs.n_stepz: not an argument of PPO" in line
    assert "n_steps" in line and "learning_rate" in line
    (line,) = problems(tmp_path, GOOD.replace("n_steps: 128", "seed: 3"))
    assert "algo_kwargs.seed: set by the runner" in line and "seeds" in line
    # DQN has other arguments
    (line,) = problems(
        tmp_path, GOOD.replace("algo: ppo", "algo: dqn").replace("n_steps", "n_epochs")
    )
    assert "algo_kwargs.n_epochs: not an argument of DQN" in line and "buffer_size" in line


def test_yaml_and_file_errors_are_one_line(tmp_path):
    (line,) = problems(tmp_path, "name: [unclosed\n")
    assert "not valid YAML" in line and "line" in line
    (line,) = problems(tmp_path, "- a list\n")
    assert "must be a mapping" in line
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.yaml")


def test_set_overrides_parse_yaml_values(tmp_path):
    config = load_config(
        write(tmp_path, GOOD),
        [
            "algo_kwargs.learning_rate=1e-3",
            "algo_kwargs.policy_kwargs={net_arch: [32, 32]}",
            "env.kwargs.max_episode_steps=50",
            "seeds=[4, 7]",
            "lmgt.scale=0.2",
            "lmgt.budget.kind=first_n",
            "lmgt.budget.steps=100",
            "threshold=~",
            "name=other",
        ],
    )
    assert config.algo_kwargs["learning_rate"] == pytest.approx(1e-3)
    assert config.algo_kwargs["policy_kwargs"] == {"net_arch": [32, 32]}
    assert config.env.kwargs == {"max_episode_steps": 50}
    assert config.seeds == [4, 7]
    assert config.sections()["lmgt"] == {"scale": 0.2, "budget": {"kind": "first_n", "steps": 100}}
    assert config.threshold is None and config.name == "other"


def test_set_override_errors(tmp_path):
    (line,) = problems(tmp_path, GOOD, "eval.episodes=-1")
    assert "eval.episodes" in line
    with pytest.raises(ConfigError, match="expected KEY.SUB=VALUE"):
        load_config(write(tmp_path, GOOD), ["eval.episodes"])
    with pytest.raises(ConfigError, match="cannot set inside 'name'"):
        load_config(write(tmp_path, GOOD), ["name.x=1"])
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, GOOD), ["lmgt={a: [}"])


def test_apply_overrides_does_not_touch_the_input():
    raw = {"env": "CartPole-v1", "eval": {"episodes": 2}}
    out = apply_overrides(raw, ["eval.episodes=5", "env.kwargs.x=1"])
    assert raw == {"env": "CartPole-v1", "eval": {"episodes": 2}}
    assert out == {"env": {"id": "CartPole-v1", "kwargs": {"x": 1}}, "eval": {"episodes": 5}}


def test_run_keys_depend_on_seed_and_settings_not_name(tiny_config):
    a, b = tiny_config(), tiny_config(name="renamed")
    assert a.config_key() == b.config_key()
    assert a.run_key(0) != a.run_key(1)
    assert a.config_key() != tiny_config(lmgt={"scale": 1.0}).config_key()


def test_validate_config_rejects_non_mapping():
    with pytest.raises(ConfigError, match="must be a mapping"):
        validate_config(["x"], "here")  # type: ignore[arg-type]

"""A user's own env package (``tests/user_envs``, not installed) in describe, runs, sweeps and Ray.

The env is named as Gymnasium names it, ``mylab_envs:Corridor-v0`` (import the module, then
make the id), or by its id with ``env.imports: [mylab_envs]``. Every process of a run must be
able to import the package: here its folder goes on ``sys.path`` (this process and spawned
sweep workers) and on ``PYTHONPATH`` (Ray's workers).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from langreward.cli.main import app
from langreward.experiments import ConfigError, ExperimentConfig, run_experiment, validate_config
from langreward.rl.envs import env_id_problem, env_imports_problem, split_env_id

USER_ENVS = Path(__file__).parent / "user_envs"
runner = CliRunner()

CONFIG = """
name: corridor
method: baseline
env: {id: "mylab_envs:Corridor-v0"}
algo: ppo
algo_kwargs: {n_steps: 64, batch_size: 32, n_epochs: 1}
total_timesteps: 128
seeds: 1
eval: {episodes: 1}
"""

#: (env id, env.imports) -> what the one error line must say (the module and the id).
BROKEN = {
    ("no_such_lab:Corridor-v0", ()): (
        "env.id: cannot import module 'no_such_lab' (named in env id, for env "
        "'no_such_lab:Corridor-v0'): no module named 'no_such_lab'"
    ),
    ("mylab_envs:Hallway-v0", ()): (
        "env.id: unknown environment 'mylab_envs:Hallway-v0': module 'mylab_envs' was imported "
        "but registers no env 'Hallway-v0'"
    ),
    ("broken_envs:Corridor-v0", ()): (
        "env.id: module 'broken_envs' (named in env id, for env 'broken_envs:Corridor-v0') "
        "raised while importing or registering its envs: Error: Malformed environment ID"
    ),
    ("Hallway-v0", ("quiet_envs",)): (
        "env.id: unknown environment 'Hallway-v0': module 'quiet_envs' was imported but "
        "registers no env 'Hallway-v0'"
    ),
    ("Corridor-v0", ("no_such_lab",)): (
        "env.imports: cannot import module 'no_such_lab' (named in env.imports, for env "
        "'Corridor-v0')"
    ),
    ("Corridor-v0", ("broken_envs",)): (
        "env.imports: module 'broken_envs' (named in env.imports, for env 'Corridor-v0') "
        "raised while importing or registering its envs"
    ),
}


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def user_envs(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's env folder importable here, in spawned workers and in Ray's workers."""
    monkeypatch.syspath_prepend(str(USER_ENVS))
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(USER_ENVS), path])))
    return USER_ENVS


def _write_config(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / "corridor.yaml"
    path.write_text(text)
    return path


def test_split_env_id() -> None:
    assert split_env_id("mylab_envs.sub:Corridor-v0") == ("mylab_envs.sub", "Corridor-v0")
    assert split_env_id("Corridor-v0") == (None, "Corridor-v0")


def test_env_id_problems_name_the_module_and_the_id(user_envs: Path) -> None:
    assert env_id_problem("mylab_envs:Corridor-v0") is None
    assert env_imports_problem(["mylab_envs"], "HalfDocCorridor-v0") is None
    assert env_id_problem("HalfDocCorridor-v0", ["mylab_envs"]) is None
    for (env_id, imports), expected in BROKEN.items():
        field, _, message = expected.partition(": ")
        problem = env_imports_problem(imports, env_id) or env_id_problem(env_id, imports)
        assert problem is not None and message in problem, (env_id, problem)
    listing = env_id_problem("mylab_envs:Hallway-v0")
    assert listing is not None
    assert "it registers ContinuousCorridor-v0, Corridor-v0, HalfDocCorridor-v0" in listing
    assert "registers no envs" in (env_id_problem("quiet_envs:Hallway-v0") or "")
    assert "MODULE:ENV_ID" in (env_id_problem("a:b:Corridor-v0") or "")
    assert "not a Python module name" in (env_imports_problem(["my lab"], "X-v0") or "")


def test_env_imports_in_the_config(user_envs: Path) -> None:
    base = {"name": "c", "env": {"id": "Corridor-v0"}, "algo": "ppo", "total_timesteps": 64}
    plain = validate_config(base)
    assert "imports" not in plain.to_dict()["env"]  # run directory names stay as they were
    one = validate_config({**base, "env": {"id": "HalfDocCorridor-v0", "imports": "mylab_envs"}})
    assert one.env.imports == ["mylab_envs"] and one.to_dict()["env"]["imports"] == ["mylab_envs"]
    assert one.config_key() != validate_config({**base, "env": {"id": "HalfDocCorridor-v0"}})
    for (env_id, imports), expected in BROKEN.items():
        with pytest.raises(ConfigError) as info:
            validate_config({**base, "env": {"id": env_id, "imports": list(imports)}}, "cfg")
        assert f"cfg: {expected}" in str(info.value), str(info.value)


def test_the_runner_imports_env_imports_before_making_a_directory(
    user_envs: Path, tmp_path: Path
) -> None:
    # a sweep worker gets a config object that was validated in another process
    config = ExperimentConfig.model_validate(
        {
            "name": "c",
            "env": {"id": "Corridor-v0", "imports": ["no_such_lab"]},
            "algo": "ppo",
            "total_timesteps": 64,
        }
    )
    with pytest.raises(ConfigError, match="env.imports: cannot import module 'no_such_lab'"):
        run_experiment(config, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_describe_reads_the_user_envs_docstring(user_envs: Path) -> None:
    result = runner.invoke(app, ["describe", "mylab_envs:Corridor-v0", "--method", "lmgt"])
    assert result.exit_code == 0, result.output
    out = _flat(result.output)
    assert "task: A walker starts at the left end of a corridor" in out
    assert "Reward: +1 for reaching the door" in out
    assert "0 position of the walker (m) [0, 6]" in out
    assert "1 step right, towards the door" in out
    assert "not derived" not in out
    assert "State: position of the walker (m)=0, distance to the door (m)=6" in out
    lare = runner.invoke(app, ["describe", "mylab_envs:ContinuousCorridor-v0", "-m", "lare"])
    assert lare.exit_code == 0, lare.output
    out = _flat(lare.output)
    assert "lare tells its LLM: Task: A walker starts at the left end" in out
    assert "obs[:, 1]: distance to the door (m)" in out
    assert "action[:, 0]: metres walked towards the door (m)" in out
    half = runner.invoke(app, ["describe", "HalfDocCorridor-v0", "--import", "mylab_envs"])
    assert half.exit_code == 0, half.output
    out = _flat(half.output)
    assert "not derived: the docs have no '## Rewards' section" in out
    assert "not derived: the docs have no table of the observation's components" in out
    assert "(## Observation Space: | Num | Observation | Min | Max |)" in out
    assert "not derived: the action docs name 0 of 2 actions" in out
    assert "lmgt.describer.feature_names (2 names)" in out


def test_describe_gives_one_error_line(user_envs: Path) -> None:
    for (env_id, imports), expected in BROKEN.items():
        args = ["describe", env_id, *(a for m in imports for a in ("--import", m))]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert _flat(result.output).startswith("error: "), result.output
        assert expected.partition(": ")[2] in _flat(result.output)
        assert "Traceback" not in result.output and len(lines) <= 3


def test_run_gives_one_error_line_and_makes_no_directory(
    user_envs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = _write_config(tmp_path)
    for (env_id, imports), expected in BROKEN.items():
        args = ["run", str(config), "--set", f"env.id={env_id}"]
        if imports:
            args += ["--set", f"env.imports=[{', '.join(imports)}]"]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert _flat(result.output).startswith(f"error: {config}: {expected}"), result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "runs").exists()


def test_baseline_and_lmgt_runs_on_the_user_env(
    user_envs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = _write_config(tmp_path)
    baseline = runner.invoke(app, ["run", str(config)])
    assert baseline.exit_code == 0, baseline.output
    assert "status finished" in _flat(baseline.output)
    lmgt = runner.invoke(
        app,
        [
            "run",
            str(config),
            "--set",
            "method=lmgt",
            "--set",
            "llm=scripted",  # answers "ok": every judgment unparseable, shift 0, counted
            "--set",
            "lmgt={judge: llm, batch_size: 8}",
        ],
    )
    assert lmgt.exit_code == 0, lmgt.output
    assert "status finished" in _flat(lmgt.output) and "LLM calls" in _flat(lmgt.output)
    (run_dir,) = (tmp_path / "runs" / "corridor").glob("lmgt-mylab_envs_Corridor-v0-ppo-*")
    transcript = (run_dir / "llm_transcript.jsonl").read_text()
    assert "The task: A walker starts at the left end of a corridor" in transcript
    assert "position of the walker (m)=0, distance to the door (m)=6" in transcript
    assert "step right, towards the door" in transcript


def _finished_sweep(out: Path, runs: int) -> dict:
    data = json.loads((out / "sweep.json").read_text())
    assert data["counts"]["finished"] == runs, [r.get("error") for r in data["runs"]]
    return data


def test_sweep_in_two_local_workers_imports_the_env(user_envs: Path, tmp_path: Path) -> None:
    config = _write_config(tmp_path)
    out = tmp_path / "sweep"
    # by id alone: the spawned workers register it only through env.imports
    args = ["sweep", str(config), "--seeds", "2", "--workers", "2", "--out", str(out)]
    args += ["--set", "env.id=HalfDocCorridor-v0", "--set", "env.imports=[mylab_envs]"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "2 runs, 0 failed" in _flat(result.output)
    assert _finished_sweep(out, 2)["backend"] == "processes"


@pytest.mark.ray
def test_sweep_on_single_machine_ray_imports_the_env(user_envs: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    config = _write_config(tmp_path)
    out = tmp_path / "sweep"
    args = ["sweep", str(config), "--seeds", "2", "--workers", "2", "--ray", "local"]
    args += ["--out", str(out), "--set", "env.imports=[mylab_envs]"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "2 runs, 0 failed" in _flat(result.output)
    assert _finished_sweep(out, 2)["backend"] == "ray"


def test_the_readme_example_works_as_written(tmp_path: Path) -> None:
    """README's "Your own environment": its env module, config, commands and error line."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Your own environment", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.DOTALL)
    code, config, commands, error = (text for _, text in blocks)
    (tmp_path / "mylab_envs").mkdir()
    (tmp_path / "mylab_envs" / "__init__.py").write_text(code)
    (tmp_path / "corridor.yaml").write_text(config)
    assert "langreward describe mylab_envs:Corridor-v0" in commands
    langreward = str(Path(sys.executable).parent / "langreward")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "OMP_NUM_THREADS": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [langreward, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
        )

    described = run("describe", "mylab_envs:Corridor-v0", "--method", "lmgt")
    assert described.returncode == 0, described.stderr
    assert "0  position of the walker (m)  [0, 6]" in described.stdout
    assert "not derived" not in described.stdout
    trained = run("run", "corridor.yaml", "--set", "method=baseline", "--set", "total_timesteps=64")
    assert trained.returncode == 0, trained.stderr
    assert "status finished" in _flat(trained.stdout)
    failed = run("run", "corridor.yaml", "--set", "env.id=mylab_envs:Hallway-v0")
    assert failed.returncode == 2
    assert _flat(failed.stdout + failed.stderr) == _flat(error)

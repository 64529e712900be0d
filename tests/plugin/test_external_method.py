"""A method from outside langreward: found through its entry point, run with ``langreward run``,
resumed at its first unfinished stage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from langreward.experiments import ConfigError, run_experiment, validate_config
from langreward.experiments.rundir import RunPaths
from langreward.plugin import Method, get_method, method_names, register, unregister

CONFIG = """\
name: ext
method: tabular_q
env: {id: FrozenLake-v1, kwargs: {is_slippery: false}}
total_timesteps: 3000
eval: {episodes: 3}
tabular_q: {gamma: 0.9}
"""
LANGREWARD = [sys.executable, "-m", "langreward.cli.main"]


class Crash(Exception):
    """Stands in for a killed process."""


def test_entry_point_method_is_found_by_name(external_package: Path) -> None:
    assert "tabular_q" in method_names()
    method = get_method("tabular_q")
    assert isinstance(method, Method) and not method.online
    config = validate_config(
        {"name": "x", "method": "tabular_q", "env": "FrozenLake-v1", "total_timesteps": 10}
    )
    assert config.algo is None and config.method_settings().iterations == 100
    with pytest.raises(ConfigError, match=r"tabular_q\.gama: unknown field"):
        validate_config({**config.to_dict(), "tabular_q": {"gama": 0.9}})


def test_langreward_run_runs_the_external_method(external_package: Path, tmp_path: Path) -> None:
    (tmp_path / "ext.yaml").write_text(CONFIG)
    listed = subprocess.run([*LANGREWARD, "methods"], capture_output=True, text=True, check=True)
    assert "tabular_q" in listed.stdout and "offline" in listed.stdout
    dry = subprocess.run(
        [*LANGREWARD, "run", "ext.yaml", "--dry-run"], cwd=tmp_path, capture_output=True, text=True
    )
    assert (
        dry.returncode == 0 and "iterations: 100" in dry.stdout and not (tmp_path / "runs").exists()
    )
    done = subprocess.run(
        [*LANGREWARD, "run", "ext.yaml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = (tmp_path / "runs" / "ext").iterdir()
    assert run_dir.name.startswith("tabular_q-FrozenLake-v1-offline-seed0-")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["stages"] == ["collect", "solve"]
    assert summary["final_eval_return_mean"] == 1.0  # the deterministic lake is solved
    assert summary["llm"] is None and summary["method_summary"] == {"gamma": 0.9}
    assert [r["name"] for r in RunPaths(run_dir).rows("stage")] == ["collect", "solve"]


def test_an_interrupted_pipeline_resumes_at_its_first_unfinished_stage(
    external_package: Path, tmp_path: Path
) -> None:
    config = validate_config({**_raw(), "total_timesteps": 2000})

    def crash_in_solve(progress) -> None:
        if progress.stage == "solve":
            raise Crash

    with pytest.raises(Crash):
        run_experiment(config, tmp_path / "r", progress=crash_in_solve)
    paths = RunPaths(tmp_path / "r")
    assert paths.read_summary()["status"] == "failed" and not (paths.root / "q.npy").exists()
    collected = (paths.root / "data.npz").stat().st_mtime_ns
    stages = []
    result = run_experiment(
        config, paths.root, resume=True, progress=lambda p: stages.append(p.stage)
    )
    assert result.status == "finished" and result.summary["sessions"] == 2
    assert "collect" not in stages and "solve" in stages
    assert (paths.root / "data.npz").stat().st_mtime_ns == collected  # not collected again


def test_register_in_code_makes_a_config_section_valid(external_package: Path) -> None:
    external = get_method("tabular_q")
    method = Method("tabular_q2", external.settings, external.build, online=False)
    register(method)
    try:
        with pytest.raises(ValueError, match="already registered"):
            register(method)
        config = validate_config(
            {
                "name": "x",
                "method": "tabular_q2",
                "env": "FrozenLake-v1",
                "total_timesteps": 10,
                "tabular_q2": {"iterations": 3},
            }
        )
        assert config.method_settings().iterations == 3
    finally:
        unregister("tabular_q2")
    with pytest.raises(ConfigError, match="unknown method 'tabular_q2'"):
        validate_config(
            {"name": "x", "method": "tabular_q2", "env": "FrozenLake-v1", "total_timesteps": 10}
        )


def _raw() -> dict:
    import yaml

    return yaml.safe_load(CONFIG)

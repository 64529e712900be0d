"""The experiment commands end to end on tiny budgets (scripted LLM where one is needed)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from langreward.cli.main import app

runner = CliRunner()
TINY = """
name: cli-tiny
method: baseline
env: {id: CartPole-v1, kwargs: {}}
algo: ppo
algo_kwargs: {n_steps: 64, batch_size: 32, n_epochs: 1}
n_envs: 2
total_timesteps: 512
seeds: 1
eval: {every: 256, episodes: 2}
threshold: 100
"""


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_run_then_report(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    first = runner.invoke(app, ["run", str(config), "--set", "total_timesteps=256"])
    assert first.exit_code == 0, first.output
    assert "status finished" in _flat(first.output)
    again = runner.invoke(app, ["run", str(config), "--set", "total_timesteps=256"])
    assert "already finished" in _flat(again.output)
    report = runner.invoke(app, ["report", "runs", "-o", "r.html"])
    assert report.exit_code == 0, report.output
    assert "<img" in (tmp_path / "r.html").read_text()


def test_run_with_bad_config_names_the_field(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(TINY.replace("algo: ppo", "algo: pop"))
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 2
    assert "algo" in _flat(result.output)


def test_sweep_two_seeds(tmp_path: Path) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    out = tmp_path / "sweep"
    result = runner.invoke(
        app, ["sweep", str(config), "--seeds", "2", "--workers", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "sweep.json").is_file()
    assert "2 runs, 0 failed" in _flat(result.output)


def test_demo_pipeline_with_scripted_llm(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(
        app,
        [
            "demo",
            "--llm",
            "scripted",
            "--seeds",
            "1",
            "--workers",
            "1",
            "--steps",
            "512",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    assert "report:" in _flat(result.output)
    html = (out / "report.html").read_text()
    assert "<img" in html and "lmgt" in html and "baseline" in html
    flat = _flat(result.output)
    assert "MountainCar" in flat and "CartPole" in flat and "agreement" in flat
    assert "100%" in flat  # the perfect judge agrees with its reference
    assert len(list(out.glob("demo-*"))) == 6
    assert "LLM spec" in flat

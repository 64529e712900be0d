"""Every failure a user can cause is one line and a non-zero exit code, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from langreward.cli import main as cli_main
from langreward.cli.failures import explain

from .conftest import run_cli as run_streams

TINY = """
name: fault
method: baseline
env: {id: CartPole-v1}
algo: ppo
algo_kwargs: {n_steps: 64, batch_size: 32, n_epochs: 1}
total_timesteps: 64
"""


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """``langreward ARGS``: (exit code, stdout + stderr)."""
    code, out, err = run_streams(monkeypatch, capsys, *args)
    return code, out + err


def error_lines(output: str) -> list[str]:
    assert "Traceback" not in output, output
    return [line for line in output.splitlines() if line.startswith("error:")]


@pytest.fixture
def config(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_unknown_env(config, monkeypatch, capsys) -> None:
    code, output = run_cli(monkeypatch, capsys, "run", str(config), "--set", "env.id=NoSuch-v0")
    assert code == 2
    [line] = error_lines(output)
    assert "env.id: unknown environment 'NoSuch-v0'" in line
    assert not Path("runs").exists()  # found before any directory was made


def test_missing_optional_dependency_names_the_extra(config, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "minigrid", None)  # as if not installed
    code, output = run_cli(
        monkeypatch, capsys, "run", str(config), "--set", "env.id=BabyAI-GoToLocal-v0"
    )
    assert code == 2
    [line] = error_lines(output)
    assert "pip install 'langreward[minigrid]'" in line


def test_bad_llm_spec(config, monkeypatch, capsys) -> None:
    code, output = run_cli(monkeypatch, capsys, "run", str(config), "--set", "llm=foo:bar")
    assert code == 2
    [line] = error_lines(output)
    assert "llm: unknown LLM spec 'foo:bar'" in line and "openai:MODEL[@URL]" in line


def test_unwritable_run_directory(config, monkeypatch, capsys) -> None:
    code, output = run_cli(monkeypatch, capsys, "run", str(config), "--run-dir", "tiny.yaml/run")
    assert code == 2
    [line] = error_lines(output)
    assert "cannot write the run directory tiny.yaml/run" in line


def test_empty_report_directory(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "empty").mkdir()
    code, output = run_cli(monkeypatch, capsys, "report", str(tmp_path / "empty"))
    assert code == 2
    [line] = error_lines(output)
    assert "no run directories found" in line


def test_corrupt_cache_is_set_aside_with_a_warning(tmp_path, monkeypatch, capsys, caplog) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "llm-cache.sqlite").write_bytes(b"this is not a database" * 200)
    monkeypatch.setenv("LANGREWARD_CACHE_DIR", str(cache))
    code, output = run_cli(monkeypatch, capsys, "cache", "stats")
    assert code == 0, output
    assert "Traceback" not in output
    [aside] = cache.glob("llm-cache.sqlite.unreadable-*")
    assert aside.read_bytes().startswith(b"this is not a database")
    assert any(str(aside) in record.getMessage() for record in caplog.records)


def test_ctrl_c_is_one_line(config, monkeypatch, capsys) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("langreward.cli.experiment_commands.load_config", interrupted)
    code, output = run_cli(monkeypatch, capsys, "run", str(config))
    assert code != 0 and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output


def test_a_bug_is_one_line_and_debug_shows_the_traceback(config, monkeypatch, capsys) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr("langreward.cli.experiment_commands.load_config", broken)
    code, output = run_cli(monkeypatch, capsys, "run", str(config))
    assert code == 1
    [line] = error_lines(output)
    assert "something inside broke" in line and "--debug" in line
    monkeypatch.setattr(sys, "argv", ["langreward", "--debug", "run", str(config)])
    with pytest.raises(RuntimeError, match="something inside broke"):
        cli_main.cli()


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ModuleNotFoundError("x", name="mujoco"), "pip install 'langreward[mujoco]'"),
        (ModuleNotFoundError("x", name="Box2D"), "pip install 'gymnasium[box2d]'"),
        (FileNotFoundError(2, "No such file or directory", "a.yaml"), "a.yaml: No such file"),
    ],
)
def test_explain(exc: BaseException, expected: str) -> None:
    code, line = explain(exc)
    assert code == 2 and expected in line

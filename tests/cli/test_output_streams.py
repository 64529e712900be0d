"""Results on stdout; ``error:`` lines, warnings and progress bars on stderr, an error line
always on a line of its own (a progress bar is ended first)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest

from langreward.cli.output import err_console, error_line

from .conftest import run_cli

TINY = """
name: streams
method: baseline
env: {id: CLIStreamsBreaks-v0, kwargs: {fail_at: 0}}
algo: ppo
algo_kwargs: {n_steps: 64, batch_size: 32, n_epochs: 1}
total_timesteps: 256
eval: {episodes: 1}
"""


class BreaksAtStep(gym.Wrapper):
    """CartPole that raises ``error`` at step ``fail_at`` (0: never)."""

    def __init__(self, fail_at: int = 0, error: str = "value") -> None:
        super().__init__(gym.make("CartPole-v1"))
        self.fail_at, self.error, self.steps = fail_at, error, 0

    def step(self, action):
        self.steps += 1
        if self.steps == self.fail_at:
            kind = ValueError if self.error == "value" else RuntimeError
            raise kind("the simulator broke down")
        return self.env.step(action)


@pytest.fixture(autouse=True)
def _env():
    gym.register("CLIStreamsBreaks-v0", entry_point=BreaksAtStep)
    yield
    gym.registry.pop("CLIStreamsBreaks-v0", None)


@pytest.fixture
def config(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def assert_error_on_its_own_line(err: str, last: bool = True) -> str:
    lines = err.splitlines()
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith("error: "), err  # it starts its own line
    assert not last or lines[-1] == errors[0], err  # nothing after it
    return errors[0]


def test_a_finished_run_prints_its_result_on_stdout_and_progress_on_stderr(
    config, monkeypatch, capsys
) -> None:
    code, out, err = run_cli(monkeypatch, capsys, "run", str(config))
    assert code == 0, err
    assert "status finished" in out and "━" not in out  # the result, no progress bar
    assert "━" in err and "error" not in err  # the progress bar


@pytest.mark.parametrize(
    ("error", "exit_code", "expected"),
    [
        ("value", 2, "error: the simulator broke down"),  # a user's error: the command's own line
        ("runtime", 1, "error: internal error (RuntimeError: the simulator broke down)"),
    ],
)
def test_an_error_while_the_progress_bar_runs_is_a_line_of_its_own_on_stderr(
    config, monkeypatch, capsys, error, exit_code, expected
) -> None:
    code, out, err = run_cli(
        monkeypatch,
        capsys,
        "run",
        str(config),
        "--set",
        f"env.kwargs={{fail_at: 100, error: {error}}}",
    )
    assert code == exit_code
    assert "error" not in out and out.strip() == ""
    assert "━" in err  # the bar was drawn, and ended before the error line
    assert assert_error_on_its_own_line(err).startswith(expected)


def test_a_bad_llm_spec_of_an_llm_command_goes_to_stderr(monkeypatch, capsys) -> None:
    code, out, err = run_cli(monkeypatch, capsys, "llm", "check", "--llm", "foo:bar")
    assert code == 2 and out == ""
    # the message goes on with the list of specs
    assert "unknown LLM spec" in assert_error_on_its_own_line(err, last=False)


def test_an_error_line_stops_a_progress_bar_still_drawn(capsys) -> None:
    from rich.progress import Progress

    progress = Progress(console=err_console)
    progress.add_task("train", total=10, completed=3)
    progress.start()
    error_line("stopped")
    err = capsys.readouterr().err
    assert assert_error_on_its_own_line(err) == "error: stopped"
    assert not progress.live.is_started
    progress.stop()


@pytest.mark.skipif(os.name != "posix", reason="a POSIX shell's pipes")
def test_the_installed_command_keeps_stdout_for_results(tmp_path) -> None:
    (tmp_path / "bad.yaml").write_text(TINY.replace("CLIStreamsBreaks-v0", "NoSuchEnv-v0"))
    proc = subprocess.run(
        [sys.executable, "-m", "langreward.cli.main", "run", "bad.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("error: bad.yaml: env.id: unknown environment 'NoSuchEnv-v0'")
    assert not (tmp_path / "runs").exists()

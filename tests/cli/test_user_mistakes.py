"""Mistakes a new user makes, one row each: the command, its exit code and the one line it
prints (on stderr; stdout stays empty), before any run directory or LLM call.

``docs/user-mistakes.md`` prints this table; after changing a message, rewrite it with
``LANGREWARD_WRITE_DOCS=1 pytest tests/cli/test_user_mistakes.py``.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pytest

from .conftest import run_cli

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "user-mistakes.md"
CARTPOLE = "configs/baseline/cartpole-ppo.yaml"
MAZE = "configs/lgr2/pointmaze_umaze.yaml"
SPREAD = "configs/lare_marl/spread_ippo.yaml"
TEDUO = "configs/teduo/two_rooms.yaml"

#: (what the user did, the command's arguments, a part of the error line that must be there)
MISTAKES: list[tuple[str, list[str], str]] = [
    (
        "a kwarg the env does not take",
        ["run", CARTPOLE, "--set", "env.kwargs={N: 3}"],
        "env.kwargs: gymnasium.make('CartPole-v1', N=3) failed: TypeError",
    ),
    (
        "a misspelt kwarg (maze_mapp)",
        ["run", MAZE, "--set", "env.kwargs={maze_mapp: [[1, 1], [1, 1]]}"],
        "unexpected keyword argument 'maze_mapp'; PointMaze_UMaze-v3 takes: maze_map",
    ),
    (
        "a maze with no free cell",
        ["run", MAZE, "--set", "env.kwargs={maze_map: [[1, 1, 1], [1, 1, 1], [1, 1, 1]]}"],
        "env.kwargs.maze_map: no free cell",
    ),
    (
        "a maze with ragged rows",
        ["run", MAZE, "--set", "env.kwargs={maze_map: [[1, 1, 1], [1, 0], [1, 1, 1]]}"],
        "env.kwargs.maze_map: ragged rows: row 1 has 2 cells where row 0 has 3",
    ),
    (
        "a team of no agents",
        ["run", SPREAD, "--set", "env.kwargs={N: 0}"],
        "env.kwargs: gymnasium.make('MPE2-SimpleSpread-v3', N=0) failed: ValueError",
    ),
    (
        "a misspelt team kwarg (Nagents)",
        ["run", SPREAD, "--set", "env.kwargs={Nagents: 3}"],
        "unexpected keyword argument 'Nagents'; MPE2-SimpleSpread-v3 takes: N",
    ),
    (
        "multi-agent LaRe rollouts that cut team episodes (checked before the encoder is written)",
        ["run", SPREAD, "--set", "algo_kwargs.n_steps=60"],
        "algo_kwargs.n_steps: 60 must be a multiple of the episode length (25)",
    ),
    (
        "LGR2 on an env without goals",
        ["run", MAZE, "--set", "env.id=Pendulum-v1", "--set", "env.kwargs={}"],
        "env.id: Pendulum-v1 is not a goal env",
    ),
    (
        "TEDUO with an empty goal set",
        ["run", TEDUO, "--set", "teduo.goals.kinds=[]"],
        "teduo.goals: no training goal fits the training layouts",
    ),
    (
        "TEDUO asked to open doors on a level without doors",
        ["run", TEDUO, "--set", "env.id=TEDUO-OneRoom-v0", "--set", "teduo.goals.kinds=[open]"],
        "teduo.goals: no training goal fits the training layouts",
    ),
    (
        "an env id Gymnasium does not know",
        ["run", CARTPOLE, "--set", "env.id=CartPole-v9"],
        "env.id: unknown environment 'CartPole-v9'",
    ),
    (
        "an LLM spec that names no backend",
        ["run", CARTPOLE, "--set", "llm=foo:bar"],
        "llm: unknown LLM spec 'foo:bar'",
    ),
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding the example configs used here, as the current directory."""
    for config in (CARTPOLE, MAZE, SPREAD, TEDUO):
        (tmp_path / config).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / config, tmp_path / config)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _code(text: str) -> str:
    """A Markdown code span, also for text holding backticks."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def table(rows: list[tuple[str, str, int, str]]) -> str:
    lines = ["| mistake | command | exit | what it prints (stderr) |", "| --- | --- | --- | --- |"]
    for mistake, command, code, line in rows:
        cells = [mistake, _code(command), str(code), _code(line)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def test_each_mistake_is_one_error_line_on_stderr_before_anything_runs(
    workdir, monkeypatch, capsys
) -> None:
    pytest.importorskip("gymnasium_robotics")
    pytest.importorskip("minigrid")
    capsys.readouterr()  # what importing it printed here is no command's output
    rows = []
    for mistake, args, expected in MISTAKES:
        code, out, err = run_cli(monkeypatch, capsys, *args)
        assert code == 2, (mistake, out, err)
        assert out == "", (mistake, out)  # results only on stdout: there are none
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (mistake, err)
        assert expected in lines[0], (mistake, lines[0])
        assert "internal error" not in lines[0] and "Traceback" not in err
        assert not (workdir / "runs").exists(), mistake  # no run directory was made
        rows.append((mistake, shlex.join(["langreward", *args]), code, lines[0]))
    text = DOC.read_text() if DOC.exists() else ""
    start, end = "<!-- mistakes table: begin -->\n", "<!-- mistakes table: end -->"
    generated = start + table(rows) + end
    if os.environ.get("LANGREWARD_WRITE_DOCS"):
        head, _, rest = text.partition(start)
        tail = rest.partition(end)[2] if rest else ""
        DOC.write_text(head + generated + tail)
        text = DOC.read_text()
    assert generated in text, f"{DOC} is out of date: LANGREWARD_WRITE_DOCS=1 pytest {__file__}"

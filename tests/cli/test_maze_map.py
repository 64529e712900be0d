"""A hand-written ``env.kwargs.maze_map`` is checked before the env is made: one line that names
the problem, exit 2 from the CLI, no run directory and no LLM call."""

from __future__ import annotations

from pathlib import Path

import pytest

from langreward.rl.envs import env_kwargs_problem
from langreward.rl.mazes import maze_map_problem

from .conftest import run_cli

pytest.importorskip("gymnasium_robotics")

CONFIG = Path(__file__).parents[2] / "configs" / "lgr2" / "pointmaze_umaze.yaml"
OPEN = [[1, 1, 1, 1], [1, 0, 0, 1], [1, 1, 1, 1]]


@pytest.mark.parametrize(
    ("maze_map", "expected"),
    [
        ([[1, 1, 1], [1, 0]], "ragged rows: row 1 has 2 cells where row 0 has 3"),
        ([[1, 1], [1, 1]], "no free cell"),
        ([[1, 1], [1, "x"]], "row 1, column 1 is 'x': a cell is 1 (wall), 0 (free)"),
        ([[1, 1], [1, True]], "row 1, column 1 is True"),
        ([[1, 1], [1, 0.0]], "row 1, column 1 is 0.0"),
        ([], "a maze map is a non-empty list of rows"),
        ("10\n01", "a maze map is a non-empty list of rows"),
        ([[1, 0], []], "row 1 is []"),
        ([[1, 0], 5], "row 1 is 5"),
    ],
)
def test_a_malformed_maze_map_is_named(maze_map, expected) -> None:
    assert expected in maze_map_problem(maze_map)


@pytest.mark.parametrize("maze_map", [OPEN, [[1, 1, 1], [1, "g", 1], [1, "r", 1], [1, 1, 1]]])
def test_a_wellformed_maze_map_passes(maze_map) -> None:
    assert maze_map_problem(maze_map) is None
    assert env_kwargs_problem("PointMaze_UMaze-v3", {"maze_map": maze_map}) is None


def test_only_maze_families_check_maze_map() -> None:
    assert env_kwargs_problem("CartPole-v1", {"maze_map": 3}) is None
    assert env_kwargs_problem("AntMaze_UMaze-v5", {"maze_map": 3}).startswith(
        "env.kwargs.maze_map: a maze map is a non-empty list"
    )


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("maze_map=[[1,1,1],[1,0]]", "env.kwargs.maze_map: ragged rows"),
        ("maze_map=[[1,1,1],[1,1,1]]", "env.kwargs.maze_map: no free cell"),
        ("maze_mpa=[[1,1,1],[1,0,1]]", "PointMaze_UMaze-v3 takes: maze_map, render_mode"),
    ],
)
def test_the_cli_refuses_a_bad_maze_with_exit_2_before_anything_runs(
    monkeypatch, capsys, tmp_path, setting, expected
) -> None:
    run_dir = tmp_path / "run"
    code, _, err = run_cli(
        monkeypatch, capsys, "run", str(CONFIG), "--seed", "0", "--run-dir", str(run_dir),
        "--set", f"env.kwargs.{setting}", "--set", "llm=scripted",
    )  # fmt: skip
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert not run_dir.exists()

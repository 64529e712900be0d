"""A hand-written maze for Gymnasium-Robotics' PointMaze and AntMaze (``env.kwargs.maze_map``),
checked before the env is made, so a typo gives one line that names the problem.

A maze map is a list of equally long rows; each cell is ``1`` (wall), ``0`` (free), ``"g"`` (a
goal cell), ``"r"`` (a reset cell) or ``"c"`` (either). Gymnasium-Robotics itself fails on a
ragged map with an ``IndexError``, on a map with no free cell with an empty assertion, and
treats an unknown cell as free.

Example:
    >>> maze_map_problem([[1, 1, 1], [1, 0, 1], [1, 1, 1]]) is None
    True
    >>> maze_map_problem([[1, 1, 1], [1, 0]])
    'ragged rows: row 1 has 2 cells where row 0 has 3 (every row needs as many cells)'
    >>> maze_map_problem([[1, 1], [1, "x"]])
    "row 1, column 1 is 'x': a cell is 1 (wall), 0 (free), 'g' (goal), 'r' (reset) or 'c' (either)"
"""

from __future__ import annotations

from typing import Any

#: What a cell may be, in Gymnasium-Robotics' words.
CELLS: dict[Any, str] = {1: "wall", 0: "free", "g": "goal", "r": "reset", "c": "either"}
_FREE = {0, "g", "r", "c"}
_CELL_WORDS = "1 (wall), 0 (free), 'g' (goal), 'r' (reset) or 'c' (either)"


def _cell_ok(cell: Any) -> bool:
    return not isinstance(cell, bool) and isinstance(cell, int | str) and cell in CELLS


def maze_map_problem(maze_map: Any) -> str | None:
    """What is wrong with a hand-written ``maze_map`` (``None``: nothing)."""
    if not isinstance(maze_map, list | tuple) or not maze_map:
        return f"a maze map is a non-empty list of rows (lists of cells), not {maze_map!r}"
    for i, row in enumerate(maze_map):
        if not isinstance(row, list | tuple) or not row:
            return f"row {i} is {row!r}: every row is a non-empty list of cells"
    width = len(maze_map[0])
    for i, row in enumerate(maze_map):
        if len(row) != width:
            return (
                f"ragged rows: row {i} has {len(row)} cells where row 0 has {width} "
                "(every row needs as many cells)"
            )
        for j, cell in enumerate(row):
            if not _cell_ok(cell):
                return f"row {i}, column {j} is {cell!r}: a cell is {_CELL_WORDS}"
    free = sum(cell in _FREE for row in maze_map for cell in row)
    if free == 0:
        return "no free cell: the maze needs at least one cell that is 0, 'g', 'r' or 'c'"
    return None

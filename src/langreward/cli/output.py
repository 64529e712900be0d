"""Where the command line writes: results on stdout; ``error:`` lines, warnings and progress
bars on stderr (so ``langreward run ... > results.txt`` keeps only results, and an error line
never lands inside a progress bar's line: both share one stream, and a bar is ended first).

Example:
    >>> from langreward.cli.output import error_line
    >>> error_line("config.yaml: env.id: unknown environment 'NoSuch-v0'")  # doctest: +SKIP
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

#: results (tables, summaries, paths): stdout
console = Console()
#: errors, warnings and progress bars: stderr
err_console = Console(stderr=True)


def error_line(message: str) -> None:
    """Print ``error: <message>`` on stderr, on a line of its own."""
    _end_open_line()
    err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)


def warning_line(message: str) -> None:
    """Print ``warning: <message>`` on stderr, on a line of its own."""
    _end_open_line()
    err_console.print(
        f"[yellow]warning:[/yellow] {escape(message)}", soft_wrap=True, highlight=False
    )


def _end_open_line() -> None:
    """Stop a progress bar still drawn on stderr, so the next line starts a line of its own."""
    live = list(getattr(err_console, "_live_stack", None) or [])  # rich's active displays
    for display in live[::-1]:
        display.stop()  # a terminal's bar ends with a new line; a file's needs one
    if live and not err_console.is_interactive:
        err_console.line()

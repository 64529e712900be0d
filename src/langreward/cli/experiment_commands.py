"""``langreward run | sweep | report | demo``: experiments from config files."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from langreward.cli.output import console, err_console, error_line
from langreward.experiments import (
    ExperimentError,
    MethodNotAvailableError,
    build_report,
    load_config,
    parse_grid,
    plan_sweep,
    resume_run,
    run_experiment,
    run_sweep,
)
from langreward.experiments.preflight import preflight
from langreward.experiments.yamlio import dump_yaml
from langreward.llm import LLMError
from langreward.plugin import MethodError, get_method, method_names

if TYPE_CHECKING:
    from langreward.experiments import RunProgress, SweepProgress
    from langreward.experiments.report import ReportFormat

SET_OPTION = typer.Option(None, "--set", help="override a config value: key.sub=value (repeatable)")


def _checkpoint_on_sigterm() -> None:
    """Treat SIGTERM (a scheduler stopping the job) like Ctrl-C: checkpoint, then stop."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _fail(exc: Exception) -> typer.Exit:
    """Print the error line (stderr, after any progress bar) and exit with 2."""
    error_line(str(exc))
    return typer.Exit(2)


def _run_progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,  # progress on stderr, with the error lines; results on stdout
    )


def _print_summary(run_dir: Path, summary: dict[str, Any]) -> None:
    final = summary.get("final_eval_return_mean")
    steps = summary.get("steps_to_threshold")
    llm = summary.get("llm") or {}
    parts = [f"status {summary.get('status')}"]
    if final is not None:
        parts.append(f"final eval return {final:.1f}")
    if summary.get("stages"):  # an offline pipeline: no training curve, but its files
        parts.append(f"stages {', '.join(summary['stages'])}")
    else:
        parts.append(f"steps to threshold {steps if steps is not None else '—'}")
    if llm.get("calls"):
        parts.append(f"LLM calls {llm['calls']} (hit rate {llm.get('hit_rate', 0):.0%})")
    console.print(f"{run_dir}: " + ", ".join(parts))


def run(
    config: Path = typer.Argument(None, help="experiment YAML (omit with --resume)"),
    overrides: list[str] = SET_OPTION,
    resume: Path = typer.Option(None, "--resume", help="resume an interrupted run directory"),
    run_dir: Path = typer.Option(None, "--run-dir", help="where to run (default: runs/NAME/...)"),
    seed: int = typer.Option(None, help="run this seed only (default: every seed, in turn)"),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="validate, print the resolved config (every default) and exit"
    ),
    ray: str = typer.Option(
        None,
        "--ray",
        help="a Ray cluster the method may spread work on (an address, or 'local'); "
        "TEDUO labels its goals there",
    ),
) -> None:
    """Train a config (every seed in turn), or resume an interrupted run with --resume."""
    errors = (
        ExperimentError,
        MethodError,
        MethodNotAvailableError,
        LLMError,
        ValueError,
        FileNotFoundError,
    )
    cfg = None
    if resume is None:  # validate before anything starts: a bad config makes no directory
        if config is None:
            raise _fail(ValueError("give a CONFIG file or --resume RUN_DIR"))
        try:
            cfg = load_config(config, overrides or [])
            preflight(cfg, str(config))  # the env with its kwargs, the method's rules: no LLM yet
        except errors as exc:
            raise _fail(exc) from None
    if dry_run:
        if cfg is None:
            raise _fail(ValueError("--dry-run needs a CONFIG file"))
        console.print(dump_yaml(cfg.resolved_dict()), end="", markup=False, highlight=False)
        return
    _checkpoint_on_sigterm()
    progress = _run_progress()
    task = progress.add_task("train", total=None, info="")

    def report(p: RunProgress) -> None:
        recent = "" if p.recent_return is None else f"return {p.recent_return:.1f}"
        info = f"stage {p.stage}" if p.stage else recent  # offline pipelines count stages
        info = f"{p.stage} {p.detail}" if p.detail else info
        progress.update(task, completed=p.timesteps, total=p.total_timesteps, info=info)

    try:
        with progress:
            if resume is not None:
                result = resume_run(resume, progress=report, ray_address=ray)
                results = [result]
            else:
                assert cfg is not None
                seeds = [seed] if seed is not None else cfg.seeds
                results = []
                for s in seeds:
                    progress.update(task, description=f"{cfg.name} seed {s}", completed=0)
                    results.append(
                        run_experiment(
                            cfg, run_dir=run_dir, seed=s, progress=report, ray_address=ray
                        )
                    )
    except KeyboardInterrupt as exc:
        where = getattr(exc, "run_dir", None)
        err_console.print(f"interrupted; resume with: langreward run --resume {where}")
        raise typer.Exit(130) from None
    except errors as exc:
        raise _fail(exc) from None
    for result in results:
        if result.skipped:
            console.print(f"{result.run_dir}: already finished (not repeated)")
        _print_summary(result.run_dir, result.summary)


def sweep(
    config: Path = typer.Argument(..., exists=True, dir_okay=False),
    seeds: int = typer.Option(None, help="number of seeds (default: the config's)"),
    grid: list[str] = typer.Option(None, "--grid", help="key=v1,v2 (repeatable; crossed)"),
    overrides: list[str] = SET_OPTION,
    workers: int = typer.Option(2, help="runs at once"),
    ray: str = typer.Option(
        None, "--ray", help="run on Ray: an address, or 'local' for a single-machine Ray"
    ),
    out: Path = typer.Option(None, "--out", help="sweep directory"),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="validate every grid point, list the runs and exit"
    ),
) -> None:
    """Run the cross product of --grid values and seeds, in parallel (processes or Ray)."""
    try:
        cfg = load_config(config, overrides or [])
        grid_values = parse_grid(grid or [])
        # every grid point validated and pre-flighted before any run starts
        sweep_dir, planned = plan_sweep(cfg, seeds, grid_values, out)
        if dry_run:
            for _, planned_run in planned:
                console.print(f"{planned_run.label}: {planned_run.run_dir}", markup=False)
            console.print(f"{len(planned)} runs in {sweep_dir}; nothing was run", markup=False)
            return
    except (ExperimentError, MethodNotAvailableError, ValueError) as exc:
        raise _fail(exc) from None
    progress = _run_progress()
    task = progress.add_task(f"sweep {cfg.name}", total=None, info="")

    def report(p: SweepProgress) -> None:
        best = ""
        if p.best is not None:
            best = f"best {p.best.results['final_eval_return_mean']:.1f} ({p.best.label})"
        progress.update(task, completed=p.done, total=p.total, info=f"{p.failed} failed  {best}")

    try:
        with progress:
            result = run_sweep(
                cfg,
                seeds=seeds,
                grid=grid_values,
                workers=workers,
                ray_address=ray,
                out_dir=out,
                progress=report,
            )
    except (ExperimentError, MethodNotAvailableError, LLMError, ValueError) as exc:
        raise _fail(exc) from None
    failed = [r for r in result.runs if r.status == "failed"]
    console.print(
        f"sweep directory: {result.sweep_dir} ({len(result.runs)} runs, {len(failed)} failed)"
    )
    console.print(f"report: langreward report {result.sweep_dir} -o report.html")


def methods() -> None:
    """List the registered methods (built in, registered in code, or from entry points)."""
    for name in method_names():
        try:
            method = get_method(name)
        except MethodNotAvailableError as exc:
            console.print(f"{name:10s} [yellow]not available:[/yellow] {exc}")
            continue
        if method.online:
            algos = ", ".join(sorted(method.algos)) if method.algos else "any SB3 algorithm"
            kind = f"online; {algos}"
        else:
            kind = "offline pipeline"
        console.print(f"{name:10s} {method.description} ({kind})", markup=False)


def report(
    paths: list[Path] = typer.Argument(..., exists=True, help="run or sweep directories"),
    out: Path = typer.Option(Path("report.html"), "-o", "--out"),
    fmt: str = typer.Option("html", "--format", help="html or md"),
) -> None:
    """Write a comparison report (learning curves, tables, LLM cost) from run directories."""
    if fmt not in ("html", "md"):
        raise _fail(ValueError(f"--format must be html or md, got {fmt!r}"))
    try:
        path = build_report(paths, out, fmt=cast("ReportFormat", fmt))  # checked just above
    except (ExperimentError, ValueError) as exc:
        raise _fail(exc) from None
    console.print(f"report: {path.resolve()}")


def demo(
    out: Path = typer.Option(Path("runs/demo"), "--out", help="where the demo's runs go"),
    llm: str = typer.Option("embedded", "--llm", help="LLM spec of the judge"),
    seeds: int = typer.Option(2, help="seeds per arm"),
    workers: int = typer.Option(2, help="runs at once"),
    steps: int = typer.Option(30_000, help="training steps per run"),
) -> None:
    """Where language guidance pays (sparse MountainCar: baseline vs perfect vs LLM judge) and
    where it does not (dense CartPole), with the judge's agreement next to each."""
    from langreward.experiments.demo import demo_arms, summarize

    started = time.perf_counter()
    progress = _run_progress()
    try:
        arms = demo_arms(llm, mountaincar_steps=steps, cartpole_steps=steps)
        with progress:
            sweeps = []
            for arm in arms:
                task = progress.add_task(f"{arm.task}: {arm.label}", total=seeds, info="")

                def report_sweep(p: SweepProgress, task: TaskID = task) -> None:
                    progress.update(
                        task, completed=p.done, total=p.total, info=f"{p.failed} failed"
                    )

                sweeps.append(
                    run_sweep(
                        arm.config,
                        seeds=seeds,
                        workers=workers,
                        out_dir=out / arm.config.name,
                        progress=report_sweep,
                    ).sweep_dir
                )
        path = build_report(sweeps, out / "report.html")
    except (ExperimentError, LLMError, ValueError) as exc:
        raise _fail(exc) from None
    console.print(summarize(arms, sweeps, llm))
    console.print(
        "Sparse task: compare the perfect judge's row with the baseline's (what a judge that "
        "agrees with the reference buys) and the LLM judge's agreement (how close it comes). "
        "The LLM spec row asks the same LLM once for a reward spec over the env's named "
        "features, tries its 4 likeliest specs briefly and shapes with the fittest (its trial "
        "steps are in its steps; docs/spec_shaping.md). "
        "Dense task: the reward already guides every step; docs/BENCHMARKS.md finds no gain "
        "there even for the perfect judge over 5 seeds. Two seeds are a demo, not a result.",
        soft_wrap=True,
    )
    console.print(f"demo finished in {time.perf_counter() - started:.0f} s")
    console.print(f"report: {path.resolve()}")

"""Shared helpers of the benchmark scripts: keep docs/BENCHMARKS.md sections up to date."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langreward.experiments import build_report, run_sweep
from langreward.experiments.report_data import Group, find_run_dirs, read_run

DOC = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"

#: SAC on Pendulum-v1, shared by the LMGT and LaRe benchmarks (dense SAC reaches -300 in ~8k
#: steps on this setup).
PENDULUM_SAC: dict[str, Any] = {
    "env": {"id": "Pendulum-v1", "kwargs": {}},
    "algo": "sac",
    "algo_kwargs": {"learning_starts": 1000, "policy_kwargs": {"net_arch": [64, 64]}},
    "n_envs": 1,
    "total_timesteps": 15_000,
    "eval": {"every": 5_000, "episodes": 5},
    "threshold": -300,
}
HEADER = """# Benchmarks

Every number here was measured by the script named in its section, on the machine it names.
Each section is rewritten by its script (between its markers); nothing is typed in by hand.
"""


def update_benchmarks_md(key: str, title: str, body: str, doc: Path = DOC) -> None:
    """Replace (or append) the section ``key`` of docs/BENCHMARKS.md."""
    text = doc.read_text() if doc.exists() else HEADER
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    section = f"{start}\n## {title}\n\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else f"{text.rstrip()}\n\n{section}\n"
    )
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def spread_cell(spread: Any, digits: int | None = None) -> str:
    """``median [min–max]`` of a report Spread; by default whole numbers, or two decimals when
    every value is below 10 in size (returns in [0, 1], e.g. MiniGrid)."""
    if spread.median is None:
        return "—"
    if digits is None:
        digits = 0 if max(abs(spread.low), abs(spread.high)) >= 10 else 2
    f = f"{{:.{digits}f}}"
    return f"{f.format(spread.median)} [{f.format(spread.low)}–{f.format(spread.high)}]"


def rates_table(rates: dict[str, list[float]], reference: str, what: str = "steps/s") -> str:
    """Markdown table of repeated rate measurements: median [min–max] and × ``reference``."""
    base = statistics.median(rates[reference])
    lines = [f"| run | {what}, median [min–max] | × {reference} |", "| --- | ---: | ---: |"]
    for name, values in rates.items():
        median = statistics.median(values)
        lines.append(
            f"| {name} | {median:.0f} [{min(values):.0f}–{max(values):.0f}] | {median / base:.2f} |"
        )
    return "\n".join(lines)


def results_table(
    groups: list[Group],
    order: Sequence[str],
    *,
    baseline: str,
    extra: dict[str, Callable[[Group], str]] | None = None,
) -> str:
    """Markdown table: steps to threshold, AUC, final return, LLM cost, wall × baseline."""
    by_variant = {g.label: g for g in groups}
    reference = by_variant.get(baseline)
    base_wall = reference.spread("wall_time_s").median if reference else None
    extra = extra or {}
    head = [
        "variant",
        "steps to threshold, median [min–max]",
        "reached",
        "AUC",
        "final eval return",
        *extra,
        "LLM calls/run",
        "cache hit rate",
        "LLM share of wall",
        f"wall × {baseline}",
    ]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for variant in order:
        group = by_variant.get(variant)
        if group is None:
            continue
        steps, reached = group.threshold_spread()
        cost = group.llm_cost()
        wall = group.spread("wall_time_s").median
        cells = [
            variant,
            spread_cell(steps),
            f"{reached}/{len(group.summaries)}",
            spread_cell(group.spread("auc")),
            spread_cell(group.spread("final_eval_return_mean")),
            *(fn(group) for fn in extra.values()),
            "—" if cost.get("calls") is None else f"{cost['calls']:.0f}",
            pct(cost.get("cache_hit_rate")),
            pct(cost.get("llm_share")),
            f"{wall / base_wall:.2f}" if wall and base_wall else "—",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_variants(
    configs: dict[str, Any], seeds: int, workers: int, out: Path, label: str
) -> tuple[list[Path], list[Group]]:
    """Run one sweep per variant (same seeds), then read the finished runs back as groups."""
    sweep_dirs = []
    for variant, config in configs.items():
        print(f"== {label}: {variant} ({seeds} seeds)", flush=True)
        result = run_sweep(config, seeds=seeds, workers=workers, out_dir=out / variant)
        for run in result.runs:
            if run.status == "failed":
                print(f"   failed: {run.label}: {run.error}", flush=True)
        sweep_dirs.append(result.sweep_dir)
    groups = []
    for variant, sweep_dir in zip(configs, sweep_dirs, strict=True):
        runs = [r for r in map(read_run, find_run_dirs([sweep_dir])) if r.finished]
        if runs:  # one group per variant, even when two variants share a config (llm-warm)
            groups.append(Group(runs[0].env, runs[0].method, {}, variant, runs, variant))
    return sweep_dirs, groups


def publish(key: str, title: str, body: str, sweep_dirs: list[Path], docs: bool) -> None:
    """Print the section; with ``docs``, also write the learning-curve report next to the docs
    and update docs/BENCHMARKS.md (without, nothing under docs/ changes)."""
    if not docs:
        print(body)
        return
    report = build_report(sweep_dirs, DOC.parent / "benchmarks" / key / "report.md", fmt="md")
    link = report.relative_to(DOC.parent)
    body += f"\n\nLearning curves and the full tables: [{link}]({link})."
    print(body)
    update_benchmarks_md(key, title, body)

"""Comparison reports from run directories: learning curves and tables, HTML or Markdown.

Example:
    >>> from pathlib import Path
    >>> build_report([Path("runs/cartpole")], Path("report.html"))  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from langreward.experiments.report_data import (
    Group,
    Spread,
    baseline_wall_time,
    find_run_dirs,
    group_runs,
    read_run,
)
from langreward.experiments.rundir import now_iso, slug

log = logging.getLogger(__name__)

ReportFormat = Literal["html", "md"]


@dataclass
class Table:
    """A table as header cells and rows of text cells."""

    title: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class EnvSection:
    """One env's part of a report."""

    env: str
    figure_png: bytes | None
    tables: list[Table]


def build_report(paths: Iterable[str | Path], out: str | Path, fmt: ReportFormat = "html") -> Path:
    """Write a comparison report of the runs found at or below ``paths``.

    Runs are grouped by env, then by configuration (method + sweep grid values); every number
    is a median over seeds with its min–max. Unfinished or failed runs are listed, not counted.

    Args:
        paths: run directories, sweep directories or roots to search.
        out: the report file (``.html`` or ``.md``).
        fmt: ``"html"`` (one self-contained file, images embedded) or ``"md"`` (Markdown, the
            PNGs written next to it as ``<out stem>_<env>.png``).

    Returns:
        The path written.

    Raises:
        ValueError: no run directories were found, or an unknown format.
    """
    if fmt not in ("html", "md"):
        raise ValueError(f"unknown report format {fmt!r}; choose 'html' or 'md'")
    out = Path(out)
    run_dirs = find_run_dirs(Path(p) for p in paths)
    if not run_dirs:
        raise ValueError(f"no run directories found in {', '.join(str(p) for p in paths)}")
    records = [read_run(d) for d in run_dirs]
    unfinished = [r for r in records if not r.finished]
    sections = [
        EnvSection(env, _figure(env, groups), _tables(groups))
        for env, groups in group_runs(records).items()
    ]
    notes = [
        f"{r.run_dir}: {(r.summary or {}).get('status', 'running or killed')}"
        + (f" ({r.summary['error']})" if r.summary and r.summary.get("error") else "")
        for r in unfinished
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    finished = len(records) - len(unfinished)
    if fmt == "html":
        out.write_text(_render_html(sections, notes, finished), encoding="utf-8")
    else:
        out.write_text(_render_md(sections, notes, finished, out), encoding="utf-8")
    log.info("report with %d runs written to %s", finished, out)
    return out


# -- figures ----------------------------------------------------------------------------------
def _figure(env: str, groups: list[Group]) -> bytes | None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    ends = [
        float(r.summary.get("timesteps_done") or 0) for g in groups for r in g.runs if r.summary
    ]
    if not ends or max(ends) <= 0:
        return None
    grid = np.linspace(0.0, max(ends), 200)
    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot()
    for i, group in enumerate(groups):
        median, low, high = group.curve_band(grid)
        color = f"C{i % 10}"
        ax.plot(grid, median, color=color, lw=2, label=f"{group.label} (n={len(group.runs)})")
        ax.fill_between(grid, low, high, color=color, alpha=0.2, lw=0)
    window = groups[0].runs[0].config.get("threshold_window", 20)
    threshold = groups[0].runs[0].config.get("threshold")
    if threshold is not None:
        ax.axhline(float(threshold), color="grey", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set_title(f"{env}: original episode return (median over seeds, band min–max)")
    ax.set_xlabel("timesteps")
    ax.set_ylabel(f"return, mean of last {window} episodes")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


# -- tables -----------------------------------------------------------------------------------
def _num(value: float | None, digits: int = 3) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def _spread(s: Spread) -> str:
    if s.median is None:
        return "–"
    if s.n < 2 or s.low == s.high:
        return _num(s.median)
    return f"{_num(s.median)} [{_num(s.low)}–{_num(s.high)}]"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _tables(groups: list[Group]) -> list[Table]:
    first = groups[0].summaries[0]
    threshold = first.get("threshold")
    window = first.get("threshold_window", 20)
    head = "steps to threshold" + (
        f" ({threshold:g}, last {window} ep.)" if threshold is not None else ""
    )
    results = Table(
        "Results (median [min–max] over seeds)",
        [
            "configuration",
            "LLM",
            "seeds",
            "final eval return",
            head,
            "AUC",
            "wall time s",
            "steps/s",
        ],
        [],
    )
    for g in groups:
        steps, reached = g.threshold_spread()
        steps_text = "–" if threshold is None else f"{_spread(steps)} ({reached}/{steps.n} reached)"
        results.rows.append(
            [
                g.label,
                ", ".join(g.llm_specs()) or "–",
                str(len(g.runs)),
                _spread(g.spread("final_eval_return_mean")),
                steps_text,
                _spread(g.spread("auc")),
                _spread(g.spread("wall_time_s")),
                _num(g.spread("steps_per_s").median),
            ]
        )
    cost = Table(
        "LLM cost (per run: median; rates pooled over seeds)",
        [
            "configuration",
            "LLM calls",
            "tokens",
            "cache hit rate",
            "LLM share of wall time",
            "wall time vs baseline",
        ],
        [],
    )
    for g in groups:
        llm = g.llm_cost()
        wall = g.spread("wall_time_s").median
        base = baseline_wall_time(groups, like=g)
        ratio = f"{wall / base:.2f}×" if base and wall is not None else "–"
        cost.rows.append(
            [
                g.label,
                _num(llm.get("calls")),
                _num(llm.get("tokens")),
                _pct(llm.get("cache_hit_rate")),
                _pct(llm.get("llm_share")),
                ratio,
            ]
        )
    return [results, cost]


# -- rendering --------------------------------------------------------------------------------
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th { background: #f0f0f0; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; }
.note { color: #666; font-size: 13px; }
"""

_DEFINITIONS = (
    "Returns are original environment rewards (Monitor), whatever shaping a method adds. "
    "Final eval return: the policy evaluated after training. AUC: mean of the smoothed "
    "training return over the training steps. Steps to threshold: first step at which the "
    "mean original return of the last N training episodes reaches the threshold; the median "
    "counts runs that never reached it as never."
)


def _render_html(sections: list[EnvSection], notes: list[str], finished: int) -> str:
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        "<title>langreward report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>langreward report</h1>",
        f"<p class='note'>{finished} finished runs · generated {esc(now_iso())}</p>",
        f"<p class='note'>{esc(_DEFINITIONS)}</p>",
    ]
    for section in sections:
        parts.append(f"<h2>{esc(section.env)}</h2>")
        if section.figure_png:
            data = base64.b64encode(section.figure_png).decode("ascii")
            parts.append(
                f"<img alt='learning curves on {esc(section.env)}' src='data:image/png;base64,{data}'>"
            )
        for table in section.tables:
            parts.append(f"<h3>{esc(table.title)}</h3><table><thead><tr>")
            parts.extend(f"<th>{esc(h)}</th>" for h in table.header)
            parts.append("</tr></thead><tbody>")
            for row in table.rows:
                parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
            parts.append("</tbody></table>")
    if notes:
        parts.append("<h2>Not included (unfinished or failed)</h2><ul>")
        parts.extend(f"<li class='note'>{esc(n)}</li>" for n in notes)
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _render_md(sections: list[EnvSection], notes: list[str], finished: int, out: Path) -> str:
    lines = [
        "# langreward report",
        "",
        f"{finished} finished runs · generated {now_iso()}",
        "",
        _DEFINITIONS,
        "",
    ]
    for section in sections:
        lines += [f"## {section.env}", ""]
        if section.figure_png:
            image = out.with_name(f"{out.stem}_{slug(section.env)}.png")
            image.write_bytes(section.figure_png)
            lines += [f"![learning curves on {section.env}]({image.name})", ""]
        for table in section.tables:
            lines += [f"### {table.title}", ""]
            lines.append("| " + " | ".join(_md_cell(h) for h in table.header) + " |")
            lines.append("|" + "|".join([":---"] + ["---:"] * (len(table.header) - 1)) + "|")
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
            lines.append("")
    if notes:
        lines += ["## Not included (unfinished or failed)", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)

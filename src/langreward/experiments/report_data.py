"""Read run directories back and aggregate them for reports: groups of seeds, median and
spread of each number, LLM cost."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from langreward.experiments.curves import learning_curve, on_grid
from langreward.experiments.rundir import RunPaths, is_run_dir
from langreward.experiments.yamlio import read_yaml


@dataclass
class RunRecord:
    """One run directory, read back."""

    run_dir: Path
    config: dict[str, Any]
    meta: dict[str, Any]
    summary: dict[str, Any] | None
    steps: np.ndarray
    curve: np.ndarray

    @property
    def finished(self) -> bool:
        return self.summary is not None and self.summary.get("status") == "finished"

    @property
    def env(self) -> str:
        return str(self.config.get("env", {}).get("id", "?"))

    @property
    def method(self) -> str:
        return str(self.config.get("method", "?"))

    @property
    def labels(self) -> dict[str, Any]:
        return dict((self.summary or {}).get("labels") or self.meta.get("labels") or {})

    @property
    def config_key(self) -> str:
        return str(self.meta.get("config_key") or (self.summary or {}).get("config_key") or "")


@dataclass
class Spread:
    """Median and min–max of a number over seeds (``n`` values; ``None`` values left out)."""

    median: float | None
    low: float | None
    high: float | None
    n: int

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Spread:
        arr = np.array([v for v in values if v is not None], dtype=float)
        if arr.size == 0:
            return cls(None, None, None, 0)
        return cls(float(np.median(arr)), float(arr.min()), float(arr.max()), int(arr.size))


@dataclass
class Group:
    """The seeds of one configuration on one env (one line in a plot, one row in a table)."""

    env: str
    method: str
    labels: dict[str, Any]
    config_key: str
    runs: list[RunRecord] = field(default_factory=list)
    label: str = ""

    @property
    def algo(self) -> str:
        return str(self.runs[0].config.get("algo", "?")) if self.runs else "?"

    @property
    def budget(self) -> int:
        return int(self.runs[0].config.get("total_timesteps") or 0) if self.runs else 0

    @property
    def summaries(self) -> list[dict[str, Any]]:
        return [r.summary for r in self.runs if r.summary]

    def spread(self, key: str) -> Spread:
        return Spread.of(s.get(key) for s in self.summaries)

    def threshold_spread(self) -> tuple[Spread, int]:
        """Steps to threshold over seeds (runs that never reached it count as +inf in the
        median) and how many reached it."""
        values = [s.get("steps_to_threshold") for s in self.summaries]
        reached = [float(v) for v in values if v is not None]
        if not values or self.summaries[0].get("threshold") is None:
            return Spread(None, None, None, 0), 0
        arr = np.array([float("inf") if v is None else float(v) for v in values])
        median = float(np.median(arr))
        return (
            Spread(
                median if np.isfinite(median) else None,
                min(reached) if reached else None,
                max(reached) if reached else None,
                len(values),
            ),
            len(reached),
        )

    def llm_cost(self) -> dict[str, float | None]:
        """Median calls and tokens per run, pooled cache hit rate and LLM share of wall time."""
        llm = [s.get("llm") or {} for s in self.summaries]
        if not any(llm):
            return {}
        calls = [d.get("calls") for d in llm]
        tokens = [
            (d.get("prompt_tokens") or 0) + (d.get("completion_tokens") or 0)
            if d.get("prompt_tokens") is not None or d.get("completion_tokens") is not None
            else None
            for d in llm
        ]
        total_calls = sum(c or 0 for c in calls)
        hits = sum(d.get("cache_hits") or 0 for d in llm)
        seconds = [d.get("llm_seconds") for d in llm]
        wall = sum(
            s.get("wall_time_s") or 0.0 for s, d in zip(self.summaries, llm, strict=True) if d
        )
        return {
            "calls": Spread.of(calls).median,
            "tokens": Spread.of(tokens).median,
            "cache_hit_rate": hits / total_calls if total_calls else None,
            "llm_share": (
                sum(s or 0.0 for s in seconds) / wall
                if wall > 0 and any(s is not None for s in seconds)
                else None
            ),
        }

    def llm_specs(self) -> list[str]:
        """The LLM specs of the runs that used an LLM (non-empty ``llm`` stats)."""
        specs = {s.get("llm_spec") for s in self.summaries if s.get("llm_spec") and s.get("llm")}
        return sorted(str(s) for s in specs)

    def curve_band(self, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Median, min and max over seeds of the learning curves sampled at ``grid``."""
        curves = np.array(
            [
                on_grid(
                    r.steps,
                    r.curve,
                    grid,
                    float(r.summary.get("timesteps_done") or r.config.get("total_timesteps") or 0)
                    if r.summary
                    else float(r.steps[-1] if r.steps.size else 0),
                )
                for r in self.runs
            ]
        )
        with warnings.catch_warnings():  # all-NaN columns (before any episode) are expected
            warnings.simplefilter("ignore", RuntimeWarning)
            return (
                np.nanmedian(curves, axis=0),
                np.nanmin(curves, axis=0),
                np.nanmax(curves, axis=0),
            )


def find_run_dirs(paths: Iterable[Path]) -> list[Path]:
    """Run directories at or below each path (a run dir, a sweep dir, a runs root)."""
    found: dict[Path, None] = {}
    for path in paths:
        path = Path(path)
        if is_run_dir(path):
            found[path.resolve()] = None
            continue
        for meta in sorted(path.rglob("meta.json")):
            if is_run_dir(meta.parent):
                found[meta.parent.resolve()] = None
    return list(found)


def read_run(run_dir: Path) -> RunRecord:
    """Read one run directory (config, meta, summary, learning curve)."""
    paths = RunPaths(run_dir)
    config = read_yaml(paths.config) or {}
    window = int(config.get("threshold_window") or 20)
    steps, curve = learning_curve(paths.rows("episode"), window)
    return RunRecord(run_dir, config, paths.read_meta(), paths.read_summary(), steps, curve)


def group_runs(records: Iterable[RunRecord]) -> dict[str, list[Group]]:
    """Finished runs grouped by env, then by configuration (method + grid labels); the
    baseline first. Labels are unique within an env."""
    groups: dict[tuple[str, str, str, str], Group] = {}
    for record in records:
        if not record.finished:
            continue
        key = (record.env, record.method, str(record.config.get("name", "")), record.config_key)
        if key not in groups:
            groups[key] = Group(record.env, record.method, record.labels, record.config_key)
        groups[key].runs.append(record)
    by_env: dict[str, list[Group]] = {}
    for group in groups.values():
        by_env.setdefault(group.env, []).append(group)
    for env_groups in by_env.values():
        mixed_algos = len({g.algo for g in env_groups}) > 1
        for group in env_groups:
            parts = [f"{k.split('.')[-1]}={v}" for k, v in group.labels.items()]
            if mixed_algos:
                parts.insert(0, group.algo)
            group.label = " ".join([group.method, *parts])
        counts: dict[str, int] = {}
        for group in env_groups:
            counts[group.label] = counts.get(group.label, 0) + 1
        for group in env_groups:
            if counts[group.label] > 1:  # same method and labels: tell them apart by name
                twins = [g for g in env_groups if g.label == group.label]
                names = [str(g.runs[0].config.get("name", "")) for g in twins]
                name = str(group.runs[0].config.get("name", ""))
                unique = len(set(names)) == len(names) and name
                group.label += f" ({name})" if unique else f" [{group.config_key[:6]}]"
        env_groups.sort(key=lambda g: (g.method != "baseline", g.label))
    return dict(sorted(by_env.items()))


def baseline_wall_time(groups: list[Group], like: Group) -> float | None:
    """Median wall time of the env's baseline runs, preferring a baseline with the same
    algorithm and budget as ``like``."""
    baselines = [g for g in groups if g.method == "baseline"]
    baselines.sort(key=lambda g: (g.algo != like.algo, g.budget != like.budget))
    return baselines[0].spread("wall_time_s").median if baselines else None

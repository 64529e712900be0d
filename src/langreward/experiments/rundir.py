"""The layout of one run directory and the files in it.

::

    <run_dir>/
      config.yaml            resolved config (one seed)
      meta.json              versions, seed, host, start time, git commit, resumes
      metrics.jsonl          one JSON row per finished training episode / eval / method stats
      tb/run_1/              TensorBoard event files (SB3 logger + method scalars)
      checkpoints/
        latest.zip           the SB3 model
        replay_buffer.pkl    off-policy algorithms only
        method_state.pt      the method's own state (counters, judge memory, decoder), torch.save
        state.json           timesteps done, metrics line count, wall time, LLM counters
                             (offline pipelines: the stages done; no model)
      stage artefacts        offline pipelines: whatever each stage writes
      summary.json           written at the end (status: finished | failed | interrupted)
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import re
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from langreward.experiments.config import ExperimentConfig
from langreward.experiments.jsonio import iter_jsonl, read_json, to_jsonable, write_json

DEFAULT_RUNS_ROOT = Path("runs")
_PACKAGES = ("langreward", "torch", "stable-baselines3", "gymnasium", "numpy")


def now_iso() -> str:
    """The current UTC time, ISO 8601, seconds precision."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def slug(text: str) -> str:
    """A file-name-safe version of ``text`` (``"minigrid:MiniGrid-Empty"`` → ``"minigrid_MiniGrid-Empty"``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def run_dir_name(config: ExperimentConfig, seed: int) -> str:
    """``<method>-<env>-<algo>-seed<k>-<hash>``; the hash covers the whole config and the seed,
    so running the same config again finds (and resumes or skips) the same directory."""
    algo = config.algo or "offline"
    return f"{config.method}-{slug(config.env.id)}-{algo}-seed{seed}-{config.run_key(seed)}"


def default_run_dir(config: ExperimentConfig, seed: int, root: str | Path | None = None) -> Path:
    """``<root>/<name>/<run_dir_name>`` with ``root`` defaulting to ``./runs``."""
    return Path(root or DEFAULT_RUNS_ROOT) / config.name / run_dir_name(config, seed)


def is_run_dir(path: Path) -> bool:
    """Whether ``path`` holds a run (a ``meta.json`` and a ``config.yaml``)."""
    return (path / "meta.json").is_file() and (path / "config.yaml").is_file()


@dataclass(frozen=True)
class RunPaths:
    """The paths inside one run directory."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def meta(self) -> Path:
        return self.root / "meta.json"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"

    @property
    def tensorboard(self) -> Path:
        return self.root / "tb"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def model(self) -> Path:
        return self.checkpoints / "latest.zip"

    @property
    def replay_buffer(self) -> Path:
        return self.checkpoints / "replay_buffer.pkl"

    @property
    def method_state(self) -> Path:
        return self.checkpoints / "method_state.pt"

    @property
    def state(self) -> Path:
        return self.checkpoints / "state.json"

    def read_summary(self) -> dict[str, Any] | None:
        return read_json(self.summary)

    def read_state(self) -> dict[str, Any] | None:
        state = read_json(self.state)
        if not state:
            return None
        return state if self.model.is_file() or "stages_done" in state else None

    def read_meta(self) -> dict[str, Any]:
        return read_json(self.meta) or {}

    def rows(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The metrics rows, optionally only one ``type`` (``"episode"``, ``"eval"``, ``"method"``)."""
        return [r for r in iter_jsonl(self.metrics) if kind is None or r.get("type") == kind]


# -- meta.json -------------------------------------------------------------------------------
def versions() -> dict[str, str | None]:
    """Versions of Python and the packages a run depends on."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> dict[str, Any] | None:
    """The git commit of the langreward source tree (and whether it has local changes), if any."""
    import langreward

    where = Path(langreward.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)} if commit else None


def new_meta(config: ExperimentConfig, seed: int, labels: dict[str, Any]) -> dict[str, Any]:
    """The content of a new run's ``meta.json``."""
    return {
        "name": config.name,
        "method": config.method,
        "env": config.env.id,
        "algo": config.algo,
        "seed": seed,
        "labels": labels,
        "config_key": config.config_key(),
        "run_key": config.run_key(seed),
        "llm": config.llm,
        "versions": versions(),
        "git": git_commit(),
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "started_at": now_iso(),
        "resumes": [],
    }


def record_resume(paths: RunPaths, timesteps: int) -> None:
    """Append a resume record (time, host, steps done) to ``meta.json``."""
    meta = paths.read_meta()
    meta.setdefault("resumes", []).append(
        {"at": now_iso(), "hostname": socket.gethostname(), "from_timesteps": timesteps}
    )
    write_json(paths.meta, meta)


# -- metrics.jsonl ---------------------------------------------------------------------------
class MetricsWriter:
    """Appends JSON rows to ``metrics.jsonl``, flushed per row, counting lines.

    Example:
        >>> with MetricsWriter(Path("metrics.jsonl")) as w:  # doctest: +SKIP
        ...     w.write({"type": "episode", "timestep": 200, "return": 21.0})
    """

    def __init__(self, path: Path, keep_lines: int | None = None) -> None:
        """Open ``path`` for appending; ``keep_lines`` first truncates it to that many lines."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if keep_lines is None:
            path.write_text("", encoding="utf-8")
            self.lines = 0
        else:
            self.lines = truncate_lines(path, keep_lines)
        self._handle: TextIO = path.open("a", encoding="utf-8")

    def write(self, row: dict[str, Any]) -> None:
        import json

        self._handle.write(json.dumps(to_jsonable(row)) + "\n")
        self._handle.flush()
        self.lines += 1

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> MetricsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def truncate_lines(path: Path, keep: int) -> int:
    """Keep only the first ``keep`` complete lines of ``path``; return how many it now has."""
    if not path.exists():
        path.touch()
        return 0
    data = path.read_bytes()
    end, count = 0, 0
    while count < keep:
        nl = data.find(b"\n", end)
        if nl < 0:
            break
        end, count = nl + 1, count + 1
    if end != len(data):
        with path.open("r+b") as handle:
            handle.truncate(end)
    return count


def write_checkpoint_state(paths: RunPaths, state: dict[str, Any]) -> None:
    """Write ``checkpoints/state.json`` (after the model and replay buffer are saved)."""
    write_json(paths.state, {**state, "saved_at": now_iso()})

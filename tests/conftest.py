"""Shared test set-up: every test run gets its own LLM cache directory."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["LANGREWARD_CACHE_DIR"] = str(tmp_path_factory.mktemp("langreward-cache"))

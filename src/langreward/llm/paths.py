"""Where the LLM layer keeps its files: the user cache directory, or ``LANGREWARD_CACHE_DIR``."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

CACHE_ENV = "LANGREWARD_CACHE_DIR"
MODELS_ENV = "LANGREWARD_MODELS_DIR"


def cache_root() -> Path:
    """Root of langreward's cache (``$LANGREWARD_CACHE_DIR`` or the platform's user cache dir)."""
    override = os.environ.get(CACHE_ENV)
    return (
        Path(override).expanduser() if override else Path(platformdirs.user_cache_dir("langreward"))
    )


def models_dir() -> Path:
    """Where assembled GGUF models are stored (``$LANGREWARD_MODELS_DIR`` or the user cache dir).

    Kept apart from :func:`cache_root` so that moving the response cache (as tests do) does not
    assemble the models again.
    """
    override = os.environ.get(MODELS_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("langreward")) / "models"


def default_cache_path() -> Path:
    """The default SQLite response cache."""
    return cache_root() / "llm-cache.sqlite"

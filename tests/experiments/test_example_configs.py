"""Every example config in configs/ validates (the README and docs point users at them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from langreward.experiments import load_config

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").rglob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_config_is_valid(path: Path) -> None:
    config = load_config(path)
    assert config.total_timesteps > 0 and config.seeds


def test_there_are_examples_for_each_method() -> None:
    methods = {load_config(p).method for p in CONFIGS}
    assert {"baseline", "lmgt", "lare"} <= methods

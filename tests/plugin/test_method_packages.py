"""Every built-in method package exports the same small surface: its ``METHOD`` and its
settings class (plus the few objects its docs use), listed in ``__all__``."""

from __future__ import annotations

import importlib

import pytest

from langreward.plugin import get_method
from langreward.plugin.registry import BUILTIN


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_each_method_package_exports_its_method_and_settings(name: str) -> None:
    package = importlib.import_module(BUILTIN[name].partition(":")[0].rpartition(".")[0])
    method = get_method(name)
    exported = set(package.__all__)
    assert {"METHOD", method.settings.__name__} <= exported, package.__name__
    assert package.METHOD is method
    assert getattr(package, method.settings.__name__) is method.settings
    assert all(hasattr(package, attr) for attr in exported), package.__name__

"""The examples in the codegen docstrings run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "langreward.codegen",
    "langreward.codegen.build",
    "langreward.codegen.compiled",
    "langreward.codegen.extract",
    "langreward.codegen.namespace",
    "langreward.codegen.outputs",
    "langreward.codegen.policy",
    "langreward.codegen.verify",
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0

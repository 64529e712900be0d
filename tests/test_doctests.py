"""The examples in every docstring of the package run as written (``make test`` runs them).

Examples that need the embedded model, a server or a long run are marked ``# doctest: +SKIP``
where they stand; everything else runs.
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil

import pytest

import langreward

#: modules whose import needs an optional extra that may be missing (skipped, not failed)
OPTIONAL = {"langreward.llm.backends.hf": "transformers"}


def _modules() -> list[str]:
    names = ["langreward"]
    for info in pkgutil.walk_packages(langreward.__path__, "langreward."):
        if not info.name.rsplit(".", 1)[-1].startswith("_child"):
            names.append(info.name)
    return sorted(names)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str, tmp_path, monkeypatch) -> None:
    if name in OPTIONAL:
        pytest.importorskip(OPTIONAL[name])
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    monkeypatch.setenv("LANGREWARD_CACHE_DIR", str(tmp_path / "cache"))
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
    assert os.getcwd() == str(tmp_path)

"""An installed-looking third-party package that adds the ``tabular_q`` method through the
``langreward.methods`` entry-point group (a ``.dist-info`` folder on ``sys.path``)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

EXTERNAL = Path(__file__).parent / "external" / "tabular_q.py"


def install_external_package(root: Path) -> Path:
    """Lay out ``root/extmethods`` and its dist-info so that entry points find it."""
    package = root / "extmethods"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    shutil.copy(EXTERNAL, package / "tabular_q.py")
    info = root / "extmethods-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: extmethods\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[langreward.methods]\ntabular_q = extmethods.tabular_q:METHOD\n"
    )
    return root


@pytest.fixture
def external_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The external package on ``sys.path`` of this process (and of its children)."""
    root = install_external_package(tmp_path / "site")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("PYTHONPATH", str(root))
    yield root
    from langreward.plugin import unregister

    unregister("tabular_q")
    sys.modules.pop("extmethods.tabular_q", None)
    sys.modules.pop("extmethods", None)

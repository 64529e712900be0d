"""Queueing for the LLM judge: new pairs wait for a full prompt; one prompt may run in a thread."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from langreward.lmgt.config import LLMJudgeSettings

Answers = Sequence[int | None]


class PendingPairs:
    """New pairs (key -> description) waiting to be asked about, oldest first.

    A prompt is :meth:`due` when ``batch_size`` pairs are waiting, at once without ``defer``,
    or once the oldest has waited ``max_wait`` judged pairs (a small key set may never fill a
    prompt again). ``seen`` is the judge's count of judged pairs, the clock of the wait.

    Args:
        settings: the judge's settings (``batch_size``, ``defer``, ``max_wait``).

    Example:
        >>> pending = PendingPairs(LLMJudgeSettings(batch_size=2, max_wait=5))
        >>> pending.add("k1", "pair one", seen=0)
        >>> pending.due(seen=4), pending.due(seen=5)
        (False, True)
        >>> pending.add("k2", "pair two", seen=4)
        >>> pending.due(seen=4)
        True
        >>> pending.take(limit=2, seen=4)
        (['k1', 'k2'], ['pair one', 'pair two'])
    """

    def __init__(self, settings: LLMJudgeSettings) -> None:
        self.settings = settings
        self.texts: dict[Hashable, str] = {}
        self.since: int | None = None  # judged pairs seen when the oldest pair was queued

    def __contains__(self, key: Hashable) -> bool:
        return key in self.texts

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, key: Hashable, text: str, seen: int) -> None:
        """Queue a new pair (its key is not waiting yet)."""
        self.texts[key] = text
        if self.since is None:
            self.since = seen

    def due(self, seen: int) -> bool:
        """Whether to ask now."""
        if not self.texts:
            return False
        if not self.settings.defer or len(self.texts) >= self.settings.batch_size:
            return True
        assert self.since is not None
        return seen - self.since >= self.settings.max_wait

    def take(self, limit: int | None, seen: int) -> tuple[list[Hashable], list[str]]:
        """The oldest ``limit`` pairs (all without a limit), out of the queue."""
        keys = list(self.texts)[: limit or len(self.texts)]
        texts = [self.texts.pop(key) for key in keys]
        self.since = seen if self.texts else None
        return keys, texts

    def state_dict(self) -> dict[str, Any]:
        return {"queue": dict(self.texts), "queued_since": self.since}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.texts = dict(state["queue"])
        self.since = state["queued_since"]


class PromptWorker:
    """Runs one prompt at a time in a background thread; its answers are collected once done.

    Example:
        >>> worker = PromptWorker()
        >>> worker.submit(["k1", "k2"], lambda: [1, -1])
        >>> worker.busy, worker.asking("k1")
        (True, True)
        >>> worker.collect(wait=True)
        [('k1', 1), ('k2', -1)]
        >>> worker.busy, worker.collect()
        (False, [])
        >>> worker.close()
    """

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="lmgt-judge")
        self._in_flight: tuple[list[Hashable], Future[Answers]] | None = None

    @property
    def busy(self) -> bool:
        """Whether a prompt is in flight (its answers not collected yet)."""
        return self._in_flight is not None

    def asking(self, key: Hashable) -> bool:
        """Whether ``key`` is in the prompt in flight."""
        return self._in_flight is not None and key in self._in_flight[0]

    def submit(self, keys: Sequence[Hashable], ask: Callable[[], Answers]) -> None:
        """Start ``ask()``, the answers for ``keys``, in the thread (none may be in flight)."""
        assert self._in_flight is None, "one prompt at a time: collect the last one first"
        self._in_flight = (list(keys), self._executor.submit(ask))

    def collect(self, wait: bool = False) -> list[tuple[Hashable, int | None]]:
        """(key, answer) pairs of the prompt in flight once it is done (``wait``: wait for
        it), else none. An exception of ``ask`` is raised here."""
        if self._in_flight is None or not (wait or self._in_flight[1].done()):
            return []
        keys, future = self._in_flight
        self._in_flight = None
        return list(zip(keys, future.result(), strict=True))

    def close(self) -> None:
        """Stop the thread (after the prompt in flight; its answers are dropped)."""
        self._executor.shutdown()

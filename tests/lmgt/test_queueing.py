"""Queueing of the LLM judge: pairs waiting for a prompt, and the background worker thread."""

from __future__ import annotations

import threading

import pytest

from langreward.lmgt.config import LLMJudgeSettings
from langreward.lmgt.queueing import PendingPairs, PromptWorker


def _pending(**options: object) -> PendingPairs:
    return PendingPairs(LLMJudgeSettings.of(None, **options))


def test_without_defer_a_single_pair_is_due() -> None:
    pending = _pending(defer=False, batch_size=16)
    assert not pending.due(seen=0)  # nothing waiting
    pending.add("a", "pair a", seen=0)
    assert pending.due(seen=0)


def test_deferred_pairs_are_due_at_batch_size_or_after_max_wait() -> None:
    pending = _pending(batch_size=3, max_wait=10)
    pending.add("a", "pair a", seen=5)
    pending.add("b", "pair b", seen=7)  # the clock started with the oldest pair
    assert pending.since == 5 and "a" in pending and len(pending) == 2
    assert not pending.due(seen=14) and pending.due(seen=15)
    pending.add("c", "pair c", seen=8)
    assert pending.due(seen=8)  # a full prompt


def test_take_pops_the_oldest_and_restarts_the_clock_for_the_rest() -> None:
    pending = _pending(batch_size=2)
    for i, key in enumerate("abc"):
        pending.add(key, f"pair {key}", seen=i)
    assert pending.take(limit=2, seen=9) == (["a", "b"], ["pair a", "pair b"])
    assert list(pending.texts) == ["c"] and pending.since == 9
    assert pending.take(limit=None, seen=10) == (["c"], ["pair c"])
    assert len(pending) == 0 and pending.since is None


def test_state_round_trip_keeps_the_checkpoint_keys() -> None:
    pending = _pending()
    pending.add("a", "pair a", seen=3)
    state = pending.state_dict()
    assert state == {"queue": {"a": "pair a"}, "queued_since": 3}  # as checkpoints store them
    restored = _pending()
    restored.load_state_dict(state)
    assert restored.texts == {"a": "pair a"} and restored.since == 3


def test_worker_runs_one_prompt_in_its_thread_and_hands_answers_back_when_done() -> None:
    release, threads = threading.Event(), []

    def ask() -> list[int | None]:
        threads.append(threading.current_thread().name)
        release.wait(5)
        return [1, None]

    worker = PromptWorker()
    worker.submit(["a", "b"], ask)
    assert worker.busy and worker.asking("a") and not worker.asking("c")
    assert worker.collect() == []  # still running: nothing yet, nothing waited for
    with pytest.raises(AssertionError, match="one prompt at a time"):
        worker.submit(["c"], ask)
    release.set()
    assert worker.collect(wait=True) == [("a", 1), ("b", None)]
    assert not worker.busy and threads[0].startswith("lmgt-judge")
    worker.close()


def test_worker_raises_the_prompts_exception_on_collect() -> None:
    def ask() -> list[int | None]:
        raise RuntimeError("boom")

    worker = PromptWorker()
    worker.submit(["a"], ask)
    with pytest.raises(RuntimeError, match="boom"):
        worker.collect(wait=True)
    assert not worker.busy
    worker.close()

"""``LLMJudge``: an LLM labels (state, action) pairs good / neutral / bad, remembered per key.

The judge keeps the memory and decides when to ask; the work is done by one unit each:
:class:`~langreward.lmgt.queueing.PendingPairs` and
:class:`~langreward.lmgt.queueing.PromptWorker` (waiting pairs, the background thread),
:class:`~langreward.lmgt.prompts.JudgePrompts` (the prompts),
:class:`~langreward.lmgt.asking.JudgeAsker` (the LLM calls) and
:class:`~langreward.lmgt.reading.AnswerReader` (calibration and the confidence bar).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np

from langreward.llm import LLM
from langreward.lmgt.asking import JudgeAsker
from langreward.lmgt.config import LLMJudgeSettings
from langreward.lmgt.judge import BaseJudge, Info, exact_key
from langreward.lmgt.keys import TextKey
from langreward.lmgt.prompts import JudgePrompts
from langreward.lmgt.queueing import PendingPairs, PromptWorker
from langreward.lmgt.reading import AnswerReader
from langreward.lmgt.reference import ReferencePolicy
from langreward.text import Describer

KeyFn = Callable[[Any, Any, Info | None], Hashable]


class LLMJudge(BaseJudge):
    """Asks an LLM whether each action is good (+1), neutral (0) or bad (-1).

    New pairs are described in words (:mod:`langreward.text`), queued, and asked about in
    packed prompts of up to ``batch_size`` pairs once that many are waiting (``defer``; the
    oldest waits ``max_wait`` judged pairs at most), meanwhile they get 0 (``pending``). With
    ``background`` the LLM is asked in a worker thread and training never waits: answers apply
    from the first step after they arrive. Answers are remembered per ``key(obs, action,
    info)``, so a repeated (discretised) pair never reaches the LLM again; the LLM's own
    persistent cache sits behind that. An LLM error gives 0 and is not remembered.

    Every option is a field of :class:`~langreward.lmgt.config.LLMJudgeSettings` (also an
    ``lmgt:`` setting: an :class:`~langreward.lmgt.LMGTSettings` can be passed as it is);
    see there for what each does.

    Args:
        llm: the LLM (any backend of :mod:`langreward.llm`).
        describer: turns (obs, action) into words.
        settings: the judge's options (default: all defaults).
        key: the state-action key (default: exact pairs only); see
            :class:`~langreward.lmgt.keys.StateActionKey` and
            :class:`~langreward.lmgt.keys.TextKey`.
        examples: ``(item text, label)`` pairs shown to the model (needed for few-shot).
        reference: a reference policy to measure agreement against (optional).
        **options: fields of ``settings`` to replace, checked by ``LLMJudgeSettings``:
            ``LLMJudge(llm, d, defer=False)`` is ``LLMJudge(llm, d, LLMJudgeSettings(defer=False))``.

    Example:
        >>> from langreward.llm import make_llm
        >>> from langreward.text import CartPoleDescriber
        >>> judge = LLMJudge(make_llm("embedded"), CartPoleDescriber(),
        ...                  LLMJudgeSettings(batch_size=2))  # doctest: +SKIP
        >>> judge.judge_batch([[0, 0, 0.1, 0], [0, 0, 0.1, 0]], [1, 0])  # doctest: +SKIP
        array([ 1, -1], dtype=int8)
        >>> judge.stats.llm_rounds  # both pairs in one packed prompt  # doctest: +SKIP
        1
    """

    name = "llm"

    def __init__(
        self,
        llm: LLM,
        describer: Describer,
        settings: LLMJudgeSettings | None = None,
        *,
        key: KeyFn | None = None,
        examples: Sequence[tuple[str, str]] = (),
        reference: ReferencePolicy | None = None,
        **options: Any,
    ) -> None:
        super().__init__(reference)
        self.settings = LLMJudgeSettings.of(settings, **options)
        self.llm = llm
        self.describer = describer
        self.key = key
        self.prompts = JudgePrompts(describer, tuple((text, label) for text, label in examples))
        self.reader = AnswerReader(self.settings)
        self.asker = JudgeAsker(llm, self.prompts, self.settings, self.reader)
        self.pending = PendingPairs(self.settings)
        self.memory: dict[Hashable, int] = {}
        self._worker = PromptWorker() if self.settings.background else None

    @property
    def queue(self) -> dict[Hashable, str]:
        """New pairs waiting for a prompt (key -> description)."""
        return self.pending.texts

    @property
    def examples(self) -> tuple[tuple[str, str], ...]:
        return self.prompts.examples

    @property
    def prior(self) -> dict[str, float] | None:
        """The calibration prior (``calibration: contextual``, once measured)."""
        return self.reader.prior

    # -- Judge ----------------------------------------------------------------------------
    def _judge(
        self, obs: Sequence[Any], actions: Sequence[Any], infos: Sequence[Info]
    ) -> np.ndarray:
        self._collect()
        key_fn = self.key or exact_key
        keys = [key_fn(o, a, info) for o, a, info in zip(obs, actions, infos, strict=True)]
        seen = self.stats.pairs
        for i, key in enumerate(keys):
            if key in self.memory or key in self.pending or self._asking(key):
                self.stats.key_hits += 1
            elif isinstance(self.key, TextKey):
                self.pending.add(key, str(key), seen)  # the key is the description
            else:
                self.pending.add(key, self.describer.describe(obs[i], actions[i], infos[i]), seen)
        if self._worker is not None:
            if not self._worker.busy and self.pending.due(seen):
                keys_asked, texts = self._take(self.settings.batch_size)
                self._worker.submit(keys_asked, partial(self.asker.ask, texts, self.stats))
        else:
            while self.pending.due(seen):
                self.flush(self.settings.batch_size)
        shifts = np.zeros(len(obs), dtype=np.int8)
        for i, key in enumerate(keys):
            if key in self.memory:
                shifts[i] = self.memory[key]
            else:
                self.stats.pending += 1
        return shifts

    def state_dict(self) -> dict[str, Any]:
        """Counters, the remembered judgments and the queued pairs (a background prompt in
        flight is waited for first, so its answers are kept)."""
        self.drain()
        return {
            **super().state_dict(),
            "memory": dict(self.memory),
            **self.pending.state_dict(),
            "prior": self.reader.prior,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.memory = dict(state["memory"])
        self.pending.load_state_dict(state)
        self.reader.prior = state.get("prior")

    def calibration_summary(self) -> dict[str, Any]:
        """How choices become labels, for ``summary.json`` (the prior once measured)."""
        return self.reader.summary()

    def flush(self, limit: int | None = None) -> None:
        """Ask the LLM about (up to ``limit``) queued pairs now, in packed prompts."""
        keys, texts = self._take(limit)
        if keys:
            self._remember(zip(keys, self.asker.ask(texts, self.stats), strict=True))

    def drain(self) -> None:
        """Wait for the prompt in flight (``background``); pairs still queued stay queued."""
        self._collect(wait=True)

    def close(self) -> None:
        """:meth:`drain`, then stop the worker thread."""
        self.drain()
        if self._worker is not None:
            self._worker.close()

    def _take(self, limit: int | None) -> tuple[list[Hashable], list[str]]:
        keys, texts = self.pending.take(limit, self.stats.pairs)
        self.stats.queries += len(keys)
        return keys, texts

    def _asking(self, key: Hashable) -> bool:
        return self._worker is not None and self._worker.asking(key)

    def _collect(self, wait: bool = False) -> None:
        if self._worker is not None:
            self._remember(self._worker.collect(wait))

    def _remember(self, answers: Iterable[tuple[Hashable, int | None]]) -> None:
        for key, answer in answers:
            if answer is not None:  # an LLM error: 0 for now, asked again next time
                self.memory[key] = answer

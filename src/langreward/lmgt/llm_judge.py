"""``LLMJudge``: an LLM labels (state, action) pairs good / neutral / bad, remembered per key."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from langreward.llm import LLM, LLMError, MalformedReplyError
from langreward.llm.calibration import CONTENT_FREE, ContextualCalibrator
from langreward.lmgt.judge import BaseJudge, Info, exact_key
from langreward.lmgt.keys import TextKey
from langreward.lmgt.prompts import (
    INSTRUCTION,
    LABELS,
    SHIFT_OF,
    STRATEGIES,
    cot_messages,
    packed_cot_messages,
    parse_cot,
    parse_packed_cot,
    single_messages,
    system_prompt,
)
from langreward.lmgt.reference import ReferencePolicy
from langreward.text import Describer

logger = logging.getLogger(__name__)
KeyFn = Callable[[Any, Any, Info | None], Hashable]


class LLMJudge(BaseJudge):
    """Asks an LLM whether each action is good (+1), neutral (0) or bad (-1).

    New pairs are described in words (:mod:`langreward.text`) and sent to the LLM in packed
    prompts of up to ``batch_size`` items (``llm.choose_many``: one call for many pairs), or,
    with ``packed=False``, one by one (``llm.choose``). Both give the model's probabilities
    where the backend has log-probabilities; ``min_confidence`` applies to them.
    Chain-of-thought asks for reasoning before the label (``llm.chat``; packed too). Answers
    are remembered in a dict keyed by ``key(obs, action, info)``, so a repeated (discretised)
    pair never reaches the LLM again; the LLM's own persistent cache sits behind that.

    New pairs are queued and asked about once ``batch_size`` distinct pairs are waiting
    (``defer``); until then they get shift 0. With ``background``, the LLM is asked in a
    worker thread and the training loop never waits for it: the answers apply from the first
    step after they arrive.

    Replies that cannot be read count as ``unparseable``; choices less confident than
    ``min_confidence`` count as ``uncertain``; both give shift 0 (and are remembered). A
    packed reply that fails is retried item by item when ``fallback_single`` is on. An LLM
    error (e.g. the server is down) gives 0, is counted, and is not remembered.

    Args:
        llm: the LLM (any backend of :mod:`langreward.llm`).
        describer: turns (obs, action) into words.
        strategy: ``"zero_shot"``, ``"chain_of_thought"`` or ``"few_shot"``.
        key: the state-action key (default: exact pairs only); see
            :class:`~langreward.lmgt.StateActionKey` and :class:`~langreward.lmgt.TextKey`.
        batch_size: pairs per packed prompt; ``1`` asks one by one.
        packed: use packed prompts (else always one by one).
        examples: ``(item text, label)`` pairs shown to the model (needed for few-shot).
        reference: a reference policy to measure agreement against (optional).
        min_confidence: choices less probable than this give 0 (``uncertain``).
        samples: votes per one-by-one choice when the backend has no log-probabilities.
        max_tokens: reply budget of a chain-of-thought answer (per item when packed).
        fallback_single: retry the items of a failed packed reply one by one.
        defer: queue new pairs (shift 0 meanwhile, counted as ``pending``) until
            ``batch_size`` distinct ones are waiting, then ask in one packed prompt. This keeps
            the LLM off most steps: without it every step with a new pair waits for an LLM
            call holding only that step's few pairs.
        max_wait: with ``defer``, ask anyway once the oldest queued pair has waited for this
            many judged pairs (a small key set may never fill a prompt again).
        orders: option orders a one-by-one choice averages over (``auto``: all six orders of
            the three labels, so the model's favourite letter does not decide; ``none``: one
            call in the listed order).
        packed_orders: the same for packed prompts (``none``: one call per prompt, each item
            read as answered, or from its letter's log-probabilities where the backend has
            them; ``auto``: six calls per prompt, probabilities averaged).
        calibration: ``contextual``: divide each choice's probabilities by the model's
            answer for a content-free item (``"N/A"``, asked once, the same way as the
            judgments), its prior over the labels, and decide by the largest; ``none``:
            decide by the largest probability as read.
        background: ask in a worker thread, one packed prompt at a time, while new pairs keep
            queueing (and get 0, counted as ``pending``). The LLM is then off the hot path,
            but which steps see an answer depends on timing, so runs are no longer
            bit-for-bit reproducible. Call :meth:`close` at the end.

    Example:
        >>> from langreward.llm import make_llm
        >>> from langreward.text import CartPoleDescriber
        >>> judge = LLMJudge(make_llm("embedded"), CartPoleDescriber())  # doctest: +SKIP
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
        *,
        strategy: str = "zero_shot",
        key: KeyFn | None = None,
        batch_size: int = 16,
        packed: bool = True,
        examples: Sequence[tuple[str, str]] = (),
        reference: ReferencePolicy | None = None,
        min_confidence: float = 0.0,
        samples: int = 5,
        max_tokens: int = 192,
        fallback_single: bool = True,
        defer: bool = True,
        max_wait: int = 2000,
        background: bool = False,
        orders: str = "auto",
        packed_orders: str = "none",
        calibration: str = "none",
    ) -> None:
        strategy = strategy.replace("-", "_")
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
        if strategy == "few_shot" and not examples:
            raise ValueError(
                "the few_shot strategy needs examples: (item text, label) pairs, e.g. from "
                "langreward.lmgt.reference_examples(env, describer, reference)"
            )
        if calibration not in ("none", "contextual"):
            raise ValueError(f"calibration must be 'none' or 'contextual', not {calibration!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if max_wait < 1:
            raise ValueError(f"max_wait must be >= 1, got {max_wait}")
        bad_labels = {label for _, label in examples} - set(LABELS)
        if bad_labels:
            raise ValueError(f"example labels must be in {LABELS}, got {sorted(bad_labels)}")
        super().__init__(reference)
        self.llm = llm
        self.describer = describer
        self.strategy = strategy
        self.key = key
        self.batch_size = batch_size
        self.packed = packed
        self.examples = list(examples)
        self.min_confidence = min_confidence
        self.samples = samples
        self.max_tokens = max_tokens
        self.fallback_single = fallback_single
        self.defer = defer
        self.orders = orders
        self.packed_orders = packed_orders
        self.calibration = calibration
        self.prior: dict[str, float] | None = None  # contextual: measured on first use
        self.memory: dict[Hashable, int] = {}
        self.queue: dict[Hashable, str] = {}  # new pairs waiting for a packed prompt
        self.max_wait = max_wait
        self._queued_since: int | None = None  # judged pairs seen when the queue last started
        self._worker = (
            ThreadPoolExecutor(1, thread_name_prefix="lmgt-judge") if background else None
        )
        self._in_flight: tuple[list[Hashable], Future[list[int | None]]] | None = None

    # -- Judge ----------------------------------------------------------------------------
    def _judge(
        self, obs: Sequence[Any], actions: Sequence[Any], infos: Sequence[Info]
    ) -> np.ndarray:
        self._collect()
        key_fn = self.key or exact_key
        keys = [key_fn(o, a, info) for o, a, info in zip(obs, actions, infos, strict=True)]
        for i, key in enumerate(keys):
            if key in self.memory or key in self.queue or self._asking(key):
                self.stats.key_hits += 1
            elif isinstance(self.key, TextKey):
                self.queue[key] = str(key)  # the key is the description
            else:
                self.queue[key] = self.describer.describe(obs[i], actions[i], infos[i])
        if self.queue and self._queued_since is None:
            self._queued_since = self.stats.pairs
        if self._worker is not None:
            if self._in_flight is None and self._prompt_due():
                self._submit(self.batch_size)
        else:
            while self._prompt_due():
                self.flush(self.batch_size)
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
            "queue": dict(self.queue),
            "queued_since": self._queued_since,
            "prior": self.prior,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.memory = dict(state["memory"])
        self.queue = dict(state["queue"])
        self._queued_since = state["queued_since"]
        self.prior = state.get("prior")

    def calibration_summary(self) -> dict[str, Any]:
        """How choices become labels, for ``summary.json`` (the prior once measured)."""
        if self.calibration == "none":
            return {"kind": "none"}
        return {
            "kind": "contextual",
            "input": CONTENT_FREE,
            "prior": self.prior,  # None: not measured yet; {}: no log-probabilities, unused
        }

    def _prompt_due(self) -> bool:
        """Whether to ask now: a full prompt is waiting, or the oldest pair waited long enough
        (else the last few pairs of a small key set would wait forever)."""
        if not self.queue:
            return False
        if not self.defer or len(self.queue) >= self.batch_size:
            return True
        assert self._queued_since is not None
        return self.stats.pairs - self._queued_since >= self.max_wait

    def flush(self, limit: int | None = None) -> None:
        """Ask the LLM about (up to ``limit``) queued pairs now, in packed prompts."""
        keys, texts = self._dequeue(limit)
        if keys:
            self._remember(keys, self.ask(texts))

    def _dequeue(self, limit: int | None) -> tuple[list[Hashable], list[str]]:
        keys = list(self.queue)[: limit or len(self.queue)]
        self.stats.queries += len(keys)
        texts = [self.queue.pop(key) for key in keys]
        self._queued_since = self.stats.pairs if self.queue else None
        return keys, texts

    def _submit(self, limit: int) -> None:
        """Send one packed prompt to the worker thread (one at a time: the rest wait in the
        queue, so the end of training waits for one call at most)."""
        assert self._worker is not None
        keys, texts = self._dequeue(limit)
        self._in_flight = (keys, self._worker.submit(self.ask, texts))

    def _asking(self, key: Hashable) -> bool:
        return self._in_flight is not None and key in self._in_flight[0]

    def _remember(self, keys: Sequence[Hashable], answers: Sequence[int | None]) -> None:
        for key, answer in zip(keys, answers, strict=True):
            if answer is not None:  # an LLM error: 0 for now, asked again next time
                self.memory[key] = answer

    def _collect(self, wait: bool = False) -> None:
        """Take in the worker thread's answers once they are there (``wait``: wait for them)."""
        if self._in_flight is not None and (wait or self._in_flight[1].done()):
            keys, future = self._in_flight
            self._in_flight = None
            self._remember(keys, future.result())

    def drain(self) -> None:
        """Wait for the prompt in flight (``background``); pairs still queued stay queued."""
        self._collect(wait=True)

    def close(self) -> None:
        """:meth:`drain`, then stop the worker thread."""
        self.drain()
        if self._worker is not None:
            self._worker.shutdown()

    # -- asking the LLM -------------------------------------------------------------------
    def ask(self, texts: Sequence[str]) -> list[int | None]:
        """Shifts for described pairs (``None`` where an LLM error lost the answer)."""
        answers: list[int | None] = []
        for start in range(0, len(texts), self.batch_size):
            chunk = list(texts[start : start + self.batch_size])
            if self.packed:
                answers.extend(self._ask_packed(chunk))
            else:
                answers.extend(self._ask_single(text) for text in chunk)
        return answers

    def _ask_packed(self, chunk: list[str]) -> list[int | None]:
        self.stats.llm_rounds += 1
        try:
            if self.strategy == "chain_of_thought":
                reply = self.llm.chat(
                    packed_cot_messages(self.describer.task, chunk, self.examples),
                    max_tokens=self.max_tokens * len(chunk),
                ).text
                labels = parse_packed_cot(reply, len(chunk))
                if labels is None:
                    raise MalformedReplyError("no 'Answers:' line with one label per item", reply)
            else:
                decided = [self._decide(choice.probs) for choice in self._choose_packed(chunk)]
                if len(decided) != len(chunk):
                    raise MalformedReplyError(f"{len(decided)} labels for {len(chunk)} items")
                return [self._shift(label, confidence) for label, confidence in decided]
        except MalformedReplyError as exc:
            logger.debug("packed judgment unreadable (%s)", exc)
            if self.fallback_single:
                return [self._ask_single(text) for text in chunk]
            self.stats.unparseable += len(chunk)
            return [0] * len(chunk)
        except LLMError as exc:
            logger.warning("LLM judge call failed: %s", exc)
            self.stats.errors += len(chunk)
            return [None] * len(chunk)
        return [SHIFT_OF[label] for label in labels]

    def _ask_single(self, text: str) -> int | None:
        self.stats.llm_rounds += 1
        try:
            if self.strategy == "chain_of_thought":
                reply = self.llm.chat(
                    cot_messages(self.describer.task, text, self.examples),
                    max_tokens=self.max_tokens,
                ).text
                label = parse_cot(reply)
                if label is None:
                    self.stats.unparseable += 1
                    return 0
                return SHIFT_OF[label]
            label, confidence = self._decide(self._choose_single(text).probs)
        except MalformedReplyError as exc:
            logger.debug("judgment unreadable (%s)", exc)
            self.stats.unparseable += 1
            return 0
        except LLMError as exc:
            logger.warning("LLM judge call failed: %s", exc)
            self.stats.errors += 1
            return None
        return self._shift(label, confidence)

    def _shift(self, label: str, confidence: float) -> int:
        if confidence < self.min_confidence:
            self.stats.uncertain += 1
            return 0
        return SHIFT_OF.get(label, 0)

    def _choose_packed(self, chunk: list[str]) -> list[Any]:
        return self.llm.choose_many(
            chunk,
            LABELS,
            instruction=INSTRUCTION,
            system=system_prompt(self.describer.task),
            examples=self.examples,
            orders=self.packed_orders,  # type: ignore[arg-type]
        )

    def _choose_single(self, text: str) -> Any:
        return self.llm.choose(
            single_messages(self.describer.task, text, self.examples),
            LABELS,
            samples=self.samples,
            orders=self.orders,  # type: ignore[arg-type]
        )

    def _measure_prior(self) -> dict[str, float]:
        """The labels' probabilities for the content-free item; ``{}`` (no calibration) when
        the backend gives no log-probabilities: a prior of votes would divide by zero."""
        if self.packed:
            choice = self._choose_packed([CONTENT_FREE])[0]
        else:
            choice = self._choose_single(CONTENT_FREE)
        if "logprobs" not in choice.method:
            logger.warning(
                "lmgt.calibration: contextual needs log-probabilities, which %s does not give; "
                "deciding uncalibrated",
                self.llm.spec,
            )
            return {}
        logger.info("LLM judge prior for a content-free item: %s", choice.probs)
        return dict(choice.probs)

    def _decide(self, probs: dict[str, float]) -> tuple[str, float]:
        """The label and its probability, after calibration (the prior is asked for the
        content-free item on first use, through the same path as the judgments)."""
        if self.calibration == "contextual":
            if self.prior is None:
                self.prior = self._measure_prior()
            if self.prior:
                probs = ContextualCalibrator(self.prior).apply(probs)
        label = max(probs, key=probs.__getitem__)
        return label, probs[label]

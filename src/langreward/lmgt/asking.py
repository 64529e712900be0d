"""Asking the LLM about described pairs: packed prompts or one by one, in the judge's strategy."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from langreward.llm import LLM, Choice, LLMError, MalformedReplyError
from langreward.llm.calibration import CONTENT_FREE
from langreward.lmgt.config import LLMJudgeSettings
from langreward.lmgt.judge import JudgeStats
from langreward.lmgt.prompts import LABELS, SHIFT_OF, JudgePrompts
from langreward.lmgt.reading import AnswerReader, parse_cot, parse_packed_cot

logger = logging.getLogger(__name__)


class JudgeAsker:
    """Turns described (state, action) pairs into shifts through the LLM, keeping nothing.

    Pairs go out in packed prompts of up to ``batch_size`` (``llm.choose_many``, or
    ``llm.chat`` for chain of thought), or, with ``packed: false``, one by one (``llm.choose``
    / ``llm.chat``). An unreadable packed reply is retried pair by pair (``fallback_single``),
    else gives 0 (``unparseable``); an LLM error gives ``None`` (``errors``: not an answer,
    ask again later). Label probabilities are read by the :class:`AnswerReader`; the
    calibration prior is asked for the content-free item on first use, the same way as the
    judgments. Counters go to the ``stats`` passed to :meth:`ask`.

    Args:
        llm: the LLM (any backend of :mod:`langreward.llm`).
        prompts: the judge's prompts (task and few-shot examples).
        settings: the judge's settings.
        reader: reads the answers (default: one made from ``settings``).

    Example:
        >>> from langreward.llm import make_llm
        >>> from langreward.text import CartPoleDescriber
        >>> llm = make_llm("scripted", responses=["Pushing right helps.\\nAnswer: good"])
        >>> settings = LLMJudgeSettings(strategy="chain_of_thought", packed=False)
        >>> asker = JudgeAsker(llm, JudgePrompts(CartPoleDescriber()), settings)
        >>> stats = JudgeStats()
        >>> asker.ask(["State: pole leaning right. Action: push right."], stats)
        [1]
        >>> stats.llm_rounds
        1
    """

    def __init__(
        self,
        llm: LLM,
        prompts: JudgePrompts,
        settings: LLMJudgeSettings,
        reader: AnswerReader | None = None,
    ) -> None:
        if settings.strategy == "few_shot" and not prompts.examples:
            raise ValueError(
                "the few_shot strategy needs examples: (item text, label) pairs, e.g. from "
                "langreward.lmgt.examples.reference_examples(env, describer, reference)"
            )
        self.llm = llm
        self.prompts = prompts
        self.settings = settings
        self.reader = reader or AnswerReader(settings)

    def ask(self, texts: Sequence[str], stats: JudgeStats) -> list[int | None]:
        """One shift per text (``None`` where an LLM error lost the answer)."""
        answers: list[int | None] = []
        size = self.settings.batch_size
        for start in range(0, len(texts), size):
            chunk = list(texts[start : start + size])
            if self.settings.packed:
                answers.extend(self._ask_packed(chunk, stats))
            else:
                answers.extend(self._ask_single(text, stats) for text in chunk)
        return answers

    def _ask_packed(self, chunk: list[str], stats: JudgeStats) -> list[int | None]:
        stats.llm_rounds += 1
        try:
            if self.settings.strategy == "chain_of_thought":
                reply = self.llm.chat(
                    self.prompts.packed_reasoning(chunk),
                    max_tokens=self.settings.max_tokens * len(chunk),
                ).text
                labels = parse_packed_cot(reply, len(chunk))
                if labels is None:
                    raise MalformedReplyError("no 'Answers:' line with one label per item", reply)
                return [SHIFT_OF[label] for label in labels]
            decided = [self._decide(choice.probs) for choice in self._choose_packed(chunk)]
            if len(decided) != len(chunk):
                raise MalformedReplyError(f"{len(decided)} labels for {len(chunk)} items")
            return [self.reader.shift(label, confidence, stats) for label, confidence in decided]
        except MalformedReplyError as exc:
            logger.debug("packed judgment unreadable (%s)", exc)
            if self.settings.fallback_single:
                return [self._ask_single(text, stats) for text in chunk]
            stats.unparseable += len(chunk)
            return [0] * len(chunk)
        except LLMError as exc:
            logger.warning("LLM judge call failed: %s", exc)
            stats.errors += len(chunk)
            return [None] * len(chunk)

    def _ask_single(self, text: str, stats: JudgeStats) -> int | None:
        stats.llm_rounds += 1
        try:
            if self.settings.strategy == "chain_of_thought":
                reply = self.llm.chat(
                    self.prompts.reasoning(text), max_tokens=self.settings.max_tokens
                ).text
                label = parse_cot(reply)
                if label is None:
                    stats.unparseable += 1
                    return 0
                return SHIFT_OF[label]
            label, confidence = self._decide(self._choose_single(text).probs)
        except MalformedReplyError as exc:
            logger.debug("judgment unreadable (%s)", exc)
            stats.unparseable += 1
            return 0
        except LLMError as exc:
            logger.warning("LLM judge call failed: %s", exc)
            stats.errors += 1
            return None
        return self.reader.shift(label, confidence, stats)

    def _choose_packed(self, chunk: list[str]) -> list[Choice]:
        return self.llm.choose_many(
            chunk, LABELS, **self.prompts.packed_choice(), orders=self.settings.packed_orders
        )

    def _choose_single(self, text: str) -> Choice:
        return self.llm.choose(
            self.prompts.choice(text),
            LABELS,
            samples=self.settings.samples,
            orders=self.settings.orders,
        )

    def _decide(self, probs: Mapping[str, float]) -> tuple[str, float]:
        """The reader's decision; the calibration prior is asked for first where needed."""
        if self.reader.needs_prior:
            choice = (
                self._choose_packed([CONTENT_FREE])[0]
                if self.settings.packed
                else self._choose_single(CONTENT_FREE)
            )
            self.reader.set_prior(choice, source=self.llm.spec)
        return self.reader.decide(probs)

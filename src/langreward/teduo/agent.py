"""The LLM agent: asks for the next actions given the goal and the full state in words, plays
them in the env, and asks again when they run out (at most ``max_queries`` times an episode:
a 0.5B model on CPU answers in seconds, and an agent that has not reached the goal after six
lists of actions rarely does; it then waits out the step limit with no-ops).

Acting in many episodes at once (:meth:`LLMAgent.act_many`), it asks for every episode whose
list ran out in one :meth:`LLM.batch_chat` call, which the ``hf`` backend generates as one batch.

Example:
    >>> from langreward.llm import make_llm
    >>> agent = LLMAgent(make_llm("scripted", responses=["forward, left"]), max_actions=4)
    >>> state = {"grid": np.zeros((3, 3, 3), np.uint8), "direction": 0, "carrying": np.array([1, 0])}
    >>> [agent(state, None, "go to the red ball") for _ in range(3)], agent.queries
    ([2, 0, 2], 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np  # noqa: F401 - used by the example

from langreward.llm import LLMError
from langreward.teduo.distill import parse_actions, prompt_messages
from langreward.teduo.state import STATE_WORDS, StateWords

NO_OP = 6  # BabyAI's "done": changes nothing (counted as an invalid action)


class LLMAgent:
    """A policy for one episode (called like a :data:`~langreward.teduo.evaluate.Policy`) or
    many (a :class:`~langreward.teduo.evaluate.BatchPolicy`) backed by an LLM."""

    def __init__(
        self,
        llm: Any,
        *,
        max_actions: int = 12,
        max_queries: int = 6,
        words: StateWords = "absolute",
    ) -> None:
        """``words``: how the prompt says the state (a key of
        :data:`~langreward.teduo.state.STATE_WORDS`)."""
        self.llm = llm
        self.words = words
        self.max_actions = max_actions
        self.max_queries = max_queries  # per episode; then it waits (no-ops) for the step limit
        self.queries = 0
        self.unusable_replies = 0
        self.failed_queries = 0
        self.gave_up = 0
        self._queues: dict[int, list[int]] = {}
        self._asked: dict[int, int] = {}

    def reset(self, slot: int | None = None) -> None:
        """Forget the actions left in episode ``slot`` (in every episode with ``None``)."""
        if slot is None:
            self._queues.clear()
            self._asked.clear()
        else:
            self._queues.pop(slot, None)
            self._asked.pop(slot, None)

    def __call__(self, state: dict[str, Any], goal: Any, instruction: str) -> int:
        return self.act_many([(0, state, goal, instruction)])[0]

    def act_many(self, requests: Sequence[tuple[int, dict[str, Any], Any, str]]) -> list[int]:
        """The next action in each episode (slot, state, goal, instruction), asking the LLM
        once, for all episodes whose list of actions ran out."""
        asking = []
        for slot, state, _, instruction in requests:
            if self._queues.get(slot):
                continue
            asked = self._asked.get(slot, 0)
            if asked == self.max_queries:
                self.gave_up += 1
                self._asked[slot] = asked + 1
            if asked < self.max_queries:
                text = STATE_WORDS[self.words](state)
                asking.append((slot, prompt_messages(instruction, text, self.words)))
        if asking:
            replies = self.llm.batch_chat(
                [messages for _, messages in asking], max_tokens=4 * self.max_actions
            )
            for (slot, _), reply in zip(asking, replies, strict=True):
                self._take(slot, reply)
        return [self._next(slot) for slot, *_ in requests]

    def _take(self, slot: int, reply: Any) -> None:
        self.queries += 1
        self._asked[slot] = self._asked.get(slot, 0) + 1
        actions: list[int]
        if isinstance(reply, LLMError):  # contained: the episode waits for its next query
            self.failed_queries += 1
            actions = []
        else:
            actions, _ = parse_actions(reply.text)
            self.unusable_replies += not actions
        self._queues[slot] = actions[: self.max_actions] or [NO_OP] * self.max_actions

    def _next(self, slot: int) -> int:
        queue = self._queues.get(slot)
        return queue.pop(0) if queue else NO_OP

    def stats(self) -> dict[str, Any]:
        return {
            "queries": self.queries,
            "unusable_replies": self.unusable_replies,
            "failed_queries": self.failed_queries,
            "episodes_out_of_queries": self.gave_up,
        }

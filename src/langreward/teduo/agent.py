"""The LLM agent: asks for the next actions given the goal and the full state in words, plays
them in the env, and asks again when they run out (at most ``max_queries`` times an episode:
a 0.5B model on CPU answers in seconds, and an agent that has not reached the goal after six
lists of actions rarely does; it then waits out the step limit with no-ops).

Example:
    >>> from langreward.llm import make_llm
    >>> agent = LLMAgent(make_llm("scripted", responses=["forward, left"]), max_actions=4)
    >>> state = {"grid": np.zeros((3, 3, 3), np.uint8), "direction": 0, "carrying": np.array([1, 0])}
    >>> [agent(state, None, "go to the red ball") for _ in range(3)], agent.queries
    ([2, 0, 2], 2)
"""

from __future__ import annotations

from typing import Any

import numpy as np  # noqa: F401 - used by the example

from langreward.teduo.distill import parse_actions, prompt_messages
from langreward.teduo.state import state_text

NO_OP = 6  # BabyAI's "done": changes nothing (counted as an invalid action)


class LLMAgent:
    """A policy (see :data:`~langreward.teduo.evaluate.Policy`) backed by an LLM."""

    def __init__(self, llm: Any, *, max_actions: int = 12, max_queries: int = 6) -> None:
        self.llm = llm
        self.max_actions = max_actions
        self.max_queries = max_queries  # per episode; then it waits (no-ops) for the step limit
        self.queries = 0
        self.unusable_replies = 0
        self.gave_up = 0
        self._queue: list[int] = []
        self._asked = 0

    def reset(self) -> None:
        """Forget the actions left from the last episode."""
        self._queue = []
        self._asked = 0

    def __call__(self, state: dict[str, Any], goal: Any, instruction: str) -> int:
        if not self._queue:
            if self._asked == self.max_queries:
                self.gave_up += 1
                self._asked += 1
            if self._asked > self.max_queries:
                return NO_OP
            reply = self.llm.chat(
                prompt_messages(instruction, state_text(state)),
                max_tokens=4 * self.max_actions,
            ).text
            self.queries += 1
            self._asked += 1
            actions, _ = parse_actions(reply)
            if not actions:
                self.unusable_replies += 1
            self._queue = actions[: self.max_actions] or [NO_OP] * self.max_actions
        return self._queue.pop(0)

    def stats(self) -> dict[str, Any]:
        return {
            "queries": self.queries,
            "unusable_replies": self.unusable_replies,
            "episodes_out_of_queries": self.gave_up,
        }

"""Scripted backend — FOR TESTS ONLY: deterministic answers, no model."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from langreward.llm.backends.base import Backend
from langreward.llm.errors import LLMConfigError
from langreward.llm.types import Completion, CompletionRequest, Message

Script = Sequence[str] | dict[str, str] | Callable[[list[Message]], str]


class ScriptedBackend(Backend):
    """Answers from a list (in turn, cycling), a dict (first key found in the last user
    message) or a function of the messages. Not a model: use it in tests only.

    Args:
        responses: the script.
        name: a label that separates several scripts in one cache.
        default: answer for a dict script when no key matches (else an error).
        delay: seconds to sleep per call, to simulate a slow model.
    """

    kind = "scripted"
    supports_json_schema = False

    def __init__(
        self,
        responses: Script = ("ok",),
        *,
        name: str = "script",
        default: str | None = None,
        delay: float = 0.0,
    ) -> None:
        if isinstance(responses, str):
            responses = [responses]
        if not callable(responses) and not responses:
            raise LLMConfigError("a scripted backend needs at least one response")
        self.responses = responses
        self.model = name
        self.default = default
        self.delay = delay
        self.requests: list[CompletionRequest] = []
        self._turn = 0

    def _answer(self, messages: list[Message]) -> str:
        script = self.responses
        if callable(script):
            return script(messages)
        if isinstance(script, dict):
            last_user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
            for needle, answer in script.items():
                if needle in last_user:
                    return answer
            if self.default is not None:
                return self.default
            raise LLMConfigError(f"scripted backend has no answer for: {last_user[:200]!r}")
        answer = script[self._turn % len(script)]
        self._turn += 1
        return answer

    def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        if self.delay:
            time.sleep(self.delay)
        text = self._answer(request.message_dicts)
        words = sum(len(content.split()) for _, content in request.messages)
        return Completion(text=text, prompt_tokens=words, completion_tokens=len(text.split()))

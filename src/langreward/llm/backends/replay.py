"""Replay backend: answers only from a recorded transcript; anything else is an error."""

from __future__ import annotations

from pathlib import Path

from langreward.llm.backends.base import Backend
from langreward.llm.errors import LLMConfigError, ReplayMissError
from langreward.llm.transcript import read_transcript
from langreward.llm.types import Completion, CompletionRequest


class ReplayBackend(Backend):
    """Strict replay of a JSONL transcript written by ``LLM.export_transcript`` or
    ``langreward cache export``. Requests are matched exactly (messages and settings).

    The recorded backend's capabilities are inferred from the transcript (a request with a
    JSON schema or log-probabilities means the recorded backend had them), so that
    :class:`~langreward.llm.LLM` builds the very same requests again.
    """

    kind = "replay"

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        if not path.is_file():
            raise LLMConfigError(f"replay transcript not found: {path}")
        self.model = path.name
        self._answers: dict[str, Completion] = {}
        for record in read_transcript(path):
            request = CompletionRequest.from_dict(record["request"])
            self._answers[request.key()] = Completion.from_dict(record["response"])
            self.supports_json_schema |= request.json_schema is not None
            self.supports_logprobs |= request.top_logprobs > 0

    def complete(self, request: CompletionRequest) -> Completion:
        reply = self._answers.get(request.key())
        if reply is None:
            last = request.messages[-1][1] if request.messages else ""
            raise ReplayMissError(
                f"transcript {self.model} holds no answer for this request "
                f"(last message: {last[:160]!r}); record it again with a real LLM"
            )
        return Completion.from_dict(reply.to_dict())

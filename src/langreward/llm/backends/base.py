"""The one interface every backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from langreward.llm.types import Completion, CompletionRequest


class Backend(ABC):
    """A source of completions. Backends do no caching; :class:`~langreward.llm.LLM` does.

    Attributes:
        kind: the spec prefix (``embedded``, ``openai``, ...).
        model: the model's name or path.
        supports_logprobs: whether :attr:`Completion.first_token_logprobs` is filled when asked.
        supports_json_schema: whether the reply is constrained to a JSON schema when asked.
        batches: whether :meth:`complete_many` runs several requests in one pass.
    """

    kind: str = "base"
    model: str = ""
    supports_logprobs: bool = False
    supports_json_schema: bool = False
    batches: bool = False

    @property
    def identity(self) -> str:
        """What distinguishes this backend's answers in the cache (kind and model)."""
        return f"{self.kind}:{self.model}"

    @abstractmethod
    def complete(self, request: CompletionRequest) -> Completion:
        """Answer one request or raise a :class:`~langreward.llm.errors.LLMError`."""

    def complete_many(self, requests: Sequence[CompletionRequest]) -> list[Completion]:
        """Answer several requests (one by one here; a backend that ``batches`` runs them
        together). Raises the first :class:`~langreward.llm.errors.LLMError`."""
        return [self.complete(request) for request in requests]

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (threads, loaded weights)."""

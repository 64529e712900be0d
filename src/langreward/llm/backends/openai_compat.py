"""OpenAI-compatible backend through the official ``openai`` SDK.

Works with OpenAI and any compatible server (vLLM, Ollama, llama.cpp's server). The API key is
read from the environment (``OPENAI_API_KEY``, or ``LANGREWARD_API_KEY``) and never stored. The
SDK itself retries connection errors, 408/409/429 and 5xx with exponential backoff; we configure
it (``max_retries``, ``timeout``) and translate what is left into typed errors.
"""

from __future__ import annotations

import os
import time
from typing import Any

from langreward.llm.backends.base import Backend
from langreward.llm.backends.embedded import chat_payload
from langreward.llm.errors import (
    BackendError,
    BackendUnavailableError,
    LLMConfigError,
    LLMTimeoutError,
    MalformedReplyError,
    RateLimitError,
)
from langreward.llm.types import Completion, CompletionRequest

KEY_ENV_VARS = ("LANGREWARD_API_KEY", "OPENAI_API_KEY")


def api_key_from_env() -> str | None:
    for name in KEY_ENV_VARS:
        if os.environ.get(name):
            return os.environ[name]
    return None


class OpenAIBackend(Backend):
    """Chat completions from an OpenAI-compatible HTTP API.

    Args:
        model: the model name the server knows.
        base_url: e.g. ``http://127.0.0.1:8080/v1``; ``None`` is OpenAI's API.
        timeout: seconds per attempt.
        max_retries: the SDK's retries (with backoff) before a typed error is raised.
        logprobs: ask for log-probabilities in :meth:`LLM.choose` (most servers support it).

    Example:
        >>> backend = OpenAIBackend("qwen", base_url="http://127.0.0.1:8080/v1")  # doctest: +SKIP
    """

    kind = "openai"
    supports_json_schema = True

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        logprobs: bool = True,
    ) -> None:
        import openai

        if not model:
            raise LLMConfigError("openai backend needs a model name: openai:MODEL[@URL]")
        key = api_key_from_env()
        if key is None and base_url is None:
            raise LLMConfigError(
                "no API key: set OPENAI_API_KEY (or LANGREWARD_API_KEY) in the environment"
            )
        self.model = model
        self.base_url = base_url
        self.supports_logprobs = logprobs
        self._openai = openai
        self._client = openai.OpenAI(
            api_key=key or "not-needed",  # local servers accept any key
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
        )

    @property
    def identity(self) -> str:
        return f"openai:{self.model}@{self.base_url or 'api.openai.com'}"

    def complete(self, request: CompletionRequest) -> Completion:
        body = chat_payload(request)
        messages = body.pop("messages")
        started = time.perf_counter()
        try:
            reply = self._client.chat.completions.create(
                model=self.model, messages=messages, **body
            )
        except self._openai.APITimeoutError as exc:
            raise LLMTimeoutError(f"{self.identity} timed out after retries") from exc
        except self._openai.APIConnectionError as exc:
            raise BackendUnavailableError(f"cannot reach {self.identity}: {exc}") from exc
        except self._openai.RateLimitError as exc:
            raise RateLimitError(f"{self.identity} is rate limiting (after retries)") from exc
        except self._openai.APIStatusError as exc:
            raise BackendError(f"{self.identity} answered HTTP {exc.status_code}") from exc
        except (self._openai.APIResponseValidationError, ValueError) as exc:
            raise MalformedReplyError(f"{self.identity} sent a malformed reply: {exc}") from exc
        seconds = time.perf_counter() - started
        return self._to_completion(reply, seconds)

    def _to_completion(self, reply: Any, seconds: float) -> Completion:
        try:
            choice = reply.choices[0]
            text = choice.message.content or ""
        except (AttributeError, IndexError, TypeError) as exc:
            raise MalformedReplyError(f"{self.identity} reply has no choices: {reply!r}") from exc
        content = getattr(getattr(choice, "logprobs", None), "content", None) or []
        tokens = [
            (str(entry.token), {alt.token: float(alt.logprob) for alt in entry.top_logprobs or []})
            for entry in content
        ] or None
        usage = getattr(reply, "usage", None)
        return Completion(
            text=text,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            seconds=seconds,
            first_token_logprobs=tokens[0][1] if tokens else None,
            token_logprobs=tokens,
        )

    def close(self) -> None:
        self._client.close()

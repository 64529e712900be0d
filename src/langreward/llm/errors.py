"""Typed errors of the LLM layer. Every failure a backend can have maps to one of these."""

from __future__ import annotations


class LLMError(Exception):
    """Base class of every error raised by :mod:`langreward.llm`."""


class LLMConfigError(LLMError, ValueError):
    """A bad LLM spec string or setting."""


class ModelNotAvailableError(LLMError):
    """An embedded or local model cannot be found or does not verify."""


class BackendUnavailableError(LLMError):
    """The backend cannot be reached (server down, connection refused, missing package)."""


class LLMTimeoutError(LLMError):
    """The backend did not answer in time (after the retries)."""


class RateLimitError(LLMError):
    """The backend kept answering 'too many requests' (after the retries)."""


class BackendError(LLMError):
    """The backend answered with an error (HTTP 5xx after retries, a crash in the engine)."""


class MalformedReplyError(LLMError):
    """The reply does not parse or does not match the requested schema (after repair)."""

    def __init__(self, message: str, reply: str = "") -> None:
        super().__init__(message)
        self.reply = reply


class ReplayMissError(LLMError):
    """A replay backend was asked something its transcript does not hold."""

"""The LLM layer: one interface over embedded, OpenAI-compatible, transformers, replay and
scripted backends, behind a persistent cache. It knows nothing about RL.

Example:
    >>> from langreward.llm import make_llm
    >>> llm = make_llm("scripted", responses=['{"answer": 4}'])
    >>> llm.json("2 + 2?", {"type": "object", "properties": {"answer": {"type": "integer"}}})
    {'answer': 4}
"""

from langreward.llm.cache import CacheStats, ResponseCache
from langreward.llm.calibration import CONTENT_FREE, ContextualCalibrator, ThresholdCalibrator
from langreward.llm.client import LLM
from langreward.llm.errors import (
    BackendError,
    BackendUnavailableError,
    LLMConfigError,
    LLMError,
    LLMTimeoutError,
    MalformedReplyError,
    ModelNotAvailableError,
    RateLimitError,
    ReplayMissError,
)
from langreward.llm.models import EMBEDDED_MODELS, ensure_embedded_model
from langreward.llm.orders import ORDER_MODES, option_orders
from langreward.llm.spec import SPEC_HELP, make_backend, make_llm
from langreward.llm.types import ChatResult, Choice, Completion, CompletionRequest, LLMStats

__all__ = [
    "CONTENT_FREE",
    "LLM",
    "ORDER_MODES",
    "SPEC_HELP",
    "BackendError",
    "BackendUnavailableError",
    "CacheStats",
    "ChatResult",
    "Choice",
    "Completion",
    "CompletionRequest",
    "ContextualCalibrator",
    "EMBEDDED_MODELS",
    "LLMConfigError",
    "LLMError",
    "LLMStats",
    "LLMTimeoutError",
    "MalformedReplyError",
    "ModelNotAvailableError",
    "RateLimitError",
    "ReplayMissError",
    "ResponseCache",
    "ThresholdCalibrator",
    "ensure_embedded_model",
    "make_backend",
    "make_llm",
    "option_orders",
]

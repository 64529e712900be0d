"""The method seam: the protocol every method implements and the registry that finds it.

The experiment runner knows no method by name: it looks the config's ``method`` up here,
validates its settings section with the method's settings class, builds it with a
:class:`RunContext` (the run's LLM included) and runs what it returns, an
:class:`OnlineSetup` or an :class:`OfflinePipeline`. See ``docs/architecture.md``.

Example:
    >>> from langreward.plugin import get_method, method_names
    >>> method_names()[:4]
    ['baseline', 'lare', 'lare_marl', 'lgr2']
    >>> get_method("lmgt").settings.__name__
    'LMGTSettings'
"""

from langreward.plugin.envs import prepare_env
from langreward.plugin.protocol import (
    EVAL_SEED_OFFSET,
    Method,
    MethodError,
    OfflinePipeline,
    OnlineSetup,
    PreflightInfo,
    RunContext,
    Stage,
)
from langreward.plugin.registry import (
    ENTRY_POINT_GROUP,
    MethodNotAvailableError,
    get_method,
    method_names,
    register,
    unregister,
)
from langreward.plugin.run_llm import TRANSCRIPT_NAME, RunLLM

__all__ = [
    "ENTRY_POINT_GROUP",
    "EVAL_SEED_OFFSET",
    "TRANSCRIPT_NAME",
    "Method",
    "MethodError",
    "MethodNotAvailableError",
    "OfflinePipeline",
    "OnlineSetup",
    "PreflightInfo",
    "RunContext",
    "RunLLM",
    "Stage",
    "get_method",
    "method_names",
    "prepare_env",
    "register",
    "unregister",
]

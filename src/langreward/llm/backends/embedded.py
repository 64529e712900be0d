"""Embedded backend: a GGUF model run in-process by llama.cpp (through ``xllamacpp``).

The same class serves ``embedded[:NAME]`` (a packaged model, assembled on first use) and
``gguf:/path/to/model.gguf``. With ``port`` set it also serves llama.cpp's OpenAI-compatible
HTTP API on 127.0.0.1, so other processes can share the loaded model.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from langreward.llm.backends.base import Backend
from langreward.llm.errors import BackendError, LLMConfigError, ModelNotAvailableError
from langreward.llm.types import Completion, CompletionRequest

logger = logging.getLogger(__name__)


def _threads() -> int:
    """``$LANGREWARD_LLM_THREADS``, else every core (at most 8).

    Parallel runs (sweeps) set it to 1: llama.cpp's threads spin while they wait, so several
    processes with all-core thread pools on the same cores slow each other down several times.
    """
    configured = os.environ.get("LANGREWARD_LLM_THREADS")
    if configured:
        return max(1, int(configured))
    return max(1, min(os.cpu_count() or 1, 8))


def _single_thread_torch() -> None:
    """Give torch one thread (in the calling thread, as torch counts them): llama.cpp and
    torch share one OpenMP runtime in this process.

    xllamacpp links ``libgomp.so.1``, which resolves to the copy torch already loaded. Once
    llama.cpp's OpenMP threads exist, the runtime manages more threads than there are cores
    and stops spinning at its barriers, so torch's multi-threaded ops wait on the scheduler.
    Measured on 2 cores with the model loaded: SAC updates 2.9x slower with torch's default 2
    threads than with 1 (and 1 thread is as fast as it was before loading), PPO on CartPole
    1.9x slower. Small RL networks lose little with one thread.
    """
    import torch  # a core dependency, imported late: most LLM uses never need it

    if torch.get_num_threads() > 1:
        logger.info(
            "torch set to 1 thread: it shares llama.cpp's OpenMP runtime in this process, "
            "and more threads made training 2-3x slower"
        )
        torch.set_num_threads(1)


def token_logprobs(choice: dict[str, Any]) -> list[tuple[str, dict[str, float]]] | None:
    """Each generated token with ``{alternative: logprob}`` of its top alternatives, if any."""
    content = (choice.get("logprobs") or {}).get("content") or []
    if not content:
        return None
    return [
        (
            str(entry.get("token", "")),
            {alt["token"]: float(alt["logprob"]) for alt in entry.get("top_logprobs", [])},
        )
        for entry in content
    ]


def chat_payload(request: CompletionRequest) -> dict[str, Any]:
    """The OpenAI-style chat body for one request."""
    body: dict[str, Any] = {
        "messages": request.message_dicts,
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "seed": request.seed,
    }
    if request.stop:
        body["stop"] = list(request.stop)
    if request.json_schema:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "reply", "schema": request.schema, "strict": True},
        }
    if request.top_logprobs:
        body["logprobs"] = True
        body["top_logprobs"] = request.top_logprobs
    return body


class EmbeddedBackend(Backend):
    """A GGUF model loaded in this process, on the first call that needs it (or at once when
    serving a port): behind a warm cache the model is never loaded.

    Args:
        model_path: the ``.gguf`` file.
        name: the model's short name (used in the cache identity).
        n_ctx: context length in tokens.
        threads: CPU threads (default: all cores, at most 8).
        port: if given, also serve the OpenAI-compatible HTTP API on ``127.0.0.1:port``
            (0 picks a free port; see :attr:`url`).
        kind: ``"embedded"`` or ``"gguf"`` (spec prefix, for display and the cache identity).

    Example:
        >>> backend = EmbeddedBackend(ensure_embedded_model())  # doctest: +SKIP
    """

    supports_logprobs = True
    supports_json_schema = True

    def __init__(
        self,
        model_path: str | Path,
        *,
        name: str | None = None,
        n_ctx: int = 4096,
        threads: int | None = None,
        port: int | None = None,
        kind: str = "embedded",
    ) -> None:
        try:
            import xllamacpp
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ModelNotAvailableError(
                "xllamacpp is not installed: pip install xllamacpp"
            ) from exc
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ModelNotAvailableError(f"GGUF model not found: {path}")
        self.kind = kind
        self.model = name or path.name
        self.path = path
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = n_ctx
        params.n_parallel = 1
        params.cpuparams.n_threads = threads or _threads()
        params.cpuparams_batch.n_threads = threads or _threads()
        params.warmup = False
        params.cache_prompt = True  # reuse the KV cache of a shared prompt prefix
        params.verbosity = int(os.environ.get("LANGREWARD_LLAMA_VERBOSITY", "0"))
        if port is not None:
            params.port = port
            params.hostnames = ["127.0.0.1"]
        self._params = params
        self._server: Any = None
        self.load_seconds = 0.0
        self._lock = threading.Lock()  # one slot: calls queue anyway; keep them serial
        # now, not at the load: torch's thread count is per thread, and the first call may
        # come from a worker thread (background judging)
        _single_thread_torch()
        if port is not None:  # a server must be up at once; otherwise load on the first call
            self._load()

    @property
    def loaded(self) -> bool:
        """Whether llama.cpp has loaded the model (on the first call that misses the cache:
        a run answered wholly from the cache never pays the load, nor its threads)."""
        return self._server is not None

    def _load(self) -> Any:
        if self._server is None:
            import xllamacpp

            started = time.perf_counter()
            try:
                self._server = xllamacpp.Server(self._params)
            except Exception as exc:  # llama.cpp raises RuntimeError on a bad file
                raise ModelNotAvailableError(
                    f"llama.cpp could not load {self.path}: {exc}"
                ) from exc
            self.load_seconds = time.perf_counter() - started
        return self._server

    @property
    def url(self) -> str | None:
        """Base URL (``http://127.0.0.1:PORT/v1``) when serving HTTP, else ``None``."""
        address = self._server.listening_address if self._server is not None else None
        return f"{address.rstrip('/')}/v1" if address else None

    def complete(self, request: CompletionRequest) -> Completion:
        started = time.perf_counter()  # a first call's seconds include loading the model
        with self._lock:
            reply = self._load().handle_chat_completions(chat_payload(request))
        seconds = time.perf_counter() - started
        if not isinstance(reply, dict):
            raise BackendError(f"llama.cpp returned {type(reply).__name__}, expected a dict")
        if "error" in reply:
            error = reply["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            code = error.get("code") if isinstance(error, dict) else None
            if code == 400:
                raise LLMConfigError(f"llama.cpp rejected the request: {message}")
            raise BackendError(f"llama.cpp error: {message}")
        choice = reply["choices"][0]
        usage = reply.get("usage", {})
        tokens = token_logprobs(choice)
        return Completion(
            text=choice["message"].get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            seconds=seconds,
            first_token_logprobs=tokens[0][1] if tokens else None,
            token_logprobs=tokens,
        )

    def close(self) -> None:
        self._server = None

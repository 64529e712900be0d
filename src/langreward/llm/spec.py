"""``make_llm(spec)``: one string picks the backend; every backend gets the same cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from langreward.llm.backends.base import Backend
from langreward.llm.cache import ResponseCache
from langreward.llm.client import LLM
from langreward.llm.errors import LLMConfigError
from langreward.llm.models import DEFAULT_EMBEDDED, EMBEDDED_MODELS, ensure_embedded_model

SPEC_HELP = """LLM spec strings:
  embedded                      Qwen2.5-Coder-0.5B-Instruct (GGUF, in-process; the default)
  embedded:qwen2.5-coder-1.5b   the larger embedded model
  gguf:/path/to/model.gguf      any local GGUF file, in-process
  openai:MODEL                  OpenAI's API (key from OPENAI_API_KEY)
  openai:MODEL@http://HOST:PORT/v1   any OpenAI-compatible server (vLLM, Ollama, llama.cpp)
  hf:/path/to/dir               a local transformers model (extra: langreward[hf])
  replay:/path/transcript.jsonl answers only from a recorded transcript
  scripted                      deterministic answers, for tests only"""

_EMBEDDED_ALIASES = {"0.5b": "qwen2.5-coder-0.5b", "1.5b": "qwen2.5-coder-1.5b"}


#: a server spec to name when a stronger model than the embedded ones is wanted
SERVER_SPEC = "openai:MODEL@http://HOST:PORT/v1"


def other_llm(spec: str) -> str:
    """A spec to suggest when ``spec``'s model could not do a task: the larger embedded model
    for the default (0.5B) one, else a stronger model on an OpenAI-compatible server; never
    ``spec`` itself.

    Example:
        >>> other_llm("embedded"), other_llm("embedded:0.5b")
        ('embedded:qwen2.5-coder-1.5b', 'embedded:qwen2.5-coder-1.5b')
        >>> other_llm("embedded:qwen2.5-coder-1.5b")
        'openai:MODEL@http://HOST:PORT/v1'
    """
    kind, _, rest = spec.strip().partition(":")
    if kind == "embedded":
        name = _EMBEDDED_ALIASES.get(rest, rest) or DEFAULT_EMBEDDED
        if name == DEFAULT_EMBEDDED:
            return "embedded:qwen2.5-coder-1.5b"
    return SERVER_SPEC


def spec_problem(spec: str) -> str | None:
    """What is wrong with a spec string, without building anything (``None``: looks right).

    Example:
        >>> spec_problem("embedded"), spec_problem("embedded:1.5b")
        (None, None)
        >>> spec_problem("foo:bar")
        "unknown LLM spec 'foo:bar'; use embedded, embedded:NAME, gguf:PATH, openai:MODEL[@URL], hf:DIR, replay:FILE or scripted"
    """
    kind, _, rest = spec.strip().partition(":")
    if kind == "embedded":
        name = _EMBEDDED_ALIASES.get(rest, rest) or DEFAULT_EMBEDDED
        if name not in EMBEDDED_MODELS:
            return f"unknown embedded model {rest!r}; choose one of {sorted(EMBEDDED_MODELS)}"
        return None
    if kind in ("gguf", "replay", "hf"):
        path = Path(rest).expanduser()
        want = "directory" if kind == "hf" else "file"
        if not rest or not (path.is_dir() if kind == "hf" else path.is_file()):
            return f"{kind}: needs an existing {want} ({kind}:PATH); {rest or 'none'!s} is not one"
        return None
    if kind == "openai":
        return None if rest.partition("@")[0] else "openai needs a model: openai:MODEL[@URL]"
    if kind == "scripted":
        return None
    return (
        f"unknown LLM spec {spec!r}; use embedded, embedded:NAME, gguf:PATH, "
        "openai:MODEL[@URL], hf:DIR, replay:FILE or scripted"
    )


def make_backend(
    spec: str, *, progress: Callable[[int, int], None] | None = None, **options: Any
) -> Backend:
    """Build the backend a spec string names (see :data:`SPEC_HELP`)."""
    kind, _, rest = spec.strip().partition(":")
    if kind == "embedded":
        name = _EMBEDDED_ALIASES.get(rest, rest) or DEFAULT_EMBEDDED
        if name not in EMBEDDED_MODELS:
            raise LLMConfigError(
                f"unknown embedded model {rest!r}; choose one of {sorted(EMBEDDED_MODELS)}"
            )
        from langreward.llm.backends.embedded import EmbeddedBackend

        path = ensure_embedded_model(name, progress=progress)
        return EmbeddedBackend(path, name=name, **options)
    if kind == "gguf":
        from langreward.llm.backends.embedded import EmbeddedBackend

        if not rest:
            raise LLMConfigError("gguf needs a path: gguf:/path/to/model.gguf")
        return EmbeddedBackend(Path(rest), kind="gguf", **options)
    if kind == "openai":
        from langreward.llm.backends.openai_compat import OpenAIBackend

        model, _, url = rest.partition("@")
        return OpenAIBackend(model, base_url=url or None, **options)
    if kind == "hf":
        from langreward.llm.backends.hf import HFBackend

        if not rest:
            raise LLMConfigError("hf needs a directory: hf:/path/to/model_dir")
        return HFBackend(rest, **options)
    if kind == "replay":
        from langreward.llm.backends.replay import ReplayBackend

        if not rest:
            raise LLMConfigError("replay needs a transcript: replay:/path/transcript.jsonl")
        return ReplayBackend(rest)
    if kind == "scripted":
        from langreward.llm.backends.scripted import ScriptedBackend

        if rest:
            options.setdefault("name", rest)
        return ScriptedBackend(**options)
    raise LLMConfigError(f"unknown LLM spec {spec!r}.\n{SPEC_HELP}")


def make_llm(
    spec: str = "embedded",
    *,
    cache: bool | str | Path | ResponseCache = True,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> LLM:
    """Build an :class:`LLM` from a spec string.

    Args:
        spec: which backend and model (see :data:`SPEC_HELP`).
        cache: ``True`` for the default persistent cache (``$LANGREWARD_CACHE_DIR`` or the user
            cache dir), a path for another file, a :class:`ResponseCache`, or ``False``.
            Replay and scripted backends are not cached unless a cache is given explicitly.
        progress: ``progress(done, total)`` while an embedded model is assembled.
        **options: passed to the backend (e.g. ``responses=`` for ``scripted``, ``timeout=``
            and ``max_retries=`` for ``openai``, ``n_ctx=`` for ``embedded``).

    Example:
        >>> llm = make_llm("scripted", responses=["yes"])
        >>> llm.chat("Ready?").text
        'yes'
    """
    backend = make_backend(spec, progress=progress, **options)
    if isinstance(cache, ResponseCache):
        response_cache: ResponseCache | None = cache
    elif cache is True:
        response_cache = None if backend.kind in ("replay", "scripted") else ResponseCache()
    elif cache:
        response_cache = ResponseCache(cache)
    else:
        response_cache = None
    return LLM(backend, response_cache)

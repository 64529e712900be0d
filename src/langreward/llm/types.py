"""Plain data types of the LLM layer: requests, replies, choices and usage statistics."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


def as_messages(prompt: str | Sequence[Message]) -> list[Message]:
    """Accept a bare user prompt or a list of chat messages; return chat messages."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    messages = [dict(m) for m in prompt]
    for message in messages:
        if set(message) != {"role", "content"} or message["role"] not in (
            "system",
            "user",
            "assistant",
        ):
            raise ValueError(
                "each message must be {'role': 'system'|'user'|'assistant', 'content': str}, "
                f"got {message!r}"
            )
    return messages


@dataclass(frozen=True)
class CompletionRequest:
    """One request to a backend. Its :meth:`key` identifies it in caches and transcripts."""

    messages: tuple[tuple[str, str], ...]
    temperature: float = 0.0
    max_tokens: int = 256
    seed: int = 0
    stop: tuple[str, ...] = ()
    json_schema: str | None = None  # JSON text of the schema (kept as text to stay hashable)
    top_logprobs: int = 0  # >0: return the top alternatives of the first generated token

    @classmethod
    def build(
        cls,
        messages: Sequence[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int = 256,
        seed: int = 0,
        stop: Sequence[str] | None = None,
        json_schema: dict[str, Any] | None = None,
        top_logprobs: int = 0,
    ) -> CompletionRequest:
        return cls(
            messages=tuple((m["role"], m["content"]) for m in messages),
            temperature=float(temperature),
            max_tokens=int(max_tokens),
            seed=int(seed),
            stop=tuple(stop or ()),
            json_schema=json.dumps(json_schema, sort_keys=True) if json_schema else None,
            top_logprobs=int(top_logprobs),
        )

    @property
    def message_dicts(self) -> list[Message]:
        return [{"role": role, "content": content} for role, content in self.messages]

    @property
    def schema(self) -> dict[str, Any] | None:
        return json.loads(self.json_schema) if self.json_schema else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["messages"] = self.message_dicts
        data["stop"] = list(self.stop)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CompletionRequest:
        schema = data.get("json_schema")
        return cls.build(
            data["messages"],
            temperature=data.get("temperature", 0.0),
            max_tokens=data.get("max_tokens", 256),
            seed=data.get("seed", 0),
            stop=data.get("stop") or (),
            json_schema=json.loads(schema) if isinstance(schema, str) else schema,
            top_logprobs=data.get("top_logprobs", 0),
        )

    def key(self) -> str:
        """Hash of the request alone (backend-independent): the transcript/replay key."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Completion:
    """One backend reply."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    # Top alternatives of the first generated token: {token text: log-probability}.
    first_token_logprobs: dict[str, float] | None = None
    # Every generated token with its top alternatives: [(token, {alternative: log-probability})]
    # (filled with first_token_logprobs; packed choices read one letter per token from it).
    token_logprobs: list[tuple[str, dict[str, float]]] | None = None
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("cached")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, cached: bool = False) -> Completion:
        return cls(
            text=data["text"],
            prompt_tokens=int(data.get("prompt_tokens", 0)),
            completion_tokens=int(data.get("completion_tokens", 0)),
            seconds=float(data.get("seconds", 0.0)),
            first_token_logprobs=data.get("first_token_logprobs"),
            token_logprobs=[(str(t), dict(top)) for t, top in data.get("token_logprobs") or []]
            or None,
            cached=cached,
        )


@dataclass
class ChatResult:
    """What :meth:`LLM.chat` returns: one text per sample."""

    texts: list[str]
    completions: list[Completion] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.texts[0]

    @property
    def cached(self) -> bool:
        return all(c.cached for c in self.completions)


@dataclass
class Choice:
    """The option picked among several, with a probability for each option.

    ``method`` says where the probabilities come from: ``"logprobs"`` (the model's own
    next-token distribution), ``"samples"`` (majority over sampled answers) or ``"packed"`` (one
    answer in a packed multi-item prompt: probability 1 on it).
    """

    option: str
    probs: dict[str, float]
    method: str


@dataclass
class LLMStats:
    """Counters of one :class:`~langreward.llm.LLM` (all calls, including cache hits)."""

    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_seconds: float = 0.0  # time spent waiting for backends (cache misses)
    errors: int = 0
    repairs: int = 0

    @property
    def hit_rate(self) -> float:
        return self.cache_hits / self.calls if self.calls else 0.0

    def as_dict(self) -> dict[str, float]:
        data: dict[str, float] = asdict(self)
        data["hit_rate"] = self.hit_rate
        return data

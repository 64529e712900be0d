"""The :class:`LLM` every method talks to: one interface over any backend, behind a cache."""

from __future__ import annotations

import json
import logging
import math
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError

from langreward.llm.backends.base import Backend
from langreward.llm.cache import ResponseCache
from langreward.llm.errors import LLMError, MalformedReplyError
from langreward.llm.orders import OrderMode, average_over_orders, option_orders
from langreward.llm.transcript import write_transcript
from langreward.llm.types import (
    ChatResult,
    Choice,
    Completion,
    CompletionRequest,
    LLMStats,
    Message,
    as_messages,
)

logger = logging.getLogger(__name__)
ModelT = TypeVar("ModelT", bound=BaseModel)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse_json_reply(text: str) -> Any:
    """Parse a JSON reply, tolerating a fenced block or prose around one JSON value."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`")
        stripped = stripped[4:] if stripped.startswith("json") else stripped
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        pass
    for opener, closer in (("{", "}"), ("[", "]")):
        start, end = stripped.find(opener), stripped.rfind(closer)
        if 0 <= start < end:
            try:
                return json.loads(stripped[start : end + 1])
            except json.JSONDecodeError:
                continue
    raise MalformedReplyError(f"reply is not JSON: {text[:200]!r}", reply=text)


class LLM:
    """Chat, JSON, choices and batches over one backend, with a persistent cache.

    Build one with :func:`langreward.llm.make_llm`. Every call is counted in :attr:`stats` and
    recorded so that :meth:`export_transcript` can write a replayable JSONL file.

    Example:
        >>> llm = make_llm("embedded")  # doctest: +SKIP
        >>> llm.choose("Is the sky blue?", ["yes", "no"]).option  # doctest: +SKIP
        'yes'
    """

    def __init__(self, backend: Backend, cache: ResponseCache | None = None) -> None:
        self.backend = backend
        self.cache = cache
        self.stats = LLMStats()
        self._records: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @property
    def spec(self) -> str:
        return self.backend.identity

    # -- the single path every call takes -------------------------------------------------
    def complete(self, request: CompletionRequest, *, store: bool = True) -> Completion:
        """Answer one request: from the cache if present, else from the backend.

        Args:
            store: cache the reply (callers validating a reply store it only once it passes).
        """
        reply = self.cache.get(self.backend.identity, request) if self.cache else None
        if reply is None:
            try:
                reply = self.backend.complete(request)
            except LLMError:
                with self._lock:
                    self.stats.calls += 1
                    self.stats.errors += 1
                raise
            if store:
                self.store(request, reply)
        self._count(request, reply)
        return reply

    def complete_many(self, requests: Sequence[CompletionRequest]) -> list[Completion]:
        """Answer several requests: cached ones from the cache, the rest in one
        :meth:`Backend.complete_many` call (one pass on a backend that batches)."""
        replies: list[Completion | None] = [
            self.cache.get(self.backend.identity, r) if self.cache else None for r in requests
        ]
        missing = [i for i, reply in enumerate(replies) if reply is None]
        if missing:
            try:
                fresh = self.backend.complete_many([requests[i] for i in missing])
            except LLMError:
                with self._lock:
                    self.stats.calls += len(missing)
                    self.stats.errors += len(missing)
                raise
            for i, reply in zip(missing, fresh, strict=True):
                self.store(requests[i], reply)
                replies[i] = reply
        answered = [reply for reply in replies if reply is not None]
        for request, reply in zip(requests, answered, strict=True):
            self._count(request, reply)
        return answered

    def _count(self, request: CompletionRequest, reply: Completion) -> None:
        with self._lock:
            self.stats.calls += 1
            self.stats.cache_hits += reply.cached
            self.stats.prompt_tokens += reply.prompt_tokens
            self.stats.completion_tokens += reply.completion_tokens
            self.stats.llm_seconds += 0.0 if reply.cached else reply.seconds
            self._records[request.key()] = {
                "backend": self.backend.identity,
                "request": request.to_dict(),
                "response": reply.to_dict(),
            }

    def store(self, request: CompletionRequest, reply: Completion) -> None:
        """Put a reply into the cache (no-op without a cache or for a cached reply)."""
        if self.cache is not None and not reply.cached:
            self.cache.put(self.backend.identity, request, reply)

    # -- public calls ---------------------------------------------------------------------
    def chat(
        self,
        messages: str | Sequence[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int = 256,
        n: int = 1,
        seed: int = 0,
        stop: Sequence[str] | None = None,
    ) -> ChatResult:
        """Generate ``n`` replies (sample ``i`` uses seed ``seed + i``)."""
        msgs = as_messages(messages)
        completions = [
            self.complete(
                CompletionRequest.build(
                    msgs, temperature=temperature, max_tokens=max_tokens, seed=seed + i, stop=stop
                )
            )
            for i in range(n)
        ]
        return ChatResult([c.text for c in completions], completions)

    def json(
        self,
        messages: str | Sequence[Message],
        schema: type[ModelT] | dict[str, Any],
        *,
        temperature: float = 0.0,
        max_tokens: int = 256,
        seed: int = 0,
        repair_rounds: int = 1,
    ) -> ModelT | Any:
        """A reply that must match a JSON schema (a pydantic model or a JSON-schema dict).

        The schema constrains decoding where the backend can (grammar on the embedded model,
        ``response_format`` on OpenAI-compatible servers); the reply is always validated after
        decoding. An invalid reply is shown to the model with the error for up to
        ``repair_rounds`` more tries; then :class:`MalformedReplyError` is raised. Only a valid
        reply is cached.
        """
        value, _ = self._json_reply(
            messages,
            schema,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
            repair_rounds=repair_rounds,
        )
        return value

    def _json_reply(
        self,
        messages: str | Sequence[Message],
        schema: type[ModelT] | dict[str, Any],
        *,
        temperature: float = 0.0,
        max_tokens: int = 256,
        seed: int = 0,
        repair_rounds: int = 1,
        top_logprobs: int = 0,
    ) -> tuple[ModelT | Any, Completion]:
        """:meth:`json`'s validated value and the completion it came from."""
        is_model = isinstance(schema, type) and issubclass(schema, BaseModel)
        # The casts restate what is_model found (mypy does not narrow through a bool).
        json_schema = (
            cast("type[BaseModel]", schema).model_json_schema()
            if is_model
            else cast("dict[str, Any]", schema)
        )
        msgs = as_messages(messages)
        constrained = self.backend.supports_json_schema
        if not constrained:
            msgs = [*msgs[:-1], _with_schema_hint(msgs[-1], json_schema)]
        last_error = ""
        for attempt in range(repair_rounds + 1):
            request = CompletionRequest.build(
                msgs,
                temperature=temperature,
                max_tokens=max_tokens,
                seed=seed,
                json_schema=json_schema if constrained else None,
                top_logprobs=top_logprobs,
            )
            reply = self.complete(request, store=False)
            try:
                value = _validate(reply.text, schema, is_model)
            except MalformedReplyError as exc:
                last_error = str(exc)
                with self._lock:
                    self.stats.repairs += attempt < repair_rounds
                msgs = [
                    *msgs,
                    {"role": "assistant", "content": reply.text},
                    {
                        "role": "user",
                        "content": f"That reply is invalid: {last_error}. Answer again with "
                        "only valid JSON matching the schema.",
                    },
                ]
                continue
            self.store(request, reply)
            return value, reply
        raise MalformedReplyError(
            f"no valid JSON after {repair_rounds} repair round(s): {last_error}"
        )

    def choose(
        self,
        messages: str | Sequence[Message],
        options: Sequence[str],
        *,
        samples: int = 5,
        seed: int = 0,
        orders: OrderMode = "auto",
    ) -> Choice:
        """Pick one of ``options`` with a probability for each, free of letter-position bias.

        The options are listed as lettered answers. With log-probabilities (embedded model,
        most servers) one token is generated and the letters' probabilities are read off the
        model's distribution; otherwise ``samples`` replies at temperature 1 are voted on.
        The question is asked once per option order (``orders``: ``auto`` = every order for 2-3
        options, the cyclic shifts for more; ``none`` = as given) and each option's
        probability is averaged over the orders, so a model that favours a letter no longer
        decides by it. Costs one call per order (2 for two options, 6 for three); the prompt
        up to the option list is the same in every order.

        The decision does not depend on how the caller ordered ``options``: unless
        ``orders="none"``, the options are put in one canonical order (sorted) before the
        orders are made and the calls seeded, so any listing asks the same questions; on a
        tie the option that sorts first wins. ``probs`` keeps the caller's order.

        Example:
            >>> llm = make_llm("embedded")  # doctest: +SKIP
            >>> llm.choose("Is 7 a prime number?", ["yes", "no"]).probs  # doctest: +SKIP
            {'yes': 0.93, 'no': 0.07}
        """
        options = _check_options(options)
        msgs = as_messages(messages)
        # one canonical order: the same calls (orders, seeds) whatever the caller's listing
        canonical = options if orders == "none" else sorted(options)
        orderings = option_orders(len(canonical), orders)
        per_order, methods = [], set()
        for k, order in enumerate(orderings):
            shown = [canonical[i] for i in order]
            probs, method = self._choose_in_order(msgs, shown, samples, seed + 1000 * k)
            per_order.append(probs)
            methods.add(method)
        average = average_over_orders(len(canonical), orderings, per_order)
        averaged = dict(zip(canonical, average, strict=True))
        probs_map = {option: averaged[option] for option in options}
        method = "logprobs" if methods == {"logprobs"} else "samples"
        if len(orderings) > 1:
            method += f"+{len(orderings)} orders"
        best = max(canonical, key=averaged.__getitem__)  # a tie: the first in canonical order
        return Choice(best, probs_map, method)

    def _choose_in_order(
        self, msgs: list[Message], options: list[str], samples: int, seed: int
    ) -> tuple[list[float], str]:
        """Probabilities of the options by position, asked with the options in this order."""
        listing = "\n".join(f"{LETTERS[i]}) {opt}" for i, opt in enumerate(options))
        letters = LETTERS[: len(options)]
        question = (
            f"{msgs[-1]['content']}\n\nOptions:\n{listing}\n"
            f"Answer with a single letter ({', '.join(letters)})."
        )
        msgs = [*msgs[:-1], {"role": msgs[-1]["role"], "content": question}]
        if self.backend.supports_logprobs:
            reply = self.complete(
                CompletionRequest.build(msgs, max_tokens=1, seed=seed, top_logprobs=20)
            )
            probs = _letter_probs(reply.first_token_logprobs or {}, letters)
            if probs is not None:
                return probs, "logprobs"
        votes: Counter[str] = Counter()
        schema = {"type": "string", "enum": list(letters)}
        for i in range(samples):
            request = CompletionRequest.build(
                msgs,
                temperature=1.0 if samples > 1 else 0.0,
                max_tokens=4,
                seed=seed + i,
                json_schema=schema if self.backend.supports_json_schema else None,
            )
            text = self.complete(request).text.strip().strip('"').strip()
            letter = text[:1].upper()
            if letter in letters:
                votes[letter] += 1
        if not votes:
            raise MalformedReplyError(f"no sample named one of the options {list(options)}")
        total = sum(votes.values())
        return [votes[letter] / total for letter in letters], "samples"

    def choose_many(
        self,
        items: Sequence[str],
        options: Sequence[str],
        *,
        instruction: str,
        system: str | None = None,
        examples: Sequence[tuple[str, str]] = (),
        repair_rounds: int = 1,
        orders: OrderMode = "none",
    ) -> list[Choice]:
        """Label several items in ONE call per option order (the fast path for many judgments).

        The items are numbered in one prompt; the options are lettered, and the reply is a
        JSON array with exactly one letter per item (``["A", "B", "B"]``), grammar-constrained
        where the backend can. Where the backend gives log-probabilities, each item's option
        probabilities are read off the token of its letter (method ``packed+logprobs``);
        otherwise the answered letter gets probability 1 (``packed``). ``orders`` works as in
        :meth:`choose`: the prompt is asked once per option order and each item's probabilities
        are averaged (``none``, the default, is one call; ``auto`` costs 2 calls for two options,
        6 for three). The options are listed after the items, so every order shares the prompt
        prefix up to them. Raises :class:`MalformedReplyError` if no valid answer comes back.

        Example:
            >>> from langreward.llm import make_llm
            >>> llm = make_llm("scripted", responses=['["A", "B"]', '["B", "A"]'])
            >>> [c.option for c in llm.choose_many(["7", "8"], ["prime", "not prime"],
            ...                                     instruction="Is it prime?")]
            ['prime', 'not prime']
        """
        options = _check_options(options)
        if not items:
            return []
        orderings = option_orders(len(options), orders)
        per_order, read = [], True
        for order in orderings:
            probs, from_logprobs = self._choose_many_in_order(
                list(items),
                [options[i] for i in order],
                instruction=instruction,
                system=system,
                examples=examples,
                repair_rounds=repair_rounds,
            )
            per_order.append(probs)
            read &= from_logprobs
        method = "packed+logprobs" if read else "packed"
        if len(orderings) > 1:
            method += f"+{len(orderings)} orders"
        choices = []
        for i in range(len(items)):
            averaged = average_over_orders(len(options), orderings, [p[i] for p in per_order])
            probs_map = dict(zip(options, averaged, strict=True))
            choices.append(Choice(max(probs_map, key=probs_map.__getitem__), probs_map, method))
        return choices

    def _choose_many_in_order(
        self,
        items: list[str],
        options: list[str],
        *,
        instruction: str,
        system: str | None,
        examples: Sequence[tuple[str, str]],
        repair_rounds: int,
    ) -> tuple[list[list[float]], bool]:
        """Per item, the options' probabilities by position, asked in this order; and whether
        they were read from log-probabilities (else 1 on the answered letter)."""
        letters = LETTERS[: len(options)]
        listing = ", ".join(
            f"{letter} = {opt}" for letter, opt in zip(letters, options, strict=True)
        )
        numbered = "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))
        parts = [instruction.strip(), f"Items:\n{numbered}", f"Labels: {listing}."]
        if examples:
            index = {opt: letter for letter, opt in zip(letters, options, strict=True)}
            shots = "\n".join(f"- {text} -> {index.get(label, label)}" for text, label in examples)
            parts.append(f"Examples:\n{shots}")
        parts.append(
            f"Reply with a JSON array of exactly {len(items)} letters, one label per item, "
            "in order."
        )
        messages: list[Message] = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": "\n\n".join(parts)})
        schema = {
            "type": "array",
            "items": {"type": "string", "enum": list(letters)},
            "minItems": len(items),
            "maxItems": len(items),
        }
        answer, reply = self._json_reply(
            messages,
            schema,
            max_tokens=4 * len(items) + 8,
            repair_rounds=repair_rounds,
            top_logprobs=20 if self.backend.supports_logprobs else 0,
        )
        read = _letter_token_probs(reply.token_logprobs or [], letters, answer)
        if read is not None:
            return read, True
        return [[float(letter == answered) for letter in letters] for answered in answer], False

    def batch(
        self,
        calls: Sequence[Callable[[LLM], Any]],
        *,
        max_concurrency: int = 4,
    ) -> list[Any]:
        """Run many calls (each a function of this LLM) with bounded concurrency.

        A call that fails yields its :class:`LLMError` in the result list instead of raising,
        so one bad reply never loses the others.

        Example:
            >>> llm.batch([lambda m, q=q: m.chat(q).text for q in questions])  # doctest: +SKIP
        """

        def run(call: Callable[[LLM], Any]) -> Any:
            try:
                return call(self)
            except LLMError as exc:
                return exc

        if max_concurrency <= 1 or len(calls) <= 1:
            return [run(call) for call in calls]
        with ThreadPoolExecutor(max_workers=max_concurrency) as pool:
            return list(pool.map(run, calls))

    def batch_chat(
        self,
        prompts: Sequence[str | Sequence[Message]],
        *,
        max_concurrency: int = 4,
        **settings: Any,
    ) -> list[ChatResult | LLMError]:
        """:meth:`chat` over many prompts with bounded concurrency (errors returned in place).
        On a backend that batches (``hf``), single greedy replies are generated in one pass."""
        if self.backend.batches and settings.get("n", 1) == 1:
            request = {key: value for key, value in settings.items() if key != "n"}
            requests = [CompletionRequest.build(as_messages(p), **request) for p in prompts]
            try:
                replies = self.complete_many(requests)
            except LLMError as exc:
                return [exc] * len(prompts)
            return [ChatResult([reply.text], [reply]) for reply in replies]
        return self.batch(
            [lambda llm, p=p: llm.chat(p, **settings) for p in prompts],  # type: ignore[misc]  # mypy cannot type a lambda whose default binds a loop variable (python/mypy#15459)
            max_concurrency=max_concurrency,
        )

    # -- records --------------------------------------------------------------------------
    def export_transcript(self, path: str | Path) -> int:
        """Write every distinct call this LLM made (hits included) as a replayable JSONL."""
        with self._lock:
            records = list(self._records.values())
        return write_transcript(path, records)

    def close(self) -> None:
        self.backend.close()
        if self.cache is not None:
            self.cache.close()


def _check_options(options: Sequence[str]) -> list[str]:
    options = [str(o) for o in options]
    if not 2 <= len(options) <= len(LETTERS) or len(set(options)) != len(options):
        raise ValueError(f"need 2..26 distinct options, got {options!r}")
    return options


def _letter_of(token: str) -> str:
    """The letter a token stands for (``" B"``, ``"B)"``, ``'"B'`` -> ``"B"``), upper-cased."""
    return token.strip().strip('"').rstrip(")").upper()


def _letter_probs(logprobs: dict[str, float], letters: str) -> list[float] | None:
    """Normalised probabilities of the option letters among one token's alternatives."""
    mass = dict.fromkeys(letters, 0.0)
    for token, logprob in logprobs.items():
        letter = _letter_of(token)
        if letter in mass:
            mass[letter] += math.exp(logprob)
    total = sum(mass.values())
    if total <= 0:
        return None
    return [mass[letter] / total for letter in letters]


def _letter_token_probs(
    tokens: Sequence[tuple[str, dict[str, float]]], letters: str, answer: Sequence[str]
) -> list[list[float]] | None:
    """Each answered letter's option probabilities, read off the generated token that holds
    it alone; ``None`` unless those tokens spell the answer exactly (a token holding two
    letters, or no log-probabilities, leaves the answer unread)."""
    found = [(_letter_of(token), top) for token, top in tokens]
    found = [(letter, top) for letter, top in found if len(letter) == 1 and letter in letters]
    if [letter for letter, _ in found] != list(answer):
        return None
    read = [_letter_probs(top, letters) for _, top in found]
    # The cast restates what the any(...) check just established: no None left.
    return None if any(probs is None for probs in read) else cast("list[list[float]]", read)


def _with_schema_hint(message: Message, schema: dict[str, Any]) -> Message:
    hint = f"\n\nReply with JSON only, matching this JSON schema:\n{json.dumps(schema)}"
    return {"role": message["role"], "content": message["content"] + hint}


def _validate(text: str, schema: type[BaseModel] | dict[str, Any], is_model: bool) -> Any:
    value = parse_json_reply(text)
    if is_model:
        try:
            return cast("type[BaseModel]", schema).model_validate(value)  # is_model: a class
        except ValidationError as exc:
            errors = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()
            )
            raise MalformedReplyError(errors, reply=text) from None
    import jsonschema

    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        raise MalformedReplyError(exc.message, reply=text) from None
    return value

"""Local transformers backend (``hf:/path/to/dir``): a causal LM loaded from disk only.

Needs the ``hf`` extra (``pip install 'langreward[hf]'``). JSON replies are not grammar-
constrained here; :meth:`LLM.json` validates and repairs them like any other backend's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from langreward.llm.backends.base import Backend
from langreward.llm.errors import BackendError, ModelNotAvailableError
from langreward.llm.types import Completion, CompletionRequest

if TYPE_CHECKING:
    from transformers import GenerationMixin, PreTrainedModel, PreTrainedTokenizerBase

    class _CausalLM(PreTrainedModel, GenerationMixin):
        """What AutoModelForCausalLM loads: a model with ``generate`` (types only)."""


class HFBackend(Backend):
    """A transformers causal LM from a local directory (never from a hub)."""

    kind = "hf"
    supports_logprobs = True
    batches = True

    def __init__(
        self, path: str | Path, *, device: str = "cpu", adapter: str | Path | None = None
    ) -> None:
        """Load the model in ``path``; with ``adapter``, a peft (LoRA) adapter directory is
        applied and merged in memory (the model's name then carries the adapter's digest, so
        cached replies of the base model or of another adapter never answer for it)."""
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise ModelNotAvailableError(
                "the hf backend needs transformers: pip install 'langreward[hf]'"
            ) from exc
        path = Path(path).expanduser()
        if not (path / "config.json").is_file():
            raise ModelNotAvailableError(f"no transformers model (config.json) in {path}")
        self.model = str(path)
        self._torch = torch
        self._tokenizer = load_tokenizer(path)
        self._lm: _CausalLM = transformers.AutoModelForCausalLM.from_pretrained(
            path, local_files_only=True
        ).to(device)  # type: ignore[arg-type]  # transformers decorates PreTrainedModel.to with functools.wraps, which mypy reads as an unbound function (the device taken for self)
        if adapter is not None:
            self._lm, digest = _with_adapter(self._lm, Path(adapter).expanduser())
            self.model = f"{path}+adapter-{digest}"
        self._lm.eval()
        self._device = device
        self._lock = threading.Lock()

    def _prompt(self, request: CompletionRequest) -> str:
        messages = request.message_dicts
        if getattr(self._tokenizer, "chat_template", None):
            text = self._tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
            return cast(str, text)  # tokenize=False: the prompt's text
        lines = [f"{m['role']}: {m['content']}" for m in messages]
        return "\n".join(lines) + "\nassistant:"

    def complete(self, request: CompletionRequest) -> Completion:
        torch = self._torch
        started = time.perf_counter()
        inputs = self._tokenizer(self._prompt(request), return_tensors="pt").to(self._device)
        sample = request.temperature > 0
        generator_kwargs: dict[str, Any] = {
            "do_sample": sample,
            "max_new_tokens": request.max_tokens,
        }
        if sample:
            generator_kwargs["temperature"] = request.temperature
        pad = self._tokenizer.pad_token_id or self._tokenizer.eos_token_id
        try:
            with self._lock, torch.no_grad():
                torch.manual_seed(request.seed)
                out = self._lm.generate(
                    **inputs,
                    **generator_kwargs,
                    pad_token_id=pad,
                    output_scores=True,
                    return_dict_in_generate=True,
                )
        except Exception as exc:  # a transformers failure is a backend error, not a crash
            raise BackendError(f"transformers generate failed: {exc}") from exc
        prompt_len = inputs["input_ids"].shape[1]
        new_tokens = out.sequences[0, prompt_len:]
        # decode gives a str for one sequence (a list only for a batch): hence the casts
        decoded = cast(str, self._tokenizer.decode(new_tokens, skip_special_tokens=True))
        text = _cut(decoded, request.stop)
        tokens = None
        if request.top_logprobs and out.scores:
            tokens = []
            for token_id, scores in zip(new_tokens.tolist(), out.scores, strict=False):
                logprobs = torch.log_softmax(scores[0].float(), dim=-1)
                values, ids = logprobs.topk(min(request.top_logprobs, logprobs.shape[-1]))
                top = {
                    cast(str, self._tokenizer.decode([int(i)])): float(v)
                    for v, i in zip(values.tolist(), ids.tolist(), strict=True)
                }
                tokens.append((cast(str, self._tokenizer.decode([int(token_id)])), top))
        return Completion(
            text=text,
            prompt_tokens=int(prompt_len),
            completion_tokens=int(new_tokens.shape[0]),
            seconds=time.perf_counter() - started,
            first_token_logprobs=tokens[0][1] if tokens else None,
            token_logprobs=tokens,
        )

    def complete_many(self, requests: Sequence[CompletionRequest]) -> list[Completion]:
        """Greedy requests with the same length limit and no log-probabilities run as one
        left-padded batch (on CPU, 32 prompts of ~160 tokens took 2.1 s each instead of
        6.9 s one by one); any other mix is answered one by one."""
        batchable = (
            len(requests) > 1
            and len({(r.max_tokens, r.stop) for r in requests}) == 1
            and all(r.temperature == 0 and not r.top_logprobs for r in requests)
        )
        if not batchable:
            return super().complete_many(requests)
        torch = self._torch
        started = time.perf_counter()
        tokenizer = self._tokenizer
        tokenizer.padding_side = "left"  # generation continues every row from its end
        pad = tokenizer.pad_token_id or tokenizer.eos_token_id
        inputs = tokenizer(
            [self._prompt(r) for r in requests], return_tensors="pt", padding=True
        ).to(self._device)
        try:
            with self._lock, torch.no_grad():
                sequences = self._lm.generate(
                    **inputs, do_sample=False, max_new_tokens=requests[0].max_tokens,
                    pad_token_id=pad,
                )  # fmt: skip
        except Exception as exc:
            raise BackendError(f"transformers generate failed: {exc}") from exc
        seconds = (time.perf_counter() - started) / len(requests)
        width = inputs["input_ids"].shape[1]
        replies = []
        for row, request in enumerate(requests):
            new_tokens = _until_end(sequences[row, width:].tolist(), tokenizer.eos_token_id, pad)
            replies.append(
                Completion(
                    text=_cut(
                        cast(str, tokenizer.decode(new_tokens, skip_special_tokens=True)),
                        request.stop,
                    ),
                    prompt_tokens=int(inputs["attention_mask"][row].sum()),
                    completion_tokens=len(new_tokens),
                    seconds=seconds,
                )
            )
        return replies


def _cut(text: str, stops: Sequence[str]) -> str:
    """``text`` up to the first of ``stops``."""
    for stop in stops:
        text = text.split(stop)[0]
    return text


def _until_end(tokens: list[int], eos: int | None, pad: int) -> list[int]:
    """The generated tokens up to the end of sequence (finished rows are padded after it)."""
    for end, token in enumerate(tokens):
        if token in (eos, pad):
            return tokens[:end]
    return tokens


def load_tokenizer(path: Path) -> PreTrainedTokenizerBase:
    """The tokenizer saved in ``path``. A directory whose ``tokenizer_config.json`` names
    ``PreTrainedTokenizerFast`` gets exactly that (transformers 5's ``AutoTokenizer`` would
    rebuild the tokenizer of the model's type from the vocabulary instead)."""
    import json

    import transformers

    settings = Path(path) / "tokenizer_config.json"
    declared = (
        json.loads(settings.read_text()).get("tokenizer_class") if settings.is_file() else None
    )
    if declared == "PreTrainedTokenizerFast":
        return transformers.PreTrainedTokenizerFast.from_pretrained(path, local_files_only=True)
    return transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)


def _with_adapter(model: _CausalLM, adapter: Path) -> tuple[_CausalLM, str]:
    """``model`` with the peft adapter in ``adapter`` merged in, and the adapter's digest."""
    import hashlib

    try:
        from peft import PeftModel
    except ImportError as exc:
        raise ModelNotAvailableError("an adapter needs peft: pip install peft") from exc
    weights = sorted(adapter.glob("adapter_model.*"))
    if not weights:
        raise ModelNotAvailableError(f"no peft adapter (adapter_model.*) in {adapter}")
    digest = hashlib.sha256(weights[0].read_bytes()).hexdigest()[:12]
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    # peft types the merged model as a torch Module; it is the base transformers model
    return cast("_CausalLM", merged), digest

"""Step 3, training: LoRA fine-tuning (peft + trl's ``SFTTrainer``) on CPU, and loading the
result as an LLM that the rest of langreward can call.

The base model is ``embedded`` (the packaged Qwen2.5-Coder-0.5B-Instruct GGUF, read into
transformers once, offline, and saved in the user cache), ``embedded:NAME``, or a local
directory holding a transformers causal LM. Nothing is downloaded.

Example:
    >>> settings = LoRASettings(rank=8, epochs=1)
    >>> settings.target_modules
    ['q_proj', 'v_proj']
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ConfigDict, Field

from langreward.plugin import MethodError
from langreward.teduo.state import StateWords

if TYPE_CHECKING:
    from peft import PeftModel


class LoRASettings(BaseModel):
    """Step 3's fine-tuning settings (the ``teduo.sft`` section)."""

    model_config = ConfigDict(extra="forbid")
    model: str = Field(
        "embedded",
        description="embedded, embedded:NAME, or a local transformers model directory",
    )
    examples_per_goal: int = Field(40, ge=1, description="start states per training goal")
    state_words: StateWords = Field(
        "absolute",
        description="how the agent's prompt says the state: absolute tiles and compass "
        "directions, or egocentric (tiles ahead/left/right of the agent, free tiles around it)",
    )
    max_actions: int = Field(12, ge=1, description="actions per completion (then re-query)")
    max_queries: int = Field(6, ge=1, description="the agent's queries per episode at most")
    plan_steps: int = Field(40, ge=1, description="longest plan rolled out in the abstract MDP")
    rank: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"])
    layers: list[int] | None = Field(None, description="layers given LoRA (None: all)")
    learning_rate: float = Field(2e-4, gt=0.0)
    epochs: float = Field(2.0, gt=0.0)
    batch_size: int = Field(4, ge=1)
    max_length: int = Field(512, ge=32, description="longest tokenised example")
    validation: float = Field(0.1, ge=0.0, lt=1.0, description="share held out for the eval loss")


def base_model_dir(model: str) -> Path:
    """A local transformers directory for ``model`` (converting the embedded GGUF once).

    Raises:
        MethodError: not a directory with a ``config.json`` and not an embedded model.
    """
    if model == "embedded" or model.startswith("embedded:"):
        return _converted_embedded(model.partition(":")[2] or None)
    path = Path(model).expanduser()
    if not (path / "config.json").is_file():
        raise MethodError(
            f"teduo.sft.model: {model!r} is neither 'embedded' nor a directory holding a "
            "transformers model (config.json)"
        )
    return path


def _converted_embedded(name: str | None) -> Path:
    from langreward.llm.models import DEFAULT_EMBEDDED, EMBEDDED_MODELS, ensure_embedded_model
    from langreward.llm.paths import models_dir

    name = name or DEFAULT_EMBEDDED
    gguf = ensure_embedded_model(name)
    target = models_dir() / f"{Path(EMBEDDED_MODELS[name].filename).stem}-hf"
    if (target / "config.json").is_file():
        return target
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the GGUF loader may look for kernels online
    import torch
    import transformers

    print(f"converting {gguf.name} to a transformers model in {target} (once)", file=sys.stderr)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
    )
    # the weights are dequantised: save them as plain tensors
    model.hf_quantizer = None  # type: ignore[assignment]  # torch types Module.__setattr__ values as Tensor | Module; transformers sets plain attributes
    model.is_quantized = False  # type: ignore[assignment]  # (as above)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.replace(target)
    return target


def finetune(
    base: Path,
    records: list[dict[str, Any]],
    out_dir: Path,
    settings: LoRASettings,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Train a LoRA adapter on prompt/completion records; save it in ``out_dir``; return the
    measurements (examples, trained tokens, tokens/s, losses, peak memory).
    ``progress(step, steps)`` after each optimiser step."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    class Report(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if progress is not None:
                progress(state.global_step, state.max_steps)

    from langreward.llm.backends.hf import load_tokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.manual_seed(seed)
    tokenizer = load_tokenizer(base)
    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=torch.float32)
    dataset = Dataset.from_list(records).shuffle(seed=seed)
    held = int(round(settings.validation * len(dataset))) if len(dataset) >= 10 else 0
    split = dataset.train_test_split(test_size=held, seed=seed) if held else None
    train = split["train"] if split else dataset
    lora = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        layers_to_transform=settings.layers,
        task_type="CAUSAL_LM",
    )
    config = SFTConfig(
        output_dir=str(out_dir / "trainer"),
        num_train_epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        max_length=settings.max_length,
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,  # trl defaults to it (and to bf16): off on CPU
        save_strategy="no",
        eval_strategy="epoch" if split else "no",
        logging_steps=5,
        report_to=[],
        seed=seed,
        disable_tqdm=False,
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=train,
        eval_dataset=split["test"] if split else None,
        processing_class=tokenizer,
        peft_config=lora,
        callbacks=[Report()],
    )
    tokenized = cast(Dataset, trainer.train_dataset)  # the datasets.Dataset given, tokenized
    tokens = sum(len(ids) for ids in tokenized["input_ids"])
    started = time.perf_counter()
    result = trainer.train()
    seconds = time.perf_counter() - started
    adapted = cast("PeftModel", trainer.model)  # with peft_config, SFTTrainer trains a PeftModel
    adapted.save_pretrained(out_dir / "adapter")  # type: ignore[arg-type]  # peft types save_directory as str; it takes any os.PathLike (os.makedirs, os.path.join)
    tokenizer.save_pretrained(out_dir / "adapter")
    history = trainer.state.log_history
    eval_losses = [row["eval_loss"] for row in history if "eval_loss" in row]
    return {
        "base_model": str(base),
        "examples": len(train),
        "validation_examples": held,
        "epochs": settings.epochs,
        "trained_tokens": int(tokens * settings.epochs),
        "seconds": round(seconds, 2),
        "tokens_per_second": round(tokens * settings.epochs / seconds, 1) if seconds else None,
        "train_loss": round(float(result.training_loss), 4),
        "eval_loss": round(eval_losses[-1], 4) if eval_losses else None,
        "peak_memory_gb": round(_peak_rss_gb(), 2),
        "trainable_parameters": sum(p.numel() for p in adapted.parameters() if p.requires_grad),
    }


def _peak_rss_gb() -> float:
    """The process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

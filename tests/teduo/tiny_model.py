"""A tiny Qwen2-shaped causal LM with its own word-level tokenizer, built locally for tests
(nothing downloaded): the same transformers/peft/trl code path as the real model, in seconds."""

from __future__ import annotations

import json
import re
from pathlib import Path

from langreward.teduo.distill import ACTION_WORDS, SYSTEMS

SPECIAL = ["<pad>", "<unk>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }} {{ m['content'] }}<|im_end|>"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant{% endif %}"
)
WORDS = (
    "system user assistant Instruction State You are on tile facing east south west north "
    "carrying nothing a an the Objects none Interior walls from to open at x y red green blue "
    "purple yellow grey gray azure ball box key door closed locked crate chest go pick up put "
    "next open navigate walk grab take swing get place beside move close carry In front of Free "
    "tiles ahead left right behind here and " + " ".join(ACTION_WORDS)
)


def build_tiny_model(directory: Path) -> Path:
    """Save a tiny model and tokenizer in ``directory``; returns it."""
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = set(
        re.findall(r"\w+|[^\w\s]", " ".join(SYSTEMS.values()) + " " + WORDS + " , . ( ) : ; = + -")
    )
    words |= {str(d) for d in range(30)}
    vocab = {token: i for i, token in enumerate(SPECIAL + sorted(words))}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        unk_token="<unk>",
        eos_token="<|im_end|>",
        bos_token=None,
        additional_special_tokens=["<|im_start|>"],
    )
    fast.chat_template = CHAT_TEMPLATE
    config = transformers.Qwen2Config(
        vocab_size=len(vocab),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        pad_token_id=vocab["<pad>"],
        eos_token_id=vocab["<|im_end|>"],
    )
    import torch

    torch.manual_seed(0)  # the same tiny model every time
    model = transformers.Qwen2ForCausalLM(config)
    model.generation_config.eos_token_id = vocab["<|im_end|>"]
    model.generation_config.pad_token_id = vocab["<pad>"]
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    fast.save_pretrained(directory)
    # AutoTokenizer would otherwise rebuild a BPE Qwen2Tokenizer from the model type
    settings = directory / "tokenizer_config.json"
    data = json.loads(settings.read_text())
    data["tokenizer_class"] = "PreTrainedTokenizerFast"
    settings.write_text(json.dumps(data, indent=2))
    return directory

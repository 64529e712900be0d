"""The transformers backend on a tiny model built locally (random weights, word tokenizer)."""

from __future__ import annotations

import pytest

from langreward.llm import ModelNotAvailableError, make_llm

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-gpt2")
    words = ["<pad>", "<unk>", "<eos>", "user:", "assistant:", "yes", "no", "A", "B", "hello"]
    vocab = {w: i for i, w in enumerate(words)}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.WhitespaceSplit()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>"
    )
    fast.save_pretrained(path)
    config = transformers.GPT2Config(
        vocab_size=len(words),
        n_positions=128,
        n_embd=16,
        n_layer=1,
        n_head=2,
        eos_token_id=2,
        pad_token_id=0,
        bos_token_id=2,
        initializer_range=1.0,  # large random weights: replies differ from prompt to prompt
    )
    torch.manual_seed(0)
    transformers.GPT2LMHeadModel(config).save_pretrained(path)
    return path


def test_hf_backend_chat_and_logprob_choice(tiny_model_dir):
    llm = make_llm(f"hf:{tiny_model_dir}", cache=False)
    reply = llm.chat("hello", max_tokens=3)
    assert isinstance(reply.text, str)
    assert reply.completions[0].prompt_tokens > 0
    choice = llm.choose("hello", ["yes", "no"])
    assert choice.method.split("+")[0] in ("logprobs", "samples")
    assert sum(choice.probs.values()) == pytest.approx(1.0)


def test_hf_missing_dir_is_clear(tmp_path):
    with pytest.raises(ModelNotAvailableError, match="config.json"):
        make_llm(f"hf:{tmp_path}", cache=False)


def test_hf_batch_generates_what_one_by_one_generates(tiny_model_dir):
    llm = make_llm(f"hf:{tiny_model_dir}", cache=False)
    prompts = ["hello", "yes no A B hello", "B", "no no", "A yes B"]  # left padding matters
    alone = [llm.chat(p, max_tokens=5).text for p in prompts]
    assert len(set(alone)) > 2  # some end at once, others go on
    calls = llm.stats.calls
    together = llm.batch_chat(prompts, max_tokens=5)
    assert [r.text for r in together] == alone
    assert llm.stats.calls == calls + len(prompts)
    assert llm.backend.batches


def test_llm_complete_many_answers_cached_requests_from_the_cache(tmp_path, tiny_model_dir):
    from langreward.llm.types import CompletionRequest

    llm = make_llm(f"hf:{tiny_model_dir}", cache=tmp_path / "cache.sqlite")
    first = CompletionRequest.build([{"role": "user", "content": "hello"}], max_tokens=4)
    second = CompletionRequest.build([{"role": "user", "content": "A B"}], max_tokens=4)
    llm.complete(first)
    replies = llm.complete_many([first, second])
    assert [r.cached for r in replies] == [True, False]
    assert llm.stats.cache_hits == 1

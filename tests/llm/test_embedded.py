"""The embedded GGUF model, in-process and behind a real OpenAI-compatible HTTP server."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from langreward.llm import LLM, ResponseCache, make_llm
from langreward.llm.backends.openai_compat import OpenAIBackend

pytestmark = pytest.mark.embedded


class Person(BaseModel):
    name: str
    age: int


def test_embedded_chat_json_and_choose(embedded_backend, tmp_path):
    llm = LLM(embedded_backend, ResponseCache(tmp_path / "c.sqlite"))
    reply = llm.chat("Reply with the single word: hello", max_tokens=8)
    assert reply.text.strip()
    assert reply.completions[0].completion_tokens > 0
    person = llm.json("Invent a person called Ada who is 36 years old.", Person, max_tokens=64)
    assert isinstance(person, Person) and person.name
    choice = llm.choose("Is fire hot?", ["yes", "no"])
    assert choice.method == "logprobs+2 orders"  # asked both ways round, averaged
    assert sum(choice.probs.values()) == pytest.approx(1.0)
    labels = llm.choose_many(
        ["fire", "ice", "lava"], ["hot", "cold"], instruction="Label each thing as hot or cold."
    )
    assert len(labels) == 3 and all(c.option in ("hot", "cold") for c in labels)
    # the same calls again are cache hits
    before = llm.stats.cache_hits
    llm.choose("Is fire hot?", ["yes", "no"])
    assert llm.stats.cache_hits == before + 2  # one cached call per order


def test_openai_backend_against_real_local_server(tmp_path, embedded_available):
    from langreward.llm import make_backend

    server = make_backend("embedded", port=0)  # llama.cpp's HTTP server on 127.0.0.1
    try:
        assert server.url.startswith("http://127.0.0.1:")
        llm = make_llm(f"openai:local@{server.url}", cache=tmp_path / "c.sqlite")
        assert isinstance(llm.backend, OpenAIBackend)
        assert llm.chat("Say hi.", max_tokens=8).text.strip()
        person = llm.json("Invent a person called Bob who is 3 years old.", Person, max_tokens=64)
        assert isinstance(person, Person)
        choice = llm.choose("Is the sky blue on a clear day?", ["yes", "no"])
        assert choice.method == "logprobs+2 orders"
    finally:
        server.close()


def test_loading_the_model_leaves_torch_one_thread(embedded_backend):
    # llama.cpp shares torch's OpenMP runtime: with more torch threads, training slows 2-3x
    import torch

    from langreward.llm.backends.embedded import _single_thread_torch

    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        _single_thread_torch()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)


def test_the_model_loads_on_the_first_call_a_cache_cannot_answer(tmp_path, embedded_available):
    import torch

    from langreward.llm import make_backend

    cache = ResponseCache(tmp_path / "c.sqlite")
    torch.set_num_threads(2)
    first = make_backend("embedded")
    assert not first.loaded  # constructing costs nothing
    # ... but sets torch's threads in the creating thread: the load may come from another
    assert torch.get_num_threads() == 1
    LLM(first, cache).chat("Say hi.", max_tokens=4)
    assert first.loaded and first.load_seconds > 0
    first.close()
    second = make_backend("embedded")
    LLM(second, cache).chat("Say hi.", max_tokens=4)  # a cache hit
    assert not second.loaded

from __future__ import annotations

import hashlib
import json
import math
import random
import re

import pytest
from pydantic import BaseModel

from langreward.llm import (
    LLM,
    Completion,
    LLMConfigError,
    MalformedReplyError,
    ReplayMissError,
    ResponseCache,
    make_llm,
)
from langreward.llm.backends.scripted import ScriptedBackend
from langreward.llm.client import parse_json_reply


class Verdict(BaseModel):
    label: str
    confidence: float


def test_chat_samples_use_distinct_seeds():
    llm = make_llm("scripted", responses=["a", "b", "c"])
    result = llm.chat("hello", n=3, temperature=1.0, seed=7)
    assert result.texts == ["a", "b", "c"]
    seeds = [r.seed for r in llm.backend.requests]
    assert seeds == [7, 8, 9]


def test_dict_and_function_scripts():
    llm = make_llm("scripted", responses={"pole": "left", "car": "right"})
    assert llm.chat("the pole falls").text == "left"
    assert llm.chat("the car moves").text == "right"
    with pytest.raises(LLMConfigError, match="no answer"):
        llm.chat("nothing matches")
    echo = make_llm("scripted", responses=lambda msgs: msgs[-1]["content"].upper())
    assert echo.chat("shout").text == "SHOUT"


def test_json_validates_with_pydantic_and_repairs_once():
    llm = make_llm(
        "scripted", responses=['{"label": "good"}', '{"label": "good", "confidence": 0.9}']
    )
    verdict = llm.json("judge", Verdict)
    assert verdict == Verdict(label="good", confidence=0.9)
    assert llm.stats.repairs == 1
    # the repair prompt quotes the validation error back to the model
    repair = llm.backend.requests[1].messages[-1][1]
    assert "confidence" in repair and "invalid" in repair


def test_json_gives_typed_error_after_repairs_and_caches_nothing(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    llm = make_llm("scripted", responses=["not json at all"], cache=cache)
    with pytest.raises(MalformedReplyError, match="no valid JSON after 2 repair"):
        llm.json("judge", Verdict, repair_rounds=2)
    assert len(llm.backend.requests) == 3
    assert cache.stats().entries == 0


def test_json_schema_dict_and_fenced_reply():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    llm = make_llm("scripted", responses=['Sure!\n```json\n{"n": 3}\n```'])
    assert llm.json("count", schema) == {"n": 3}
    assert parse_json_reply('prefix {"a": [1, 2]} suffix') == {"a": [1, 2]}
    with pytest.raises(MalformedReplyError):
        parse_json_reply("{broken")


def test_choose_by_majority_of_samples():
    llm = make_llm("scripted", responses=["B", "A", "B", "B", "x"])
    choice = llm.choose("Which?", ["left", "right"], samples=5, orders="none")
    assert choice.option == "right"
    assert choice.method == "samples"
    assert choice.probs == pytest.approx({"left": 0.25, "right": 0.75})
    with pytest.raises(ValueError, match="distinct options"):
        llm.choose("Which?", ["same", "same"])


class LogprobBackend(ScriptedBackend):
    """Scripted backend that also reports first-token log-probabilities (tests only)."""

    supports_logprobs = True

    def complete(self, request):
        reply = super().complete(request)
        reply.first_token_logprobs = {"A": -2.0, " B": -0.2, "The": -1.0}
        return reply


def test_choose_reads_letter_logprobs():
    llm = LLM(LogprobBackend(["B"]))
    choice = llm.choose("Push left or right?", ["left", "right"], orders="none")
    assert choice.method == "logprobs"
    assert choice.option == "right"
    assert choice.probs["right"] > 0.8
    assert sum(choice.probs.values()) == pytest.approx(1.0)
    assert llm.backend.requests[0].max_tokens == 1


class PositionBiasedBackend(ScriptedBackend):
    """FOR TESTS: a 'model' whose letter logits are the option's true score plus a fixed bonus
    for the letter A, read off the lettered option list in the prompt."""

    supports_logprobs = True

    def __init__(self, scores, bias=3.0):
        super().__init__(["A"])
        self.scores, self.bias = scores, bias

    def complete(self, request):
        reply = super().complete(request)
        prompt = request.messages[-1][1]
        lines = [line for line in prompt.splitlines() if re.match(r"^[A-Z]\) ", line)]
        logits = {
            line[0]: self.scores(prompt, line[3:]) + (self.bias if line[0] == "A" else 0.0)
            for line in lines
        }
        norm = math.log(sum(math.exp(v) for v in logits.values()))
        reply.first_token_logprobs = {letter: v - norm for letter, v in logits.items()}
        return reply


def prime_scores(prompt, option):
    """The truth: 'yes' scores 1 for primes, 'no' scores 1 otherwise."""
    number = int(re.search(r"Is (\d+) prime", prompt).group(1))
    is_prime = number > 1 and all(number % d for d in range(2, int(number**0.5) + 1))
    return 1.0 if (option == "yes") == is_prime else 0.0


@pytest.mark.parametrize("number", [7, 8, 13, 21])
def test_debiased_choice_does_not_depend_on_option_order(number):
    llm = LLM(PositionBiasedBackend(prime_scores))
    question = f"Is {number} prime?"
    # asked in one order, the letter bias decides: whichever option is first wins
    assert llm.choose(question, ["yes", "no"], orders="none").option == "yes"
    assert llm.choose(question, ["no", "yes"], orders="none").option == "no"
    # averaged over both orders, the answer is the truth, whatever order the caller gives
    forward = llm.choose(question, ["yes", "no"])
    backward = llm.choose(question, ["no", "yes"])
    assert forward.option == backward.option == ("yes" if number in (7, 13) else "no")
    assert forward.probs == pytest.approx(backward.probs)
    assert forward.method == "logprobs+2 orders"


def test_three_options_are_asked_in_all_six_orders():
    backend = PositionBiasedBackend(lambda prompt, option: {"good": 1.0}.get(option, 0.0))
    choice = LLM(backend).choose("Judge it.", ["bad", "neutral", "good"])
    assert choice.option == "good" and len(backend.requests) == 6
    assert choice.probs["bad"] == pytest.approx(choice.probs["neutral"])


def test_a_letter_biased_sampler_averages_out():
    llm = make_llm("scripted", responses=["A"])  # always the first letter
    choice = llm.choose("Which?", ["left", "right"], samples=3)
    assert choice.probs == pytest.approx({"left": 0.5, "right": 0.5})
    assert choice.method == "samples+2 orders"


def noisy_judge(messages) -> str:
    """A scripted judge (tests only) with letter bias and noise: the letter it answers is a
    hash of the whole prompt, so it depends on the order the options are shown in."""
    prompt = messages[-1]["content"]
    letters = re.findall(r"^([A-Z])\) ", prompt, flags=re.M)
    digest = int(hashlib.sha256(prompt.encode()).hexdigest(), 16)
    return letters[digest % len(letters)]


def test_the_decision_does_not_depend_on_the_callers_option_order():
    rng = random.Random(0)
    pool = ["north", "south", "east", "west", "stay"]
    flips, ties = 0, 0
    for i in range(40):
        options = rng.sample(pool, 2 + i % 4)  # 2 to 5 options: all orders, then cyclic
        shuffled = rng.sample(options, len(options))
        question = f"Question {i}: where should the agent go?"
        first = make_llm("scripted", responses=noisy_judge).choose(question, options)
        second = make_llm("scripted", responses=noisy_judge).choose(question, shuffled)
        flips += first.option != second.option
        ties += sorted(first.probs.values())[-1] == sorted(first.probs.values())[-2]
        assert first.probs == pytest.approx(second.probs)
        assert list(second.probs) == shuffled  # the caller's order, mapped back
    assert flips == 0 and ties > 0  # ties (half-half votes) are common with this judge
    # the documented tie rule: the option that sorts first
    always_a = make_llm("scripted", responses=["A"])
    assert always_a.choose("Which?", ["yes", "no"]).option == "no"
    assert always_a.choose("Which?", ["no", "yes"]).option == "no"


def test_choose_many_packs_items_into_one_call():
    llm = make_llm("scripted", responses=['["A", "B", "C"]'])
    choices = llm.choose_many(["s1", "s2", "s3"], ["good", "bad", "unsure"], instruction="Judge.")
    assert [c.option for c in choices] == ["good", "bad", "unsure"]
    assert len(llm.backend.requests) == 1
    prompt = llm.backend.requests[0].messages[-1][1]
    assert "1. s1" in prompt and "3. s3" in prompt


class PackedPositionBiasedBackend(ScriptedBackend):
    """FOR TESTS: like PositionBiasedBackend, for one-by-one prompts ("A) yes" lines) and packed
    ones ("Items:" + "Labels: A = yes, B = no."), reporting each generated token's
    alternatives as a model with log-probabilities would."""

    supports_logprobs = True

    def __init__(self, scores, bias=3.0):
        super().__init__(["unused"])
        self.scores, self.bias = scores, bias

    def _letter_logprobs(self, item, letter_to_option):
        logits = {
            letter: self.scores(item, option) + (self.bias if letter == "A" else 0.0)
            for letter, option in letter_to_option.items()
        }
        norm = math.log(sum(math.exp(v) for v in logits.values()))
        return {letter: v - norm for letter, v in logits.items()}

    def complete(self, request):
        self.requests.append(request)
        prompt = request.messages[-1][1]
        listing = re.search(r"Labels: (.*?)\.\n", prompt)
        if listing is None:  # one by one
            item = prompt.split("\n")[0]
            options = dict(re.findall(r"^([A-Z])\) (.+)$", prompt, re.MULTILINE))
            top = self._letter_logprobs(item, options)
            best = max(top, key=top.__getitem__)
            return Completion(best, first_token_logprobs=top, token_logprobs=[(best, top)])
        options = dict(pair.strip().split(" = ") for pair in listing.group(1).split(","))
        items = re.findall(r"^\d+\. (.+)$", prompt.split("Items:\n", 1)[1], re.MULTILINE)
        tokens = [('["', {'["': 0.0})]
        for k, item in enumerate(items):
            top = self._letter_logprobs(item, options)
            tokens.append((max(top, key=top.__getitem__), top))
            tokens.append(('", "' if k < len(items) - 1 else '"]', {}))
        letters = [token for token, _ in tokens[1::2]]
        return Completion(json.dumps(letters), token_logprobs=tokens)


def item_prime_scores(item, option):
    number = int(re.search(r"(\d+)", item).group(1))
    is_prime = number > 1 and all(number % d for d in range(2, int(number**0.5) + 1))
    return 1.0 if (option == "yes") == is_prime else 0.0


def test_packed_probabilities_match_one_by_one_and_ignore_option_order():
    questions = [f"Is {n} prime?" for n in (7, 8, 13, 21, 4)]
    llm = LLM(PackedPositionBiasedBackend(item_prime_scores))
    # read as answered, the letter bias decides every item
    biased = llm.choose_many(questions, ["yes", "no"], instruction="Answer each.")
    assert [c.option for c in biased] == ["yes"] * 5
    assert biased[0].method == "packed+logprobs"
    forward = llm.choose_many(questions, ["yes", "no"], instruction="Answer each.", orders="auto")
    backward = llm.choose_many(questions, ["no", "yes"], instruction="Answer each.", orders="auto")
    truth = ["yes", "no", "yes", "no", "no"]
    assert [c.option for c in forward] == [c.option for c in backward] == truth
    assert forward[0].method == "packed+logprobs+2 orders"
    for question, packed in zip(questions, forward, strict=True):
        single = llm.choose(question, ["yes", "no"])
        assert packed.probs == pytest.approx(single.probs)


def test_packed_answer_without_one_letter_per_token_falls_back_to_the_answer():
    class MergedLetters(ScriptedBackend):
        supports_logprobs = True

        def complete(self, request):
            reply = super().complete(request)
            reply.token_logprobs = [('["AB', {"A": -0.1}), ('"]', {})]  # two letters, one token
            return reply

    choices = LLM(MergedLetters(['["A", "B"]'])).choose_many(
        ["x", "y"], ["good", "bad"], instruction="Judge."
    )
    assert [c.probs for c in choices] == [{"good": 1.0, "bad": 0.0}, {"good": 0.0, "bad": 1.0}]
    assert choices[0].method == "packed"


def test_choose_many_rejects_wrong_count():
    llm = make_llm("scripted", responses=['["A"]', '["A", "X"]'])
    with pytest.raises(MalformedReplyError):
        llm.choose_many(["s1", "s2"], ["good", "bad"], instruction="Judge.")


def test_batch_returns_errors_in_place():
    llm = make_llm("scripted", responses={"ok": "fine"})
    results = llm.batch_chat(["ok 1", "boom", "ok 2"], max_concurrency=3)
    assert results[0].text == "fine" and results[2].text == "fine"
    assert isinstance(results[1], LLMConfigError)
    assert llm.stats.errors == 1


def test_cache_hit_skips_backend_and_counts(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    first = make_llm("scripted", responses=["one", "two"], cache=cache)
    assert first.chat("q").text == "one"
    second = make_llm("scripted", responses=["never used"], cache=cache)
    result = second.chat("q")
    assert result.text == "one" and result.cached
    assert second.backend.requests == []
    assert second.stats.cache_hits == 1 and second.stats.hit_rate == 1.0
    # a different setting is a different key
    assert second.chat("q", temperature=0.5).text == "never used"


def test_transcript_replays_without_llm(tmp_path):
    llm = make_llm("scripted", responses=['["A", "B"]', "plain"])
    llm.choose_many(["a", "b"], ["good", "bad"], instruction="Judge.")
    llm.chat("free text")
    path = tmp_path / "t.jsonl"
    assert llm.export_transcript(path) == 2
    replay = make_llm(f"replay:{path}")
    assert [
        c.option for c in replay.choose_many(["a", "b"], ["good", "bad"], instruction="Judge.")
    ] == ["good", "bad"]
    assert replay.chat("free text").text == "plain"
    with pytest.raises(ReplayMissError, match="no answer"):
        replay.chat("something new")


def test_spec_errors_are_clear():
    with pytest.raises(LLMConfigError, match="unknown LLM spec"):
        make_llm("nonsense:thing")
    with pytest.raises(LLMConfigError, match="unknown embedded model"):
        make_llm("embedded:7b")
    with pytest.raises(LLMConfigError, match="replay transcript not found"):
        make_llm("replay:/does/not/exist.jsonl")
    with pytest.raises(LLMConfigError, match="needs a path"):
        make_llm("gguf:")


def test_completion_round_trip():
    reply = Completion("x", 3, 4, 0.5, {"A": -0.1})
    assert Completion.from_dict(reply.to_dict()) == reply

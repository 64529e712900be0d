"""Asking the LLM: packing described pairs into prompts, falling back, counting; the prompts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from langreward.llm import LLM, BackendUnavailableError, make_llm
from langreward.lmgt.asking import JudgeAsker
from langreward.lmgt.config import LLMJudgeSettings
from langreward.lmgt.judge import JudgeStats
from langreward.lmgt.prompts import JudgePrompts
from langreward.text import CartPoleDescriber

RIGHT = "State: pole leaning right. Action: push the cart to the right."
LEFT = "State: pole leaning right. Action: push the cart to the left."
EXAMPLES = ((RIGHT, "good"),)


def _asker(llm: LLM, examples: tuple = (), **options: object) -> JudgeAsker:
    settings = LLMJudgeSettings.of(None, **options)
    return JudgeAsker(llm, JudgePrompts(CartPoleDescriber(), examples), settings)


def _requests(llm: LLM) -> list:
    return llm.backend.requests  # type: ignore[attr-defined]


def test_packs_up_to_batch_size_pairs_per_prompt(judge_llm: Callable[..., LLM]) -> None:
    llm, stats = judge_llm(), JudgeStats()
    answers = _asker(llm, batch_size=2).ask([RIGHT, LEFT, RIGHT, LEFT, RIGHT], stats)
    assert answers == [1, -1, 1, -1, 1]
    assert stats.llm_rounds == 3 and len(_requests(llm)) == 3  # 2 + 2 + 1 pairs
    assert "1. " + RIGHT in _requests(llm)[0].messages[-1][1]


def test_one_by_one_asks_each_pair_in_every_option_order(judge_llm: Callable[..., LLM]) -> None:
    llm, stats = judge_llm(), JudgeStats()
    assert _asker(llm, packed=False, orders="none", samples=1).ask([RIGHT, LEFT], stats) == [1, -1]
    assert stats.llm_rounds == 2 and len(_requests(llm)) == 2
    llm = judge_llm()
    _asker(llm, packed=False, orders="cyclic", samples=1).ask([RIGHT], JudgeStats())
    assert len(_requests(llm)) == 3  # one call per cyclic order of the three labels


def test_chain_of_thought_budget_is_per_pair(judge_llm: Callable[..., LLM]) -> None:
    llm = judge_llm()
    asker = _asker(llm, strategy="cot", max_tokens=50)
    assert asker.ask([RIGHT, LEFT, RIGHT], JudgeStats()) == [1, -1, 1]
    assert _requests(llm)[0].max_tokens == 150
    llm = judge_llm()
    _asker(llm, strategy="cot", packed=False, max_tokens=50).ask([RIGHT], JudgeStats())
    assert _requests(llm)[0].max_tokens == 50


def test_few_shot_shows_the_examples_and_needs_some(judge_llm: Callable[..., LLM]) -> None:
    llm = judge_llm()
    _asker(llm, EXAMPLES, strategy="few_shot").ask([LEFT], JudgeStats())
    assert f"Examples:\n- {RIGHT} -> A" in _requests(llm)[0].messages[-1][1]
    with pytest.raises(ValueError, match="few_shot strategy needs examples"):
        _asker(judge_llm(), strategy="few_shot")
    with pytest.raises(ValueError, match="example labels must be in"):
        JudgePrompts(CartPoleDescriber(), (("x", "great"),))


def test_an_unreadable_packed_reply_falls_back_or_gives_zero(
    judge_script: Callable[..., Callable],
) -> None:
    answer = judge_script()

    def packed_nonsense(messages: list[dict[str, str]]) -> str:
        return "nonsense" if "Items:\n" in messages[-1]["content"] else answer(messages)

    stats = JudgeStats()
    llm = make_llm("scripted", responses=packed_nonsense)
    assert _asker(llm, orders="none").ask([RIGHT, LEFT], stats) == [1, -1]  # one by one
    assert stats.llm_rounds == 3 and stats.unparseable == 0
    stats = JudgeStats()
    llm = make_llm("scripted", responses=["nonsense"])
    assert _asker(llm, fallback_single=False).ask([RIGHT, LEFT], stats) == [0, 0]
    assert stats.llm_rounds == 1 and stats.unparseable == 2


def test_an_llm_error_is_no_answer() -> None:
    def down(messages: object) -> str:
        raise BackendUnavailableError("server down")

    stats = JudgeStats()
    llm = make_llm("scripted", responses=down)
    assert _asker(llm).ask([RIGHT, LEFT], stats) == [None, None]
    assert _asker(llm, packed=False).ask([RIGHT], stats) == [None]
    assert stats.errors == 3 and stats.unparseable == 0


def test_the_calibration_prior_is_asked_once_the_way_judgments_are(
    judge_llm: Callable[..., LLM],
) -> None:
    llm = judge_llm()
    asker = _asker(llm, calibration="contextual")
    asker.ask([RIGHT], JudgeStats())
    asker.ask([LEFT], JudgeStats())
    prompts = [request.messages[-1][1] for request in _requests(llm)]
    assert len(prompts) == 3 and "1. N/A" in prompts[1]  # packed, after the first judgment
    assert asker.reader.prior == {}  # the scripted backend has no log-probabilities


def test_prompts_read_the_task_when_asked() -> None:
    describer = CartPoleDescriber()
    prompts = JudgePrompts(describer)
    describer.task = "Keep the pole up."
    assert "The task: Keep the pole up." in prompts.choice(RIGHT)[0]["content"]
    assert prompts.packed_choice()["system"] == prompts.reasoning(RIGHT)[0]["content"]

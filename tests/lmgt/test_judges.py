"""LLM judge (on a scripted LLM), oracle and noisy oracle."""

from __future__ import annotations

import re
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pytest

from langreward.llm import LLM, BackendUnavailableError, make_llm
from langreward.lmgt import LLMJudge, LLMJudgeSettings, NoisyReferenceJudge, ReferenceJudge
from langreward.lmgt.examples import reference_examples
from langreward.lmgt.judge import Judge
from langreward.lmgt.keys import TextKey, default_key
from langreward.lmgt.reference import CartPoleReference
from langreward.text import CartPoleDescriber

LEAN_RIGHT = [0.0, 0.0, 0.1, 0.0]
LEAN_LEFT = [0.0, 0.0, -0.1, 0.0]


def test_packed_judgments_one_round_then_key_hits(judge_llm: Callable[..., LLM]) -> None:
    llm = judge_llm()
    key = default_key(gym.make("CartPole-v1"))
    judge = LLMJudge(
        llm,
        CartPoleDescriber(),
        LLMJudgeSettings(defer=False),
        key=key,
        reference=CartPoleReference(),
    )
    assert isinstance(judge, Judge)
    obs = [LEAN_RIGHT, LEAN_RIGHT, LEAN_LEFT, LEAN_LEFT, [0.0, 0.0, 0.1001, 0.0]]
    shifts = judge.judge_batch(obs, [1, 0, 1, 0, 1])
    assert shifts.tolist() == [1, -1, 1, -1, 1] and shifts.dtype == np.int8
    stats = judge.stats
    assert stats.llm_rounds == 1 and llm.stats.calls == 1  # 4 distinct keys in one prompt
    assert stats.queries == 4 and stats.key_hits == 1  # the last pair shares a key
    assert stats.compared == 5 and stats.agreed == 3  # scripted: right is good; left is bad
    assert judge.judge_batch(obs[:2], [1, 0]).tolist() == [1, -1]
    assert llm.stats.calls == 1 and judge.stats.key_hits == 3
    d = stats.as_dict()
    assert d["agreement"] == pytest.approx(5 / 7) and d["pairs"] == 7


def test_text_key_asks_once_per_description(judge_llm: Callable[..., LLM]) -> None:
    llm = judge_llm()
    describer = CartPoleDescriber()
    judge = LLMJudge(llm, describer, LLMJudgeSettings(defer=False), key=TextKey(describer))
    # the first two differ below the description's precision, the third does not
    obs = [LEAN_RIGHT, [0.0, 0.0, 0.1001, 0.0], [0.0, 0.0, 0.2, 0.0]]
    assert judge.judge_batch(obs, [1, 1, 1]).tolist() == [1, 1, 1]
    assert judge.stats.queries == 2 and judge.stats.key_hits == 1
    assert set(judge.memory) == {describer.describe(o, 1) for o in obs}


def test_batch_size_splits_into_rounds(judge_llm: Callable[..., LLM]) -> None:
    llm = judge_llm()
    judge = LLMJudge(llm, CartPoleDescriber(), LLMJudgeSettings(batch_size=3, defer=False))
    obs = [[0.0, 0.0, 0.01 * i, 0.0] for i in range(7)]
    assert judge.judge_batch(obs, [1] * 7).tolist() == [1] * 7
    assert judge.stats.llm_rounds == 3 and llm.stats.calls == 3  # 3 + 3 + 1 items


@pytest.mark.parametrize(
    ("strategy", "packed", "rounds"),
    [
        ("zero_shot", False, 2),
        ("chain_of_thought", True, 1),
        ("chain_of_thought", False, 2),
        ("few_shot", True, 1),
        ("few-shot", False, 2),
    ],
)
def test_strategies(
    judge_llm: Callable[..., LLM], strategy: str, packed: bool, rounds: int
) -> None:
    llm = judge_llm()
    few = strategy.startswith("few")
    examples = [("State: pole leaning right. Action: push the cart to the right.", "good")]
    judge = LLMJudge(
        llm,
        CartPoleDescriber(),
        LLMJudgeSettings(strategy=strategy, packed=packed, defer=False),
        examples=examples if few else (),
    )
    assert judge.judge_batch([LEAN_RIGHT, LEAN_RIGHT], [1, 0]).tolist() == [1, -1]
    assert judge.stats.llm_rounds == rounds and judge.stats.unparseable == 0
    prompt = llm.backend.requests[0].messages[-1][1]  # type: ignore[attr-defined]
    assert "pole leaning right" in prompt
    assert ("Examples" in prompt) == few


def test_unparseable_answers_give_zero_and_are_counted() -> None:
    llm = make_llm("scripted", responses=["I am not sure what you mean."])
    judge = LLMJudge(llm, CartPoleDescriber(), LLMJudgeSettings(defer=False))
    assert judge.judge_batch([LEAN_RIGHT, LEAN_LEFT], [1, 1]).tolist() == [0, 0]
    # the packed reply failed, then each item one by one failed too
    assert judge.stats.unparseable == 2 and judge.stats.llm_rounds == 3
    assert judge.stats.neutral == 2
    # remembered: asking again costs nothing
    calls = llm.stats.calls
    assert judge.judge_batch([LEAN_RIGHT], [1]).tolist() == [0]
    assert llm.stats.calls == calls and judge.stats.key_hits == 1

    no_fallback = LLMJudge(
        make_llm("scripted", responses=["nonsense"]),
        CartPoleDescriber(),
        LLMJudgeSettings(fallback_single=False, defer=False),
    )
    assert no_fallback.judge_batch([LEAN_RIGHT, LEAN_LEFT], [1, 1]).tolist() == [0, 0]
    assert no_fallback.stats.unparseable == 2 and no_fallback.stats.llm_rounds == 1

    cot = LLMJudge(
        make_llm("scripted", responses=["Hmm. It depends."]),
        CartPoleDescriber(),
        LLMJudgeSettings(strategy="chain_of_thought", packed=False, defer=False),
    )
    assert cot.judge_batch([LEAN_RIGHT], [1]).tolist() == [0]
    assert cot.stats.unparseable == 1


def test_uncertain_choices_give_zero(judge_llm: Callable[..., LLM]) -> None:
    flip = iter(["good", "bad"] * 50)
    llm = judge_llm(lambda item: next(flip))  # samples split 3:2
    judge = LLMJudge(
        llm,
        CartPoleDescriber(),
        LLMJudgeSettings(packed=False, samples=5, min_confidence=0.7, defer=False),
    )
    assert judge.judge_batch([LEAN_RIGHT], [1]).tolist() == [0]
    assert judge.stats.uncertain == 1 and judge.stats.unparseable == 0


def test_llm_errors_give_zero_and_are_retried(judge_script: Callable[..., Callable]) -> None:
    failing = {"on": True}
    answer = judge_script()

    def script(messages: list[dict[str, str]]) -> str:
        if failing["on"]:
            raise BackendUnavailableError("server down")
        return answer(messages)

    judge = LLMJudge(
        make_llm("scripted", responses=script), CartPoleDescriber(), LLMJudgeSettings(defer=False)
    )
    assert judge.judge_batch([LEAN_RIGHT], [1]).tolist() == [0]
    assert judge.stats.errors == 1 and not judge.memory
    failing["on"] = False
    assert judge.judge_batch([LEAN_RIGHT], [1]).tolist() == [1]


def test_mission_and_validation_errors(judge_llm: Callable[..., LLM]) -> None:
    with pytest.raises(ValueError, match="few_shot strategy needs examples"):
        LLMJudge(
            judge_llm(), CartPoleDescriber(), LLMJudgeSettings(strategy="few_shot", defer=False)
        )
    with pytest.raises(ValueError, match="strategy\n  Input should be 'zero_shot'"):
        LLMJudge(judge_llm(), CartPoleDescriber(), LLMJudgeSettings(strategy="vibes", defer=False))
    with pytest.raises(ValueError, match="example labels must be in"):
        LLMJudge(
            judge_llm(),
            CartPoleDescriber(),
            LLMJudgeSettings(defer=False),
            examples=[("x", "great")],
        )
    judge = LLMJudge(judge_llm(), CartPoleDescriber(), LLMJudgeSettings(defer=False))
    with pytest.raises(ValueError, match="2 observations and 1 actions"):
        judge.judge_batch([LEAN_RIGHT, LEAN_LEFT], [1])


def test_reference_examples_are_balanced() -> None:
    shots = reference_examples(
        gym.make("CartPole-v1"), CartPoleDescriber(), CartPoleReference(), count=4, seed=3
    )
    assert [label for _, label in shots] == ["good", "bad", "good", "bad"]
    assert all(text.startswith("State: ") for text, _ in shots)


def test_oracle_judge() -> None:
    judge = ReferenceJudge(CartPoleReference())
    assert judge.name == "oracle"
    assert judge.judge_batch([LEAN_RIGHT, LEAN_LEFT], [1, 1]).tolist() == [1, -1]
    assert judge.stats.agreement == 1.0 and judge.stats.queries == 2


def test_noisy_judge_accuracy_and_consistency() -> None:
    rng = np.random.default_rng(0)
    obs = [[0.0, 0.0, float(t), 0.0] for t in rng.uniform(-0.2, 0.2, 2000)]
    actions = rng.integers(0, 2, 2000).tolist()
    noisy = NoisyReferenceJudge(CartPoleReference(), accuracy=0.8, seed=1)
    noisy.judge_batch(obs, actions)
    assert noisy.name == "noisy(0.8)"
    assert noisy.stats.agreement == pytest.approx(0.8, abs=0.03)
    key = default_key(gym.make("CartPole-v1"))
    consistent = NoisyReferenceJudge(CartPoleReference(), accuracy=0.5, seed=1, key=key)
    first = consistent.judge_batch(obs[:200], actions[:200])
    assert (consistent.judge_batch(obs[:200], actions[:200]) == first).all()
    with pytest.raises(ValueError, match="accuracy must be in"):
        NoisyReferenceJudge(CartPoleReference(), accuracy=1.5)


def test_deferred_judging_waits_for_a_full_packed_prompt(judge_llm: Callable[..., LLM]) -> None:
    """New pairs get 0 until batch_size distinct ones are queued; then one LLM round."""
    judge = LLMJudge(judge_llm(), CartPoleDescriber(), LLMJudgeSettings(batch_size=4))
    states = [[0.0, 0.0, 0.02 * i, 0.0] for i in range(1, 4)]
    first = judge.judge_batch(states, [1, 1, 1])
    assert list(first) == [0, 0, 0] and judge.stats.llm_rounds == 0
    assert judge.stats.pending == 3 and len(judge.queue) == 3
    second = judge.judge_batch([[0.0, 0.0, 0.2, 0.0], states[0]], [1, 1])
    assert judge.stats.llm_rounds == 1 and not judge.queue
    assert second[0] == 1 and second[1] == 1  # answered in the same step the batch filled
    again = judge.judge_batch(states, [1, 1, 1])
    assert list(again) == [1, 1, 1] and judge.stats.llm_rounds == 1


def test_deferred_pairs_are_asked_once_they_waited_max_wait(
    judge_llm: Callable[..., LLM],
) -> None:
    """A key set too small to fill another prompt still gets its last pairs answered."""
    judge = LLMJudge(judge_llm(), CartPoleDescriber(), LLMJudgeSettings(batch_size=16, max_wait=10))
    new, seen = [[0.0, 0.0, 0.05, 0.0]], [[0.0, 0.0, 0.1, 0.0]]
    assert judge.judge_batch(new + seen, [1, 1]).tolist() == [0, 0]
    for _ in range(4):  # 8 more pairs, but the last call saw only 8 before it: still waiting
        judge.judge_batch(seen * 2, [1, 1])
    assert judge.stats.llm_rounds == 0 and len(judge.queue) == 2
    # 10 pairs have passed since the oldest was queued: one prompt with the 2 waiting pairs
    assert judge.judge_batch(seen * 2, [1, 1]).tolist() == [1, 1]
    assert judge.stats.llm_rounds == 1 and not judge.queue
    with pytest.raises(ValueError, match="max_wait\n  Input should be greater than or equal to 1"):
        LLMJudge(judge_llm(), CartPoleDescriber(), LLMJudgeSettings(max_wait=0))


def test_background_judging_never_waits_for_the_llm(judge_llm: Callable[..., LLM]) -> None:
    """With background=True a slow LLM answers in a worker thread; training steps go on."""
    import time

    judge = LLMJudge(
        judge_llm(delay=0.5), CartPoleDescriber(), LLMJudgeSettings(batch_size=2, background=True)
    )
    states = [[0.0, 0.0, 0.02 * i, 0.0] for i in range(1, 3)]
    start = time.perf_counter()
    first = judge.judge_batch(states, [1, 0])  # fills a batch: sent to the worker
    assert time.perf_counter() - start < 0.3  # did not wait for the 0.5 s call
    assert list(first) == [0, 0] and judge.stats.pending == 2
    assert list(judge.judge_batch(states, [1, 0])) == [0, 0]  # in flight: not asked again
    assert judge.stats.queries == 2
    judge.close()  # waits for the answers in flight
    assert list(judge.judge_batch(states, [1, 0])) == [1, -1]
    assert judge.stats.llm_rounds == 1 and judge.stats.queries == 2


def test_one_by_one_judge_averages_over_orders_so_the_first_letter_does_not_decide():
    import math
    import re

    from langreward.llm import LLM
    from langreward.llm.backends.scripted import ScriptedBackend
    from langreward.lmgt import LLMJudge
    from langreward.text import CartPoleDescriber

    class FirstLetterLover(ScriptedBackend):
        """FOR TESTS: +3 logits for letter A, +1 for the physically right label."""

        supports_logprobs = True

        def complete(self, request):
            reply = super().complete(request)
            prompt = request.messages[-1][1]
            right = "good" if "push the cart to the right" in prompt.lower() else "bad"
            lines = [line for line in prompt.splitlines() if re.match(r"^[A-C]\) ", line)]
            logits = {
                line[0]: (3.0 if line[0] == "A" else 0.0) + (1.0 if line[3:] == right else 0.0)
                for line in lines
            }
            norm = math.log(sum(math.exp(v) for v in logits.values()))
            reply.first_token_logprobs = {k: v - norm for k, v in logits.items()}
            return reply

    pairs = ([[0, 0, 0.1, 0.5]] * 2, [0, 1])  # pole falling right: push left (0), right (1)
    one_order = LLMJudge(
        LLM(FirstLetterLover()),
        CartPoleDescriber(),
        LLMJudgeSettings(packed=False, orders="none", defer=False),
    )
    debiased = LLMJudge(
        LLM(FirstLetterLover()), CartPoleDescriber(), LLMJudgeSettings(packed=False, defer=False)
    )
    # one order: the first label listed ("good") wins every time
    assert set(one_order.judge_batch(*pairs).tolist()) == {1}
    assert debiased.judge_batch(*pairs).tolist() == [-1, 1]


def test_contextual_calibration_removes_the_models_prior_for_a_label():
    import math

    from langreward.llm.backends.scripted import ScriptedBackend

    class GoodSayer(ScriptedBackend):
        """FOR TESTS: logits +2 for "good" whatever the item (no letter bias), +1 more for
        the physically right label; the content-free item gets only the +2."""

        supports_logprobs = True

        def complete(self, request):
            reply = super().complete(request)
            prompt = request.messages[-1][1]
            right = "good" if "push the cart to the right" in prompt.lower() else "bad"
            if "Item: N/A" in prompt:
                right = None
            lines = [line for line in prompt.splitlines() if re.match(r"^[A-C]\) ", line)]
            logits = {
                line[0]: (2.0 if line[3:] == "good" else 0.0) + (1.0 if line[3:] == right else 0.0)
                for line in lines
            }
            norm = math.log(sum(math.exp(v) for v in logits.values()))
            reply.first_token_logprobs = {k: v - norm for k, v in logits.items()}
            return reply

    pairs = ([LEAN_RIGHT] * 2, [0, 1])  # pushing left is bad, right is good
    one_by_one = LLMJudgeSettings(packed=False, defer=False)
    calibrate = LLMJudgeSettings(packed=False, defer=False, calibration="contextual")
    raw = LLMJudge(LLM(GoodSayer()), CartPoleDescriber(), one_by_one)
    assert raw.judge_batch(*pairs).tolist() == [1, 1]  # "good" always wins as read
    calibrated = LLMJudge(LLM(GoodSayer()), CartPoleDescriber(), calibrate)
    assert calibrated.judge_batch(*pairs).tolist() == [-1, 1]
    summary = calibrated.calibration_summary()
    assert summary["kind"] == "contextual" and summary["prior"]["good"] > 0.7
    restored = LLMJudge(LLM(GoodSayer()), CartPoleDescriber(), calibrate)
    restored.load_state_dict(calibrated.state_dict())
    assert restored.prior == calibrated.prior


def test_contextual_calibration_without_logprobs_decides_uncalibrated(
    judge_llm: Callable[..., LLM],
) -> None:
    judge = LLMJudge(
        judge_llm(),
        CartPoleDescriber(),
        LLMJudgeSettings(packed=False, defer=False, calibration="contextual"),
    )
    assert judge.judge_batch([LEAN_RIGHT], [1]).tolist() == [1]
    assert judge.calibration_summary()["prior"] == {}


def test_constant_judge_is_the_control_for_a_judge_that_says_good_to_everything() -> None:
    from langreward.lmgt.config import LMGTSettings
    from langreward.lmgt.reference import CartPoleReference
    from langreward.lmgt.reference_judge import ConstantJudge

    settings = LMGTSettings.parse({"judge": "constant(+1)"})
    assert (settings.judge, settings.constant) == ("constant", 1)
    judge = ConstantJudge(1, CartPoleReference())
    shifts = judge.judge_batch([[0, 0, 0.1, 0]] * 2, [1, 0])
    assert shifts.tolist() == [1, 1] and judge.stats.agreed == 1  # the reference says +1, -1
    with pytest.raises(ValueError):
        ConstantJudge(2)

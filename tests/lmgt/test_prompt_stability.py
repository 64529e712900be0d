"""The LLM judge's requests stay byte-identical, so a persistent cache keeps hitting.

Each case runs a judge on a scripted backend and compares a digest of every request's cache
key (:meth:`CompletionRequest.key`: messages, temperature, max tokens, seed, schema) with the
digest recorded before the judge was split into units, together with the shifts and counters.
A changed digest means a changed prompt: every cached judgment of a real run would be asked
again. Update a digest only when a prompt change is meant (and say so in the commit).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from typing import Any

import pytest

from langreward.llm import LLM
from langreward.llm.backends.scripted import ScriptedBackend
from langreward.llm.types import CompletionRequest
from langreward.lmgt.keys import TextKey
from langreward.lmgt.llm_judge import LLMJudge
from langreward.text import CartPoleDescriber

from .conftest import answer_with, by_action

EXAMPLES = [("State: pole leaning right. Action: push the cart to the right.", "good")]
OBS = [[0.0, 0.0, 0.02 * i, 0.01 * i] for i in range(7)]
ACTIONS = [1, 0, 1, 0, 1, 0, 1]


class LogprobJudge(ScriptedBackend):
    """FOR TESTS: letter log-probabilities that favour letter A and, a little more, the
    physically right label (one-by-one and packed prompts alike)."""

    supports_logprobs = True

    def __init__(self) -> None:
        super().__init__(answer_with(by_action))

    def complete(self, request: CompletionRequest) -> Any:
        reply = super().complete(request)
        prompt = request.messages[-1][1]
        right = "good" if "push the cart to the right" in prompt.lower() else "bad"
        letters = re.findall(r"^([A-C])\) (\w+)$", prompt, re.MULTILINE)
        logits = {
            letter: (1.0 if letter == "A" else 0.0) + (1.5 if label == right else 0.0)
            for letter, label in letters
        }
        if logits:
            norm = math.log(sum(math.exp(v) for v in logits.values()))
            reply.first_token_logprobs = {k: v - norm for k, v in logits.items()}
        return reply


def _scripted(**_: Any) -> ScriptedBackend:
    return ScriptedBackend(answer_with(by_action))


def _run(backend: ScriptedBackend, steps: list[tuple[int, int]], **options: Any) -> tuple:
    describer = CartPoleDescriber()
    if options.pop("text_key", False):
        options["key"] = TextKey(describer)
    judge = LLMJudge(LLM(backend), describer, **options)
    shifts = []
    for start, stop in steps:
        shifts += judge.judge_batch(OBS[start:stop], ACTIONS[start:stop]).tolist()
    judge.close()
    stats = {k: v for k, v in judge.stats.as_dict().items() if k != "seconds"}
    digest = hashlib.sha256("\n".join(r.key() for r in backend.requests).encode()).hexdigest()
    return digest[:16], len(backend.requests), shifts, stats


ALL = [(0, 7)]
CASES: dict[str, tuple[Callable[..., ScriptedBackend], list[tuple[int, int]], dict]] = {
    "zero_packed": (_scripted, ALL, {"batch_size": 3, "defer": False}),
    "zero_single": (_scripted, [(0, 3)], {"packed": False, "defer": False}),
    "cot_packed": (_scripted, ALL, {"strategy": "chain_of_thought", "defer": False}),
    "cot_single": (
        _scripted,
        [(0, 3)],
        {"strategy": "chain_of_thought", "packed": False, "defer": False, "max_tokens": 64},
    ),
    "few_packed": (
        _scripted,
        ALL,
        {"strategy": "few_shot", "examples": EXAMPLES, "defer": False, "batch_size": 4},
    ),
    "few_single": (
        _scripted,
        [(0, 2)],
        {"strategy": "few_shot", "examples": EXAMPLES, "packed": False, "defer": False},
    ),
    "deferred": (
        _scripted,
        [(0, 2), (1, 3), (3, 4), (0, 4), (4, 7), (0, 7), (0, 7)],
        {"batch_size": 4, "max_wait": 6},
    ),
    "text_key": (_scripted, ALL, {"text_key": True, "batch_size": 5, "defer": False}),
    "background": (_scripted, [(0, 4), (4, 7)], {"batch_size": 4, "background": True}),
    "fallback": (
        lambda: ScriptedBackend(["not an answer", "A", "C", "B"]),
        [(0, 3)],
        {"defer": False, "orders": "none", "packed": True},
    ),
    "logprobs_packed_orders": (
        LogprobJudge,
        [(0, 4)],
        {"packed_orders": "auto", "calibration": "contextual", "defer": False},
    ),
    "logprobs_single_calibrated": (
        LogprobJudge,
        [(0, 3)],
        {
            "packed": False,
            "orders": "cyclic",
            "calibration": "contextual",
            "min_confidence": 0.4,
            "defer": False,
        },
    ),
    "logprobs_single_one_order": (
        LogprobJudge,
        [(0, 3)],
        {"packed": False, "orders": "none", "samples": 3, "defer": False},
    ),
}

# recorded from the judge before it was split into units (commit b55dd65): (digest of the
# request keys, requests, shifts, (key_hits, queries, llm_rounds, unparseable, uncertain,
# errors, pending))
GOLDEN: dict[str, tuple[str, int, list[int], tuple[int, ...]]] = {
    "background": ("620099b986f99703", 1, [0] * 7, (0, 4, 1, 0, 0, 0, 7)),
    "cot_packed": ("0e24e83038797731", 1, [1, -1, 1, -1, 1, -1, 1], (0, 7, 1, 0, 0, 0, 0)),
    "cot_single": ("a75a25ecc4671b7e", 3, [1, -1, 1], (0, 3, 3, 0, 0, 0, 0)),
    "deferred": (
        "a345c49ef2ec11da",
        2,
        [0, 0, 0, 0, -1, 1, -1, 1, -1, 0, 0, 0, 1, -1, 1, -1, 0, 0, 0, 1, -1, 1, -1, 1, -1, 1],
        (19, 7, 2, 0, 0, 0, 10),
    ),
    "fallback": ("f240cf0244a1e0a4", 17, [-1, 0, 1], (0, 3, 4, 0, 0, 0, 0)),
    "few_packed": ("fe168a214ba4cbd6", 2, [1, -1, 1, -1, 1, -1, 1], (0, 7, 2, 0, 0, 0, 0)),
    "few_single": ("c09fb9cb728cad66", 60, [1, -1], (0, 2, 2, 0, 0, 0, 0)),
    "logprobs_packed_orders": ("65e99ca2ad81a348", 12, [1, -1, 1, -1], (0, 4, 1, 0, 0, 0, 0)),
    "logprobs_single_calibrated": ("fe4f456090c52560", 12, [1, 0, 1], (0, 3, 3, 0, 1, 0, 0)),
    "logprobs_single_one_order": ("73ba0f27ac941d20", 3, [1, -1, 1], (0, 3, 3, 0, 0, 0, 0)),
    "text_key": ("8a1bed50cf0dc94d", 2, [1, -1, 1, -1, 1, -1, 1], (0, 7, 2, 0, 0, 0, 0)),
    "zero_packed": ("db3cc56b97eb5a9a", 3, [1, -1, 1, -1, 1, -1, 1], (0, 7, 3, 0, 0, 0, 0)),
    "zero_single": ("8bdfe052bc83c1f0", 90, [1, -1, 1], (0, 3, 3, 0, 0, 0, 0)),
}
COUNTERS = ("key_hits", "queries", "llm_rounds", "unparseable", "uncertain", "errors", "pending")


@pytest.mark.parametrize("name", sorted(CASES))
def test_requests_are_byte_identical(name: str) -> None:
    make_backend, steps, options = CASES[name]
    digest, calls, shifts, stats = _run(make_backend(), steps, **dict(options))
    counters = tuple(stats[k] for k in COUNTERS)
    assert (digest, calls, shifts, counters) == GOLDEN[name]

"""Calibrated decisions: thresholds fitted or set at a base rate, and contextual calibration
against a content-free input, on a scripted model with a letter bias and a 'yes' bias."""

from __future__ import annotations

import math
import re

import pytest

from langreward.llm import LLM, ContextualCalibrator, ThresholdCalibrator
from langreward.llm.backends.scripted import ScriptedBackend


class YesSayerBackend(ScriptedBackend):
    """FOR TESTS: letter logits = truth (1 for the right option) + 3 for letter A + 1.5 for
    'yes' whatever the question: a first-letter bias and a prior towards 'yes'."""

    supports_logprobs = True

    def __init__(self):
        super().__init__(["A"])

    def complete(self, request):
        reply = super().complete(request)
        prompt = request.messages[-1][1]
        match = re.search(r"Is (\d+) even", prompt)
        lines = [line for line in prompt.splitlines() if re.match(r"^[A-Z]\) ", line)]
        logits = {}
        for line in lines:
            letter, option = line[0], line[3:]
            truth = 0.0
            if match:
                truth = 1.0 if (option == "yes") == (int(match.group(1)) % 2 == 0) else 0.0
            logits[letter] = (
                truth + (3.0 if letter == "A" else 0.0) + (1.5 if option == "yes" else 0)
            )
        norm = math.log(sum(math.exp(v) for v in logits.values()))
        reply.first_token_logprobs = {k: v - norm for k, v in logits.items()}
        return reply


def test_threshold_fit_and_base_rate():
    probs = [0.95, 0.9, 0.85, 0.8, 0.7, 0.65]
    labels = [True, True, True, False, False, False]
    fitted = ThresholdCalibrator.fit(probs, labels)
    assert [fitted.decide(p) for p in probs] == labels
    assert fitted.as_dict() == {"kind": "threshold", "threshold": fitted.threshold, "how": "fitted"}
    at_rate = ThresholdCalibrator.at_base_rate(probs, 0.5)
    assert [at_rate.decide(p) for p in probs] == labels
    assert not any(ThresholdCalibrator.at_base_rate(probs, 0.0).decide(p) for p in probs)
    with pytest.raises(ValueError):
        ThresholdCalibrator.fit([0.5], [True, False])


def test_contextual_calibration_removes_the_yes_prior():
    llm = LLM(YesSayerBackend())
    template = "Is {input} even?"
    numbers = range(1, 11)
    debiased = [llm.choose(template.format(input=n), ["yes", "no"]) for n in numbers]
    # order-averaging removes the letter bias but not the prior towards 'yes'
    assert all(c.option == "yes" for c in debiased)
    calibrator = ContextualCalibrator.from_llm(llm, template, ["yes", "no"])
    assert calibrator.prior["yes"] > 0.5  # the model leans to "yes" with no content at all
    decisions = [calibrator.decide(c.probs) for c in debiased]
    assert decisions == ["yes" if n % 2 == 0 else "no" for n in numbers]
    assert calibrator.as_dict()["input"] == "N/A"


def test_a_fitted_threshold_does_the_same_from_a_few_labels():
    llm = LLM(YesSayerBackend())
    probs = [llm.choose(f"Is {n} even?", ["yes", "no"]).probs["yes"] for n in range(1, 9)]
    threshold = ThresholdCalibrator.fit(probs[:4], [n % 2 == 0 for n in range(1, 5)])
    assert [threshold.decide(p) for p in probs] == [n % 2 == 0 for n in range(1, 9)]

"""Reading the LLM judge's answers: reasoning replies, calibration, the confidence bar."""

from __future__ import annotations

import logging

import pytest

from langreward.llm import Choice
from langreward.lmgt.config import LLMJudgeSettings
from langreward.lmgt.judge import JudgeStats
from langreward.lmgt.reading import AnswerReader, parse_cot, parse_packed_cot

PRIOR = Choice("good", {"good": 0.8, "neutral": 0.1, "bad": 0.1}, "logprobs")


def test_reasoning_replies_are_read_from_their_last_answer_line() -> None:
    assert parse_cot("Answer: bad... on second thought\n**Answer: Good**") == "good"
    assert parse_cot("It helps, I think.") is None
    assert parse_packed_cot("Answers: good, bad\nAnswers: neutral, Bad", 2) == ["neutral", "bad"]
    assert parse_packed_cot("Answers: good", 2) is None  # one label for two items
    assert parse_packed_cot("good, bad", 2) is None  # no Answers line


def test_the_largest_probability_decides_and_a_weak_one_abstains() -> None:
    reader, stats = AnswerReader(LLMJudgeSettings(min_confidence=0.5)), JudgeStats()
    assert reader.decide({"good": 0.2, "neutral": 0.1, "bad": 0.7}) == ("bad", 0.7)
    assert reader.shift("bad", 0.7, stats) == -1 and stats.uncertain == 0
    assert reader.shift("good", 0.4, stats) == 0 and stats.uncertain == 1
    assert reader.shift("maybe", 0.9, stats) == 0  # not a label


def test_contextual_calibration_divides_by_the_prior_once_measured() -> None:
    reader = AnswerReader(LLMJudgeSettings(calibration="contextual"))
    assert reader.needs_prior and reader.summary()["prior"] is None
    with pytest.raises(AssertionError, match="set_prior first"):
        reader.decide({"good": 0.6, "neutral": 0.1, "bad": 0.3})
    reader.set_prior(PRIOR, source="test")
    assert not reader.needs_prior
    label, probability = reader.decide({"good": 0.6, "neutral": 0.1, "bad": 0.3})
    assert label == "bad" and probability == pytest.approx(3 / 4.75)
    assert reader.summary() == {"kind": "contextual", "input": "N/A", "prior": PRIOR.probs}


def test_calibration_without_logprobs_warns_and_decides_as_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reader = AnswerReader(LLMJudgeSettings(calibration="contextual"))
    with caplog.at_level(logging.WARNING, logger="langreward.lmgt.reading"):
        reader.set_prior(Choice("good", {"good": 1.0}, "samples"), source="scripted:x")
    assert reader.prior == {} and "scripted:x" in caplog.text
    assert reader.decide({"good": 0.6, "neutral": 0.1, "bad": 0.3}) == ("good", 0.6)


def test_without_calibration_no_prior_is_needed() -> None:
    reader = AnswerReader(LLMJudgeSettings())
    assert not reader.needs_prior and reader.summary() == {"kind": "none"}
    assert reader.decide({"good": 0.6, "neutral": 0.1, "bad": 0.3}) == ("good", 0.6)

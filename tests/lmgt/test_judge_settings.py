"""Each LLM judge option is declared once (``LLMJudgeSettings``) and reaches the judge as it is."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import pytest
from pydantic import ValidationError

from langreward.llm import LLM
from langreward.lmgt import LLMJudge, LLMJudgeSettings, LMGTSettings
from langreward.lmgt.keys import default_key
from langreward.lmgt.plugin import build_judge
from langreward.text import CartPoleDescriber

DOCS = Path(__file__).parents[2] / "docs" / "lmgt.md"


def test_the_config_section_reaches_the_judge_unchanged(judge_llm: Callable[..., LLM]) -> None:
    settings = LMGTSettings.parse(
        {"strategy": "cot", "batch_size": 4, "defer": False, "samples": 3, "scale": 0.5}
    )
    assert isinstance(settings, LLMJudgeSettings)  # every judge option is an lmgt: setting
    env = gym.make("CartPole-v1")
    judge = build_judge(
        settings,
        env=env,
        describer=CartPoleDescriber(),
        reference=None,
        key=default_key(env),
        llm=judge_llm(),
        seed=0,
    )
    assert isinstance(judge, LLMJudge)
    assert judge.settings == LLMJudgeSettings.of(settings)
    assert (judge.settings.strategy, judge.settings.batch_size, judge.settings.samples) == (
        "chain_of_thought",
        4,
        3,
    )
    assert judge.asker.settings is judge.settings is judge.pending.settings


def test_keywords_are_a_shorthand_for_the_settings(judge_llm: Callable[..., LLM]) -> None:
    shorthand = LLMJudge(judge_llm(), CartPoleDescriber(), batch_size=4, defer=False)
    explicit = LLMJudge(
        judge_llm(), CartPoleDescriber(), LLMJudgeSettings(batch_size=4, defer=False)
    )
    assert shorthand.settings == explicit.settings
    overridden = LLMJudge(judge_llm(), CartPoleDescriber(), LMGTSettings(scale=2), defer=False)
    assert overridden.settings == LLMJudgeSettings(defer=False)
    with pytest.raises(ValidationError, match="scale\n  Extra inputs are not permitted"):
        LLMJudge(judge_llm(), CartPoleDescriber(), scale=2)  # a shaping option, not the judge's
    with pytest.raises(ValidationError, match="min_confidence"):
        LLMJudge(judge_llm(), CartPoleDescriber(), min_confidence=1.5)


def test_judge_settings_are_frozen_and_the_config_is_not() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        LLMJudgeSettings().batch_size = 2  # type: ignore[misc]
    settings = LMGTSettings()
    settings.batch_size = 2
    assert LLMJudgeSettings.of(settings).batch_size == 2


def test_every_lmgt_setting_is_in_the_docs_knobs_table() -> None:
    knobs = DOCS.read_text().split("## Knobs", 1)[1].split("\n## ", 1)[0]
    spans = " ".join(re.findall(r"`[^`\n]*`", knobs))
    missing = [name for name in LMGTSettings.model_fields if not re.search(rf"\b{name}\b", spans)]
    assert missing == []

"""Scripted LLMs for spec shaping (tests only): they answer the slot questions by rule."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from langreward.llm import LLM, make_llm


def slot_answerer(wanted: dict[str, str]) -> Callable[[list[dict[str, str]]], str]:
    """A scripted reply function: for the slot line that mentions a key of ``wanted``, the
    letter of the option that contains its value; otherwise the last option's letter."""

    def answer(messages: list[dict[str, str]]) -> str:
        text = messages[-1]["content"]
        line = text.split("description of a good episode?\n")[-1].split("\n\nOptions:")[0]
        options = re.findall(r"^([A-Z])\) (.+)$", text, flags=re.MULTILINE)
        for key, value in wanted.items():
            if key in line:
                for letter, option in options:
                    if value in option:
                        return letter
        return options[-1][0] if options else "A"

    return answer


def slot_llm(wanted: dict[str, str]) -> LLM:
    return make_llm("scripted", responses=slot_answerer(wanted))


#: What an expert would fill in for MountainCar: energy (speed) and height (position).
MOUNTAINCAR_EXPERT = {
    "ends before": "the task is done",
    "velocity": "grow in size",
    "position": "should increase",
}


@pytest.fixture
def expert_llm() -> LLM:
    return slot_llm(MOUNTAINCAR_EXPERT)

"""Scripted LLMs that answer LMGT judge prompts, whatever prompt form the judge uses."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from langreward.llm import LLM, make_llm

LabelFn = Callable[[str], str]  # item text -> "good" | "neutral" | "bad" | anything else


def by_action(item: str) -> str:
    """A scripted 'judge' for CartPole: pushing right is good, pushing left bad."""
    return "good" if "to the right" in item else "bad"


def _items(content: str) -> list[str]:
    block = content.split("Items:\n", 1)[1]
    items = []
    for line in block.splitlines():
        match = re.match(r"^(\d+)\. (.*)$", line)
        if not match:
            if items:
                break
            continue
        items.append(match.group(2))
    return items


def answer_with(label_fn: LabelFn) -> Callable[[list[dict[str, str]]], str]:
    """A script for the scripted backend that answers every judge prompt form."""

    def answer(messages: list[dict[str, str]]) -> str:
        content = next(m["content"] for m in reversed(messages) if m["role"] == "user")
        if "Items:\n" in content:
            labels = [label_fn(item) for item in _items(content)]
            if "'Answers: '" in content:  # packed chain of thought
                return "Each action was considered.\nAnswers: " + ", ".join(labels)
            listing = re.search(r"Labels: (.*?)\.\n", content)
            if listing:  # letters: "A = good, B = neutral, C = bad"
                letter_of = {
                    opt.strip(): letter.strip()
                    for letter, opt in (pair.split("=") for pair in listing.group(1).split(","))
                }
                return json.dumps([letter_of.get(label, "?") for label in labels])
            return json.dumps({"labels": labels})
        item = content.split("Item: ", 1)[1].split("\n")[0] if "Item: " in content else content
        label = label_fn(item)
        if "Answer: good" in content:  # single chain of thought
            return f"The action matters here.\nAnswer: {label}"
        options = dict(re.findall(r"^([A-Z])\) (\w+)$", content, re.MULTILINE))
        letter = {v: k for k, v in options.items()}.get(label)
        return letter or label

    return answer


@pytest.fixture
def judge_llm() -> Callable[..., LLM]:
    """``judge_llm(label_fn=by_action, **options)``: a scripted LLM answering judge prompts."""

    def make(label_fn: LabelFn = by_action, **options: object) -> LLM:
        return make_llm("scripted", responses=answer_with(label_fn), **options)

    return make


@pytest.fixture
def judge_script() -> Callable[..., Callable[[list[dict[str, str]]], str]]:
    """``judge_script(label_fn=by_action)``: the bare script (to wrap in tests)."""

    def make(label_fn: LabelFn = by_action) -> Callable[[list[dict[str, str]]], str]:
        return answer_with(label_fn)

    return make

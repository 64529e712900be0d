"""Prompts of the LLM judge: zero-shot, chain-of-thought and few-shot, single or packed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from langreward.llm.types import Message

Strategy = Literal["zero_shot", "chain_of_thought", "few_shot"]
STRATEGIES: tuple[str, ...] = ("zero_shot", "chain_of_thought", "few_shot")

#: The judge's answer options, in the order shown to the model, and the shift of each.
LABELS: tuple[str, str, str] = ("good", "neutral", "bad")
SHIFT_OF: dict[str, int] = {"good": 1, "neutral": 0, "bad": -1}
LABEL_OF: dict[int, str] = {shift: label for label, shift in SHIFT_OF.items()}

INSTRUCTION = (
    "Each item below is a state of the task and the action the agent took in it. Label the "
    "action 'good' if it clearly helps the task from that state, 'bad' if it clearly hurts, "
    "and 'neutral' if it makes little difference or you cannot tell."
)

_ANSWER = re.compile(r"answer\s*[:=\-]\s*[*\"'`]*\s*(good|neutral|bad)\b", re.IGNORECASE)
_ANSWERS = re.compile(r"answers\s*[:=\-]\s*(.+)$", re.IGNORECASE | re.MULTILINE)


def system_prompt(task: str) -> str:
    """The system message: the judge's role and the task."""
    return (
        "You are an expert coach for a reinforcement-learning agent. "
        f"The task: {task.strip()} "
        "You judge single decisions of the agent."
    )


def _examples_block(examples: Sequence[tuple[str, str]]) -> str:
    if not examples:
        return ""
    lines = "\n".join(f"- {text} -> {label}" for text, label in examples)
    return f"Examples of judged items:\n{lines}\n\n"


def single_messages(
    task: str, item: str, examples: Sequence[tuple[str, str]] = ()
) -> list[Message]:
    """Messages for judging one item with ``llm.choose`` (zero-shot or few-shot)."""
    user = (
        f"{INSTRUCTION}\n\n{_examples_block(examples)}Item: {item}\n\n"
        "Is the agent's action good, neutral or bad?"
    )
    return [{"role": "system", "content": system_prompt(task)}, {"role": "user", "content": user}]


def cot_messages(task: str, item: str, examples: Sequence[tuple[str, str]] = ()) -> list[Message]:
    """Messages for judging one item with reasoning first (chain of thought)."""
    user = (
        f"{INSTRUCTION}\n\n{_examples_block(examples)}Item: {item}\n\n"
        "Think step by step, in at most three sentences, about what the action does in this "
        "state and whether it brings the agent closer to success. Then end with one line: "
        "'Answer: good', 'Answer: neutral' or 'Answer: bad'."
    )
    return [{"role": "system", "content": system_prompt(task)}, {"role": "user", "content": user}]


def packed_cot_messages(
    task: str, items: Sequence[str], examples: Sequence[tuple[str, str]] = ()
) -> list[Message]:
    """Messages for judging several items with reasoning first, in one prompt."""
    numbered = "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))
    user = (
        f"{INSTRUCTION}\n\n{_examples_block(examples)}Items:\n{numbered}\n\n"
        "For each item, think in one sentence about what the action does in that state. Then "
        f"end with one line 'Answers: ' followed by exactly {len(items)} labels (good, neutral "
        "or bad), comma-separated, in item order."
    )
    return [{"role": "system", "content": system_prompt(task)}, {"role": "user", "content": user}]


def parse_cot(text: str) -> str | None:
    """The label of the last ``Answer: <label>`` line of a reasoning reply, or ``None``.

    Example:
        >>> parse_cot("The pole leans right, pushing right helps.\\nAnswer: good")
        'good'
    """
    matches = _ANSWER.findall(text)
    return matches[-1].lower() if matches else None


def parse_packed_cot(text: str, count: int) -> list[str] | None:
    """The labels of the last ``Answers: a, b, ...`` line, or ``None`` unless exactly ``count``.

    Example:
        >>> parse_packed_cot("1 helps. 2 hurts.\\nAnswers: good, bad", 2)
        ['good', 'bad']
    """
    matches = _ANSWERS.findall(text)
    if not matches:
        return None
    labels = [w.lower() for w in re.findall(r"good|neutral|bad", matches[-1], re.IGNORECASE)]
    return labels if len(labels) == count else None

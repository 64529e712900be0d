"""Prompts of the LLM judge: zero-shot, chain-of-thought and few-shot, single or packed.

The judge's texts are built here (the packed choice prompt is laid out by ``llm.choose_many``
from :meth:`JudgePrompts.packed_choice`'s parts); :class:`JudgePrompts` hands them to the
judge for one describer's task. A changed character changes every cache key, so a persistent
cache stops hitting (``tests/lmgt/test_prompt_stability.py`` guards them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from langreward.llm.types import Message
from langreward.text import Describer

#: How the judge asks (the ``strategy`` setting).
Strategy = Literal["zero_shot", "chain_of_thought", "few_shot"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)

#: The judge's answer options, in the order shown to the model, and the shift of each.
LABELS: tuple[str, str, str] = ("good", "neutral", "bad")
SHIFT_OF: dict[str, int] = {"good": 1, "neutral": 0, "bad": -1}
LABEL_OF: dict[int, str] = {shift: label for label, shift in SHIFT_OF.items()}

INSTRUCTION = (
    "Each item below is a state of the task and the action the agent took in it. Label the "
    "action 'good' if it clearly helps the task from that state, 'bad' if it clearly hurts, "
    "and 'neutral' if it makes little difference or you cannot tell."
)


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


@dataclass(frozen=True)
class JudgePrompts:
    """Every prompt of the LLM judge for one describer's task, and its few-shot examples.

    The task is read from ``describer.task`` at each prompt. The packed choice prompt is laid
    out by ``llm.choose_many`` from :meth:`packed_choice`'s parts (items numbered, options
    lettered after them).

    Args:
        describer: gives the task (``describer.task``).
        examples: ``(item text, label)`` pairs shown to the model; labels in :data:`LABELS`.

    Example:
        >>> from langreward.text import CartPoleDescriber
        >>> prompts = JudgePrompts(CartPoleDescriber(), (("State: upright. Action: left.", "good"),))
        >>> messages = prompts.choice("State: leaning right. Action: push right.")
        >>> [m["role"] for m in messages], "Examples of judged items" in messages[1]["content"]
        (['system', 'user'], True)
        >>> sorted(prompts.packed_choice())
        ['examples', 'instruction', 'system']
    """

    describer: Describer
    examples: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        bad_labels = {label for _, label in self.examples} - set(LABELS)
        if bad_labels:
            raise ValueError(f"example labels must be in {LABELS}, got {sorted(bad_labels)}")

    def choice(self, item: str) -> list[Message]:
        """One item, answered with a letter (``llm.choose``)."""
        return single_messages(self.describer.task, item, self.examples)

    def reasoning(self, item: str) -> list[Message]:
        """One item, reasoning first (chain of thought, ``llm.chat``)."""
        return cot_messages(self.describer.task, item, self.examples)

    def packed_reasoning(self, items: Sequence[str]) -> list[Message]:
        """Several items in one prompt, reasoning first (``llm.chat``)."""
        return packed_cot_messages(self.describer.task, items, self.examples)

    def packed_choice(self) -> dict[str, Any]:
        """The parts ``llm.choose_many`` lays the packed prompt out from."""
        return {
            "instruction": INSTRUCTION,
            "system": system_prompt(self.describer.task),
            "examples": list(self.examples),
        }

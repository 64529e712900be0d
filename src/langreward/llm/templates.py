"""Templates an LLM fills in: ``{CHOICE: [a, b, ...]}`` and ``[NUM: default]`` slots.

Small models are poor at free text and code but good at picking among a few options when the
options' probabilities are read from the model and averaged over option orders
(:meth:`~langreward.llm.LLM.choose`). A template made of such slots is filled one slot at a
time; each slot keeps the probability of every option, so the next-best fillings can be
ranked too (:func:`ranked_fillings`). LGR2's motion descriptor and spec shaping both use it.

Example (a scripted LLM that always prefers the first option it is shown, tests only):
    >>> from langreward.llm import make_llm
    >>> llm = make_llm("scripted", responses=lambda messages: "A")
    >>> filled = fill_template(llm, "* Go {CHOICE: [left, right]} for [NUM: 2] steps.",
    ...                        lambda line: f"Complete: {line}")
    >>> filled.text  # order-averaged: a tie, broken by the order the template lists
    '* Go left for 2 steps.'
    >>> [(f.option_indices, round(f.probability, 2)) for f in ranked_fillings(filled.slots, 2)]
    [((0,), 0.5), ((1,), 0.5)]
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from langreward.llm.client import LLM
from langreward.llm.orders import OrderMode

SLOT = re.compile(r"\{CHOICE:|\[NUM:")
CHOICE = re.compile(r"\{CHOICE: \[([^\]]*)\]\}")
NUMBER = re.compile(r"\[NUM: ([^\]]*)\]")


@dataclass(frozen=True)
class SlotChoice:
    """One filled ``{CHOICE: [...]}`` slot: the template line, its options and the model's
    order-averaged probability of each."""

    line: str
    options: tuple[str, ...]
    probs: tuple[float, ...]

    @property
    def best(self) -> int:
        """Index of the likeliest option (the first listed wins a tie)."""
        return max(range(len(self.options)), key=lambda i: (self.probs[i], -i))


@dataclass(frozen=True)
class FilledTemplate:
    """The template with every slot at its likeliest option, and each slot's choice."""

    text: str
    slots: tuple[SlotChoice, ...]


@dataclass(frozen=True)
class Filling:
    """One way to fill every slot: an option index per slot and its joint probability."""

    option_indices: tuple[int, ...]
    probability: float


def choice_options(line: str) -> list[str] | None:
    """The options of the line's ``{CHOICE: [...]}`` slot (``None``: the line has none)."""
    match = CHOICE.search(line)
    return [option.strip() for option in match.group(1).split(",")] if match else None


def fill_line(line: str, option: str | None = None) -> str:
    """The line with its choice slot set to ``option`` and number slots at their defaults."""
    match = CHOICE.search(line)
    if match and option is not None:
        line = line.replace(match.group(0), option)
    return NUMBER.sub(lambda number: number.group(1).strip(), line)


def fill_template(
    llm: LLM, template: str, question: Callable[[str], str], *, orders: OrderMode = "auto"
) -> FilledTemplate:
    """Fill ``template`` one line at a time: each choice slot by ``llm.choose`` on
    ``question(line)``, each number slot at its default.

    Raises:
        LLMError: the LLM named none of a slot's options.
    """
    lines, slots = [], []
    for line in template.splitlines():
        options = choice_options(line)
        if options is None:
            lines.append(fill_line(line))
            continue
        choice = llm.choose(question(line), options, orders=orders)
        slot = SlotChoice(line, tuple(options), tuple(choice.probs[o] for o in options))
        slots.append(slot)
        lines.append(fill_line(line, options[slot.best]))
    return FilledTemplate("\n".join(lines), tuple(slots))


def ranked_fillings(slots: Sequence[SlotChoice], count: int) -> list[Filling]:
    """The ``count`` likeliest ways to fill every slot, likeliest first (slots independent:
    the joint probability is the product; ties keep the template's option order).

    Example:
        >>> a = SlotChoice("a", ("x", "y"), (0.7, 0.3))
        >>> b = SlotChoice("b", ("u", "v"), (0.6, 0.4))
        >>> [f.option_indices for f in ranked_fillings([a, b], 3)]
        [(0, 0), (0, 1), (1, 0)]
    """
    if not slots:
        return []
    # best-first search over index vectors; each step lowers one slot to its next option
    orders = [
        sorted(range(len(s.options)), key=lambda i, s=s: (-s.probs[i], i))  # type: ignore[misc]  # mypy cannot type a lambda whose default binds a loop variable (python/mypy#15459)
        for s in slots
    ]

    def logp(ranks: tuple[int, ...]) -> float:
        return sum(
            math.log(max(s.probs[o[r]], 1e-12))
            for s, o, r in zip(slots, orders, ranks, strict=True)
        )

    start = (0,) * len(slots)
    heap = [(-logp(start), start)]
    seen = {start}
    result: list[Filling] = []
    while heap and len(result) < count:
        negative, ranks = heapq.heappop(heap)
        indices = tuple(o[r] for o, r in zip(orders, ranks, strict=True))
        result.append(Filling(indices, math.exp(-negative)))
        for k in range(len(slots)):
            if ranks[k] + 1 < len(slots[k].options):
                nxt = ranks[:k] + (ranks[k] + 1,) + ranks[k + 1 :]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (-logp(nxt), nxt))
    return result

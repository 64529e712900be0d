"""Option orders for position-debiased choices.

Small models favour a letter (often the first) whatever the options say. Asking the same
question with the options in several orders and averaging each option's probability over the
orders cancels that bias: every option sits at every position equally often.

Example:
    >>> option_orders(2)
    [(0, 1), (1, 0)]
    >>> option_orders(4)  # cyclic shifts beyond three options
    [(0, 1, 2, 3), (1, 2, 3, 0), (2, 3, 0, 1), (3, 0, 1, 2)]
    >>> option_orders(3, "none")
    [(0, 1, 2)]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

OrderMode = Literal["auto", "all", "cyclic", "none"]
ORDER_MODES: tuple[str, ...] = ("auto", "all", "cyclic", "none")


def option_orders(count: int, mode: OrderMode = "auto") -> list[tuple[int, ...]]:
    """The orders to ask in, as tuples of option indices (position -> option).

    Modes: ``all`` every permutation; ``cyclic`` the ``count`` cyclic shifts (each option at
    each position once); ``none`` the given order only; ``auto`` every permutation for two or
    three options (2 or 6 orders), cyclic shifts beyond.
    """
    if mode not in ORDER_MODES:
        raise ValueError(f"orders must be one of {ORDER_MODES}, not {mode!r}")
    identity = tuple(range(count))
    if mode == "none":
        return [identity]
    if mode == "all" or (mode == "auto" and count <= 3):
        return list(itertools.permutations(identity))
    return [identity[i:] + identity[:i] for i in range(count)]


def average_over_orders(
    count: int, orders: Sequence[tuple[int, ...]], probs_by_position: Sequence[Sequence[float]]
) -> list[float]:
    """Each option's probability averaged over the orders it was asked in.

    ``probs_by_position[k][p]`` is the probability of the option shown at position ``p`` in
    order ``k``.

    Example:
        >>> # a model that always says "first" with 0.9, asked both ways round
        >>> average_over_orders(2, [(0, 1), (1, 0)], [[0.9, 0.1], [0.9, 0.1]])
        [0.5, 0.5]
    """
    totals = [0.0] * count
    for order, probs in zip(orders, probs_by_position, strict=True):
        for position, option in enumerate(order):
            totals[option] += float(probs[position])
    return [total / len(orders) for total in totals]

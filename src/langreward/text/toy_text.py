"""Describer for Gymnasium's Blackjack-v1."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from langreward.text.base import Describer


def _card(value: int) -> str:
    if value == 1:
        return "an ace"
    if value == 10:
        return "a 10 or face card"
    return f"a {value}" if value != 8 else "an 8"


class BlackjackDescriber(Describer):
    """Blackjack-v1: observation ``(player sum, dealer's showing card, usable ace)``.

    Example:
        >>> BlackjackDescriber().state((15, 10, 0))
        'your hand totals 15 (no usable ace); the dealer shows a 10 or face card'
    """

    task = (
        "Play blackjack against the dealer: finish closer to 21 than the dealer without going "
        "over 21. Win +1, lose -1, draw 0."
    )
    action_names = ("stick (take no more cards)", "hit (take another card)")

    def state(self, obs: Any, info: Mapping[str, Any] | None = None) -> str:
        player, dealer, ace = (int(v) for v in np.asarray(obs).reshape(-1)[:3])
        soft = "a usable ace counted as 11" if ace else "no usable ace"
        return f"your hand totals {player} ({soft}); the dealer shows {_card(dealer)}"

    def action(self, action: Any) -> str:
        return self.discrete_action_name(action)

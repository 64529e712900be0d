"""Judges that need no LLM: the reference policy as oracle, an oracle that is wrong sometimes,
and a constant judge (the control for a judge that says the same to everything)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from langreward.lmgt.judge import BaseJudge, Info
from langreward.lmgt.reference import ReferencePolicy


class ReferenceJudge(BaseJudge):
    """The reference policy as a perfect judge (label: ``oracle``).

    Pairs whose reference action is unknown (an env-bound reference without its info) get 0.

    Example:
        >>> from langreward.lmgt.reference import CartPoleReference
        >>> ReferenceJudge(CartPoleReference()).judge_batch([[0, 0, 0.1, 0]] * 2, [1, 0]).tolist()
        [1, -1]
    """

    name = "oracle"

    def __init__(self, reference: ReferencePolicy) -> None:
        super().__init__(reference)
        self.policy = reference

    def _judge(
        self, obs: Sequence[Any], actions: Sequence[Any], infos: Sequence[Info]
    ) -> np.ndarray:
        shifts = np.zeros(len(obs), dtype=np.int8)
        for i, (o, a, info) in enumerate(zip(obs, actions, infos, strict=True)):
            score = self.policy.judge(o, a, info)
            shifts[i] = score or 0
        self.stats.queries += len(obs)
        return shifts


class NoisyReferenceJudge(BaseJudge):
    """The reference policy, right with probability ``accuracy`` (label: ``noisy(p)``).

    A wrong answer flips the reference's sign (a reference 0 becomes +1 or -1 at random), as
    in the DESIGN measurements of how judge quality changes LMGT's gain. With ``key`` the
    noise is consistent: the same (discretised) pair always gets the same answer, as an LLM
    at temperature 0 would give; without it every call draws afresh.

    Args:
        reference: the reference policy.
        accuracy: probability of the reference's answer, in [0, 1].
        seed: seeds the noise.
        key: a state-action key making the noise consistent per key.

    Example:
        >>> from langreward.lmgt.reference import CartPoleReference
        >>> judge = NoisyReferenceJudge(CartPoleReference(), accuracy=0.0)
        >>> judge.judge_batch([[0, 0, 0.1, 0]], [1]).tolist()
        [-1]
    """

    def __init__(
        self,
        reference: ReferencePolicy,
        accuracy: float,
        *,
        seed: int = 0,
        key: Callable[[Any, Any, Info | None], Hashable] | None = None,
    ) -> None:
        if not 0.0 <= accuracy <= 1.0:
            raise ValueError(f"accuracy must be in [0, 1], got {accuracy}")
        super().__init__(reference)
        self.policy = reference
        self.accuracy = accuracy
        self.seed = seed
        self.key = key
        self.name = f"noisy({accuracy:g})"
        self._rng = np.random.default_rng(seed)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "rng": self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._rng.bit_generator.state = state["rng"]

    def _draws(self, o: Any, a: Any, info: Info) -> tuple[float, float]:
        if self.key is None:
            return float(self._rng.random()), float(self._rng.random())
        digest = hashlib.blake2b(repr((self.seed, self.key(o, a, info))).encode(), digest_size=16)
        value = int.from_bytes(digest.digest(), "little")
        return (value & 0xFFFFFFFF) / 2**32, ((value >> 32) & 0xFFFFFFFF) / 2**32

    def _judge(
        self, obs: Sequence[Any], actions: Sequence[Any], infos: Sequence[Info]
    ) -> np.ndarray:
        shifts = np.zeros(len(obs), dtype=np.int8)
        for i, (o, a, info) in enumerate(zip(obs, actions, infos, strict=True)):
            score = self.policy.judge(o, a, info)
            if score is None:
                continue
            right, side = self._draws(o, a, info)
            if right >= self.accuracy:
                score = -score if score != 0 else (1 if side < 0.5 else -1)
            shifts[i] = score
        self.stats.queries += len(obs)
        return shifts


class ConstantJudge(BaseJudge):
    """Says the same to every pair (label: ``constant(+1)``): the control that tells whether
    a judge's gain comes from what it knows or from a constant reward shift (an LLM judge
    that calls everything good is one).

    Example:
        >>> ConstantJudge(1).judge_batch([[0.0], [1.0]], [0, 1]).tolist()
        [1, 1]
    """

    def __init__(self, value: int, reference: ReferencePolicy | None = None) -> None:
        if value not in (-1, 0, 1):
            raise ValueError(f"a constant judge says -1, 0 or +1, not {value}")
        super().__init__(reference)
        self.value = value
        self.name = f"constant({value:+d})"

    def _judge(
        self, obs: Sequence[Any], actions: Sequence[Any], infos: Sequence[Info]
    ) -> np.ndarray:
        self.stats.queries += len(obs)
        return np.full(len(obs), self.value, dtype=np.int8)

"""The :class:`Judge` protocol, its statistics, and the base class the judges share."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from langreward.lmgt.reference import ReferencePolicy

Info = Mapping[str, Any]


@dataclass
class JudgeStats:
    """Counters of one judge. Every (state, action) pair given to ``judge_batch`` counts once.

    Attributes:
        pairs: pairs judged.
        key_hits: pairs answered from the judge's state-action dict (no new judgment).
        queries: pairs that needed a new judgment (sent to the LLM, or to the reference).
        llm_rounds: LLM calls the judge made (a packed prompt for many pairs counts once).
        unparseable: new judgments whose reply could not be read (shift 0).
        uncertain: new judgments below the confidence threshold (shift 0).
        errors: new judgments lost to an LLM error (shift 0, not remembered).
        pending: pairs given shift 0 because their judgment was still queued (deferred).
        positive, neutral, negative: shifts handed out (+1, 0, -1).
        compared: pairs where a reference policy could be asked.
        agreed: of those, pairs where the judge's shift equals the reference's.
        decided: compared pairs where the judge gave a non-zero shift.
        decided_agreed: of those, pairs where it equals the reference's.
        seconds: wall time spent inside ``judge_batch``.
    """

    pairs: int = 0
    key_hits: int = 0
    queries: int = 0
    llm_rounds: int = 0
    unparseable: int = 0
    uncertain: int = 0
    errors: int = 0
    pending: int = 0
    positive: int = 0
    neutral: int = 0
    negative: int = 0
    compared: int = 0
    agreed: int = 0
    decided: int = 0
    decided_agreed: int = 0
    seconds: float = 0.0

    @property
    def agreement(self) -> float | None:
        """Share of compared pairs where the judge matched the reference (``None``: none)."""
        return self.agreed / self.compared if self.compared else None

    @property
    def decided_agreement(self) -> float | None:
        """Agreement on the pairs where the judge did not abstain (gave +1 or -1)."""
        return self.decided_agreed / self.decided if self.decided else None

    @property
    def key_hit_rate(self) -> float:
        return self.key_hits / self.pairs if self.pairs else 0.0

    @property
    def mean_shift(self) -> float:
        return (self.positive - self.negative) / self.pairs if self.pairs else 0.0

    def record_shifts(self, shifts: np.ndarray) -> None:
        self.pairs += int(shifts.size)
        self.positive += int((shifts > 0).sum())
        self.negative += int((shifts < 0).sum())
        self.neutral += int((shifts == 0).sum())

    def as_dict(self) -> dict[str, float | int | None]:
        data: dict[str, float | int | None] = dict(asdict(self))
        data.update(
            agreement=self.agreement,
            decided_agreement=self.decided_agreement,
            key_hit_rate=self.key_hit_rate,
            mean_shift=self.mean_shift,
        )
        return data


@runtime_checkable
class Judge(Protocol):
    """Scores (state, action) pairs with shifts in {-1, 0, +1}.

    ``obs`` are raw observations (one per pair), ``infos`` the info dicts that came with them
    (may carry a mission or a reference action). ``key`` is the state-action key of judges
    that remember judgments (``None`` for judges that do not).
    """

    name: str
    stats: JudgeStats
    key: Any

    def judge_batch(
        self,
        obs: Sequence[Any],
        actions: Sequence[Any],
        infos: Sequence[Info] | None = None,
    ) -> np.ndarray:
        """One shift per pair, as an ``int8`` array."""
        ...


class BaseJudge(ABC):
    """Shared bookkeeping: timing, shift counts and agreement with a reference policy.

    Args:
        reference: a reference policy to measure agreement against (optional).
    """

    name = "judge"
    key: Any = None

    def __init__(self, reference: ReferencePolicy | None = None) -> None:
        self.reference = reference
        self.stats = JudgeStats()

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of the judge (its counters; subclasses add memory)."""
        return {"stats": asdict(self.stats)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`'s output (a resumed run)."""
        self.stats = JudgeStats(**state["stats"])

    @abstractmethod
    def _judge(
        self, obs: Sequence[Any], actions: Sequence[Any], infos: Sequence[Info]
    ) -> np.ndarray:
        """Shifts for a batch (no bookkeeping)."""

    def judge_batch(
        self,
        obs: Sequence[Any],
        actions: Sequence[Any],
        infos: Sequence[Info] | None = None,
    ) -> np.ndarray:
        """Judge a batch of pairs; see :class:`Judge`."""
        if len(obs) != len(actions):
            raise ValueError(f"judge_batch got {len(obs)} observations and {len(actions)} actions")
        infos = list(infos) if infos is not None else [{} for _ in obs]
        start = time.perf_counter()
        shifts = np.asarray(self._judge(obs, actions, infos), dtype=np.int8)
        self.stats.record_shifts(shifts)
        if self.reference is not None:
            self._record_agreement(obs, actions, infos, shifts)
        self.stats.seconds += time.perf_counter() - start
        return shifts

    def _record_agreement(
        self, obs: Sequence[Any], actions: Sequence[Any], infos: Sequence[Info], shifts: np.ndarray
    ) -> None:
        assert self.reference is not None
        for o, a, info, shift in zip(obs, actions, infos, shifts, strict=True):
            expected = self.reference.judge(o, a, info)
            if expected is None:
                continue
            self.stats.compared += 1
            self.stats.agreed += int(shift == expected)
            if shift != 0:
                self.stats.decided += 1
                self.stats.decided_agreed += int(shift == expected)


def exact_key(obs: Any, action: Any, info: Info | None = None) -> Hashable:
    """A key that only matches identical (obs, action) pairs (the fallback without bins)."""

    def freeze(value: Any) -> Hashable:
        if isinstance(value, Mapping):
            return tuple((k, freeze(v)) for k, v in sorted(value.items()))
        if isinstance(value, str):
            return value
        array = np.asarray(value)
        return (array.dtype.str, array.shape, array.tobytes())

    mission = (info or {}).get("mission")
    return (freeze(obs), freeze(action), mission if isinstance(mission, str) else None)

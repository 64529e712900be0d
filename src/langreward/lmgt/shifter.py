"""``RewardShifter``: judge + scale schedule + budget; the logic both wrappers share."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from langreward.lmgt.judge import Info, Judge
from langreward.lmgt.schedules import Budget, ScaleSchedule

logger = logging.getLogger(__name__)


@dataclass
class ShiftStats:
    """What the shaping did: steps seen, steps judged, shifts and shaping handed out."""

    steps: int = 0
    judged_steps: int = 0
    shift_sum: float = 0.0
    abs_shift_sum: float = 0.0
    shaping_sum: float = 0.0  # sum of scale * shift added to the rewards

    @property
    def mean_shift(self) -> float:
        """Mean shift per env step (unjudged steps count as 0)."""
        return self.shift_sum / self.steps if self.steps else 0.0

    @property
    def judged_share(self) -> float:
        return self.judged_steps / self.steps if self.steps else 0.0

    def as_dict(self) -> dict[str, float]:
        data: dict[str, float] = dict(asdict(self))
        data.update(mean_shift=self.mean_shift, judged_share=self.judged_share)
        return data


class RewardShifter:
    """Decides which steps are judged, asks the judge once per batch, scales the shifts.

    Args:
        judge: any :class:`~langreward.lmgt.judge.Judge`.
        scale: a constant scale or a :class:`ScaleSchedule`.
        budget: which steps get judged (default: all).

    Example:
        >>> from langreward.lmgt import ReferenceJudge
        >>> from langreward.lmgt.reference import CartPoleReference
        >>> shifter = RewardShifter(ReferenceJudge(CartPoleReference()), scale=0.5)
        >>> shifts, scale = shifter([[0, 0, 0.1, 0]], [1])
        >>> float(scale * shifts[0])
        0.5
    """

    def __init__(
        self,
        judge: Judge,
        scale: float | ScaleSchedule = 1.0,
        budget: Budget | None = None,
    ) -> None:
        self.judge = judge
        self.schedule = scale if isinstance(scale, ScaleSchedule) else ScaleSchedule(float(scale))
        self.budget = budget or Budget()
        self.stats = ShiftStats()
        self._warned_no_shift = False

    @property
    def step(self) -> int:
        """Global env steps seen so far (summed over sub-envs)."""
        return self.stats.steps

    @property
    def scale(self) -> float:
        """The scale at the current step."""
        return self.schedule.value(self.stats.steps)

    def __call__(
        self,
        obs: Sequence[Any],
        actions: Sequence[Any],
        infos: Sequence[Info] | None = None,
    ) -> tuple[np.ndarray, float]:
        """Shifts (0 where not judged) and the scale for one step of ``len(obs)`` envs."""
        count = len(obs)
        infos = list(infos) if infos is not None else [{} for _ in range(count)]
        shifts = np.zeros(count, dtype=np.float32)
        mask = self.budget.mask(self.stats.steps, count)
        if mask.any():
            chosen: list[int] = np.flatnonzero(mask).tolist()  # plain ints index a Sequence
            judged = self.judge.judge_batch(
                [obs[i] for i in chosen], [actions[i] for i in chosen], [infos[i] for i in chosen]
            )
            shifts[chosen] = judged
        scale = self.scale
        self.stats.steps += count
        self.stats.judged_steps += int(mask.sum())
        self.stats.shift_sum += float(shifts.sum())
        self.stats.abs_shift_sum += float(np.abs(shifts).sum())
        self.stats.shaping_sum += float(scale * shifts.sum())
        return shifts, scale

    def state_dict(self) -> dict[str, Any]:
        """Counters, the budget's random state and the judge's state (for checkpoints).

        The scale schedule is a function of the step count, so it continues with it.
        """
        judge_state = getattr(self.judge, "state_dict", None)
        return {
            "stats": asdict(self.stats),
            "budget": self.budget.state_dict(),
            "judge": judge_state() if judge_state is not None else {},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`'s output (a resumed run)."""
        self.stats = ShiftStats(**state["stats"])
        self.budget.load_state_dict(state["budget"])
        load_judge = getattr(self.judge, "load_state_dict", None)
        if load_judge is not None:
            load_judge(state["judge"])

    def shaped_relabelled(self, base: Any, infos: Any) -> Any:
        """Add the stored shaping to rewards recomputed by ``compute_reward`` (HER).

        ``infos`` is one info dict or a sequence of them, as ``compute_reward`` receives; a
        missing ``"shift"`` counts as 0 (see ``copy_info_dict`` in SB3's ``HerReplayBuffer``).
        """
        scale = self.scale
        if isinstance(infos, Mapping):
            return float(base) + scale * float(infos.get("shift", 0))
        if len(infos) and not any(isinstance(i, Mapping) and "shift" in i for i in infos):
            self._warn_no_shift()
        shifts = np.array(
            [float(i.get("shift", 0)) if isinstance(i, Mapping) else 0.0 for i in infos],
            dtype=np.float64,
        )
        return np.asarray(base, dtype=np.float64) + scale * shifts.reshape(np.shape(base))

    def _warn_no_shift(self) -> None:
        if not self._warned_no_shift:
            self._warned_no_shift = True
            logger.warning(
                "compute_reward got infos without 'shift': relabelled rewards carry no shaping. "
                "With SB3's HerReplayBuffer pass replay_buffer_kwargs={'copy_info_dict': True}."
            )

    def summary(self) -> dict[str, Any]:
        """Judge counters, shaping counters and settings, for logs and ``summary.json``."""
        reference = getattr(self.judge, "reference", None)
        return {
            "name": self.judge.name,
            "reference": getattr(reference, "name", None),
            "scale": self.scale,
            "budget": self.budget.kind,
            **self.judge.stats.as_dict(),
            "shaping": self.stats.as_dict(),
        }

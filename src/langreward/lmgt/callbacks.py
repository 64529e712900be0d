"""SB3 callback that logs the judge and the LLM under ``llm/`` and ``reward/``."""

from __future__ import annotations

import time
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

from langreward.llm import LLM
from langreward.lmgt.shifter import RewardShifter


class LMGTLogCallback(BaseCallback):
    """Records judge and LLM counters in the SB3 logger after every rollout.

    ``llm/``: calls, cache_hits, prompt_tokens, completion_tokens, seconds (backend time of
    cache misses), judge_seconds (all time spent judging), wall_share (judging time / wall
    time since training started), rounds (LLM calls made by the judge).
    ``reward/``: mean_shift (over the steps since the last record; unjudged steps count 0),
    judged_share, scale, key_hit_rate, agreement (with the reference policy, where one
    exists), unparseable, uncertain, errors.

    Args:
        shifter: the :class:`RewardShifter` of the training env's wrapper.
        llm: the judge's LLM, or ``None`` for reference judges.
    """

    def __init__(self, shifter: RewardShifter, llm: LLM | None = None, verbose: int = 0) -> None:
        super().__init__(verbose)
        self.shifter = shifter
        self.llm = llm
        self._start = time.perf_counter()
        self._last_steps = 0
        self._last_shift_sum = 0.0
        self._seconds_at_start = 0.0

    def _on_training_start(self) -> None:
        # a resumed run's shifter continues its counters: rates start from them
        self._start = time.perf_counter()
        self._last_steps = self.shifter.stats.steps
        self._last_shift_sum = self.shifter.stats.shift_sum
        self._seconds_at_start = self.shifter.judge.stats.seconds

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        self.record()

    def _on_training_end(self) -> None:
        # a background judge's last prompt lands inside the run's wall time and summary
        drain = getattr(self.shifter.judge, "drain", None)
        if drain is not None:
            drain()
        self.record()

    def record(self) -> dict[str, Any]:
        """Put the current values into the logger; returns them (for tests)."""
        values: dict[str, Any] = {}
        shaping = self.shifter.stats
        judge = self.shifter.judge.stats
        steps = shaping.steps - self._last_steps
        values["reward/mean_shift"] = (
            (shaping.shift_sum - self._last_shift_sum) / steps if steps > 0 else shaping.mean_shift
        )
        self._last_steps, self._last_shift_sum = shaping.steps, shaping.shift_sum
        values["reward/judged_share"] = shaping.judged_share
        values["reward/scale"] = self.shifter.scale
        values["reward/key_hit_rate"] = judge.key_hit_rate
        if judge.agreement is not None:
            values["reward/agreement"] = judge.agreement
        values["reward/unparseable"] = judge.unparseable
        values["reward/uncertain"] = judge.uncertain
        values["reward/judge_errors"] = judge.errors
        wall = max(time.perf_counter() - self._start, 1e-9)
        values["llm/judge_seconds"] = judge.seconds
        values["llm/wall_share"] = (judge.seconds - self._seconds_at_start) / wall
        values["llm/rounds"] = judge.llm_rounds
        if self.llm is not None:
            stats = self.llm.stats
            values.update(
                {
                    "llm/calls": stats.calls,
                    "llm/cache_hits": stats.cache_hits,
                    "llm/prompt_tokens": stats.prompt_tokens,
                    "llm/completion_tokens": stats.completion_tokens,
                    "llm/seconds": stats.llm_seconds,
                }
            )
        if getattr(self, "model", None) is not None:
            for name, value in values.items():
                self.logger.record(name, value)
        return values

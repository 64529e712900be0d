"""Validated settings of LGR2 and its comparison arms (the ``lgr2:`` config section)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RewardSettings(BaseModel):
    """Where the high-level reward parameters come from (``variant: lgr2``)."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["llm", "hand", "file"] = Field(
        "llm",
        description="llm: the run's LLM turns the instruction into terms; hand: the "
        "hand-written stationary reward (the control arm, labelled as such); file: a saved "
        "reward.json",
    )
    path: str | None = Field(None, description="reward.json of an earlier run (source: file)")
    llm: str | None = Field(None, description="LLM spec (default: the run's llm)")
    repair_rounds: int = Field(2, ge=0, le=5, description="validation-error feedback rounds")
    check_instruction: bool = Field(
        True,
        description="ask the LLM first whether the instruction fits a maze (a yes/no question); "
        "refuse it below P(yes) 0.5",
    )


class LGR2Settings(BaseModel):
    """The ``lgr2:`` section.

    Variants: ``lgr2`` (two levels; the high level's reward is ``r_phi`` from ``reward``),
    ``hrl`` (two levels; the high level gets the env's own sparse reward at each segment's
    end), ``flat`` (one SB3 SAC with SB3's ``HerReplayBuffer``). ``her: false`` turns hindsight
    off on both levels (the "LGR2 without HER" arm).
    """

    model_config = ConfigDict(extra="forbid")

    variant: Literal["lgr2", "hrl", "flat"] = "lgr2"
    instruction: str | None = Field(None, description="the task in words (default: the env's)")
    reward: RewardSettings = Field(default_factory=RewardSettings)
    her: bool = Field(True, description="hindsight relabelling ('future') on both levels")
    her_ratio: float = Field(0.8, gt=0.0, le=1.0, description="share of relabelled samples")
    k: int = Field(15, ge=2, le=500, description="low-level steps per subgoal")
    low_threshold: float = Field(
        0.45, gt=0.0, description="distance within which a subgoal counts as reached"
    )
    subgoal_bounds: tuple[list[float], list[float]] | None = Field(
        None, description="[low corner, high corner] of the subgoal box (default: the maze's)"
    )
    learning_starts: int = Field(1000, ge=0, description="steps of random actions first")
    gradient_steps: int = Field(1, ge=1, description="SAC gradient steps per env step and level")
    buffer_size: int = Field(300_000, ge=1000, description="transitions kept per level")

    @model_validator(mode="after")
    def _bounds(self) -> LGR2Settings:
        if self.subgoal_bounds is not None:
            low, high = self.subgoal_bounds
            if len(low) != len(high) or any(a >= b for a, b in zip(low, high, strict=False)):
                raise ValueError("subgoal_bounds must be [low, high] with low < high per dimension")
        if self.reward.source == "file" and not self.reward.path:
            raise ValueError("reward.source: file needs reward.path")
        return self

"""Validated settings of multi-agent LaRe and its baselines (the ``lare_marl:`` section)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from langreward.lare.config import TeamEncoderSettings


class TeamDecoderSettings(BaseModel):
    """The decoder shared by all agents and how it trains between PPO rollouts."""

    model_config = ConfigDict(extra="forbid")

    hidden: list[int] = Field([64, 64], description="hidden layer sizes ([]: linear)")
    lr: float = Field(5e-4, gt=0, description="Adam learning rate")
    batch_episodes: int = Field(64, ge=1, description="team episodes per Adam step")
    gradient_steps: int = Field(20, ge=1, description="Adam steps per update")
    update_every: int = Field(1, ge=1, description="PPO rollouts between decoder updates")
    capacity: int = Field(5000, ge=1, description="finished team episodes kept for training")
    warmup_episodes: int = Field(32, ge=1, description="episodes stored before the first update")
    reward_scale: float = Field(
        0.0,
        ge=0.0,
        description="factor on the decoded rewards before PPO (0: steps x agents, as LaRe's "
        "code, so that one reward is on the scale of the team return)",
    )


class LaReMARLSettings(BaseModel):
    """The ``lare_marl:`` section.

    Variants: ``lare`` (LLM latent factors of each agent + shared decoder), ``rd`` (the
    decoder on each agent's raw observation and action), ``ircr`` (the team return spread
    uniformly over agents and steps), ``episodic`` (every agent gets the team return at the
    last step: IPPO on the episodic reward alone), ``dense`` (the team's reward at every step,
    to every agent: the same objective made dense in time, a reference that sees what the
    others may not).
    """

    model_config = ConfigDict(extra="forbid")

    variant: Literal["lare", "rd", "ircr", "episodic", "dense"] = "lare"
    agent_credit: bool = Field(
        True,
        description="False: the ablation that gives every agent the mean over agents of the "
        "decoded rewards at each step (credit across time only)",
    )
    task: str | None = Field(None, description="task description (default: the env's own)")
    encoder: TeamEncoderSettings = Field(default_factory=TeamEncoderSettings)
    decoder: TeamDecoderSettings = Field(default_factory=TeamDecoderSettings)

"""Validated settings of spec shaping (the ``spec_shaping:`` config section)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from langreward.spec_shaping.spec import ShapingSpec


class TrialSettings(BaseModel):
    """The short trial that picks one of several candidate specs by the env's own return."""

    model_config = ConfigDict(extra="forbid")

    steps: int = Field(
        5000, ge=0, description="training steps per candidate (0: no trial, take the first)"
    )
    workers: int = Field(2, ge=1, le=64, description="candidates trained at once (processes)")
    window: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="fitness: mean original return of the episodes that end in this last "
        "share of the trial",
    )
    select: Literal["fittest", "one_se"] = Field(
        "fittest",
        description="fittest: the best mean return (a tie goes to the likeliest); one_se: the "
        "likeliest candidate within one standard error of the best (a difference the trial's "
        "few episodes cannot tell from noise keeps the model's preference)",
    )


class SpecShapingSettings(BaseModel):
    """The ``spec_shaping:`` section.

    ``source``: ``llm`` (the run's LLM fills the spec template; ``candidates`` likeliest
    fillings go to the trial), ``random`` (``candidates`` fillings drawn uniformly from the
    same grammar: the control arm, no LLM), ``hand`` (``spec`` given here: an expert prior,
    labelled as such) or ``file`` (a ``spec.json`` saved by an earlier run, no LLM).
    """

    model_config = ConfigDict(extra="forbid")

    source: Literal["llm", "random", "hand", "file"] = "llm"
    instruction: str | None = Field(None, description="the task in words (default: the docs')")
    check_instruction: bool = Field(
        True,
        description="ask the LLM first whether a given instruction fits the env, and refuse "
        "one it says does not (P(yes) < 0.5); the docs' own task is not checked",
    )
    translator: Literal["slots", "json"] = Field(
        "slots",
        description="slots: fill a template slot by slot with debiased choices (small "
        "models); json: write the spec whole under a JSON schema (larger models)",
    )
    candidates: int = Field(4, ge=1, le=32, description="K: candidate specs for the trial")
    trial: TrialSettings = Field(default_factory=TrialSettings)
    mode: Literal["potential", "additive"] = Field(
        "potential",
        description="potential: F = gamma*phi(s') - phi(s) (optimal policies unchanged); "
        "additive: phi(s') added as a dense reward",
    )
    scale: float = Field(50.0, gt=0.0, le=1000.0, description="the potential's range")
    gamma: float | None = Field(
        None, gt=0.0, le=1.0, description="shaping discount (default: the algorithm's gamma)"
    )
    spec: ShapingSpec | None = Field(None, description="the spec itself (source: hand)")
    path: str | None = Field(None, description="spec.json of an earlier run (source: file)")
    feature_names: list[str] | None = Field(
        None, description="one name per observation component (default: the env's docs)"
    )
    llm: str | None = Field(None, description="LLM spec (default: the run's llm)")
    repair_rounds: int = Field(2, ge=0, le=5, description="validation-error feedback rounds")
    sample_steps: int = Field(
        2000, ge=100, le=200_000, description="random-play steps that set feature ranges"
    )

    @model_validator(mode="after")
    def _source_fields(self) -> SpecShapingSettings:
        if self.source == "hand" and self.spec is None:
            raise ValueError("source: hand needs spec (terms, termination)")
        if self.source == "file" and not self.path:
            raise ValueError("source: file needs path (a spec.json)")
        return self

"""Validated LMGT settings: the ``lmgt:`` section of an experiment config."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from langreward.llm.orders import OrderMode
from langreward.lmgt.prompts import Strategy
from langreward.lmgt.schedules import Budget, ScaleSchedule

Label = Literal["good", "neutral", "bad"]


class LMGTConfigError(ValueError):
    """Invalid LMGT settings; the message names each bad field and how to fix it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BudgetSettings(_Strict):
    """Which steps get judged (see :class:`~langreward.lmgt.Budget`)."""

    kind: Literal["all", "first_n", "probability", "decay"] = "all"
    steps: int | None = Field(
        None, ge=0, description="first_n / decay: env steps (decay: default total_timesteps)"
    )
    p: float = Field(1.0, ge=0.0, le=1.0, description="probability / decay start")
    p_end: float = Field(0.0, ge=0.0, le=1.0, description="decay: final probability")

    @model_validator(mode="after")
    def _needs_steps(self) -> BudgetSettings:
        if self.kind == "first_n" and self.steps is None:
            raise ValueError("a 'first_n' budget needs steps: how many env steps to judge")
        return self

    def build(self, total_timesteps: int, seed: int = 0) -> Budget:
        steps = self.steps if self.steps is not None else total_timesteps
        return Budget(self.kind, steps=steps, p=self.p, p_end=self.p_end, seed=seed)


class KeySettings(_Strict):
    """The state-action key: bins per component (defaults per env family), or the text."""

    kind: Literal["bins", "text"] = Field(
        "bins",
        description="bins: discretised obs/action; text: the pair's description (an LLM judge "
        "asks once per distinct text; suits MiniGrid, whose images are finer than their text)",
    )
    bins: int | list[int] | None = Field(None, description="cells per observation component")
    low: list[float] | None = None
    high: list[float] | None = None
    action_bins: int | None = Field(None, ge=1, description="cells per continuous action dim")

    @model_validator(mode="after")
    def _bins_or_text(self) -> KeySettings:
        given = [n for n in ("bins", "low", "high", "action_bins") if getattr(self, n) is not None]
        if self.kind == "text" and given:
            raise ValueError(f"a text key has no bins: drop {', '.join(given)}")
        return self

    @field_validator("bins")
    @classmethod
    def _positive(cls, value: int | list[int] | None) -> int | list[int] | None:
        values = [value] if isinstance(value, int) else value or []
        if any(v < 1 for v in values):
            raise ValueError("bins must be >= 1")
        return value


class DescriberSettings(_Strict):
    """Overrides for the describer (names drive the generic describer)."""

    feature_names: list[str] | None = None
    action_names: list[str] | None = None
    task: str | None = None
    grid: bool = Field(False, description="MiniGrid: add the view as a text map")


class LLMJudgeSettings(_Strict):
    """How the LLM judge asks and reads: every option of :class:`~langreward.lmgt.LLMJudge`,
    declared once. :class:`LMGTSettings` extends it, so each is also an ``lmgt:`` setting.

    Example:
        >>> s = LLMJudgeSettings(strategy="CoT", batch_size=8)
        >>> s.strategy, s.batch_size, s.packed
        ('chain_of_thought', 8, True)
        >>> LLMJudgeSettings.of(LMGTSettings(judge="llm", defer=False), batch_size=4)
        LLMJudgeSettings(strategy='zero_shot', batch_size=4, packed=True, defer=False, ...)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: Strategy = Field(
        "zero_shot", description="zero_shot | chain_of_thought (cot) | few_shot (needs examples)"
    )
    batch_size: int = Field(16, ge=1, description="pairs per packed LLM prompt")
    packed: bool = Field(True, description="pack several pairs into one prompt")
    defer: bool = Field(
        True, description="queue new pairs until batch_size are waiting (shift 0 meanwhile)"
    )
    max_wait: int = Field(
        2000, ge=1, description="defer: ask anyway once the oldest pair waited this many pairs"
    )
    background: bool = Field(
        False,
        description="ask the LLM in a worker thread: training never waits for it, but runs "
        "are no longer bit-for-bit reproducible",
    )
    min_confidence: float = Field(
        0.0, ge=0.0, le=1.0, description="choices less probable than this give 0 (uncertain)"
    )
    orders: OrderMode = Field(
        "auto",
        description="one-by-one judgments (packed: false): option orders averaged over "
        "(auto: all 6 orders of the 3 labels, 6 calls; none: 1 call, letter bias and all)",
    )
    packed_orders: OrderMode = Field(
        "none",
        description="packed prompts: option orders averaged over (none: 1 call per prompt, "
        "each item read from its letter's log-probabilities; auto: 6 calls per prompt)",
    )
    calibration: Literal["none", "contextual"] = Field(
        "none",
        description="contextual: divide the labels' probabilities by the model's answer for "
        "a content-free item ('N/A'), its prior, before deciding (needs log-probabilities)",
    )
    max_tokens: int = Field(192, ge=8, description="chain-of-thought reply budget per pair")
    samples: int = Field(
        5, ge=1, description="one-by-one votes per choice where the backend has no logprobs"
    )
    fallback_single: bool = Field(
        True, description="retry the pairs of an unreadable packed reply one by one"
    )

    @field_validator("strategy", mode="before")
    @classmethod
    def _strategy_shorthand(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        name = value.strip().lower().replace("-", "_").replace(" ", "_")
        return {"cot": "chain_of_thought", "zero": "zero_shot", "few": "few_shot"}.get(name, name)

    @classmethod
    def of(cls, settings: LLMJudgeSettings | None = None, **options: Any) -> LLMJudgeSettings:
        """The judge's options alone, taken from ``settings`` (e.g. a whole
        :class:`LMGTSettings`) with ``options`` replacing some, validated here once."""
        if settings is not None and type(settings) is cls and not options:
            return settings
        given = {name: getattr(settings, name) for name in cls.model_fields} if settings else {}
        return cls.model_validate({**given, **options})


class LMGTSettings(LLMJudgeSettings):
    """All LMGT knobs: the LLM judge's (:class:`LLMJudgeSettings`) and the shaping's.

    Example:
        >>> s = LMGTSettings.parse({"judge": "noisy(0.8)", "scale": 0.5,
        ...                         "budget": {"kind": "first_n", "steps": 10000}})
        >>> s.judge, s.accuracy, s.budget.steps
        ('noisy', 0.8, 10000)
    """

    model_config = ConfigDict(extra="forbid", frozen=False)

    judge: Literal["llm", "oracle", "noisy", "constant", "none"] = Field(
        "llm",
        description="llm | oracle (reference policy) | noisy(p) | constant(v): always v, a "
        "control | none (no shaping)",
    )
    constant: int = Field(1, ge=-1, le=1, description="constant: what the judge always says")
    accuracy: float = Field(0.8, ge=0.0, le=1.0, description="noisy: P(reference is right)")
    scale: float = Field(1.0, ge=0.0)
    scale_schedule: Literal["constant", "linear"] = "constant"
    scale_end: float = Field(0.0, ge=0.0, description="linear: final scale")
    scale_steps: int | None = Field(None, gt=0, description="linear: default total_timesteps")
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    key: KeySettings = Field(default_factory=KeySettings)
    examples: list[tuple[str, Label]] = Field(
        default_factory=list, description="few-shot (item text, label); default: from reference"
    )
    few_shot_count: int = Field(4, ge=1, description="examples drawn from the reference")
    describer: DescriberSettings = Field(default_factory=DescriberSettings)

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        judge = data.get("judge")
        if isinstance(judge, str):
            match = re.fullmatch(r"\s*noisy\s*\(\s*([0-9.]+)\s*\)\s*", judge)
            if match:
                data["judge"] = "noisy"
                data.setdefault("accuracy", float(match.group(1)))
            elif constant := re.fullmatch(r"\s*constant\s*\(\s*([+-]?[01])\s*\)\s*", judge):
                data["judge"] = "constant"
                data.setdefault("constant", int(constant.group(1)))
            elif judge.strip().lower() in ("reference", "perfect"):
                data["judge"] = "oracle"
        if isinstance(data.get("budget"), str):
            data["budget"] = {"kind": data["budget"]}
        if isinstance(data.get("key"), int | list):
            data["key"] = {"bins": data["key"]}
        return data

    @classmethod
    def parse(cls, settings: dict[str, Any] | None, where: str = "lmgt") -> LMGTSettings:
        """Validate a settings dict; raise :class:`LMGTConfigError` naming each bad field."""
        try:
            return cls.model_validate(settings or {})
        except ValidationError as exc:
            lines = []
            for error in exc.errors():
                loc = ".".join(str(p) for p in (where, *error["loc"]))
                message = error["msg"].removeprefix("Value error, ")
                lines.append(f"  {loc}: {message} (got {error.get('input')!r})")
            raise LMGTConfigError("invalid LMGT settings:\n" + "\n".join(lines)) from None

    def scale_schedule_for(self, total_timesteps: int) -> ScaleSchedule:
        """The scale schedule, with a linear decay over ``total_timesteps`` by default."""
        steps = self.scale_steps or total_timesteps
        return ScaleSchedule(self.scale, self.scale_schedule, end=self.scale_end, steps=steps)

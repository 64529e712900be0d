"""TEDUO's settings: the ``teduo:`` section of a config.

Example:
    >>> settings = TEDUOSettings.model_validate({"data": {"steps": 5000}})
    >>> settings.data.steps, settings.labels.labeller, settings.qlearning.gamma
    (5000, 'llm', 0.7)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from langreward.teduo.finetune import LoRASettings


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSettings(_Section):
    """The unlabelled dataset."""

    steps: int = Field(20_000, ge=100, description="transitions to collect")
    layouts: int = Field(8, ge=1, description="training layouts")
    test_layouts: int = Field(4, ge=1, description="unseen layouts for the evaluation")
    behaviour: Literal["bot", "random"] = "bot"
    epsilon: float = Field(0.2, ge=0.0, le=1.0, description="random actions mixed into the bot's")


class GoalSettings(_Section):
    """Which goals are learned (training) and which are held out (test)."""

    kinds: list[Literal["goto", "pickup", "open", "putnext"]] = Field(
        default_factory=lambda: ["goto", "pickup", "open", "putnext"]  # type: ignore[arg-type]  # mypy reads the literal as list[str] against pydantic's union-typed default_factory
    )
    test_share: float = Field(0.25, gt=0.0, lt=1.0, description="share of objects held out")
    max_train: int | None = Field(None, ge=1, description="cap on training goals (None: all)")
    max_test: int | None = Field(None, ge=1, description="cap on test goals (None: all)")


class LabelSettings(_Section):
    """Step 1b: who labels sample states, and how many."""

    labeller: Literal["llm", "verifier"] = Field(
        "llm",
        description="llm: the run's LLM; verifier: BabyAI's rules, an oracle stand-in for "
        "tests and ablations",
    )
    states_per_goal: int = Field(200, ge=1, description="distinct states labelled per goal")
    near_share: float = Field(
        0.5, ge=0.0, le=1.0, description="share drawn where the goal object is next to the agent"
    )
    orders: Literal["auto", "none"] = Field(
        "auto", description="auto: average P(yes) over both option orders (removes letter bias)"
    )
    decision: Literal["top_gap", "threshold", "calibrated"] = Field(
        "top_gap",
        description="top_gap: per goal, yes above the largest gap in the upper half of P(yes); "
        "threshold: yes when P(yes) >= threshold; calibrated: per goal, the threshold with the "
        "best F1 on calibration_states states labelled by hand (BabyAI's rules stand in for the "
        "person: an ablation)",
    )
    threshold: float = Field(0.5, gt=0.0, lt=1.0, description="the fixed threshold's value")
    calibration_states: int = Field(10, ge=1, description="states per goal labelled by hand")


class ProxySettings(_Section):
    """The proxy classifier that labels the rest of the dataset."""

    precision: float = Field(0.95, gt=0.0, le=1.0, description="precision its threshold aims at")
    epochs: int = Field(60, ge=1)


class DQNSettings(_Section):
    """Step 2's DQN option (``teduo.qlearning.dqn``)."""

    gradient_steps: int = Field(5_000, ge=1, description="gradient steps per goal")
    batch_size: int = Field(256, ge=1)
    learning_rate: float = Field(1e-3, gt=0.0)
    target_update: int = Field(250, ge=1, description="gradient steps between target copies")
    net_arch: list[int] = Field(default_factory=lambda: [256, 256])


class QLearningSettings(_Section):
    """Step 2: Q-learning per goal, tabular (the paper's default) or DQN."""

    algorithm: Literal["tabular", "dqn"] = Field(
        "tabular",
        description="tabular: synchronous Q-learning to convergence; dqn: Stable-Baselines3's "
        "DQN trained offline on the same transitions (see teduo.dqn)",
    )
    alpha: float = Field(0.1, gt=0.0, le=1.0)
    gamma: float = Field(0.7, gt=0.0, lt=1.0)
    tol: float = Field(1e-6, gt=0.0)
    max_iterations: int = Field(20_000, ge=1)
    dqn: DQNSettings = Field(default_factory=DQNSettings)


class TEDUOSettings(_Section):
    """The ``teduo:`` config section. The level is the config's ``env.id``
    (``TEDUO-TwoRooms-v0`` or ``TEDUO-OneRoom-v0``); evaluation episodes per cell are the
    config's ``eval.episodes``."""

    abstraction: Literal["llm", "oracle"] = Field(
        "llm",
        description="llm: the run's LLM names each goal's relevant objects; oracle: the goal's "
        "own objects, a stand-in for tests and ablations",
    )
    drop_other_rooms: bool = Field(
        False,
        description="the paper's last abstraction rule: when the goal's objects are all in "
        "the agent's room, leave the other rooms out of the abstract state",
    )
    data: DataSettings = Field(default_factory=DataSettings)
    goals: GoalSettings = Field(default_factory=GoalSettings)
    labels: LabelSettings = Field(default_factory=LabelSettings)
    proxy: ProxySettings = Field(default_factory=ProxySettings)
    qlearning: QLearningSettings = Field(default_factory=QLearningSettings)
    distill: bool = Field(
        True, description="step 3: fine-tune an LLM agent on the step-2 plans (False: stop at 2)"
    )
    sft: LoRASettings = Field(default_factory=LoRASettings)
    baselines: bool = Field(
        True, description="also evaluate goal-conditioned BC and tabular RL without the LLM"
    )

"""The TEDUO plug-in: an offline pipeline for the experiment runner.

Example:
    >>> from langreward.plugin import get_method
    >>> method = get_method("teduo")
    >>> method.online, [stage.name for stage in build(TEDUOSettings(), _doc_context()).stages]
    (False, ['goals', 'collect', 'abstract', 'label', 'proxy', 'qlearn', 'distill', 'finetune'])
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

from langreward.plugin import Method, MethodError, OfflinePipeline, PreflightInfo, RunContext
from langreward.teduo.abstraction import AbstractView, Relevance, relevance_messages
from langreward.teduo.config import TEDUOSettings
from langreward.teduo.finetune import base_model_dir
from langreward.teduo.goals import goals_in_layout, phrase
from langreward.teduo.labels import label_question
from langreward.teduo.levels import level_of, register_levels, reset_layout
from langreward.teduo.pipeline import NO_TRAINING_GOAL, build_pipeline, plan_goals
from langreward.teduo.state import encode_state, state_text


def preflight(settings: TEDUOSettings, info: PreflightInfo) -> list[str]:
    """Before any data or LLM call: a TEDUO level, at least one training goal of the
    configured kinds in the training layouts, and a model to fine-tune."""
    try:
        level = level_of(info.env_id)
    except ValueError as exc:
        return [f"env.id: {exc}"]
    with contextlib.redirect_stdout(io.StringIO()):  # BabyAI's level generator prints
        train, *_ = plan_goals(level, settings)
    problems = [] if train else [NO_TRAINING_GOAL]
    if settings.distill and not settings.sft.model.startswith("embedded"):
        try:
            base_model_dir(settings.sft.model)
        except MethodError as exc:
            problems.append(str(exc))
    return problems


def build(settings: TEDUOSettings, context: RunContext) -> OfflinePipeline:
    """The stages of one TEDUO run (see :mod:`langreward.teduo.pipeline`)."""
    try:
        pipeline = build_pipeline(settings, context)
    except ValueError as exc:  # not a TEDUO level
        raise MethodError(str(exc)) from None
    if settings.distill and not settings.sft.model.startswith("embedded"):
        base_model_dir(settings.sft.model)  # a wrong path fails now, not after hours
    return pipeline


def explain(env: Any, settings: TEDUOSettings) -> str:
    """What the LLM is asked in step 1, on the env's first training layout: the abstraction
    prompt for one goal, then the labelling question for that layout's start state."""
    import numpy as np

    try:
        level_of(getattr(env.spec, "id", "") or "")
    except ValueError as exc:
        return f"not applicable: {exc}"
    unwrapped = env.unwrapped
    reset_layout(unwrapped, 0, np.random.default_rng(0))
    state = encode_state(unwrapped)
    goal = goals_in_layout(unwrapped)[0]
    instruction = phrase(goal)
    messages = relevance_messages(instruction, state_text(state))
    view = AbstractView(Relevance.of_goal(goal))
    return (
        f"Step 1a, once per goal (schema-constrained JSON; two worked examples before it):\n"
        f"{messages[-1]['content']}\n\n"
        f"Step 1b, per sampled state (options yes/no, asked in both orders):\n"
        f"{label_question(instruction, view.text(state))}"
    )


def _doc_context() -> RunContext:
    return RunContext("TEDUO-TwoRooms-v0", None, 0, 1, 1, Path("/tmp/teduo-doc"))


METHOD = Method(
    name="teduo",
    settings=TEDUOSettings,
    build=build,
    description="offline: LLM abstraction and labels of unlabelled BabyAI data, tabular "
    "Q-learning per goal, distilled into an LLM agent by LoRA fine-tuning",
    online=False,
    explain=explain,
    preflight=preflight,
    env_families=register_levels,
)

"""The TEDUO pipeline: the paper's three steps as stages, each reading the earlier stages' files
from the run directory and writing its own, so a killed run resumes at the first unfinished
stage. The stages live in :mod:`langreward.teduo.stages`.

Stages and what they write (relative to the run directory):

- ``goals``: ``goals.json`` (training and test goals, training and test layouts)
- ``collect``: ``dataset/`` (Minari) and ``dataset.json`` (what the behaviour did)
- ``abstract``: ``abstractions.json`` (per goal: the LLM's goal-relevant objects)
- ``label``: ``labels/<goal>.json`` and ``labels.json`` (precision/recall vs BabyAI's rules)
- ``proxy``: ``proxy/<goal>.pt``, ``rewards/<goal>.npy`` and ``proxy.json``
- ``qlearn``: ``qtables/<goal>.npz`` and ``qlearning.json``
- ``distill``: ``sft/examples.jsonl`` and ``sft.json`` (step 3's training examples)
- ``finetune``: ``sft/adapter/`` (the LoRA adapter) and ``finetune.json``

then the evaluation writes ``evaluation.json`` and ``evaluation.md``.
"""

from __future__ import annotations

from functools import partial

from langreward.plugin import OfflinePipeline, RunContext
from langreward.teduo.config import TEDUOSettings
from langreward.teduo.stages import data, evaluation, metrics, step1, step2, step3
from langreward.teduo.stages.context import TEDUORun
from langreward.teduo.stages.data import NO_TRAINING_GOAL, plan_goals

__all__ = ["NO_TRAINING_GOAL", "build_pipeline", "plan_goals"]


def build_pipeline(settings: TEDUOSettings, context: RunContext) -> OfflinePipeline:
    """The stages of one TEDUO run in order, its evaluation and its summary.

    Raises:
        ValueError: ``context.env_id`` is not a TEDUO level.
    """
    run = TEDUORun(settings, context)
    stages = [
        # before step 1: goals and layouts, the unlabelled data
        run.stage("goals", data.goals, ("goals.json",)),
        run.stage("collect", data.collect, ("dataset", "dataset.json")),
        # step 1: abstraction and goal labels by the LLM, a proxy reward for every state
        run.stage("abstract", step1.abstract, ("abstractions.json",)),
        run.stage("label", step1.label, ("labels.json",)),
        run.stage("proxy", step1.proxy, ("proxy.json",)),
        # step 2: offline Q-learning per goal
        run.stage("qlearn", step2.qlearn, ("qlearning.json",)),
    ]
    if settings.distill:  # step 3: distillation into a small LLM agent
        stages += [
            run.stage("distill", step3.distill, ("sft.json", "sft/examples.jsonl")),
            run.stage("finetune", step3.finetune, ("finetune.json", "sft/adapter")),
        ]
    return OfflinePipeline(
        stages=stages,
        evaluate=partial(evaluation.evaluate, run),
        summary=partial(metrics.summary, run),
    )

"""The TEDUO plug-in: an offline pipeline for the experiment runner.

Example:
    >>> from langreward.plugin import get_method
    >>> method = get_method("teduo")
    >>> method.online, [stage.name for stage in build(TEDUOSettings(), _doc_context()).stages]
    (False, ['goals', 'collect', 'abstract', 'label', 'proxy', 'qlearn', 'distill', 'finetune'])
"""

from __future__ import annotations

from pathlib import Path

from langreward.plugin import Method, MethodError, OfflinePipeline, RunContext, Stage
from langreward.teduo.config import TEDUOSettings
from langreward.teduo.pipeline import TEDUOPipeline


def build(settings: TEDUOSettings, context: RunContext) -> OfflinePipeline:
    """The stages of one TEDUO run (see :mod:`langreward.teduo.pipeline`)."""
    try:
        pipeline = TEDUOPipeline(settings, context)
    except ValueError as exc:  # not a TEDUO level
        raise MethodError(str(exc)) from None
    stages = [
        Stage("goals", pipeline.stage_goals, ("goals.json",)),
        Stage("collect", pipeline.stage_collect, ("dataset", "dataset.json")),
        Stage("abstract", pipeline.stage_abstract, ("abstractions.json",)),
        Stage("label", pipeline.stage_label, ("labels.json",)),
        Stage("proxy", pipeline.stage_proxy, ("proxy.json",)),
        Stage("qlearn", pipeline.stage_qlearn, ("qlearning.json",)),
    ]
    if settings.distill:
        stages += [
            Stage("distill", pipeline.stage_distill, ("sft.json", "sft/examples.jsonl")),
            Stage("finetune", pipeline.stage_finetune, ("finetune.json", "sft/adapter")),
        ]
    return OfflinePipeline(stages=stages, evaluate=pipeline.evaluate, summary=pipeline.summary)


def _doc_context() -> RunContext:
    return RunContext("TEDUO-TwoRooms-v0", None, 0, 1, 1, Path("/tmp/teduo-doc"))


METHOD = Method(
    name="teduo",
    settings=TEDUOSettings,
    build=build,
    description="offline: LLM abstraction and labels of unlabelled BabyAI data, tabular "
    "Q-learning per goal, distilled into an LLM agent by LoRA fine-tuning",
    online=False,
)

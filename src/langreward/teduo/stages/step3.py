"""Step 3: distillation. The step-2 policies' plans become supervised examples (instruction and
state in words -> the next actions) and a small LLM is fine-tuned on them with LoRA; that LLM
is the final agent."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from langreward.plugin import MethodError
from langreward.teduo.agent import LLMAgent
from langreward.teduo.distill import Example, plans_for_goal
from langreward.teduo.finetune import base_model_dir
from langreward.teduo.finetune import finetune as train_adapter
from langreward.teduo.goals import phrase
from langreward.teduo.qlearning import QTable
from langreward.teduo.stages.context import TEDUORun
from langreward.teduo.state import STATE_WORDS


def distill(run: TEDUORun) -> None:
    """Stage ``distill``: greedy step-2 plans from distinct start states as fine-tuning
    examples (``sft/examples.jsonl``) and their counts per goal (``sft.json``)."""
    data = run.data()
    batch = data.batch()
    sft = run.settings.sft
    goals = dict(run.goals())
    examples: list[Example] = []
    per_goal = {}
    for gid, view in run.views().items():
        table, keys = QTable.load(run.dir / "qtables" / f"{gid}.npz")
        index = {key: row for row, key in enumerate(keys)}
        rows = np.array([index[k] for k in view.keys(batch)], dtype=np.int64)
        every_plan = plans_for_goal(
            table,
            rows,
            np.load(run.dir / "rewards" / f"{gid}.npy"),
            np.arange(len(data)),
            None,
            sft.plan_steps,
            run.seed,
        )
        plans = every_plan[: sft.examples_per_goal]
        instruction = phrase(goals[gid])
        for state_index, plan in plans:
            text = STATE_WORDS[sft.state_words](data.state(state_index))
            examples.append(
                Example(gid, instruction, text, plan[: sft.max_actions], sft.state_words)
            )
        per_goal[gid] = {
            "examples": len(plans),
            "start_states_with_a_plan": len(every_plan),
            "plan_length_mean": float(np.mean([len(p) for _, p in plans])) if plans else None,
        }
    if not examples:
        raise MethodError(
            "no step-2 plan reaches a goal: nothing to fine-tune on (more data or labels?)"
        )
    (run.dir / "sft").mkdir(exist_ok=True)
    with (run.dir / "sft" / "examples.jsonl").open("w") as handle:
        for example in examples:
            handle.write(json.dumps({"goal": example.goal_id, **example.as_record()}) + "\n")
    run.write("sft.json", {"examples": len(examples), "goals": per_goal})


def finetune(run: TEDUORun) -> None:
    """Stage ``finetune``: LoRA on the examples (``sft/adapter/``) and its report
    (``finetune.json``)."""
    records = [
        {key: value for key, value in json.loads(line).items() if key != "goal"}
        for line in (run.dir / "sft" / "examples.jsonl").read_text().splitlines()
    ]
    base = base_model_dir(run.settings.sft.model)
    report = train_adapter(
        base, records, run.dir / "sft", run.settings.sft, run.seed,
        progress=lambda done, total: run.progress(done, total, "training steps"),
    )  # fmt: skip
    run.write("finetune.json", report)


def agents(run: TEDUORun) -> dict[str, LLMAgent]:
    """The fine-tuned LLM agent and the same LLM untuned (same prompt)."""
    from langreward.llm import make_llm

    base = base_model_dir(run.settings.sft.model)
    limits: dict[str, Any] = {
        "max_actions": run.settings.sft.max_actions,
        "max_queries": run.settings.sft.max_queries,
        "words": run.settings.sft.state_words,
    }
    tuned = make_llm(f"hf:{base}", adapter=run.dir / "sft" / "adapter")
    untuned = make_llm(f"hf:{base}")
    return {
        "TEDUO agent (LLM + LoRA on step-2 plans)": LLMAgent(tuned, **limits),
        "same LLM untuned (same prompt)": LLMAgent(untuned, **limits),
    }

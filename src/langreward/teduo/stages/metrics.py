"""Ground-truth metrics: how step 1's abstraction, labels and proxy rewards compare with
BabyAI's own rules. Training never reads them; the stages write them beside their results and
:func:`summary` pools them for ``summary.json``."""

from __future__ import annotations

from typing import Any

import numpy as np

from langreward.teduo.abstraction import Batch, Relevance
from langreward.teduo.achieved import achieved, achieved_batch
from langreward.teduo.goals import Goal
from langreward.teduo.labels import LabelJob, LabelResult, precision_recall
from langreward.teduo.stages.context import TEDUORun


def abstraction_correct(answer: dict[str, Any] | None, goal: Goal) -> bool:
    """Whether an abstraction names the goal's objects (what the abstraction depends on)."""
    truth = Relevance.of_goal(goal).model_dump()
    keys = ("goal_object", "goal_location")
    return answer is not None and all(answer[k] == truth[k] for k in keys)


def label_truth(job: LabelJob) -> list[bool]:
    """BabyAI's verdict on each state a labeller was asked about."""
    return [achieved(state, job.goal) for state in job.states]


def labels_vs_truth(result: LabelResult, truth: list[bool]) -> dict[str, Any]:
    """Precision and recall of the labeller's decisions (states given by hand left out)."""
    judged = sorted(set(range(len(truth))) - set(result.given))  # by the labeller
    return precision_recall([result.decisions[i] for i in judged], [truth[i] for i in judged])


def rewards_vs_truth(
    rewards: np.ndarray, batch: Batch, goal: Goal, labelled: np.ndarray
) -> dict[str, Any]:
    """Precision and recall of step 1's rewards on every stored state, and of the proxy's
    alone on the states no labeller saw (``labelled``: the labelled states' indices)."""
    truth = achieved_batch(batch, goal)
    unlabelled = np.ones(len(rewards), bool)
    unlabelled[labelled] = False
    return {
        "rewards_vs_truth": precision_recall(rewards.tolist(), truth.tolist()),
        "proxy_vs_truth_unlabelled": precision_recall(
            rewards[unlabelled].tolist(), truth[unlabelled].tolist()
        ),
    }


def summary(run: TEDUORun) -> dict[str, Any]:
    """The run's metrics for ``summary.json``: level, stage timings and each stage's report
    (step 1's precision and recall pooled over goals)."""
    out: dict[str, Any] = {"level": run.level, "timings": run.timings()}
    for name in ("abstractions", "labels", "proxy", "qlearning", "dataset", "sft", "finetune"):
        if (run.dir / f"{name}.json").exists():
            out[name] = _summarise(name, run.read(f"{name}.json"))
    return out


def _summarise(name: str, data: dict[str, Any]) -> Any:
    if name == "abstractions":
        return {
            "goals": len(data),
            "correct": sum(bool(e.get("correct")) for e in data.values()),
            "failed": sum(e["relevance"] is None for e in data.values()),
        }
    if name == "labels":
        return {"labeller": data["labeller"], **_pooled(list(data["goals"].values()))}
    if name == "proxy":
        return _pooled([entry["rewards_vs_truth"] for entry in data.values()])
    if name == "qlearning":
        return {
            "goals": len(data),
            "converged": sum(entry["converged"] for entry in data.values()),
            "abstract_states_median": float(
                np.median([entry["abstract_states"] for entry in data.values()])
            ),
        }
    return data


def _pooled(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Precision and recall pooled over goals (from their counts)."""
    tp = sum(round(e["recall"] * e["positives"]) for e in entries if e["positives"])
    positives = sum(e["positives"] for e in entries)
    predicted = sum(e["predicted"] for e in entries)
    return {
        "precision": tp / predicted if predicted else None,
        "recall": tp / positives if positives else None,
        "positives": positives,
        "states": sum(e["states"] for e in entries),
    }

"""Step 1: the LLM abstracts the state for each goal and labels sample states "goal achieved
or not"; a proxy classifier learns the labels and rewards every stored state."""

from __future__ import annotations

from typing import Any

import numpy as np

from langreward.llm import MalformedReplyError
from langreward.teduo.abstraction import Relevance, ask_relevance
from langreward.teduo.achieved import tiles_of
from langreward.teduo.goals import Goal, phrase
from langreward.teduo.labels import LabelJob, LabellerSpec, label_job, label_on_ray, sample_states
from langreward.teduo.proxy import extras_of, train_proxy
from langreward.teduo.stages import metrics
from langreward.teduo.stages.context import TEDUORun
from langreward.teduo.state import state_text
from langreward.teduo.transitions import Transitions


def abstract(run: TEDUORun) -> None:
    """Stage ``abstract``: per goal, the objects that matter (``abstractions.json``), asked of
    the LLM once on a sample state, or the goal's own objects with ``abstraction: oracle``."""
    data = run.data()
    out = {}
    llm = run.context.llm.get() if run.settings.abstraction == "llm" else None
    for gid, goal in run.goals():
        instruction = phrase(goal)
        entry: dict[str, Any] = {"instruction": instruction, "relevance": None}
        if llm is None:
            entry["relevance"] = Relevance.of_goal(goal).model_dump()
            entry["source"] = "the goal's own objects (oracle stand-in)"
        else:
            sample = state_text(data.state(_sample_index(data, goal)))
            try:
                entry["relevance"] = ask_relevance(llm, instruction, sample).model_dump()
                entry["source"] = f"llm ({llm.spec})"
            except MalformedReplyError as exc:  # no valid answer: the goal is skipped
                entry["error"] = f"{type(exc).__name__}: {exc}"
        entry["correct"] = metrics.abstraction_correct(entry["relevance"], goal)
        out[gid] = entry
    run.write("abstractions.json", out)


def label(run: TEDUORun) -> None:
    """Stage ``label``: the labeller's decisions on sampled states of each abstracted goal
    (``labels/<goal>.json``, locally or on Ray) and its precision/recall (``labels.json``)."""
    data = run.data()
    batch = data.batch()
    labels = run.settings.labels
    goals = dict(run.goals())
    views = run.views()
    chosen = {
        gid: sample_states(view, batch, labels.states_per_goal, run.seed, labels.near_share)
        for gid, view in views.items()
    }
    jobs = [
        LabelJob(gid, goals[gid], phrase(goals[gid]), view.relevance, data.states(chosen[gid]))
        for gid, view in views.items()
    ]
    spec = LabellerSpec(
        labels.labeller, run.context.llm.spec, labels.orders, labels.threshold,
        labels.decision, labels.calibration_states,
    )  # fmt: skip
    ray_address = run.context.ray_address
    if ray_address:
        results = label_on_ray(jobs, spec, ray_address)
    else:
        llm = run.context.llm.get() if labels.labeller == "llm" else None
        results = []
        for job in jobs:
            run.progress(len(results), len(jobs), "goals labelled")
            results.append(label_job(job, spec, llm))
    summary: dict[str, Any] = {
        "labeller": spec.name(),
        "where": f"ray ({ray_address})" if ray_address else "local",
        "goals": {},
    }
    for job, result in zip(jobs, results, strict=True):
        truth = metrics.label_truth(job)
        run.write(
            f"labels/{job.goal_id}.json",
            {"states": chosen[job.goal_id], "probs": result.probs,
             "decisions": result.decisions, "truth": truth, "given": result.given},
        )  # fmt: skip
        summary["goals"][job.goal_id] = {
            **metrics.labels_vs_truth(result, truth),
            "labelled_by_hand": len(result.given),
            "seconds": result.seconds,
            "llm_calls": result.llm_calls,
            "unreadable_answers": result.failures,
        }
    run.write("labels.json", summary)


def proxy(run: TEDUORun) -> None:
    """Stage ``proxy``: per goal, a classifier trained on the readable labels
    (``proxy/<goal>.pt``) and every stored state's reward (``rewards/<goal>.npy``, labelled
    states keep their label); its report and precision/recall in ``proxy.json``."""
    batch = run.data().batch()
    goals = dict(run.goals())
    report = {}
    views = run.views()
    for done, (gid, view) in enumerate(views.items()):
        run.progress(done, len(views), "goals")
        labelled = run.read(f"labels/{gid}.json")
        planes = view.planes_batch(batch)
        extras = extras_of(view, batch)
        read = np.isfinite(np.asarray(labelled["probs"], dtype=float))  # unreadable: out
        index = np.asarray(labelled["states"], dtype=np.int64)[read]
        decisions = np.asarray(labelled["decisions"], dtype=bool)[read]
        classifier = train_proxy(
            planes[index],
            extras[index],
            decisions.astype(np.int64),
            precision=run.settings.proxy.precision,
            epochs=run.settings.proxy.epochs,
            seed=run.seed,
        )
        rewards = classifier.predict(planes, extras)
        rewards[index] = decisions  # labelled states keep their label
        (run.dir / "proxy").mkdir(exist_ok=True)
        classifier.save(run.dir / "proxy" / f"{gid}.pt")
        (run.dir / "rewards").mkdir(exist_ok=True)
        np.save(run.dir / "rewards" / f"{gid}.npy", rewards)
        report[gid] = {
            **classifier.report,
            **metrics.rewards_vs_truth(rewards, batch, goals[gid], index),
        }
    run.write("proxy.json", report)


def _sample_index(data: Transitions, goal: Goal) -> int:
    """A stored state whose layout holds the goal's object (the first one; else state 0)."""
    for index in range(len(data)):
        if tiles_of(data.state(index), goal.obj):
            return index
    return 0

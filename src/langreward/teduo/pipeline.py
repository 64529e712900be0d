"""The TEDUO pipeline's stages, each reading the earlier stages' files from the run directory
and writing its own, so a killed run resumes at the first unfinished stage.

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

import json
import logging
import random
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from langreward.llm import MalformedReplyError
from langreward.plugin import MethodError, RunContext
from langreward.teduo.abstraction import AbstractView, Relevance, as_batch, ask_relevance
from langreward.teduo.achieved import achieved, achieved_batch, tiles_of
from langreward.teduo.agent import LLMAgent
from langreward.teduo.baselines import raw_tabular_policies, train_gcbc
from langreward.teduo.collect import ACTIONS, RANDOM_ACTIONS, collect_dataset
from langreward.teduo.config import TEDUOSettings
from langreward.teduo.distill import Example, plans_for_goal
from langreward.teduo.dqn import QNetwork, observations_of, solve_goal_dqn
from langreward.teduo.evaluate import CELLS, Policy, evaluate_cells
from langreward.teduo.finetune import base_model_dir, finetune
from langreward.teduo.goals import Goal, goals_in_layout, phrase, split_goals
from langreward.teduo.labels import (
    LabelJob,
    LabellerSpec,
    label_job,
    label_on_ray,
    precision_recall,
    sample_states,
)
from langreward.teduo.levels import layout_seeds, level_of, make_level, reset_layout
from langreward.teduo.proxy import extras_of, train_proxy
from langreward.teduo.qlearning import QTable, index_states, solve_goal
from langreward.teduo.state import STATE_WORDS, state_text
from langreward.teduo.transitions import Transitions, load_transitions

log = logging.getLogger(__name__)


def step2_name(settings: TEDUOSettings) -> str:
    """The step-2 row's name: its solver and where its abstraction and rewards came from,
    e.g. ``step-2 policies (tabular, LLM abstraction and labels)``."""
    solver = "tabular" if settings.qlearning.algorithm == "tabular" else "DQN"
    if settings.abstraction == "llm" and settings.labels.labeller == "llm":
        source = "LLM abstraction and labels"
    else:
        source = f"{settings.abstraction} abstraction, {settings.labels.labeller} labels"
    return f"step-2 policies ({solver}, {source})"


def goal_id(index: int, goal: Goal) -> str:
    """A file-name-safe id, e.g. ``03-pickup-blue-box``."""
    words = [goal.kind, goal.obj[1], goal.obj[0]]
    if goal.target:
        words += [goal.target[1], goal.target[0]]
    return f"{index:02d}-" + "-".join(words)


def _goal_dict(goal: Goal) -> dict[str, Any]:
    return {"kind": goal.kind, "obj": list(goal.obj), "target": list(goal.target or []) or None}


def _goal_from(data: dict[str, Any]) -> Goal:
    target = tuple(data["target"]) if data.get("target") else None
    return Goal(data["kind"], tuple(data["obj"]), target)  # type: ignore[arg-type]


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_plain) + "\n")
    tmp.replace(path)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _read(path: Path) -> Any:
    return json.loads(path.read_text())


NO_TRAINING_GOAL = (
    "teduo.goals: no training goal fits the training layouts; add layouts "
    "(teduo.data.layouts) or kinds (teduo.goals.kinds)"
)


def plan_goals(
    level: str, settings: TEDUOSettings
) -> tuple[list[Goal], list[Goal], list[int], list[int]]:
    """The run's goals (training, test) and layouts (training, test): every goal of the
    configured kinds found in the layouts, split so that test goals ask for unseen objects;
    training goals fit a training layout. Cheap (no data, no LLM): the pre-flight check asks
    it too."""
    data = settings.data
    env = make_level(level)
    try:
        rng = np.random.default_rng(0)
        train_layouts, test_layouts = (
            layout_seeds(data.layouts),
            layout_seeds(data.test_layouts, test=True),
        )
        in_train: set[Goal] = set()
        everywhere: set[Goal] = set()
        for layout in train_layouts + test_layouts:
            reset_layout(env, layout, rng)
            found = {g for g in goals_in_layout(env) if g.kind in settings.goals.kinds}
            everywhere |= found
            if layout in train_layouts:
                in_train |= found
    finally:
        env.close()
    train, test = split_goals(everywhere, settings.goals.test_share, seed=0)
    train = [g for g in train if g in in_train]
    train = _capped(train, settings.goals.max_train)
    test = _capped(test, settings.goals.max_test)
    return train, test, train_layouts, test_layouts


class TEDUOPipeline:
    """The stages of one TEDUO run (see the module docstring)."""

    def __init__(self, settings: TEDUOSettings, context: RunContext) -> None:
        self.settings = settings
        self.context = context
        self.level = level_of(context.env_id)
        self.root = context.run_dir
        self._data: Transitions | None = None
        self.timings: dict[str, float] = {}

    # -- shared reads -------------------------------------------------------------------
    def goals(self, split: str = "train") -> list[tuple[str, Goal]]:
        data = _read(self.root / "goals.json")
        return [(entry["id"], _goal_from(entry)) for entry in data[split]]

    def data(self) -> Transitions:
        if self._data is None:
            self._data = load_transitions(self.root / "dataset", self.level)
        return self._data

    def views(self) -> dict[str, AbstractView]:
        """Each goal's abstraction (goals whose abstraction failed are left out)."""
        entries = _read(self.root / "abstractions.json")
        return {
            gid: AbstractView(
                Relevance.model_validate(entry["relevance"]),
                drop_other_rooms=self.settings.drop_other_rooms,
            )
            for gid, entry in entries.items()
            if entry["relevance"] is not None
        }

    def _timed(self, name: str, started: float) -> None:
        self.timings[name] = round(time.perf_counter() - started, 3)
        _write(self.root / "timings.json", {**self._old_timings(), **self.timings})

    def _old_timings(self) -> dict[str, float]:
        path = self.root / "timings.json"
        return _read(path) if path.exists() else {}

    # -- stages -------------------------------------------------------------------------
    def stage_goals(self, root: Path) -> None:
        started = time.perf_counter()
        train, test, train_layouts, test_layouts = plan_goals(self.level, self.settings)
        if not train:
            raise MethodError(NO_TRAINING_GOAL)
        _write(
            root / "goals.json",
            {
                "level": self.level,
                "train_layouts": train_layouts,
                "test_layouts": test_layouts,
                "train": [
                    {"id": goal_id(i, g), **_goal_dict(g), "instruction": phrase(g)}
                    for i, g in enumerate(train)
                ],
                "test": [
                    {"id": goal_id(i, g), **_goal_dict(g), "instruction": phrase(g, test=True)}
                    for i, g in enumerate(test)
                ],
            },
        )
        self._timed("goals", started)

    def stage_collect(self, root: Path) -> None:
        started = time.perf_counter()
        data = self.settings.data
        shutil.rmtree(root / "dataset", ignore_errors=True)  # left by a killed collection
        stats = collect_dataset(
            self.level,
            root / "dataset",
            steps=data.steps,
            layouts=data.layouts,
            epsilon=data.epsilon,
            behaviour=data.behaviour,
            goals=[goal for _, goal in self.goals()],
            seed=self.context.seed,
            progress=lambda done, total: self.context.progress(done, total, "transitions"),
        )
        _write(root / "dataset.json", stats.as_dict())
        self._timed("collect", started)

    def stage_abstract(self, root: Path) -> None:
        started = time.perf_counter()
        data = self.data()
        out = {}
        llm = self.context.llm.get() if self.settings.abstraction == "llm" else None
        for gid, goal in self.goals():
            instruction = phrase(goal)
            truth = Relevance.of_goal(goal)
            entry: dict[str, Any] = {"instruction": instruction, "relevance": None}
            if llm is None:
                entry["relevance"] = truth.model_dump()
                entry["source"] = "the goal's own objects (oracle stand-in)"
            else:
                sample = state_text(data.state(_sample_index(data, goal)))
                try:
                    entry["relevance"] = ask_relevance(llm, instruction, sample).model_dump()
                    entry["source"] = f"llm ({llm.spec})"
                except MalformedReplyError as exc:  # no valid answer: the goal is skipped
                    entry["error"] = f"{type(exc).__name__}: {exc}"
            entry["correct"] = _same_objects(entry["relevance"], truth.model_dump())
            out[gid] = entry
        _write(root / "abstractions.json", out)
        self._timed("abstract", started)

    def stage_label(self, root: Path) -> None:
        started = time.perf_counter()
        data = self.data()
        batch = data.batch()
        labels = self.settings.labels
        goals = dict(self.goals())
        views = self.views()
        chosen = {
            gid: sample_states(
                view, batch, labels.states_per_goal, self.context.seed, labels.near_share
            )
            for gid, view in views.items()
        }
        jobs = [
            LabelJob(gid, goals[gid], phrase(goals[gid]), view.relevance, data.states(chosen[gid]))
            for gid, view in views.items()
        ]
        spec = LabellerSpec(
            labels.labeller, self.context.llm.spec, labels.orders, labels.threshold,
            labels.decision, labels.calibration_states,
        )  # fmt: skip
        if self.context.ray_address:
            results = label_on_ray(jobs, spec, self.context.ray_address)
        else:
            llm = self.context.llm.get() if labels.labeller == "llm" else None
            results = []
            for job in jobs:
                self.context.progress(len(results), len(jobs), "goals labelled")
                results.append(label_job(job, spec, llm))
        summary: dict[str, Any] = {
            "labeller": spec.name(),
            "where": f"ray ({self.context.ray_address})" if self.context.ray_address else "local",
            "goals": {},
        }
        for job, result in zip(jobs, results, strict=True):
            truth = [achieved(state, job.goal) for state in job.states]
            _write(
                root / "labels" / f"{job.goal_id}.json",
                {"states": chosen[job.goal_id], "probs": result.probs,
                 "decisions": result.decisions, "truth": truth, "given": result.given},
            )  # fmt: skip
            judged = sorted(set(range(len(truth))) - set(result.given))  # by the labeller
            summary["goals"][job.goal_id] = {
                **precision_recall(
                    [result.decisions[i] for i in judged], [truth[i] for i in judged]
                ),
                "labelled_by_hand": len(result.given),
                "seconds": result.seconds,
                "llm_calls": result.llm_calls,
                "unreadable_answers": result.failures,
            }
        _write(root / "labels.json", summary)
        self._timed("label", started)

    def stage_proxy(self, root: Path) -> None:
        started = time.perf_counter()
        data = self.data()
        batch = data.batch()
        goals = dict(self.goals())
        report = {}
        views = self.views()
        for done, (gid, view) in enumerate(views.items()):
            self.context.progress(done, len(views), "goals")
            goal = goals[gid]
            labelled = _read(root / "labels" / f"{gid}.json")
            planes = view.planes_batch(batch)
            extras = extras_of(view, batch)
            read = np.isfinite(np.asarray(labelled["probs"], dtype=float))  # unreadable: out
            index = np.asarray(labelled["states"], dtype=np.int64)[read]
            decisions = np.asarray(labelled["decisions"], dtype=bool)[read]
            proxy = train_proxy(
                planes[index],
                extras[index],
                decisions.astype(np.int64),
                precision=self.settings.proxy.precision,
                epochs=self.settings.proxy.epochs,
                seed=self.context.seed,
            )
            rewards = proxy.predict(planes, extras)
            rewards[index] = decisions  # labelled states keep their label
            truth = achieved_batch(batch, goal)
            unlabelled = np.ones(len(data), bool)
            unlabelled[index] = False
            (root / "proxy").mkdir(exist_ok=True)
            proxy.save(root / "proxy" / f"{gid}.pt")
            (root / "rewards").mkdir(exist_ok=True)
            np.save(root / "rewards" / f"{gid}.npy", rewards)
            report[gid] = {
                **proxy.report,
                "rewards_vs_truth": precision_recall(rewards.tolist(), truth.tolist()),
                "proxy_vs_truth_unlabelled": precision_recall(
                    rewards[unlabelled].tolist(), truth[unlabelled].tolist()
                ),
            }
        _write(root / "proxy.json", report)
        self._timed("proxy", started)

    def stage_qlearn(self, root: Path) -> None:
        started = time.perf_counter()
        data = self.data()
        batch = data.batch()
        report = {}
        q = self.settings.qlearning
        (root / "qtables").mkdir(exist_ok=True)
        transitions = (data.states_from, data.actions, data.states_to)
        views = self.views()
        for done, (gid, view) in enumerate(views.items()):
            self.context.progress(done, len(views), "goals")
            rewards = np.load(root / "rewards" / f"{gid}.npy")
            rows, keys = index_states(view.keys(batch))
            extra: dict[str, Any] = {}
            if q.algorithm == "dqn":
                table, net, extra = solve_goal_dqn(
                    observations_of(view, batch), rows, *transitions, rewards,
                    actions_count=ACTIONS, gamma=q.gamma, settings=q.dqn, seed=self.context.seed,
                )  # fmt: skip
                net.save(root / "qtables" / f"{gid}.pt")
            else:
                table, extra["transitions"] = solve_goal(
                    rows, *transitions, rewards, actions_count=ACTIONS, alpha=q.alpha,
                    gamma=q.gamma, tol=q.tol, max_iterations=q.max_iterations,
                )  # fmt: skip
            table.save(root / "qtables" / f"{gid}.npz", keys)
            report[gid] = {
                "algorithm": q.algorithm,
                "abstract_states": len(keys),
                "goal_states": int(rewards.sum()),
                "iterations": table.iterations,
                "converged": table.converged,
                **extra,
            }
        _write(root / "qlearning.json", report)
        self._timed("qlearn", started)

    def stage_distill(self, root: Path) -> None:
        started = time.perf_counter()
        data = self.data()
        batch = data.batch()
        sft = self.settings.sft
        goals = dict(self.goals())
        examples: list[Example] = []
        per_goal = {}
        for gid, view in self.views().items():
            table, keys = QTable.load(root / "qtables" / f"{gid}.npz")
            index = {key: row for row, key in enumerate(keys)}
            rows = np.array([index[k] for k in view.keys(batch)], dtype=np.int64)
            every_plan = plans_for_goal(
                table,
                rows,
                np.load(root / "rewards" / f"{gid}.npy"),
                np.arange(len(data)),
                None,
                sft.plan_steps,
                self.context.seed,
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
        (root / "sft").mkdir(exist_ok=True)
        with (root / "sft" / "examples.jsonl").open("w") as handle:
            for example in examples:
                handle.write(json.dumps({"goal": example.goal_id, **example.as_record()}) + "\n")
        _write(root / "sft.json", {"examples": len(examples), "goals": per_goal})
        self._timed("distill", started)

    def stage_finetune(self, root: Path) -> None:
        started = time.perf_counter()
        records = [
            {key: value for key, value in json.loads(line).items() if key != "goal"}
            for line in (root / "sft" / "examples.jsonl").read_text().splitlines()
        ]
        base = base_model_dir(self.settings.sft.model)
        report = finetune(
            base, records, root / "sft", self.settings.sft, self.context.seed,
            progress=lambda done, total: self.context.progress(done, total, "training steps"),
        )  # fmt: skip
        _write(root / "finetune.json", report)
        self._timed("finetune", started)

    def agents(self) -> dict[str, LLMAgent]:
        """The fine-tuned LLM agent and the same LLM untuned (same prompt)."""
        from langreward.llm import make_llm

        base = base_model_dir(self.settings.sft.model)
        limits = {
            "max_actions": self.settings.sft.max_actions,
            "max_queries": self.settings.sft.max_queries,
            "words": self.settings.sft.state_words,
        }
        tuned = make_llm(f"hf:{base}", adapter=self.root / "sft" / "adapter")
        untuned = make_llm(f"hf:{base}")
        return {
            "TEDUO agent (LLM + LoRA on step-2 plans)": LLMAgent(tuned, **limits),
            "same LLM untuned (same prompt)": LLMAgent(untuned, **limits),
        }

    def baselines(self) -> tuple[dict[str, Policy], dict[str, Any]]:
        """Goal-conditioned behaviour cloning (hindsight goals from the step-1 rewards) and
        tabular Q-learning on full states with BabyAI's rules as reward (no LLM)."""
        data = self.data()
        batch = data.batch()
        goals = dict(self.goals())
        views = self.views()
        rewards = {goals[gid]: np.load(self.root / "rewards" / f"{gid}.npy") for gid in views}
        truth = {goal: achieved_batch(batch, goal) for goal in goals.values()}
        q = self.settings.qlearning
        raw = raw_tabular_policies(data, truth, q.alpha, q.gamma)
        gcbc, report = train_gcbc(data, rewards, seed=self.context.seed)
        return {
            "goal-conditioned BC (raw data, hindsight goals from step 1)": gcbc,
            "tabular RL, no LLM (full states, BabyAI's rules as reward)": raw,
        }, {"gcbc": report}

    # -- evaluation ---------------------------------------------------------------------
    def tabular_policy(self) -> tuple[Policy, dict[str, int]]:
        """The step-2 policies: greedy on each training goal's Q-table; in an abstract state
        the data never showed, DQN's network (with ``algorithm: dqn``) or a random action; no
        answer for a goal without a table."""
        views = self.views()
        tables = {}
        networks = {}
        for gid, goal in self.goals():
            if gid in views:
                table, keys = QTable.load(self.root / "qtables" / f"{gid}.npz")
                tables[goal] = (views[gid], table, {k: i for i, k in enumerate(keys)})
                if (self.root / "qtables" / f"{gid}.pt").exists():
                    networks[goal] = QNetwork.load(self.root / "qtables" / f"{gid}.pt")
        counts = {"steps": 0, "unknown_states": 0}
        rng = random.Random(self.context.seed)
        ties = np.random.default_rng(self.context.seed)

        def act(state: dict[str, Any], goal: Goal, instruction: str) -> int | None:
            if goal not in tables:
                return None
            view, table, rows = tables[goal]
            counts["steps"] += 1
            row = rows.get(view.key(state))
            if row is None or not table.known(row):
                counts["unknown_states"] += 1
                if goal in networks:
                    return networks[goal].greedy(observations_of(view, as_batch(state))[0])
                return rng.randrange(RANDOM_ACTIONS)
            return table.greedy(row, ties)

        return act, counts

    def evaluate(self, episodes: int, deterministic: bool) -> dict[str, float]:
        """Every policy on the four cells; writes ``evaluation.json`` and ``evaluation.md``."""
        goals = _read(self.root / "goals.json")
        cell_goals = {
            "train goals": [g for _, g in self.goals()],
            "test goals": [g for _, g in self.goals("test")],
        }
        cell_layouts = {
            "train layouts": goals["train_layouts"],
            "test layouts": goals["test_layouts"],
        }
        step2, counts = self.tabular_policy()
        rng = random.Random(self.context.seed)
        agents = self.agents() if self.settings.distill else {}
        baselines, baseline_report = self.baselines() if self.settings.baselines else ({}, {})
        policies: dict[str, Policy] = {
            **agents,
            **baselines,
            step2_name(self.settings): step2,
            "random actions (reference)": lambda state, goal, text: rng.randrange(RANDOM_ACTIONS),
        }
        cells = {
            f"{layouts} / {goal_set}": (
                cell_goals[goal_set], cell_layouts[layouts], goal_set == "test goals"
            )
            for layouts, goal_set in CELLS
        }  # fmt: skip
        rows, seconds = {}, {}
        for number, (name, policy) in enumerate(policies.items(), 1):
            log.info("evaluating %s: %d episodes in each of 4 cells", name, episodes)
            started = time.perf_counter()
            unit = f"episodes, policy {number}/{len(policies)}"
            rows[name] = evaluate_cells(
                self.level, policy, cells, episodes, self.context.eval_seed,
                progress=lambda done, total, unit=unit: self.context.progress(done, total, unit),
            )  # fmt: skip
            seconds[name] = round(time.perf_counter() - started, 1)
        result = {
            "episodes_per_cell": episodes,
            "rows": rows,
            "seconds": seconds,
            "step2_counts": counts,
            "baselines": baseline_report,
            "agents": {
                name: {**agent.stats(), "llm": agent.llm.stats.as_dict()}
                for name, agent in agents.items()
            },
        }
        _write(self.root / "evaluation.json", result)
        (self.root / "evaluation.md").write_text(evaluation_table(rows) + "\n")
        headline = next(iter(agents)) if agents else next(n for n in rows if n.startswith("step-2"))
        main = rows[headline]["train layouts / train goals"]
        return {
            "return_mean": float(main.get("success", 0.0)),
            "return_std": 0.0,
            "length_mean": float(main.get("length", 0.0)),
            "episodes": float(main.get("episodes", 0)),
            "success_train_train": float(main.get("success", 0.0)),
            "policy": headline,  # whose success the return is
        }

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"level": self.level, "timings": self._old_timings()}
        for name in ("abstractions", "labels", "proxy", "qlearning", "dataset", "sft", "finetune"):
            path = self.root / f"{name}.json"
            if path.exists():
                out[name] = _summarise(name, _read(path))
        return out


def evaluation_table(rows: dict[str, dict[str, dict[str, Any]]]) -> str:
    """A markdown table: success / episode length / invalid share per cell."""
    head = "| policy | " + " | ".join(f"{a} / {b}" for a, b in CELLS) + " |"
    lines = [head, "| --- |" + " ---: |" * len(CELLS)]
    for name, cells in rows.items():
        values = []
        for layouts, goal_set in CELLS:
            cell = cells[f"{layouts} / {goal_set}"]
            values.append(
                f"{cell['success']:.0%} / {cell['length']:.0f} / {cell['invalid']:.0%}"
                if cell.get("episodes")
                else "n/a"
            )
        lines.append(f"| {name} | " + " | ".join(values) + " |")
    return "\n".join(lines)


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


def _same_objects(answer: dict[str, Any] | None, truth: dict[str, Any]) -> bool:
    """Whether an answer names the goal's objects (what the abstraction depends on)."""
    keys = ("goal_object", "goal_location")
    return answer is not None and all(answer[k] == truth[k] for k in keys)


def _capped(goals: list[Goal], cap: int | None) -> list[Goal]:
    """At most ``cap`` goals, taken in turn from each kind (so that put-next pairs, the most
    numerous, do not crowd out the rest)."""
    if cap is None or len(goals) <= cap:
        return goals
    rng = random.Random(0)
    by_kind: dict[str, list[Goal]] = {}
    for goal in goals:
        by_kind.setdefault(goal.kind, []).append(goal)
    for group in by_kind.values():
        rng.shuffle(group)
    chosen: list[Goal] = []
    while len(chosen) < cap:
        for group in by_kind.values():
            if group and len(chosen) < cap:
                chosen.append(group.pop())
    return sorted(chosen)


def _sample_index(data: Transitions, goal: Goal) -> int:
    """A stored state whose layout holds the goal's object (the first one; else state 0)."""
    for index in range(len(data)):
        if tiles_of(data.state(index), goal.obj):
            return index
    return 0

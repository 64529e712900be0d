"""Before step 1: the run's goals and layouts, and the unlabelled dataset (no rewards, no
goals) that the later steps learn from."""

from __future__ import annotations

import random
import shutil

import numpy as np

from langreward.plugin import MethodError
from langreward.teduo.collect import collect_dataset
from langreward.teduo.config import TEDUOSettings
from langreward.teduo.goals import Goal, goals_in_layout, phrase, split_goals
from langreward.teduo.levels import layout_seeds, make_level, reset_layout
from langreward.teduo.stages.context import TEDUORun, goal_id, goal_record

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


def goals(run: TEDUORun) -> None:
    """Stage ``goals``: writes ``goals.json`` (goals with ids and instructions, layouts)."""
    train, test, train_layouts, test_layouts = plan_goals(run.level, run.settings)
    if not train:
        raise MethodError(NO_TRAINING_GOAL)
    run.write(
        "goals.json",
        {
            "level": run.level,
            "train_layouts": train_layouts,
            "test_layouts": test_layouts,
            "train": [
                {"id": goal_id(i, g), **goal_record(g), "instruction": phrase(g)}
                for i, g in enumerate(train)
            ],
            "test": [
                {"id": goal_id(i, g), **goal_record(g), "instruction": phrase(g, test=True)}
                for i, g in enumerate(test)
            ],
        },
    )


def collect(run: TEDUORun) -> None:
    """Stage ``collect``: the behaviour policy's transitions in ``dataset/`` (Minari) and
    what it did in ``dataset.json``."""
    data = run.settings.data
    shutil.rmtree(run.dir / "dataset", ignore_errors=True)  # left by a killed collection
    stats = collect_dataset(
        run.level,
        run.dir / "dataset",
        steps=data.steps,
        layouts=data.layouts,
        epsilon=data.epsilon,
        behaviour=data.behaviour,
        goals=[goal for _, goal in run.goals()],
        seed=run.seed,
        progress=lambda done, total: run.progress(done, total, "transitions"),
    )
    run.write("dataset.json", stats.as_dict())


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

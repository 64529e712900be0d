"""Collect the unlabelled dataset: the BabyAI bot pursuing hidden goals, with random actions
mixed in, on a fixed set of training layouts; stored as a Minari dataset on local disk.

Nothing in the data says what the goal was: rewards are 0, no step is terminal (an episode
that reached its hidden goal ends like one that ran out of steps, by truncation), and the
mission is not part of the state. A learner sees only (state, action, next state).

Example:
    >>> stats = collect_dataset("two-rooms", tmp_path, steps=200, layouts=2)  # doctest: +SKIP
    >>> load_dataset(tmp_path).total_steps  # doctest: +SKIP
    200
"""

from __future__ import annotations

import os
import random
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from langreward.teduo.goals import Goal, goals_in_layout
from langreward.teduo.levels import LEVELS, layout_seeds, make_level, reset_layout
from langreward.teduo.state import encode_state, observation_space

ACTIONS = 7  # BabyAI's actions: left, right, forward, pick up, drop, toggle, done
RANDOM_ACTIONS = 6  # random behaviour never says "done" (the bot sometimes does)
DATASET_NAME = "teduo/{level}-v0"


@dataclass
class CollectStats:
    """What the collection did (none of it is in the dataset itself)."""

    episodes: int = 0
    steps: int = 0
    reached: int = 0  # episodes whose hidden goal was achieved
    bot_failures: int = 0  # episodes where the bot could not plan and random actions took over
    goals: Counter[str] = field(default_factory=Counter)  # hidden goals by kind
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "episodes": self.episodes,
            "steps": self.steps,
            "reached": self.reached,
            "bot_failures": self.bot_failures,
            "goals": dict(self.goals),
            "seconds": round(self.seconds, 2),
        }


@contextmanager
def _datasets_at(directory: Path) -> Iterator[None]:
    """Point Minari at ``directory`` (it reads ``MINARI_DATASETS_PATH`` at each call)."""
    previous = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(Path(directory).resolve())  # Minari needs it absolute
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("MINARI_DATASETS_PATH", None)
        else:
            os.environ["MINARI_DATASETS_PATH"] = previous


def collect_dataset(
    level: str,
    directory: str | Path,
    *,
    steps: int,
    layouts: int = 8,
    epsilon: float = 0.2,
    behaviour: str = "bot",
    goals: list[Goal] | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> CollectStats:
    """Collect ``steps`` transitions on ``layouts`` training layouts of ``level``.

    Args:
        level: a name from :data:`~langreward.teduo.levels.LEVELS`.
        directory: where the Minari dataset goes (``MINARI_DATASETS_PATH`` for this call).
        steps: transitions to collect (the last episode is cut to fit).
        layouts: training layouts (seeds ``0..layouts-1``).
        epsilon: share of random actions mixed into the bot's (``behaviour="bot"``).
        behaviour: ``bot`` (the BabyAI bot pursuing a hidden goal) or ``random``.
        goals: hidden goals to draw from (default: every goal the layout allows).
        seed: seeds starts, goals and random actions.
        progress: ``progress(done, total)`` now and then.
    """
    import minari
    from minari.data_collector import EpisodeBuffer

    if behaviour not in ("bot", "random"):
        raise ValueError(f"behaviour must be 'bot' or 'random', not {behaviour!r}")
    if steps < 1 or layouts < 1 or not 0.0 <= epsilon <= 1.0:
        raise ValueError("steps and layouts must be >= 1 and epsilon in [0, 1]")
    env = make_level(level)  # an unknown level: ValueError naming the known ones
    spec = LEVELS[level]
    env.max_steps = spec.max_steps
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    seeds = layout_seeds(layouts)
    stats = CollectStats()
    started = time.perf_counter()
    buffers: list[Any] = []  # Minari's EpisodeBuffer (untyped)
    while stats.steps < steps:
        episode = _episode(env, spec.max_steps, seeds, goals, behaviour, epsilon, rng, pick, stats)
        episode = episode[: steps - stats.steps + 1]  # states: one more than actions
        buffers.append(_buffer(EpisodeBuffer, len(buffers), episode))
        stats.steps += len(episode) - 1
        stats.episodes += 1
        if progress is not None:
            progress(stats.steps, steps)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with _datasets_at(directory), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # metadata we have no value for
        minari.create_dataset_from_buffers(
            DATASET_NAME.format(level=level),
            buffers,
            observation_space=observation_space(env.width, env.height),
            action_space=_action_space(),
            algorithm_name=f"BabyAI bot, epsilon {epsilon}" if behaviour == "bot" else "random",
            description=f"TEDUO unlabelled data on {level} ({LEVELS[level].description}), "
            f"{layouts} training layouts; goals hidden",
            data_format="hdf5",  # arrow stats every file once per episode (quadratic)
            jpeg_encoding=False,
        )
    stats.seconds = time.perf_counter() - started
    return stats


def load_dataset(directory: str | Path, level: str = "two-rooms") -> Any:
    """The Minari dataset collected into ``directory``."""
    import minari

    with _datasets_at(Path(directory)):
        return minari.load_dataset(DATASET_NAME.format(level=level))


def _action_space() -> Any:
    import gymnasium as gym

    return gym.spaces.Discrete(ACTIONS)


def _episode(
    env: Any,
    max_steps: int,
    seeds: list[int],
    goals: list[Goal] | None,
    behaviour: str,
    epsilon: float,
    rng: np.random.Generator,
    pick: random.Random,
    stats: CollectStats,
) -> list[tuple[dict[str, np.ndarray], int | None]]:
    """One episode as (state, action taken in it) pairs; the last state has no action."""
    wanted = set(goals) if goals is not None else None
    for _ in range(4 * len(seeds)):  # a layout whose objects allow one of the wanted goals
        reset_layout(env, seeds[pick.randrange(len(seeds))], rng)
        allowed = [g for g in goals_in_layout(env) if wanted is None or g in wanted]
        if allowed:
            break
    else:
        raise ValueError("none of the given goals fits the objects of the training layouts")
    goal = allowed[pick.randrange(len(allowed))]
    stats.goals[goal.kind] += 1
    env.instrs = goal.instruction()
    env.instrs.reset_verifier(env)
    bot = _bot(env) if behaviour == "bot" else None
    planned = _plan(bot, None)
    if bot is not None and planned is None:
        stats.bot_failures += 1
        bot = None
    steps: list[tuple[dict[str, np.ndarray], int | None]] = []
    for _ in range(max_steps):
        state = encode_state(env)
        random_action = bot is None or pick.random() < epsilon
        # not random: a bot is kept only while it has a plan, so planned is an int
        action = int(rng.integers(RANDOM_ACTIONS)) if random_action else int(cast(int, planned))
        steps.append((state, action))
        _, _, terminated, truncated, _ = env.step(action)
        if terminated:
            stats.reached += 1
            break
        if truncated:
            break
        if bot is not None:
            planned = _plan(bot, action)
            if planned is None:
                stats.bot_failures += 1
                bot = None
    steps.append((encode_state(env), None))
    return steps


def _bot(env: Any) -> Any:
    from minigrid.utils.baby_ai_bot import BabyAIBot

    try:
        return BabyAIBot(env)
    except Exception:  # noqa: BLE001 - the bot cannot plan some goals
        return None


def _plan(bot: Any, action_taken: int | None) -> int | None:
    if bot is None:
        return None
    try:
        return int(bot.replan(action_taken))
    except Exception:  # noqa: BLE001 - the bot gives up after some random actions
        return None


def _buffer(
    buffer_class: Any, index: int, episode: list[tuple[dict[str, np.ndarray], int | None]]
) -> Any:
    states = [state for state, _ in episode]
    actions = [action for _, action in episode[:-1]]
    length = len(actions)
    return buffer_class(
        id=index,
        observations={key: np.stack([s[key] for s in states]) for key in states[0]},
        actions=np.asarray(actions, dtype=np.int64),
        rewards=[0.0] * length,
        terminations=[False] * length,
        truncations=[False] * (length - 1) + [True],
    )

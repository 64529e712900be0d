"""The LGR2 plug-in: ``build(settings, context)`` for the experiment runner.

``variant: lgr2`` and ``hrl`` bring their own algorithm, :class:`~langreward.lgr2.agent.
TwoLevelSAC` (two SB3 SAC learners driven by its loop); ``flat`` is SB3's SAC with SB3's
``HerReplayBuffer``. All arms share the config's SAC settings (``algo_kwargs``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3 import HerReplayBuffer
from stable_baselines3.common.callbacks import BaseCallback

from langreward.lgr2.agent import TwoLevelSAC
from langreward.lgr2.config import LGR2Settings
from langreward.lgr2.evaluate import success_rate
from langreward.lgr2.reward import HAND_WRITTEN_REACH, RewardSpec
from langreward.plugin import Method, MethodError, OnlineSetup, PreflightInfo, RunContext

REWARD_FILE = "reward.json"
Array = np.ndarray
SUCCESS_EPISODES = 5

#: The task in words, per env family prefix (``lgr2.instruction`` replaces it).
INSTRUCTIONS = {
    "PointMaze": "Roll the ball through the maze to the goal position and stay there.",
    "AntMaze": "Walk the ant robot through the maze to the goal position and stay there.",
}


def instruction_for(env_id: str, settings: LGR2Settings) -> str:
    if settings.instruction:
        return settings.instruction
    name = env_id.split(":")[-1]
    for prefix, words in INSTRUCTIONS.items():
        if name.startswith(prefix):
            return words
    raise MethodError(
        f"{env_id}: no built-in instruction; give lgr2.instruction (the task in words)"
    )


def _goal_env(env: Any, env_id: str) -> Any:
    space = env.observation_space
    keys = {"observation", "achieved_goal", "desired_goal"}
    if not isinstance(space, gym.spaces.Dict) or not keys <= set(space.spaces):
        raise MethodError(
            f"{env_id} is not a goal env: LGR2 needs dict observations with observation, "
            "achieved_goal and desired_goal, and compute_reward (e.g. PointMaze_UMaze-v3)"
        )
    return env.unwrapped


def subgoal_bounds(
    settings: LGR2Settings, env: Any, env_id: str
) -> tuple[list[float], list[float]]:
    """``lgr2.subgoal_bounds``, else the maze's extent, else a finite achieved-goal space."""
    if settings.subgoal_bounds is not None:
        return settings.subgoal_bounds
    maze = getattr(env.unwrapped, "maze", None)
    if maze is not None:
        return [-maze.x_map_center, -maze.y_map_center], [maze.x_map_center, maze.y_map_center]
    space = env.observation_space["achieved_goal"]
    if np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high)):
        return space.low.tolist(), space.high.tolist()
    raise MethodError(
        f"{env_id}: its achieved goals are unbounded; give lgr2.subgoal_bounds "
        "([low corner], [high corner])"
    )


def obtain_reward(settings: LGR2Settings, context: RunContext) -> tuple[RewardSpec, dict[str, Any]]:
    """The run's r_phi: reused from the run dir, read from a file, hand-written, or the LLM's
    (then saved to ``run_dir/reward.json`` with how it was obtained)."""
    saved = Path(context.run_dir) / REWARD_FILE
    if saved.is_file():  # a resumed run keeps its reward; no LLM needed
        record = json.loads(saved.read_text())
        return RewardSpec.model_validate(record["spec"]), record["origin"]
    source = settings.reward
    origin: dict[str, Any]
    if source.source == "hand":
        spec, origin = HAND_WRITTEN_REACH, {"origin": "hand-written (not an LLM's)"}
    elif source.source == "file":
        path = Path(source.path or "")
        if not path.is_file():
            raise MethodError(f"lgr2.reward.path: file not found: {source.path!r}")
        data = json.loads(path.read_text())
        spec = RewardSpec.model_validate(data.get("spec", data))
        origin = {"origin": f"file:{path}"}
    else:
        from langreward.lgr2.translate import check_instruction, translate

        llm_spec = source.llm or context.llm.spec
        llm = context.llm.get(llm_spec)  # the runner exports its transcript and cost
        instruction = instruction_for(context.env_id, settings)
        fit = check_instruction(llm, instruction) if source.check_instruction else None
        result = translate(llm, instruction, repair_rounds=source.repair_rounds)
        spec = result.spec
        origin = {
            "origin": f"llm:{llm_spec}",
            "instruction": instruction,
            "instruction_fit": fit,
            "description": result.description,
            "descriptor_attempts": result.descriptor_attempts,
            "descriptor_mode": result.descriptor_mode,
            "coder_repairs": result.coder_repairs,
        }
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps({"spec": spec.model_dump(), "origin": origin}, indent=2))
    return spec, origin


class _ModelStats(BaseCallback):
    """Keeps the trained model at hand for the method's summary."""

    def _on_step(self) -> bool:
        return True


def preflight(settings: LGR2Settings, info: PreflightInfo) -> list[str]:
    """Before the LLM writes a reward: a goal env, subgoal bounds, an instruction for the LLM,
    and (``flat`` with HER) learning starts past the first episode."""
    problems: list[str] = []
    checks: list[tuple[str, Any]] = [("env.id: ", lambda: _goal_env(info.env, info.env_id))]
    if settings.variant != "flat":
        checks.append(("", lambda: subgoal_bounds(settings, info.env, info.env_id)))
    if settings.variant == "lgr2" and settings.reward.source == "llm":
        checks.append(("", lambda: instruction_for(info.env_id, settings)))
    for field, check in checks:
        try:
            check()
        except MethodError as exc:
            problems.append(f"{field}{exc}")
            break  # the later checks assume a goal env
    horizon = info.env.spec.max_episode_steps if info.env.spec is not None else None
    if settings.variant == "flat" and settings.her and horizon:
        if settings.learning_starts <= horizon:
            problems.append(
                f"lgr2.learning_starts: {settings.learning_starts}: SB3's HerReplayBuffer "
                f"samples only finished episodes; give more than the episode length ({horizon})"
            )
    return problems


def build(settings: LGR2Settings, context: RunContext) -> OnlineSetup:
    """Envs, algorithm and settings of one LGR2 arm.

    Example:
        >>> from pathlib import Path
        >>> ctx = RunContext("PointMaze_UMaze-v3", "sac", 0, 1, 1000, Path("/tmp/lgr2-doc"))
        >>> setup = build(LGR2Settings(variant="hrl"), ctx)  # doctest: +SKIP
        >>> setup.algorithm.__name__  # doctest: +SKIP
        'TwoLevelSAC'
    """
    probe = context.make_env()
    try:
        goal_env = _goal_env(probe, context.env_id)
        bounds = subgoal_bounds(settings, probe, context.env_id)
        compute_reward = goal_env.compute_reward
    finally:
        probe.close()
    env = context.make_vec_env()
    eval_env = context.make_vec_env(evaluation=True)
    success_env = context.make_vec_env(evaluation=True)
    stats = _ModelStats()
    summary: dict[str, Any] = {"variant": settings.variant, "her": settings.her}

    if settings.variant == "flat":
        horizon = probe.spec.max_episode_steps if probe.spec is not None else None
        if settings.her and horizon and settings.learning_starts <= horizon:
            raise MethodError(
                f"lgr2.learning_starts={settings.learning_starts}: SB3's HerReplayBuffer samples "
                f"only finished episodes; give more than the episode length ({horizon})"
            )
        kwargs: dict[str, Any] = {"learning_starts": settings.learning_starts}
        if settings.her:
            kwargs.update(
                replay_buffer_class=HerReplayBuffer,
                replay_buffer_kwargs={"n_sampled_goal": 4, "goal_selection_strategy": "future"},
            )
    else:
        if settings.variant == "lgr2":
            spec, origin = obtain_reward(settings, context)
            r_phi = spec.compile()
            summary.update(reward=spec.describe(), **origin)

            def high_reward(
                achieved: Array, next_achieved: Array, goal: Array, sub: Array
            ) -> Array:
                return r_phi(achieved, goal, sub)

        else:
            summary["reward"] = "the env's sparse reward at each segment's end"

            def high_reward(
                achieved: Array, next_achieved: Array, goal: Array, sub: Array
            ) -> Array:
                return np.asarray(compute_reward(next_achieved, goal, None), np.float32)

        kwargs = {
            "high_reward": high_reward,
            "subgoal_bounds": bounds,
            "k": settings.k,
            "low_threshold": settings.low_threshold,
            "her_ratio": settings.her_ratio if settings.her else 0.0,
            "learning_starts": settings.learning_starts,
            "gradient_steps": settings.gradient_steps,
            "buffer_size": settings.buffer_size,
        }
        summary.update(k=settings.k, subgoal_bounds=bounds)

    def run_summary() -> dict[str, Any]:
        result = dict(summary)
        model = stats.model if stats.n_calls else None
        if model is not None:
            result["success_rate"] = success_rate(model, success_env, SUCCESS_EPISODES)
            if isinstance(model, TwoLevelSAC):
                result.update(model.stats())
        return result

    return OnlineSetup(
        env=env,
        eval_env=eval_env,
        model_kwargs=kwargs,
        callbacks=[stats],
        algorithm=None if settings.variant == "flat" else TwoLevelSAC,  # type: ignore[arg-type]  # SB3-compatible by duck typing (learn, save, load, predict), as OnlineSetup documents; not a BaseAlgorithm subclass
        summary=run_summary,
        close=success_env.close,
    )


def explain(env: gym.Env, settings: LGR2Settings) -> str:
    """The instruction the LLM would turn into reward parameters for ``env``."""
    env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
    try:
        _goal_env(env, env_id)
        return f"Instruction: {instruction_for(env_id, settings)}"
    except MethodError as exc:
        return f"not applicable: {exc}"


METHOD = Method(
    name="lgr2",
    settings=LGR2Settings,
    build=build,
    description="language-guided stationary high-level rewards for a two-level SAC agent "
    "with hindsight on both levels",
    algos=frozenset({"sac"}),
    explain=explain,
    preflight=preflight,
)

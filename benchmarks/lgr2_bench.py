"""LGR2 benchmark: the two-level agent's speed against flat SAC+HER, and the comparison arms.

    python benchmarks/lgr2_bench.py speed [--steps 3000] [--repeats 3]
        env steps/s of the two-level agent and of SB3's SAC + HerReplayBuffer, side by side in
        one process (alternating), at one low-level gradient step per env step each.
    python benchmarks/lgr2_bench.py arms umaze [--seeds 3] [--workers 2] [--timesteps 100000]
        every arm on PointMaze: flat SAC+HER, two levels with the env's sparse reward (hrl),
        with a hand-written stationary reward (hand), LGR2 with the LLM's reward, LGR2 without
        hindsight; success rate (deterministic), steps to 80 % success, the non-stationarity
        metric (distance between a subgoal and where the low level got).
Each writes its section of docs/BENCHMARKS.md (``--no-docs``: print only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_utils import publish, run_variants, spread_cell, update_benchmarks_md  # noqa: E402

from langreward.experiments import validate_config  # noqa: E402
from langreward.experiments.report_data import Group  # noqa: E402
from langreward.experiments.rundir import RunPaths  # noqa: E402
from langreward.experiments.yamlio import read_yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent
CONFIG = ROOT.parent / "configs" / "lgr2" / "pointmaze_umaze.yaml"
PRESETS = {"umaze": "PointMaze_UMaze-v3", "medium": "PointMaze_Medium-v3"}
ARMS: dict[str, dict[str, Any]] = {
    "flat": {"variant": "flat"},
    "hrl": {"variant": "hrl"},
    "hand": {"variant": "lgr2", "reward": {"source": "hand"}},
    "lgr2": {"variant": "lgr2", "reward": {"source": "llm"}},
    "lgr2-no-her": {"variant": "lgr2", "reward": {"source": "llm"}, "her": False},
}


# -- speed ---------------------------------------------------------------------------------------
def _time(make, steps: int) -> float:
    model = make()
    start = time.perf_counter()
    model.learn(steps)
    return steps / (time.perf_counter() - start)


def speed(args: argparse.Namespace) -> None:
    import gymnasium as gym
    import gymnasium_robotics
    from stable_baselines3 import SAC, HerReplayBuffer
    from stable_baselines3.common.env_util import make_vec_env

    from langreward.lgr2.agent import TwoLevelSAC
    from langreward.lgr2.reward import HAND_WRITTEN_REACH

    gym.register_envs(gymnasium_robotics)
    env_id = PRESETS["umaze"]
    sac = {"batch_size": 256, "learning_rate": 1e-3, "policy_kwargs": {"net_arch": [256, 256]}}
    # learning starts after the first episode: the timed steps then make one gradient step each
    reward = HAND_WRITTEN_REACH.compile()

    def flat() -> Any:
        env = make_vec_env(env_id, n_envs=1, seed=0)
        return SAC("MultiInputPolicy", env, replay_buffer_class=HerReplayBuffer,
                   learning_starts=301, gradient_steps=1, **sac)  # fmt: skip

    def two_level() -> Any:
        env = make_vec_env(env_id, n_envs=1, seed=0)
        return TwoLevelSAC(
            None,
            env,
            high_reward=lambda a, na, g, s: reward(a, g, s),
            subgoal_bounds=([-2.5, -2.5], [2.5, 2.5]),
            k=15,
            learning_starts=301,
            gradient_steps=1,
            **sac,
        )

    rates: dict[str, list[float]] = {"flat SAC+HER": [], "two-level (LGR2)": []}
    for _ in range(args.repeats):
        rates["flat SAC+HER"].append(_time(flat, args.steps))
        rates["two-level (LGR2)"].append(_time(two_level, args.steps))
    flat_rate = statistics.median(rates["flat SAC+HER"])
    lines = [
        "| agent | env steps/s, median [min–max] | × flat |",
        "| --- | ---: | ---: |",
    ]
    for name, values in rates.items():
        median = statistics.median(values)
        lines.append(
            f"| {name} | {median:.0f} [{min(values):.0f}–{max(values):.0f}] | "
            f"{median / flat_rate:.2f} |"
        )
    body = (
        f"`{env_id}`, {args.steps:,} env steps per run, {args.repeats} runs of each, "
        "alternating in one process; SAC 256x256, batch 256, one low-level gradient step per "
        "env step (the two-level agent adds one high-level step per 15-step segment; its "
        "high-level reward is the hand-written one: no LLM), seed 0, learning "
        f"from step 301 (after the first 300-step episode: SB3's HER samples only finished episodes). torch threads: {os.environ.get('OMP_NUM_THREADS', 'default')}, "
        f"{os.cpu_count()} cores, {date.today().isoformat()}. Command: `OMP_NUM_THREADS=1 "
        f"python benchmarks/lgr2_bench.py speed --steps {args.steps} --repeats "
        f"{args.repeats}`.\n\n" + "\n".join(lines)
    )
    print(body)
    if not args.no_docs:
        update_benchmarks_md("lgr2_speed", "LGR2: two-level agent speed", body)


# -- arms ----------------------------------------------------------------------------------------
def arm_config(preset: str, arm: str, timesteps: int, llm: str) -> Any:
    base = read_yaml(CONFIG)
    section = {**base["lgr2"], **ARMS[arm]}
    if "reward" in ARMS[arm]:
        section["reward"] = {**base["lgr2"].get("reward", {}), **ARMS[arm]["reward"]}
    data = {
        **base,
        "name": f"bench-lgr2-{preset}-{arm}",
        "env": {"id": PRESETS[preset], "kwargs": {}},
        "total_timesteps": timesteps,
        "eval": {"every": max(1, timesteps // 10), "episodes": 5},
        "checkpoint_every": max(1, timesteps // 10),
        "llm": llm,
        "lgr2": section,
    }
    data.pop("seeds", None)
    return validate_config(data, f"{preset}/{arm}")


def _success_curve(run: Any) -> list[tuple[int, float]]:
    rows = [r for r in RunPaths(run.run_dir).rows("method") if "success_rate" in r["stats"]]
    return [(int(r["timestep"]), float(r["stats"]["success_rate"])) for r in rows]


def steps_to_80(group: Group) -> str:
    firsts = []
    for run in group.runs:
        hit = [t for t, rate in _success_curve(run) if rate >= 0.8]
        firsts.append(hit[0] if hit else None)
    reached = [f for f in firsts if f is not None]
    median = f"{statistics.median(reached):,.0f}" if reached else "—"
    return f"{median} ({len(reached)}/{len(firsts)})"


def final_stat(key: str, digits: int = 2):
    def cell(group: Group) -> str:
        values = [(s.get("method_summary") or {}).get(key) for s in group.summaries]
        values = [float(v) for v in values if v is not None and v == v]
        if not values:
            return "—"
        return f"{np.median(values):.{digits}f} [{min(values):.{digits}f}–{max(values):.{digits}f}]"

    return cell


def arms(args: argparse.Namespace) -> None:
    configs = {a: arm_config(args.preset, a, args.timesteps, args.llm) for a in args.arms}
    sweep_dirs, groups = run_variants(
        configs, args.seeds, args.workers, args.out / args.preset, args.preset
    )
    head = ["arm", "final success", "steps to 80 % (reached)", "subgoal distance", "AUC (return)",
            "wall × flat"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    by_arm = {g.label: g for g in groups}
    flat_wall = by_arm["flat"].spread("wall_time_s").median if "flat" in by_arm else None
    for arm in args.arms:
        group = by_arm.get(arm)
        if group is None:
            continue
        wall = group.spread("wall_time_s").median
        lines.append(
            "| "
            + " | ".join(
                [
                    arm,
                    final_stat("success_rate")(group),
                    steps_to_80(group),
                    final_stat("subgoal_distance")(group),
                    spread_cell(group.spread("auc")),
                    f"{wall / flat_wall:.2f}" if wall and flat_wall else "—",
                ]
            )
            + " |"
        )
    rewards = []
    for arm in ("lgr2", "lgr2-no-her"):
        group = by_arm.get(arm)
        for summary in group.summaries if group else []:
            method = summary.get("method_summary") or {}
            rewards.append(
                f"{arm} seed {summary.get('seed')}: `{method.get('reward')}` "
                f"(descriptor replies {method.get('descriptor_attempts')}, coder repairs "
                f"{method.get('coder_repairs')})"
            )
    body = (
        f"`{PRESETS[args.preset]}`, SAC 256x256 (lr 1e-3, batch 256) on every arm, "
        f"{args.timesteps:,} env steps, {args.seeds} seeds; k = 15; success: 5 deterministic "
        f"episodes at each evaluation; lgr2: reward parameters by `{args.llm}`; hand: a "
        f"hand-written stationary reward (not an LLM's). The paper's numbers (custom Fetch "
        f"mazes and kitchens, GPT-3.5) are context, not a target. {os.cpu_count()} cores, "
        f"{args.workers} runs at once, {date.today().isoformat()}. Command: `python "
        f"benchmarks/lgr2_bench.py arms {args.preset} --seeds {args.seeds} --timesteps "
        f"{args.timesteps}`.\n\n" + "\n".join(lines)
    )
    if rewards:
        body += "\n\nThe LLM's reward parameters: " + "; ".join(rewards) + "."
    if args.note:
        body += f"\n\n{args.note}"
    publish(f"lgr2_{args.preset}", f"LGR2: {args.preset}", body, sweep_dirs, not args.no_docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fast = sub.add_parser("speed")
    fast.add_argument("--steps", type=int, default=3000)
    fast.add_argument("--repeats", type=int, default=3)
    fast.add_argument("--no-docs", action="store_true")
    full = sub.add_parser("arms")
    full.add_argument("preset", choices=sorted(PRESETS))
    full.add_argument("--seeds", type=int, default=3)
    full.add_argument("--workers", type=int, default=2)
    full.add_argument("--timesteps", type=int, default=100_000)
    full.add_argument("--llm", default="embedded:qwen2.5-coder-1.5b")
    full.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    full.add_argument("--out", type=Path, default=ROOT / "runs" / "lgr2")
    full.add_argument("--no-docs", action="store_true")
    full.add_argument("--note", default="", help="a sentence on how this run was made")
    args = parser.parse_args()
    speed(args) if args.command == "speed" else arms(args)


if __name__ == "__main__":
    main()

"""Spec-shaping benchmark: does the embedded model's spec beat the plain baseline, and is it
the model's knowledge or the trial's selection that does it?

    python benchmarks/spec_shaping_bench.py arms mountaincar [--seeds 5] [--workers 2]
        every arm on the same budget (trial steps included): the plain baseline, the 1.5B and
        0.5B models' specs (K candidates, short trial), the 1.5B model with K=1 (no
        selection), random specs from the same grammar with the same K and trial (the
        control), and a hand-written spec (expert prior, not an LLM's).
    python benchmarks/spec_shaping_bench.py speed mountaincar [--steps 20000] [--repeats 3]
        env steps/s of the algorithm on the plain and on the shaped env, alternating in one
        process (the compiled spec is on the hot path).

The LLM cache is a fresh directory per invocation: the first seed of an LLM arm pays for the
model's answers, the others reuse them (the model is asked once per env and instruction).
Each writes its section of docs/BENCHMARKS.md (``--no-docs``: print only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_utils import publish, rates_table, run_variants, update_benchmarks_md  # noqa: E402

from langreward.experiments import validate_config  # noqa: E402
from langreward.experiments.yamlio import read_yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent
CONFIGS = ROOT.parent / "configs"
LARGE, SMALL = "embedded:qwen2.5-coder-1.5b", "embedded"

#: The hand-written spec of both mountain cars: pump energy (speed in either direction, and
#: height).
PUMP_ENERGY = {
    "terms": [
        {"feature": "velocity of the car (v)", "kind": "magnitude"},
        {"feature": "position of the car along the x-axis (m)", "kind": "increase"},
    ],
    "termination": "success",
}

#: One task per preset: its spec-shaping config (algorithm, budget, threshold, hand spec).
PRESETS: dict[str, dict[str, Any]] = {
    "mountaincar": {
        "config": CONFIGS / "spec_shaping" / "mountaincar_dqn.yaml",
        "budget": 80_000,
        "hand": PUMP_ENERGY,
    },
    "mountaincarcontinuous": {
        "config": CONFIGS / "spec_shaping" / "mountaincarcontinuous_sac.yaml",
        "budget": 30_000,
        "trial_steps": 2_500,
        "hand": PUMP_ENERGY,
    },
    "acrobot": {
        "config": CONFIGS / "spec_shaping" / "acrobot_dqn.yaml",
        "budget": 60_000,
        # raise the first link (cos(theta1) toward -1) and swing it
        "hand": {
            "terms": [
                {"feature": "Cosine of theta1", "kind": "decrease"},
                {"feature": "Angular velocity of theta1", "kind": "magnitude"},
            ],
            "termination": "success",
        },
    },
}

# the same with the zoo's exploration fix (gSDE): does a spec still pay when plain SAC already
# explores?
PRESETS["mountaincarcontinuous-gsde"] = {
    **PRESETS["mountaincarcontinuous"],
    "algo_kwargs": {
        "use_sde": True,
        "policy_kwargs": {"log_std_init": -3.67, "net_arch": [64, 64]},
    },
}


def read_config(preset: str) -> dict[str, Any]:
    """The preset's config file with the preset's ``algo_kwargs`` on top (no seeds)."""
    config = read_yaml(PRESETS[preset]["config"])
    config.pop("seeds", None)
    config["algo_kwargs"] = {**config["algo_kwargs"], **PRESETS[preset].get("algo_kwargs", {})}
    return config


def arms(preset: str, candidates: int, trial_steps: int) -> dict[str, dict[str, Any]]:
    """Arm name -> its ``spec_shaping`` section (``None`` for the plain baseline)."""
    hand = PRESETS[preset]["hand"]
    trial = {"steps": trial_steps, "workers": 1}
    return {
        "baseline": {},
        "llm-1.5b": {"source": "llm", "llm": LARGE, "candidates": candidates, "trial": trial},
        "llm-0.5b": {"source": "llm", "llm": SMALL, "candidates": candidates, "trial": trial},
        "llm-1.5b-1se": {
            "source": "llm",
            "llm": LARGE,
            "candidates": candidates,
            "trial": {**trial, "select": "one_se"},
        },
        "llm-1.5b-k1": {"source": "llm", "llm": LARGE, "candidates": 1},
        "random": {"source": "random", "candidates": candidates, "trial": trial},
        "hand": {"source": "hand", "spec": hand, "candidates": 1},
    }


def arm_config(preset: str, arm: str, section: dict[str, Any], budget: int) -> Any:
    """The arm's config: the preset's algorithm and threshold; trial steps come out of the
    training budget, so every arm sees ``budget`` env steps in all."""
    base = read_config(preset)
    trial_steps = section.get("candidates", 1) * section.get("trial", {}).get("steps", 0)
    trial_steps = trial_steps if section.get("candidates", 1) > 1 else 0
    data = {
        **base,
        "name": f"bench-spec-{preset}-{arm}",
        "total_timesteps": budget - trial_steps,
        "checkpoint_every": 0,
        "eval": {"every": 0, "episodes": 10},
    }
    if arm == "baseline":
        data["method"] = "baseline"
        data.pop("spec_shaping", None)
    else:
        data["spec_shaping"] = {**base.get("spec_shaping", {}), **section}
    return validate_config(data, f"{preset}/{arm}")


def _steps_with_trial(summary: dict[str, Any]) -> float | None:
    """Steps to threshold counting every candidate's trial steps (None: never reached)."""
    steps = summary.get("steps_to_threshold")
    if steps is None:
        return None
    trial = (summary.get("method_summary") or {}).get("trial_steps") or 0
    return float(steps) + float(trial)


def _median_cell(values: list[float | None], total: int) -> tuple[str, str]:
    reached = [v for v in values if v is not None]
    if not values:
        return "—", "0/0"
    padded = np.array([np.inf if v is None else v for v in values])
    median = float(np.median(padded))
    cell = (
        "—"
        if not np.isfinite(median)
        else f"{median:,.0f} [{min(reached):,.0f}–{max(reached):,.0f}]"
    )
    return cell, f"{len(reached)}/{total}"


def arms_table(groups: list[Any], order: list[str]) -> tuple[str, list[str]]:
    by_label = {g.label: g for g in groups}
    base = by_label.get("baseline")
    base_wall = statistics.median(s["wall_time_s"] for s in base.summaries) if base else None
    head = [
        "arm",
        "steps to threshold incl. trial, median [min–max]",
        "reached",
        "without trial steps",
        "trial steps",
        "final eval return, median",
        "LLM s/run, median [max]",
        "wall × baseline",
    ]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    specs: list[str] = []
    for arm in order:
        group = by_label.get(arm)
        if group is None:
            continue
        summaries = group.summaries
        with_trial, reached = _median_cell(
            [_steps_with_trial(s) for s in summaries], len(summaries)
        )
        raw = [s.get("steps_to_threshold") for s in summaries]
        without, _ = _median_cell([None if v is None else float(v) for v in raw], len(summaries))
        methods = [s.get("method_summary") or {} for s in summaries]
        trial = statistics.median(m.get("trial_steps", 0) for m in methods) if methods else 0
        finals = [
            (s.get("final_eval") or {}).get("return_mean")
            for s in summaries
            if (s.get("final_eval") or {}).get("return_mean") is not None
        ]
        llm_s = [float((s.get("llm") or {}).get("llm_seconds", 0.0)) for s in summaries]
        wall = statistics.median(s["wall_time_s"] for s in summaries)
        lines.append(
            "| "
            + " | ".join(
                [
                    arm,
                    with_trial,
                    reached,
                    without,
                    f"{trial:,.0f}",
                    f"{statistics.median(finals):.0f}" if finals else "—",
                    f"{statistics.median(llm_s):.0f} [{max(llm_s):.0f}]" if any(llm_s) else "—",
                    f"{wall / base_wall:.2f}" if base_wall else "—",
                ]
            )
            + " |"
        )
        if methods and "spec" in methods[0]:
            chosen = [m.get("winner") for m in methods]
            fitness = [
                ", ".join("—" if f is None else f"{f:.0f}" for f in m.get("fitness", []))
                for m in methods
            ]
            specs.append(
                f"- **{arm}**: seed 0 chose candidate {chosen[0]}: {methods[0]['spec']}. Chosen "
                f"per seed: {chosen}; trial fitness per candidate (seed by seed): "
                + " | ".join(f"[{f}]" for f in fitness)
            )
    return "\n".join(lines), specs


def run_arms(args: argparse.Namespace) -> None:
    preset = PRESETS[args.preset]
    budget = args.budget or preset["budget"]
    cache = Path(args.cache_dir or tempfile.mkdtemp(prefix="spec-bench-cache-"))
    os.environ["LANGREWARD_CACHE_DIR"] = str(cache)  # a cold cache: the first seed pays
    args.trial_steps = args.trial_steps or preset.get("trial_steps", 5000)
    sections = arms(args.preset, args.candidates, args.trial_steps)
    chosen = args.arms or list(sections)
    configs = {arm: arm_config(args.preset, arm, sections[arm], budget) for arm in chosen}
    out = ROOT / "results" / f"spec_{args.preset}{args.tag}"
    sweep_dirs, groups = run_variants(configs, args.seeds, args.workers, out, args.preset)
    minutes = sum(s["wall_time_s"] for g in groups for s in g.summaries) / 60
    table, specs = arms_table(groups, chosen)
    sample = configs[chosen[-1]]
    body = (
        f"{sample.env.id}, SB3 {sample.algo.upper()} ({json.dumps(sample.algo_kwargs)}), "
        f"{budget:,} env steps per arm and seed **including every candidate's trial steps** "
        f"(K={args.candidates} candidates x {args.trial_steps:,} trial steps = "
        f"{args.candidates * args.trial_steps:,} come out of the training budget of the "
        f"K>1 arms), {args.seeds} seeds, threshold {sample.threshold:g} on the mean original "
        f"return of the last {sample.threshold_window} episodes (a run that never reaches it "
        "counts as infinite in the median). Shaping: potential-based, F = gamma*phi(s') - "
        "phi(s), phi(terminal) = 0, scale "
        f"{sample.method_section().get('scale', 50)}. llm-1.5b: `{LARGE}`, llm-0.5b: "
        f"`{SMALL}` (the slot-by-slot translator, the K likeliest fillings, the fittest kept); llm-1.5b-1se: the "
        "same, keeping the likeliest within one standard error of the fittest; llm-1.5b-k1: the "
        "likeliest filling alone (no trial); random: K fillings drawn uniformly from the same "
        "grammar, the same trial (the control: no language); hand: a hand-written spec "
        "(expert prior, not an LLM's). LLM s/run: the seconds the model worked in that run "
        "(a fresh cache per invocation: the first seeds pay, the rest hit the cache). "
        f"{os.cpu_count()} cores, {args.workers} runs at once, 1 torch thread per run, "
        f"{date.today().isoformat()}, {minutes:.0f} min of run wall time in all. Command: `python "
        f"benchmarks/spec_shaping_bench.py arms {args.preset} --seeds {args.seeds} --workers "
        f"{args.workers}`.{' ' + args.note if args.note else ''}\n\n{table}\n\nChosen specs and each candidate's trial fitness "
        "(mean original return of the episodes in the trial's second half):\n\n" + "\n".join(specs)
    )
    publish(f"spec_{args.preset}{args.tag}", f"Spec shaping: {args.preset}", body, sweep_dirs,
            not args.no_docs)  # fmt: skip


def speed(args: argparse.Namespace) -> None:
    import gymnasium as gym
    import stable_baselines3
    import torch
    from stable_baselines3.common.env_util import make_vec_env

    from langreward.spec_shaping import ShapingSpec
    from langreward.spec_shaping.features import env_features
    from langreward.spec_shaping.shaping import VecPotentialShaping

    torch.set_num_threads(1)
    config = read_config(args.preset)
    env_id, algo = config["env"]["id"], config["algo"]
    names = env_features(gym.make(env_id)).names
    spec = ShapingSpec.model_validate(PRESETS[args.preset]["hand"])
    phi = spec.compile(names, 50.0)
    cls = getattr(stable_baselines3, algo.upper())

    def env(shaped: bool) -> Any:
        venv = make_vec_env(env_id, n_envs=1, seed=0)
        return VecPotentialShaping(venv, phi, 0.99) if shaped else venv

    def rate(shaped: bool) -> float:
        model = cls("MlpPolicy", env(shaped), seed=0, **config["algo_kwargs"])
        start = time.perf_counter()
        model.learn(args.steps)
        return args.steps / (time.perf_counter() - start)

    def env_rate(shaped: bool) -> float:
        venv = env(shaped)
        venv.reset()
        actions = np.array([venv.action_space.sample() for _ in range(1000)])
        start = time.perf_counter()
        for k in range(args.steps):
            venv.step(actions[k % 1000 : k % 1000 + 1])
        return args.steps / (time.perf_counter() - start)

    rates: dict[str, list[float]] = {
        "plain, env steps only": [],
        "shaped, env steps only": [],
        f"plain, {algo.upper()} learning": [],
        f"shaped, {algo.upper()} learning": [],
    }
    for _ in range(args.repeats):
        for shaped in (False, True):
            name = "shaped" if shaped else "plain"
            rates[f"{name}, env steps only"].append(env_rate(shaped))
            rates[f"{name}, {algo.upper()} learning"].append(rate(shaped))
    body = (
        f"{env_id}, SB3 {algo.upper()} with the preset's hyper-parameters, {args.steps:,} "
        f"steps per run, {args.repeats} runs of each, alternating in one process, seed 0, 1 torch "
        f"thread; shaped: the hand-written spec compiled ({spec.describe()}). "
        f"{os.cpu_count()} cores, no LLM (the spec is hand-written), "
        f"{date.today().isoformat()}. Command: `python benchmarks/spec_shaping_bench.py speed {args.preset} "
        f"--steps {args.steps} "
        f"--repeats {args.repeats}`. Env steps only: the VecEnv stepped with random actions, "
        "no learning (the strictest view of the wrapper's cost); learning: SB3's whole loop."
        "\n\n"
        + rates_table({k: v for k, v in rates.items() if "env steps" in k}, "plain, env steps only")
        + "\n\n"
        + rates_table(
            {k: v for k, v in rates.items() if "learning" in k}, f"plain, {algo.upper()} learning"
        )
    )
    print(body)
    if not args.no_docs:
        update_benchmarks_md(
            f"spec_speed_{args.preset}", f"Spec shaping: speed ({args.preset})", body
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    arms_parser = sub.add_parser("arms")
    arms_parser.add_argument("preset", choices=sorted(PRESETS))
    arms_parser.add_argument("--seeds", type=int, default=5)
    arms_parser.add_argument("--workers", type=int, default=2)
    arms_parser.add_argument("--budget", type=int, default=None)
    arms_parser.add_argument("--candidates", type=int, default=4)
    arms_parser.add_argument("--trial-steps", type=int, default=None, help="default: the preset's")
    arms_parser.add_argument("--arms", nargs="*", default=None)
    arms_parser.add_argument("--cache-dir", default=None)
    arms_parser.add_argument("--tag", default="")
    arms_parser.add_argument("--note", default="", help="a sentence added to the section")
    speed_parser = sub.add_parser("speed")
    speed_parser.add_argument("preset", choices=sorted(PRESETS))
    speed_parser.add_argument("--steps", type=int, default=20_000)
    speed_parser.add_argument("--repeats", type=int, default=3)
    for p in (arms_parser, speed_parser):
        p.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    {"arms": run_arms, "speed": speed}[args.command](args)


if __name__ == "__main__":
    main()

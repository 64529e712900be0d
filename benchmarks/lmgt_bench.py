"""LMGT benchmark: baseline vs LMGT with the LLM judge, the oracle and noisy oracles.

For one preset (env + algorithm), runs every variant over the same seeds with the same step
budget, then writes a table (steps to threshold, AUC, final return, judge agreement, LLM cost,
wall-time ratio vs the baseline) to docs/BENCHMARKS.md and a report with learning curves to
docs/benchmarks/lmgt_<preset>/.

Usage:
    python benchmarks/lmgt_bench.py cartpole_ppo [--seeds 5] [--workers 2] [--llm embedded]
    python benchmarks/lmgt_bench.py mountaincar_dqn --variants baseline oracle noisy0.7
    python benchmarks/lmgt_bench.py cartpole_ppo --variants baseline llm --workers 1 --tag solo
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_utils import PENDULUM_SAC, pct, publish, results_table, run_variants  # noqa: E402

from langreward.experiments import validate_config  # noqa: E402
from langreward.experiments.demo import MOUNTAINCAR  # noqa: E402
from langreward.experiments.report_data import Group  # noqa: E402

ROOT = Path(__file__).resolve().parent
#: CartPole's dense reward: a small, fading shift, judged over the first 20k steps.
CARTPOLE_LMGT: dict[str, Any] = {
    "scale": 0.2,
    "scale_schedule": "linear",
    "scale_end": 0.0,
    "budget": {"kind": "first_n", "steps": 20_000},
    "key": {"bins": [1, 1, 6, 6]},
    "batch_size": 16,
}
PRESETS: dict[str, dict[str, Any]] = {
    "cartpole_ppo": {
        "base": {
            "env": {"id": "CartPole-v1", "kwargs": {}},
            "algo": "ppo",
            "algo_kwargs": {"n_steps": 512},
            "n_envs": 4,
            "total_timesteps": 50_000,
            "eval": {"every": 25_000, "episodes": 10},
            "threshold": 475,
        },
        "lmgt": CARTPOLE_LMGT,
        "coarse_key": [1, 1, 3, 3],
        "note": "dense reward: shaping is not expected to pay (DESIGN measurements)",
    },
    "mountaincar_dqn": {
        "base": {
            "env": {"id": "MountainCar-v0", "kwargs": {}},
            "algo": "dqn",
            "algo_kwargs": MOUNTAINCAR["algo_kwargs"],  # RL-zoo's, as in the demo
            "n_envs": 1,
            "total_timesteps": 80_000,
            "eval": {"every": 40_000, "episodes": 10},
            "threshold": -150,
        },
        "lmgt": {"scale": 0.5, "key": {"bins": [18, 14]}, "batch_size": 16},
        "llm_lmgt": {"key": {"bins": [9, 7]}},
        "llm_note": "a coarser key: the LLM needs about 0.9 s per new pair on one core",
        "note": "sparse reward (-1 per step until the flag): where a good judge should pay",
    },
    "cartpole_dqn": {
        "base": {
            "env": {"id": "CartPole-v1", "kwargs": {}},
            "algo": "dqn",
            "algo_kwargs": {
                "learning_rate": 2.3e-3,
                "batch_size": 64,
                "buffer_size": 100_000,
                "learning_starts": 1000,
                "gamma": 0.99,
                "target_update_interval": 10,
                "train_freq": 256,
                "gradient_steps": 128,
                "exploration_fraction": 0.16,
                "exploration_final_eps": 0.04,
                "policy_kwargs": {"net_arch": [256, 256]},
            },
            "n_envs": 1,
            "total_timesteps": 50_000,
            "eval": {"every": 25_000, "episodes": 10},
            "threshold": 475,
        },
        "lmgt": CARTPOLE_LMGT,
        "note": "dense reward: shaping is not expected to pay",
    },
    "pendulum_sac": {
        "base": PENDULUM_SAC,
        "lmgt": {
            "scale": 1.0,
            "budget": {"kind": "first_n", "steps": 5_000},
            "key": {"bins": [6, 6, 8], "action_bins": 4},
            "batch_size": 16,
        },
        "llm_lmgt": {"key": {"bins": [4, 4, 6], "action_bins": 3}},
        "llm_note": "a coarser key: the LLM needs about 0.9 s per new pair on one core",
        "note": "dense reward, continuous actions (the judge reads the torque in words)",
    },
    "babyai_ppo": {
        "base": {
            "env": {"id": "BabyAI-GoToRedBallNoDists-v0", "kwargs": {}},
            "algo": "ppo",
            "algo_kwargs": {
                "n_steps": 128,
                "batch_size": 256,
                "n_epochs": 4,
                "learning_rate": 7.0e-4,
                "ent_coef": 0.01,
            },
            "n_envs": 8,
            "total_timesteps": 100_000,
            "eval": {"every": 50_000, "episodes": 20},
            "threshold": 0.5,
        },
        "lmgt": {"scale": 0.05, "batch_size": 16},
        "llm_lmgt": {"key": {"kind": "text"}, "budget": {"kind": "first_n", "steps": 1000}},
        "llm_note": "the description as the key, and only the first 1,000 steps judged: the LLM "
        "needs about 0.9 s per new pair on one core, and nearly every BabyAI view is new",
        "note": "sparse reward (1 - 0.9 t/T on reaching the ball, else 0), image observations; "
        "the reference is the BabyAI bot's action",
    },
}
VARIANTS = [
    "baseline",
    "llm",
    "llm-warm",
    "llm-bg",
    "llm-coarse",
    "llm-cal",
    "constant",
    "oracle",
    "noisy0.9",
    "noisy0.7",
    "noisy0.5",
]


def variant_config(preset: str, variant: str, llm: str) -> Any:
    spec = PRESETS[preset]
    data: dict[str, Any] = {**spec["base"], "name": f"bench-{preset}-{variant}", "llm": llm}
    if variant == "baseline":
        data["method"] = "baseline"
    else:
        lmgt = dict(spec["lmgt"])
        if variant.startswith("llm"):  # llm-bg: the judge asks in a background thread
            lmgt.update(spec.get("llm_lmgt", {}), judge="llm", background=variant == "llm-bg")
            if variant == "llm-coarse":  # the cheapest key worth trying, for the cost targets
                lmgt["key"] = {"bins": spec.get("coarse_key", 3)}
            if variant == "llm-cal":  # one by one, debiased over the 6 label orders, calibrated
                lmgt.update(packed=False, orders="auto", calibration="contextual")
        elif variant == "constant":  # the control: +1 to every judged pair
            lmgt.update(spec.get("llm_lmgt", {}), judge="constant", constant=1)
        elif variant == "oracle":
            lmgt["judge"] = "oracle"
        else:
            lmgt.update(judge="noisy", accuracy=float(variant.removeprefix("noisy")))
        data.update(method="lmgt", lmgt=lmgt)
    return validate_config(data, f"{preset}/{variant}")


def table(groups: list[Group], order: list[str]) -> str:
    def agreement(group: Group) -> str:
        values = [
            ((s.get("method_summary") or {}).get("judge") or {}).get("agreement")
            for s in group.summaries
        ]
        values = [v for v in values if v is not None]
        return pct(sum(values) / len(values) if values else None)

    def answered(group: Group) -> str:
        """Share of the judged pairs that had an answer (the rest were waiting for the LLM)."""
        judges = [(s.get("method_summary") or {}).get("judge") or {} for s in group.summaries]
        pairs = sum(j.get("pairs") or 0 for j in judges)
        pending = sum(j.get("pending") or 0 for j in judges)
        return pct(1 - pending / pairs if pairs else None)

    def judge_wait(group: Group) -> str:
        """Time the training loop spent inside the judge (waiting included), over wall time."""
        pairs = [
            (((s.get("method_summary") or {}).get("judge") or {}).get("seconds"), s["wall_time_s"])
            for s in group.summaries
        ]
        pairs = [(j, w) for j, w in pairs if j is not None and w]
        return pct(sum(j for j, _ in pairs) / sum(w for _, w in pairs) if pairs else None)

    return results_table(
        groups,
        order,
        baseline="baseline",
        extra={
            "judge agreement": agreement,
            "answered": answered,
            "judge share of wall": judge_wait,
        },
    )


def header_text(
    preset: str, variants: list[str], llm: str, seeds: int, workers: int, tag: str
) -> str:
    """The text above a preset's table: the setting, the variants' meaning, the command."""
    spec = PRESETS[preset]
    base, lmgt = spec["base"], spec["lmgt"]
    schedule = (
        f", linear to {lmgt.get('scale_end', 0)}"
        if lmgt.get("scale_schedule") == "linear"
        else " (constant)"
    )
    key = lmgt.get("key", {}).get("bins", "default (exact observations)")
    meanings = {
        "llm-warm": "llm-warm reruns llm on the warm cache",
        "llm-bg": "llm-bg asks in a background thread (`background: true`) and training never "
        "waits, with its own cold cache",
        "llm-coarse": f"llm-coarse uses the key bins {spec.get('coarse_key', 3)}, with its own "
        "cold cache",
        "constant": "constant says +1 to every pair the LLM variants judge (the same budget "
        "and key): the control for a judge that calls everything good",
        "llm-cal": "llm-cal asks pair by pair (`packed: false`; packed answers lost the 1.5B "
        "model's signal in benchmarks/choice_bench.py), averages over all 6 label orders "
        "(`orders: auto`) and divides by the model's prior for a content-free item "
        "(`calibration: contextual`)",
    }
    llm_text = "No LLM-judge variant in this run. "
    if any(v.startswith("llm") for v in variants):
        llm_text = "; ".join(
            [f"LLM judge: `{llm}`{_model_name(llm)}"]
            + [meanings[v] for v in variants if v in meanings]
        )
        llm_text += (
            ". Answered: the share of judged pairs that had an answer (the others got 0 while "
            "waiting for the LLM); judge agreement counts those zeros. "
        )
        if "llm_lmgt" in spec:
            llm_text += f"The LLM variants differ in: {spec['llm_lmgt']} ({spec['llm_note']}). "
    omp = "OMP_NUM_THREADS=1 " if os.environ.get("OMP_NUM_THREADS") == "1" else ""
    command = (
        f"{omp}python benchmarks/lmgt_bench.py {preset} --seeds {seeds} --workers {workers}"
        + ("" if variants == VARIANTS else f" --variants {' '.join(variants)}")
        + (f" --llm {llm}" if llm != "embedded" else "")
        + (f" --tag {tag}" if tag else "")
    )
    return (
        f"{base['env']['id']}, SB3 {base['algo'].upper()} ({base['total_timesteps']:,} steps, "
        f"{seeds} seeds (0–{seeds - 1}), threshold {base['threshold']} on the mean original return of the last "
        f"20 episodes), {spec['note']}. LMGT: scale {lmgt['scale']}{schedule}, budget "
        f"{lmgt.get('budget', {'kind': 'all'})}, key bins {key}. {llm_text}"
        "LLM share of wall: the LLM's busy time over wall time; judge share of wall: the time "
        "the training loop spent in the judge (waiting for the LLM included). noisyP: the "
        f"reference right with probability P. {os.cpu_count()} cores, {workers} run(s) at once, "
        "1 torch thread per run (the runner's default), "
        f"{date.today().isoformat()}. Command: `{command}`."
    )


CACHED_APART = ("llm-bg", "llm-coarse")


def _model_name(spec: str) -> str:
    """`` (the model's name)`` for an embedded spec, else nothing."""
    from langreward.llm import EMBEDDED_MODELS

    name = spec.partition(":")[2] if spec.startswith("embedded:") else None
    if spec == "embedded":
        name = next(iter(EMBEDDED_MODELS))
    return f" ({name}, Q4_K_M GGUF, in-process)" if name in EMBEDDED_MODELS else ""


def _cache_name(variant: str) -> str:
    """The LLM cache folder of a variant: its own for llm-bg and llm-coarse, else llm's."""
    return f"llm-cache-{variant.removeprefix('llm-')}" if variant in CACHED_APART else "llm-cache"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset", choices=sorted(PRESETS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--llm", default="embedded")
    parser.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "lmgt")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument(
        "--tag", default="", help="a separate results section and run folder, e.g. 'solo'"
    )
    args = parser.parse_args()
    name = f"{args.preset}_{args.tag}" if args.tag else args.preset

    # The benchmark's own LLM caches: cold for `llm`, `llm-bg` and `llm-coarse` on a fresh
    # benchmark (each has its own), warm for `llm-warm` (it shares `llm`'s).
    sweep_dirs, groups = [], []
    for cache in dict.fromkeys(_cache_name(v) for v in args.variants):
        variants = [v for v in args.variants if _cache_name(v) == cache]
        os.environ["LANGREWARD_CACHE_DIR"] = str(args.out / name / cache)
        configs = {v: variant_config(args.preset, v, args.llm) for v in variants}
        dirs, found = run_variants(configs, args.seeds, args.workers, args.out / name, name)
        sweep_dirs += dirs
        groups += found
    groups.sort(key=lambda group: args.variants.index(group.label))
    header = header_text(args.preset, args.variants, args.llm, args.seeds, args.workers, args.tag)
    body = header + "\n\n" + table(groups, args.variants)
    publish(f"lmgt_{name}", f"LMGT: {name}", body, sweep_dirs, not args.no_docs)


if __name__ == "__main__":
    main()

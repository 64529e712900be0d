"""LaRe benchmark: episodic (delayed) rewards, LaRe vs RD, RRD, IRCR and the dense reward.

Every variant trains SB3 SAC for the same number of steps on the same seeds; the training env
pays the return only at the end of each episode (except ``dense``, the reference that sees the
per-step reward). ``lare-llm`` uses an encoder written by the LLM (default: the embedded 1.5B
model); ``lare-reference`` a hand-written encoder, labelled as such.

Usage:
    python benchmarks/lare_bench.py pendulum_sac [--seeds 3] [--workers 2]
Writes the table to docs/BENCHMARKS.md and learning curves to docs/benchmarks/lare_<preset>/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_utils import PENDULUM_SAC, publish, results_table, run_variants  # noqa: E402

from langreward.experiments import validate_config  # noqa: E402
from langreward.experiments.report_data import Group, find_run_dirs  # noqa: E402

ROOT = Path(__file__).resolve().parent
PRESETS: dict[str, dict[str, Any]] = {
    "pendulum_sac": PENDULUM_SAC,
    "hopper_sac": {
        "env": {"id": "Hopper-v5", "kwargs": {}},
        "algo": "sac",
        "algo_kwargs": {"learning_starts": 2000, "policy_kwargs": {"net_arch": [128, 128]}},
        "n_envs": 1,
        "total_timesteps": 30_000,
        "eval": {"every": 15_000, "episodes": 5},
        "threshold": 500,
    },
}
VARIANTS = ["dense", "lare-llm", "lare-reference", "rrd", "rd", "ircr"]


def variant_config(preset: str, variant: str, llm: str) -> Any:
    lare: dict[str, Any] = {"decoder": {"train_every": 200, "gradient_steps": 10}}
    if variant == "lare-llm":
        lare.update(
            variant="lare",
            encoder={
                "source": "llm",
                "llm": llm,
                "n_candidates": 3,
                "repair_rounds": 3,
                "max_tokens": 700,
            },
        )
    elif variant == "lare-reference":
        lare.update(variant="lare", encoder={"source": "reference"})
    else:
        lare["variant"] = variant
    data = {**PRESETS[preset], "name": f"bench-{preset}-{variant}", "method": "lare", "lare": lare}
    return validate_config(data, f"{preset}/{variant}")


def encoder_origin(group: Group) -> str:
    encoders = [(s.get("method_summary") or {}).get("encoder") for s in group.summaries]
    encoders = [e for e in encoders if e]
    if not encoders:
        return "—"
    first = encoders[0]
    return f"{first.get('origin')}, {first.get('factors')} factors"


def proxy_correlation(group: Group) -> str:
    """Median over seeds of the final correlation of the learner's rewards with the dense ones."""
    values = [(s.get("method_summary") or {}).get("proxy_corr") for s in group.summaries]
    values = [v for v in values if v is not None and v == v]
    return f"{float(np.median(values)):+.2f}" if values else "—"


def generate_once(llm_spec: str, form: Any, obs: Any, actions: Any, encoder: Any) -> None:
    """Generate the encoder once here, with every core, so the parallel seeds hit the cache
    instead of each generating it at once on one core."""
    from langreward.lare.encoder import EncoderGenerationError, generate_encoder
    from langreward.llm import make_llm

    llm = make_llm(llm_spec)
    try:
        result = generate_encoder(
            llm,
            form,
            obs,
            actions,
            encoder,
            progress=lambda message: print(f"   {message}", flush=True),
        )
        print(f"   encoder: {result.chosen}", flush=True)
    except EncoderGenerationError as exc:
        print(f"   encoder generation failed: {exc}", flush=True)
    finally:
        llm.close()


def warm_encoder_cache(config: Any) -> None:
    from langreward.lare.config import LaReSettings
    from langreward.lare.encoder import sample_transitions
    from langreward.lare.forms import form_for

    settings = LaReSettings.model_validate(config.lare)
    obs, actions = sample_transitions(config.env.id, config.env.kwargs, seed=config.seeds[0])
    generate_once(
        settings.encoder.llm or config.llm, form_for(config.env.id), obs, actions, settings.encoder
    )


def generation_note(run_dirs: list[Path], with_code: bool = False) -> str:
    """How the first run's encoder was generated (and its code), from its encoder.json."""
    logs = [d / "encoder.json" for d in find_run_dirs(run_dirs) if (d / "encoder.json").is_file()]
    if not logs:
        return ""
    record = json.loads(logs[0].read_text())
    steps = [
        f"{e['step']}: {'ok' if e['ok'] else e.get('reason') or 'failed'}"
        for e in record.get("log", [])
    ]
    note = f"\n\nEncoder generation (seed 0, {record.get('chosen', '?')}): " + "; ".join(steps)
    if with_code:
        code = logs[0].with_suffix(".py").read_text().strip()
        note += f".\n\nThe LLM's encoder:\n\n```python\n{code}\n```"
    return note if with_code else note + "."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset", choices=sorted(PRESETS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--llm", default="embedded:qwen2.5-coder-1.5b")
    parser.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "lare")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()

    configs = {v: variant_config(args.preset, v, args.llm) for v in args.variants}
    if "lare-llm" in configs:
        warm_encoder_cache(configs["lare-llm"])
    sweep_dirs, groups = run_variants(
        configs, args.seeds, args.workers, args.out / args.preset, args.preset
    )
    preset = PRESETS[args.preset]
    header = (
        f"Episodic {preset['env']['id']} (the return is paid at the end of each episode), SB3 "
        f"SAC, {preset['total_timesteps']:,} steps, {args.seeds} seeds, threshold "
        f"{preset['threshold']} on the mean original (dense) return of the last 20 episodes. "
        f"lare-llm: encoder written by `{args.llm}`; lare-reference: a hand-written encoder "
        f"(not an LLM's); dense: the per-step reward, a reference the others do not see. "
        f"Decoder: MLP 64x64, RRD-unbiased loss (K=64; rd: the RD loss), 10 Adam steps every 200 "
        f"env steps; "
        f"proxy corr: correlation of the rewards the learner sees with the hidden dense ones "
        f"over the last 20 episodes, at the end of training (median over seeds). "
        f"{os.cpu_count()} cores, {args.workers} runs at once, {date.today().isoformat()}. "
        f"Command: `python benchmarks/lare_bench.py {args.preset} --seeds {args.seeds} "
        f"--workers {args.workers}`."
    )
    body = (
        header
        + "\n\n"
        + results_table(
            groups,
            args.variants,
            baseline="dense",
            extra={"proxy corr": proxy_correlation, "encoder": encoder_origin},
        )
    )
    body += generation_note([args.out / args.preset / "lare-llm"])
    publish(f"lare_{args.preset}", f"LaRe: {args.preset}", body, sweep_dirs, not args.no_docs)


if __name__ == "__main__":
    main()

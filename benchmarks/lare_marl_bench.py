"""Multi-agent LaRe benchmark: MPE2 team tasks with one team return per episode.

Every variant trains SB3 PPO with one policy shared by all agents (IPPO) for the same number of
agent-steps on the same seeds; the training env pays the team return only at the end of each
25-step episode (except ``dense``, the reference that gets the team's reward at every step).
``lare-llm`` uses an encoder written by the LLM (default: the embedded 1.5B model),
``lare-llm-avg`` the same encoder with the decoded rewards averaged across agents (the ablation
without credit across agents), ``lare-reference`` a hand-written encoder, labelled as such.

Usage:
    python benchmarks/lare_marl_bench.py spread3|spread6|tag3 [--seeds 3] [--workers 2]
Writes the table to docs/BENCHMARKS.md and learning curves to docs/benchmarks/lare_marl_<preset>/.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_utils import publish, results_table, run_variants  # noqa: E402
from lare_bench import (  # noqa: E402
    encoder_origin,
    generate_once,
    generation_note,
    proxy_correlation,
)

from langreward.experiments import validate_config  # noqa: E402

ROOT = Path(__file__).resolve().parent
CONFIG = ROOT.parent / "configs" / "lare_marl" / "spread_ippo.yaml"
PRESETS: dict[str, dict[str, Any]] = {
    "spread3": {"env": {"id": "MPE2-SimpleSpread-v3", "kwargs": {"N": 3}}},
    "spread6": {"env": {"id": "MPE2-SimpleSpread-v3", "kwargs": {"N": 6}}},
    "tag3": {"env": {"id": "MPE2-SimpleTag-v3", "kwargs": {"num_adversaries": 3}}},
}
VARIANTS = ["dense", "episodic", "ircr", "rd", "lare-reference", "lare-llm", "lare-llm-avg"]


def variant_config(preset: str, variant: str, llm: str, timesteps: int) -> Any:
    from langreward.experiments.yamlio import read_yaml

    base = read_yaml(CONFIG)
    section: dict[str, Any] = {"decoder": base["lare_marl"]["decoder"]}
    if variant.startswith("lare-llm"):
        section.update(
            variant="lare",
            encoder={"source": "llm", "llm": llm, "n_candidates": 3, "repair_rounds": 3},
            agent_credit=variant != "lare-llm-avg",
        )
    elif variant == "lare-reference":
        section.update(variant="lare", encoder={"source": "reference"})
    else:
        section["variant"] = variant
    data = {
        **base,
        **PRESETS[preset],
        "name": f"bench-{preset}-{variant}",
        "total_timesteps": timesteps,
        "eval": {"every": 0, "episodes": 50},
        "lare_marl": section,
    }
    data.pop("seeds", None)
    return validate_config(data, f"{preset}/{variant}")


def warm_encoder_cache(config: Any) -> None:
    import gymnasium as gym

    from langreward.lare.marl.config import LaReMARLSettings
    from langreward.lare.marl.encoder import agent_form, agent_transitions

    settings = LaReMARLSettings.model_validate(config.lare_marl)
    obs, actions = agent_transitions(config.env.id, config.env.kwargs, seed=config.seeds[0])
    form = agent_form(gym.make(config.env.id, **config.env.kwargs))
    generate_once(settings.encoder.llm or config.llm, form, obs, actions, settings.encoder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset", choices=sorted(PRESETS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timesteps", type=int, default=900_000, help="agent-steps per run")
    parser.add_argument("--llm", default="embedded:qwen2.5-coder-1.5b")
    parser.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "lare_marl")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--note", default="", help="a sentence on how this run was made")
    args = parser.parse_args()

    configs = {v: variant_config(args.preset, v, args.llm, args.timesteps) for v in args.variants}
    llm_variants = [v for v in configs if v.startswith("lare-llm")]
    if llm_variants:
        warm_encoder_cache(configs[llm_variants[0]])
    sweep_dirs, groups = run_variants(
        configs, args.seeds, args.workers, args.out / args.preset, args.preset
    )
    first = next(iter(configs.values()))
    kwargs = first.env.kwargs
    agents = kwargs.get("N", kwargs.get("num_adversaries", 3))
    header = (
        f"`{first.env.id}` with {agents} learning agents ({kwargs}); the team return (sum over "
        f"agents and steps of the agents' rewards) is paid only at the end of each 25-step "
        f"episode. SB3 PPO, one policy shared by all agents (IPPO), {first.n_envs} team envs, "
        f"n_steps {first.algo_kwargs['n_steps']}, lr {first.algo_kwargs['learning_rate']}, "
        f"{args.timesteps:,} agent-steps ({args.timesteps // agents:,} env steps), "
        f"{args.seeds} seeds; final eval: {first.eval.episodes} deterministic episodes, dense "
        f"team return. lare-llm: encoder written by `{args.llm}`; lare-llm-avg: the same "
        f"encoder, decoded rewards averaged across agents (ablation); lare-reference: a "
        f"hand-written encoder (not an LLM's); rd: the decoder on raw observations and actions; "
        f"ircr: the team return spread uniformly; episodic: the team return at the last step; "
        f"dense: the team's reward at every step, a reference the others do not see. Decoder: "
        f"MLP 64x64 shared across agents, loss (R - sum over agents and steps)^2, "
        f"{first.lare_marl['decoder']['gradient_steps']} Adam steps per rollout. proxy corr: "
        f"correlation of the rewards PPO learns from with each agent's hidden dense reward over "
        f"the last rollout (median over seeds). {os.cpu_count()} cores, {args.workers} runs at "
        f"once, {date.today().isoformat()}. Command: `python benchmarks/lare_marl_bench.py "
        f"{args.preset} --seeds {args.seeds} --workers {args.workers} --timesteps "
        f"{args.timesteps}`."
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
    if args.note:
        body += f"\n\n{args.note}"
    body += generation_note([args.out / args.preset / v for v in llm_variants], with_code=True)
    publish(
        f"lare_marl_{args.preset}",
        f"Multi-agent LaRe: {args.preset}",
        body,
        sweep_dirs,
        not args.no_docs,
    )


if __name__ == "__main__":
    main()

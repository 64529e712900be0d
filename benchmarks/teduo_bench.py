"""TEDUO on the two-room level: every policy on the four cells, step 1's label quality, wall time
per stage and the fine-tuning's throughput and memory.

    python benchmarks/teduo_bench.py --arms llm --seeds 3 --workers 2
    python benchmarks/teduo_bench.py --arms verifier verifier-rooms verifier-dqn --seeds 3 \
        --episodes 40

Arms (both start from ``configs/teduo/two_rooms.yaml``):

- ``llm``: the method. The LLM (``--llm``, default the 1.5B embedded model) names each goal's
  relevant objects and labels sample states; step 3 fine-tunes the 0.5B embedded model.
- ``llm-sft3``: as ``llm`` with three epochs of fine-tuning instead of one (the paper's
  count): whether step 3 is short of training.
- ``llm-egocentric``: as ``llm`` with the agent's state said relative to it (tiles ahead,
  left, right; ``teduo.sft.state_words: egocentric``) instead of absolute tiles: whether the
  0.5B agent learns the state-to-action mapping when it needs no coordinate arithmetic.
- ``verifier-egocentric``: as ``llm-egocentric`` with BabyAI's rules in place of the LLM in
  step 1 (an oracle stand-in): what step 3 learns from plans made on perfect labels.
- ``llm-egocentric-fit``, ``verifier-egocentric-fit``: as ``llm-egocentric`` and
  ``verifier-egocentric`` with fine-tuning set to fit harder (learning rate 1e-3 instead of
  2e-4, LoRA on all seven linear layers of the top 8 blocks instead of q/v, 2 epochs): whether
  step 3 falls short because it underfits its own examples.
- ``llm-egocentric-many``, ``verifier-egocentric-many``: as the ``-fit`` arms with up to 100
  examples per goal instead of 20, in 1 epoch: whether step 3 is short of examples.
- ``llm-calibrated``: steps 1-2 of ``llm`` (same LLM answers, from the cache), each goal's
  label threshold fitted on 10 states labelled by hand (BabyAI's rules stand in for the
  person) instead of the top-gap rule.
- ``verifier``: steps 1-2 with BabyAI's rules in place of the LLM (an oracle stand-in for the
  abstraction and the labels), no step 3: the ceiling of steps 1-2 and the baselines' rows.
- ``verifier-rooms``: as ``verifier``, with the paper's rule that drops the other rooms from
  the abstract state when the goal's objects are in the agent's room.
- ``verifier-dqn``: as ``verifier``, step 2 by Stable-Baselines3's DQN trained offline.

Runs are kept in ``benchmarks/runs/teduo/<arm>`` (a rerun skips finished seeds and resumes
unfinished ones at their first unfinished stage); the section in docs/BENCHMARKS.md is built
from every finished run found there.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_utils import update_benchmarks_md  # noqa: E402

from langreward.experiments import run_sweep, validate_config  # noqa: E402
from langreward.teduo.config import DQNSettings  # noqa: E402
from langreward.teduo.evaluate import CELLS  # noqa: E402
from langreward.teduo.levels import LEVELS, level_of  # noqa: E402

ROOT = Path(__file__).resolve().parent
CONFIG = ROOT.parent / "configs" / "teduo" / "two_rooms.yaml"
ARMS = (
    "llm",
    "llm-sft3",
    "llm-egocentric",
    "llm-egocentric-fit",
    "llm-egocentric-many",
    "llm-calibrated",
    "verifier",
    "verifier-rooms",
    "verifier-dqn",
    "verifier-egocentric",
    "verifier-egocentric-fit",
    "verifier-egocentric-many",
)

ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def arm_config(arm: str, llm: str, episodes: int | None, config: Path = CONFIG) -> Any:
    data = yaml.safe_load(config.read_text())
    data["name"] = f"bench-teduo-{arm}"
    data["llm"] = llm
    if episodes:
        data["eval"]["episodes"] = episodes
    if arm == "llm-sft3":
        data["teduo"]["sft"]["epochs"] = 3
    if "-egocentric" in arm:
        data["teduo"]["sft"]["state_words"] = "egocentric"
    if arm.endswith(("-fit", "-many")):
        data["teduo"]["sft"].update(learning_rate=1e-3, epochs=2, target_modules=ALL_LINEAR)
    if arm.endswith("-many"):
        data["teduo"]["sft"].update(examples_per_goal=100, epochs=1)
    if arm == "llm-calibrated":
        data["teduo"]["labels"]["decision"] = "calibrated"
        data["teduo"]["distill"] = False
    if arm.startswith("verifier"):
        data["teduo"]["abstraction"] = "oracle"
        data["teduo"]["labels"]["labeller"] = "verifier"
        data["teduo"]["distill"] = "-egocentric" in arm
    if arm not in ("verifier", "llm"):  # variants: the baselines are the main arms
        data["teduo"]["baselines"] = False
    if arm == "verifier-rooms":
        data["teduo"]["drop_other_rooms"] = True
    if arm == "verifier-dqn":
        data["teduo"]["qlearning"]["algorithm"] = "dqn"
    return validate_config(data, f"teduo/{arm}")


def runs_dir(config: Path = CONFIG) -> Path:
    """Where a config's runs live (the two-room runs directly under ``runs/teduo``)."""
    base = ROOT / "runs" / "teduo"
    return base if config == CONFIG else base / config.stem


def finished_runs(arm: str, config: Path = CONFIG) -> list[Path]:
    found = []
    for summary in sorted((runs_dir(config) / arm).rglob("summary.json")):
        if json.loads(summary.read_text()).get("status") == "finished":
            found.append(summary.parent)
    return found


def _read(run: Path, name: str) -> Any:
    path = run / name
    return json.loads(path.read_text()) if path.exists() else None


def _spread(values: list[float], fmt: str) -> str:
    if not values:
        return "—"
    if len(values) == 1:
        return fmt.format(values[0])
    low, mid, high = np.min(values), np.median(values), np.max(values)
    return f"{fmt.format(mid)} [{fmt.format(low)}–{fmt.format(high)}]"


def _short(policy: str) -> str:
    """``step-2 policies (tabular, <source>)`` -> ``step-2 policies (tabular)``."""
    return re.sub(r"^(step-2 policies \((?:tabular|DQN)), .*\)$", r"\1)", policy)


def success_table(runs: dict[str, list[Path]]) -> str:
    head = (
        "| arm | policy | seeds | episodes per cell | "
        + " | ".join(f"{a} / {b}" for a, b in CELLS)
        + " |"
    )
    lines = [head, "| --- | --- | ---: | ---: |" + " ---: |" * len(CELLS)]
    for arm, dirs in runs.items():
        evaluations = [_read(d, "evaluation.json") for d in dirs]
        if not evaluations:
            continue
        for e in evaluations:  # the arm says where step 2's rewards came from
            e["rows"] = {_short(name): row for name, row in e["rows"].items()}
        for policy in evaluations[0]["rows"]:
            cells = []
            for layouts, goals in CELLS:
                key = f"{layouts} / {goals}"
                found = [e["rows"][policy][key] for e in evaluations if policy in e["rows"]]
                found = [c for c in found if c.get("episodes")]
                if not found:
                    cells.append("n/a")
                    continue
                success = _spread([100 * c["success"] for c in found], "{:.0f}%")
                length = np.median([c["length"] for c in found])
                invalid = np.median([100 * c["invalid"] for c in found])
                cells.append(f"{success} / {length:.0f} / {invalid:.0f}%")
            per_cell = evaluations[0]["episodes_per_cell"]
            lines.append(
                f"| {arm} | {policy} | {len(evaluations)} | {per_cell} | "
                + " | ".join(cells)
                + " |"
            )
    return "\n".join(lines)


def step1_table(runs: dict[str, list[Path]]) -> str:
    lines = [
        "| arm | abstraction right | labeller precision | labeller recall | labelled states "
        "(positives) | rewards precision | rewards recall |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for arm, dirs in runs.items():
        summaries = [json.loads((d / "summary.json").read_text())["method_summary"] for d in dirs]
        if not summaries:
            continue
        right = [s["abstractions"]["correct"] for s in summaries]
        goals = summaries[0]["abstractions"]["goals"]
        labels = [s["labels"] for s in summaries]
        proxy = [s["proxy"] for s in summaries]

        def values(rows: list[dict[str, Any]], key: str) -> list[float]:
            return [100 * r[key] for r in rows if r.get(key) is not None]

        lines.append(
            f"| {arm} | {_spread(right, '{:.0f}')}/{goals} "
            f"| {_spread(values(labels, 'precision'), '{:.0f}%')} "
            f"| {_spread(values(labels, 'recall'), '{:.0f}%')} "
            f"| {labels[0]['states']} ({labels[0]['positives']}) "
            f"| {_spread(values(proxy, 'precision'), '{:.0f}%')} "
            f"| {_spread(values(proxy, 'recall'), '{:.0f}%')} |"
        )
    return "\n".join(lines)


def cost_table(runs: dict[str, list[Path]]) -> str:
    stages = ("goals", "collect", "abstract", "label", "proxy", "qlearn", "distill", "finetune")
    lines = [
        "| arm | " + " | ".join(stages) + " | evaluation | SFT examples | trained tokens "
        "| tokens/s | peak memory | LLM-agent queries |",
        "| --- |" + " ---: |" * (len(stages) + 6),
    ]
    for arm, dirs in runs.items():
        if not dirs:
            continue
        timings = [_read(d, "timings.json") or {} for d in dirs]
        cells = [_spread([t[s] for t in timings if s in t], "{:.0f} s") for s in stages]
        walls = [json.loads((d / "summary.json").read_text()).get("wall_time_s") for d in dirs]
        evaluation = [
            w - sum(t.values()) for w, t in zip(walls, timings, strict=True) if w is not None
        ]
        tuned = [_read(d, "finetune.json") for d in dirs]
        tuned = [t for t in tuned if t]
        queries = [
            sum(
                a["queries"] for a in (_read(d, "evaluation.json") or {}).get("agents", {}).values()
            )
            for d in dirs
        ]
        lines.append(
            f"| {arm} | "
            + " | ".join(cells)
            + f" | {_spread(evaluation, '{:.0f} s')}"
            + f" | {_spread([t['examples'] for t in tuned], '{:.0f}')}"
            + f" | {_spread([t['trained_tokens'] for t in tuned], '{:,.0f}')}"
            + f" | {_spread([t['tokens_per_second'] for t in tuned], '{:.1f}')}"
            + f" | {_spread([t['peak_memory_gb'] for t in tuned], '{:.1f} GB')}"
            + f" | {_spread([q for q in queries if q], '{:.0f}')} |"
        )
    return "\n".join(lines)


def _tuned_inputs(run: Path, every: int) -> tuple[list[dict[str, Any]], Path]:
    """Every ``every``-th SFT example of a run and its base model's directory."""
    from langreward.teduo.finetune import base_model_dir

    records = [json.loads(line) for line in (run / "sft" / "examples.jsonl").open()][::every]
    model = yaml.safe_load((run / "config.yaml").read_text())["teduo"]["sft"]["model"]
    return records, base_model_dir(model)


def sft_fit(run: Path, every: int = 3) -> dict[str, float] | None:
    """How well the fine-tuned agent fits its own training data: on every ``every``-th SFT
    example, whether its reply starts with the plan's first action and repeats the whole list,
    and the share of "forward" among the actions it names and among the plan's. Measured once
    per run (cached in ``sft_fit.json``)."""
    cached = run / "sft_fit.json"
    if cached.exists():
        return json.loads(cached.read_text())
    if not (run / "sft" / "adapter").exists():
        return None
    from langreward.llm import make_llm
    from langreward.teduo.distill import parse_actions

    records, base = _tuned_inputs(run, every)
    llm = make_llm(f"hf:{base}", adapter=run / "sft" / "adapter", cache=False)
    replies = []
    for start in range(0, len(records), 16):
        chunk = records[start : start + 16]
        replies += llm.batch_chat([r["prompt"] for r in chunk], max_tokens=40)
    said = [parse_actions(reply.text)[0] for reply in replies]
    wanted = [parse_actions(r["completion"][0]["content"])[0] for r in records]
    forward = 2

    def share(lists: list[list[int]]) -> float:
        actions = [a for actions in lists for a in actions]
        return sum(a == forward for a in actions) / max(len(actions), 1)

    fit = {
        "examples": len(records),
        "first_action": float(np.mean([s[:1] == w[:1] for s, w in zip(said, wanted, strict=True)])),
        "whole_list": float(np.mean([s[: len(w)] == w for s, w in zip(said, wanted, strict=True)])),
        "forward_share_replies": share(said),
        "forward_share_plans": share(wanted),
    }
    cached.write_text(json.dumps(fit, indent=2) + "\n")
    return fit


def state_sensitivity(run: Path, every: int = 3) -> dict[str, float] | None:
    """How much the fine-tuned agent's first action depends on the state: on every
    ``every``-th SFT example, its probabilities of the action words as the reply's first
    token (renormalised over them); between the examples of each goal, the mean total
    variation distance of those distributions (0: the same whatever the state, 1: disjoint),
    pooled over goals, beside the same distance between the plans' first actions (the
    share of pairs that differ). Cached in ``sft_sensitivity.json``."""
    cached = run / "sft_sensitivity.json"
    if cached.exists():
        return json.loads(cached.read_text())
    if not (run / "sft" / "adapter").exists():
        return None
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from langreward.llm.backends.hf import load_tokenizer
    from langreward.teduo.distill import ACTION_WORDS, parse_actions

    records, base = _tuned_inputs(run, every)
    tokenizer = load_tokenizer(base)
    model = AutoModelForCausalLM.from_pretrained(base, local_files_only=True, dtype=torch.float32)
    model = PeftModel.from_pretrained(model, run / "sft" / "adapter").eval()
    first = [tokenizer(w, add_special_tokens=False)["input_ids"][0] for w in ACTION_WORDS]
    by_goal: dict[str, list[tuple[np.ndarray, int]]] = {}
    for record in records:
        text = tokenizer.apply_chat_template(
            record["prompt"], tokenize=False, add_generation_prompt=True
        )
        with torch.no_grad():
            logits = model(**tokenizer(text, return_tensors="pt")).logits[0, -1, first]
        planned = parse_actions(record["completion"][0]["content"])[0][0]
        by_goal.setdefault(record["goal"], []).append((torch.softmax(logits, -1).numpy(), planned))
    agent, plans = [], []
    for rows in by_goal.values():
        for i in range(len(rows)):
            for j in range(i + 1, len(rows)):
                agent.append(0.5 * float(np.abs(rows[i][0] - rows[j][0]).sum()))
                plans.append(float(rows[i][1] != rows[j][1]))
    result = {"pairs": len(agent), "agent": float(np.mean(agent)), "plans": float(np.mean(plans))}
    cached.write_text(json.dumps(result, indent=2) + "\n")
    return result


def majority_first_action(run: Path, every: int = 3) -> float:
    """The share of the same SFT examples whose plan starts with the commonest first action
    (what always answering that one action would score)."""
    from collections import Counter

    from langreward.teduo.distill import parse_actions

    records = [json.loads(line) for line in (run / "sft" / "examples.jsonl").open()][::every]
    firsts = Counter(tuple(parse_actions(r["completion"][0]["content"])[0][:1]) for r in records)
    return firsts.most_common(1)[0][1] / len(records)


def fit_table(runs: dict[str, list[Path]]) -> str:
    lines = [
        "| arm | seeds | SFT examples asked | first action as planned | always the commonest "
        "first action | whole list as planned | 'forward' in replies | 'forward' in plans "
        "| eval loss | first action's change between states of a goal: agent | plans |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for arm, dirs in runs.items():
        fitted = [d for d in dirs if sft_fit(d)]
        fits = [(sft_fit(d), _read(d, "finetune.json")) for d in fitted]
        if not fits:
            continue
        majority = [100 * majority_first_action(d) for d in fitted]
        lines.append(
            f"| {arm} | {len(fits)} | {fits[0][0]['examples']} "
            f"| {_spread([100 * f['first_action'] for f, _ in fits], '{:.0f}%')} "
            f"| {_spread(majority, '{:.0f}%')} "
            f"| {_spread([100 * f['whole_list'] for f, _ in fits], '{:.0f}%')} "
            f"| {_spread([100 * f['forward_share_replies'] for f, _ in fits], '{:.0f}%')} "
            f"| {_spread([100 * f['forward_share_plans'] for f, _ in fits], '{:.0f}%')} "
            f"| {_spread([t['eval_loss'] for _, t in fits if t.get('eval_loss')], '{:.2f}')} "
            f"| {_spread([state_sensitivity(d)['agent'] for d in fitted], '{:.2f}')} "
            f"| {_spread([state_sensitivity(d)['plans'] for d in fitted], '{:.2f}')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=CONFIG, help="a TEDUO config")
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=ARMS)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="seeds run at once")
    parser.add_argument("--llm", default="embedded:qwen2.5-coder-1.5b")
    parser.add_argument("--episodes", type=int, help="episodes per cell (default: the config's)")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--note", default="", help="how the runs were made, for the header")
    args = parser.parse_args()
    args.config = args.config.resolve()
    os.environ.setdefault("LANGREWARD_CACHE_DIR", str(ROOT / "runs" / "teduo" / "llm-cache"))
    for arm in args.arms:
        print(f"== teduo: {arm} ({args.seeds} seed(s))", flush=True)
        result = run_sweep(
            arm_config(arm, args.llm, args.episodes, args.config),
            seeds=args.seeds,
            workers=args.workers,
            out_dir=runs_dir(args.config) / arm,
        )
        for run in result.runs:
            if run.status == "failed":
                print(f"   failed: {run.label}: {run.error}", flush=True)
    runs = {arm: finished_runs(arm, args.config) for arm in ARMS}
    settings = yaml.safe_load(args.config.read_text())
    body = "\n\n".join(
        [
            " ".join(filter(None, [header(settings, args.llm, args), args.note])),
            "Success rate (median [min–max] over seeds) / episode length / invalid-action share, "
            "per cell:",
            success_table(runs),
            "Step 1 against BabyAI's own rules (pooled over goals; rewards: the LLM's labels "
            "where given, the proxy's elsewhere, over every stored state):",
            step1_table(runs),
            "Wall time per stage (the machine's 2 cores shared with other runs) and step 3's cost:",
            cost_table(runs),
        ]
    )
    fits = fit_table(runs)
    if fits.count("\n") > 1:  # rows beyond the head: some arm fine-tuned an agent
        body += (
            "\n\nHow the fine-tuned agent fits its own training examples (every third SFT "
            "example, greedy reply; the plan is the step-2 policy's). The last two columns: "
            "between two examples of the same goal, the mean total variation distance of the "
            "agent's probabilities of each action as its first word (0: the same whatever the "
            "state), and the share of such pairs whose plans start differently:\n\n" + fits
        )
    print(body)
    if not args.no_docs:
        stem = args.config.stem
        update_benchmarks_md(f"teduo_{stem}", f"TEDUO: {stem.replace('_', ' ')}", body)


def header(settings: dict[str, Any], llm: str, args: argparse.Namespace) -> str:
    teduo = settings["teduo"]
    data, goals, labels, sft = teduo["data"], teduo["goals"], teduo["labels"], teduo["sft"]
    env_id = settings["env"]["id"]
    level = LEVELS[level_of(env_id)]
    commands = (
        f"Command: `python benchmarks/teduo_bench.py --config {args.config.relative_to(ROOT.parent)}"
        f" --arms {' '.join(args.arms)} --seeds {args.seeds}"
        + (f" --episodes {args.episodes}`." if args.episodes else "`.")
    )
    if args.config == CONFIG:
        commands = COMMANDS
    return (
        f"{env_id} ({level.description}; BabyAI LevelGen). Data: "
        f"{data['steps']:,} transitions from the BabyAI bot with {data['epsilon']} random actions "
        f"pursuing hidden training goals on {data['layouts']} training layouts; "
        f"{data['test_layouts']} unseen test layouts. Goals: {goals['max_train']} training, "
        f"{goals['max_test']} test (unseen objects, rephrased with synonyms). Step 1 (arm llm): "
        f"`{llm}` names each goal's objects and labels {labels['states_per_goal']} distinct states "
        f"per goal, P(yes) averaged over both option orders. Step 3 (arm llm): LoRA "
        f"(rank {sft.get('rank', 16)}, layers {sft['layers'][0]}–{sft['layers'][-1]}) on "
        f"Qwen2.5-Coder-0.5B-Instruct, {sft['examples_per_goal']} examples per goal, "
        f"{sft['epochs']} epoch(s); the agent re-queries after at most {sft['max_actions']} "
        f"actions. "
        f"{platform.machine()}, 2 cores, 1 torch thread, {date.today().isoformat()}. {commands}"
    )


COMMANDS = (
    "Commands: `python benchmarks/teduo_bench.py --arms llm --seeds 3 --workers 2` and "
    "`python benchmarks/teduo_bench.py --arms verifier verifier-rooms verifier-dqn --seeds 3 "
    "--episodes 40`. Arms verifier-rooms (the paper's rule dropping the other rooms) and "
    f"verifier-dqn (step 2 by SB3's DQN, {DQNSettings().gradient_steps:,} gradient steps "
    "per goal) and llm-calibrated (each goal's label threshold fitted on 10 states "
    "labelled by BabyAI's rules, standing in for a person; `--arms llm-calibrated --seeds "
    "3`) vary steps 1-2 only; llm-sft3 (3 epochs of fine-tuning), llm-egocentric (the agent "
    "reads the state relative to itself), -fit (learning rate 1e-3, LoRA on all linear "
    "layers of the top 8 blocks, 2 epochs), -many (the same with up to 100 examples per "
    "goal, 1 epoch) and the verifier-egocentric arms (the same on plans from perfect labels; "
    "`--arms llm-sft3 llm-egocentric llm-egocentric-fit llm-egocentric-many "
    "verifier-egocentric verifier-egocentric-fit verifier-egocentric-many --seeds 1`) vary "
    "step 3 only; their baselines are the main arms'."
)


if __name__ == "__main__":
    main()

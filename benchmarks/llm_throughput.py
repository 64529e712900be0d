"""Judgments per second on an LLM backend: naive vs batched paths, and cache-hit latency.

Each judgment asks whether an action in a CartPole state is good, bad or unsure.
- naive: one JSON chat call per judgment (grammar-constrained ``{"label": ...}``);
- logprobs: one call per judgment that generates a single token and reads the options'
  probabilities (no text generation; the shared system prompt prefix is reused by llama.cpp);
- packed: ``choose_many`` — several judgments in one prompt, one JSON list back.
Then the same calls again against the warm cache (hit latency).

Usage:
    python benchmarks/llm_throughput.py [--llm embedded] [--items 48] [--pack 8 16]
Writes benchmarks/results/llm_throughput.json and the table in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_utils import update_benchmarks_md  # noqa: E402

from langreward.llm import LLMError, make_llm  # noqa: E402

SYSTEM = (
    "You are an expert in classic control. The CartPole task: keep a pole balanced upright on "
    "a cart by pushing the cart left or right. Items give x (cart position), v (cart velocity), "
    "angle (pole angle in rad, + leans right) and spin (pole angular velocity). Judge whether "
    "the given push helps keep the pole upright."
)
OPTIONS = ["good", "bad", "unsure"]


def make_items(count: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    items = []
    for _ in range(count):
        x, v, angle, omega = rng.uniform([-2, -1, -0.2, -1.5], [2, 1, 0.2, 1.5])
        action = rng.choice(["left", "right"])
        items.append(f"x={x:+.1f} v={v:+.1f} angle={angle:+.2f} spin={omega:+.1f}: push {action}")
    return items


def timed(fn) -> tuple[float, int]:
    started = time.perf_counter()
    failures = fn()
    return time.perf_counter() - started, failures


def run(spec: str, n_items: int, packs: list[int]) -> dict:
    load = os.getloadavg()[0]
    items = make_items(n_items)
    cache_dir = Path(tempfile.mkdtemp(prefix="lr-bench-"))
    llm = make_llm(spec, cache=cache_dir / "cache.sqlite")
    schema = {
        "type": "object",
        "properties": {"label": {"type": "string", "enum": OPTIONS}},
        "required": ["label"],
    }

    def naive() -> int:
        failures = 0
        for item in items:
            try:
                llm.json(
                    [
                        {"role": "system", "content": SYSTEM},
                        {"role": "user", "content": f"{item}\nIs this action good, bad or unsure?"},
                    ],
                    schema,
                    max_tokens=16,
                    repair_rounds=0,
                )
            except LLMError:
                failures += 1
        return failures

    def logprobs() -> int:
        failures = 0
        for item in items:
            try:
                llm.choose(
                    [
                        {"role": "system", "content": SYSTEM},
                        {"role": "user", "content": f"{item}\nIs this action:"},
                    ],
                    OPTIONS,
                )
            except LLMError:
                failures += 1
        return failures

    def packed(size: int):
        def go() -> int:
            failures = 0
            for start in range(0, len(items), size):
                chunk = items[start : start + size]
                try:
                    llm.choose_many(
                        chunk,
                        OPTIONS,
                        system=SYSTEM,
                        repair_rounds=0,
                        instruction="Judge each (state, action) item.",
                    )
                except LLMError:
                    failures += len(chunk)
            return failures

        return go

    paths = {
        "naive (1 JSON call per judgment)": naive,
        "logprobs (1-token call per judgment)": logprobs,
    }
    paths.update({f"packed ({p} judgments per call)": packed(p) for p in packs})
    rows = []
    for name, fn in paths.items():
        cold_s, failures = timed(fn)
        calls_before = llm.stats.calls
        warm_s, _ = timed(fn)  # every call is now a cache hit
        calls = llm.stats.calls - calls_before
        rows.append(
            {
                "path": name,
                "judgments": n_items,
                "seconds": round(cold_s, 2),
                "judgments_per_s": round(n_items / cold_s, 2),
                "failed_judgments": failures,
                "cache_hit_ms_per_call": round(1000 * warm_s / max(calls, 1), 3),
            }
        )
    naive_rate = rows[0]["judgments_per_s"]
    for row in rows:
        row["speedup_vs_naive"] = round(row["judgments_per_s"] / naive_rate, 2)
    llm.close()
    return {
        "benchmark": "llm_throughput",
        "llm": spec,
        "model": llm.backend.model,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_at_start": round(load, 2),
        "date": date.today().isoformat(),
        "command": "python benchmarks/llm_throughput.py " + " ".join(sys.argv[1:]),
        "rows": rows,
    }


def to_markdown(result: dict) -> str:
    lines = [
        f"LLM `{result['llm']}` ({result['model']}), {result['machine']}, {result['date']}. "
        f"Command: `{result['command'].strip()}`. 1-min load average at start: "
        f"{result['load_average_at_start']}. Temperature 0; the cache is cold for the first pass "
        "and warm for the hit-latency pass.",
        "",
        "| path | judgments/s | × naive | failed | cache hit (ms/call) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['path']} | {row['judgments_per_s']} | {row['speedup_vs_naive']} | "
            f"{row['failed_judgments']}/{row['judgments']} | {row['cache_hit_ms_per_call']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llm", default="embedded")
    parser.add_argument("--items", type=int, default=48)
    parser.add_argument("--pack", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/BENCHMARKS.md")
    args = parser.parse_args()
    result = run(args.llm, args.items, args.pack)
    out = Path(__file__).parent / "results" / "llm_throughput.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    table = to_markdown(result)
    print(table)
    if not args.no_docs:
        update_benchmarks_md("llm_throughput", "LLM throughput (issue: foundation)", table)


if __name__ == "__main__":
    main()

"""What the runner costs: ``langreward run`` (baseline) against the same SB3 training in a plain
script, side by side, as whole processes: wall time and CPU time (user + system).

    python benchmarks/runner_overhead.py --repeats 3 --steps 30000

Both train PPO on CartPole-v1 with the same hyper-parameters and seed, then evaluate 10
episodes. The plain script leaves torch at its default threads (what an SB3 user gets); the
runner uses its default of one torch thread. The runs alternate, so drift hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_utils import update_benchmarks_md  # noqa: E402

ALGO_KWARGS = {"n_steps": 512, "batch_size": 64, "n_epochs": 10}
PLAIN = """
import sys
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
steps = int(sys.argv[1])
env = make_vec_env("CartPole-v1", n_envs=1, seed=0)
model = PPO("MlpPolicy", env, seed=0, n_steps=512, batch_size=64, n_epochs=10, verbose=0)
model.learn(steps)
evaluate_policy(model, make_vec_env("CartPole-v1", n_envs=1, seed=10_000), n_eval_episodes=10)
"""


def config_yaml(steps: int) -> str:
    return json.dumps(
        {
            "name": "overhead",
            "method": "baseline",
            "env": {"id": "CartPole-v1"},
            "algo": "ppo",
            "algo_kwargs": ALGO_KWARGS,
            "total_timesteps": steps,
            "seeds": [0],
            "eval": {"every": 0, "episodes": 10},
        }
    )


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30_000)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    langreward = str(Path(sys.executable).with_name("langreward"))
    rows: dict[str, list[tuple[float, float]]] = {"plain SB3 script": [], "langreward run": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "plain.py").write_text(PLAIN)
        (work / "overhead.yaml").write_text(config_yaml(args.steps))
        for i in range(args.repeats):
            rows["plain SB3 script"].append(
                timed([sys.executable, "plain.py", str(args.steps)], work)
            )
            rows["langreward run"].append(
                timed([langreward, "run", "overhead.yaml", "--run-dir", f"run{i}"], work)
            )
            print(i, {k: v[-1] for k, v in rows.items()}, flush=True)

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    plain_wall = median([w for w, _ in rows["plain SB3 script"]])
    plain_cpu = median([c for _, c in rows["plain SB3 script"]])
    lines = [
        f"Command: `python benchmarks/runner_overhead.py --repeats {args.repeats} --steps "
        f"{args.steps}`; PPO on CartPole-v1 (seed 0), {args.steps} steps, then 10 evaluation "
        "episodes; no LLM (the baseline method); the plain script at torch's default threads, "
        "`langreward run` at its default of 1; whole processes (imports included), alternating; "
        f"medians (min–max) of {args.repeats}; {os.cpu_count()} cores; "
        f"{time.strftime('%Y-%m-%d')}.",
        "",
        "| command | wall s | CPU s | wall × plain | CPU × plain |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, values in rows.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        lines.append(
            f"| {name} | {median(walls):.1f} ({min(walls):.1f}–{max(walls):.1f}) | "
            f"{median(cpus):.1f} ({min(cpus):.1f}–{max(cpus):.1f}) | "
            f"{median(walls) / plain_wall:.2f} | {median(cpus) / plain_cpu:.2f} |"
        )
    table = "\n".join(lines)
    print(table)
    if not args.no_docs:
        update_benchmarks_md(
            "runner-overhead", "Runner overhead: `langreward run` vs plain SB3", table
        )


if __name__ == "__main__":
    main()

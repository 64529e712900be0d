"""Does describing an env from its docs help the LLM judge? Decided share and agreement.

    python benchmarks/describer_bench.py --llm embedded embedded:qwen2.5-coder-1.5b

On envs with a reference policy (MountainCar-v0, CartPole-v1, Acrobot-v1 has none), the same
(state, action) pairs from seeded rollouts are judged by LMGT's LLM judge (packed prompts of 16,
its default) with three describers:

- ``generic``: what an env without knowledge got before: "Act well in the environment",
  ``x[0]=-0.52``, ``action 0``;
- ``docs``: the task, names, units and actions read from the env's docstring
  (:mod:`langreward.envdocs`), nothing hand-written;
- ``hand-written``: the project's own describer for the family (a stronger prior).

Decided: the share of pairs judged good or bad (not neutral); agreement: the share whose shift
equals the reference's (neutral counts as a miss); on decided: agreement among decided pairs.
Every describer and LLM gets a fresh cache, so seconds are real.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gymnasium as gym  # noqa: E402
from bench_utils import update_benchmarks_md  # noqa: E402

from langreward.envdocs import read_env_docs  # noqa: E402
from langreward.families import knowledge  # noqa: E402
from langreward.llm import ResponseCache, make_llm  # noqa: E402
from langreward.lmgt import LLMJudge  # noqa: E402
from langreward.text import GenericDescriber  # noqa: E402


def describers(env: gym.Env) -> dict[str, Any]:
    docs = read_env_docs(env)
    return {
        "generic": GenericDescriber(env.observation_space, env.action_space),
        "docs": GenericDescriber(
            env.observation_space,
            env.action_space,
            feature_names=docs.feature_names(),
            action_names=docs.action_names(),
            task=docs.task_text(),
        ),
        "hand-written": knowledge(env, "describer")(env),
    }


def pairs(env: gym.Env, count: int, seed: int, epsilon: float = 0.3) -> tuple[list, list]:
    """``count`` (obs, action) pairs: states from reference rollouts with random actions mixed
    in, each with a uniformly random action."""
    reference = knowledge(env, "reference")(env)
    rng = random.Random(seed)
    states: list[Any] = []
    obs, _ = env.reset(seed=seed)
    while len(states) < 4 * count:
        states.append(obs)
        act = env.action_space.sample() if rng.random() < epsilon else reference.act(obs)
        obs, _, terminated, truncated, _ = env.step(act)
        if terminated or truncated:
            obs, _ = env.reset(seed=rng.randrange(10**6))
    picked = rng.sample(states, count)
    return picked, [rng.randrange(int(env.action_space.n)) for _ in picked]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--llm", nargs="+", default=["embedded"])
    parser.add_argument("--envs", nargs="+", default=["MountainCar-v0", "CartPole-v1"])
    parser.add_argument("--pairs", type=int, default=96)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    started = time.time()
    rows = []
    for spec in args.llm:
        for env_id in args.envs:
            env = gym.make(env_id)
            obs, actions = pairs(env, args.pairs, args.seed)
            reference = knowledge(env, "reference")(env)
            for name, describer in describers(env).items():
                with tempfile.TemporaryDirectory() as tmp:
                    llm = make_llm(spec, cache=ResponseCache(Path(tmp) / "c.sqlite"))
                    judge = LLMJudge(llm, describer, reference=reference, defer=False)
                    judge.judge_batch(obs, actions)
                    stats = judge.stats
                    row = {
                        "llm": spec,
                        "env": env_id,
                        "describer": name,
                        "decided": stats.decided / stats.compared,
                        "agreement": stats.agreement,
                        "decided_agreement": stats.decided_agreement,
                        "good": stats.positive / stats.pairs,
                        "calls": llm.stats.calls,
                        "seconds": llm.stats.llm_seconds,
                    }
                    llm.close()
                rows.append(row)
                print(row, flush=True)
            env.close()
    body = render(args, rows, time.time() - started)
    print(body)
    if not args.no_docs:
        update_benchmarks_md(
            "describer_docs", "LMGT judge: describers from env docs vs generic", body
        )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def render(args: argparse.Namespace, rows: list[dict[str, Any]], wall: float) -> str:
    lines = [
        f"LLMs {', '.join(f'`{s}`' for s in args.llm)}; {platform.machine()}, "
        f"{os.cpu_count()} cores, {date.today()}, {wall / 60:.0f} min in all. Command: `python "
        f"benchmarks/describer_bench.py --llm {' '.join(args.llm)} --envs "
        f"{' '.join(args.envs)} --pairs {args.pairs} --seed {args.seed}`. The same {args.pairs} "
        "(state, random action) pairs per env, judged by LMGT's LLM judge (packed prompts of "
        "16, one order, answers read from the letters' log-probabilities). generic: no names, "
        "'Act well in the environment'; docs: task, names and actions read from the env's "
        "docstring; hand-written: the project's describer. Decided: share judged good or bad; "
        "agreement: shift equal to the reference's (a neutral is a miss); on decided: among "
        "the decided pairs; good: share judged good.",
        "",
        "| LLM | env | describer | decided | agreement | on decided | good | calls | LLM s |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['llm']} | {r['env']} | {r['describer']} | {_pct(r['decided'])} | "
            f"{_pct(r['agreement'])} | {_pct(r['decided_agreement'])} | {_pct(r['good'])} | "
            f"{r['calls']} | {r['seconds']:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""LGR2: does the translation follow the instruction? Instructions that mean different things,
each asked of the embedded models as a run would (the fit question, then the two stages), with
the spec each writes, whether it points the way the instruction means, and the seconds.

    python benchmarks/lgr2_instructions.py [--models embedded:qwen2.5-coder-1.5b embedded]

"Follows" is read from the spec's terms that mention the final goal: a negative weight on a
distance or a positive one on "within" pulls toward it, the opposite pushes away; an
instruction with no task in it follows when it is refused. Instructions the term grammar cannot
express (speed, the start position) have no expected direction: the table shows what the model
wrote. A fresh LLM cache per invocation. Writes its section of docs/lgr2.md (``--no-docs``:
print only).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_utils import update_benchmarks_md  # noqa: E402

from langreward.lgr2.reward import RewardSpec  # noqa: E402
from langreward.lgr2.translate import (  # noqa: E402
    RewardTranslationError,
    check_instruction,
    translate,
)
from langreward.llm import make_llm  # noqa: E402

DOC = Path(__file__).resolve().parents[1] / "docs" / "lgr2.md"

#: (instruction, what following it means: "toward", "away", "refuse" or None = not expressible)
INSTRUCTIONS: list[tuple[str, str | None]] = [
    ("Roll the ball through the maze to the goal position and stay there.", "toward"),
    ("Reach the target.", "toward"),
    ("Get to the goal as fast as you can.", "toward"),
    ("Keep away from the goal position.", "away"),
    ("Avoid the target; stay as far from it as possible.", "away"),
    ("Go near the goal but never touch it.", None),
    ("Reach the goal while staying near where you started.", None),
    ("Bake a chocolate cake for the party.", "refuse"),
    ("Write a poem about the sea.", "refuse"),
    ("The weather is nice today.", "refuse"),
]


def direction(spec: RewardSpec) -> str:
    """'toward' or 'away' from the final goal by the terms that mention it ('none': no pull)."""
    pull = 0.0
    for term in spec.terms:
        if "final_goal" in (term.a, term.b):
            pull += -term.weight if term.kind == "distance" else term.weight
    return "toward" if pull > 0 else "away" if pull < 0 else "none"


def ask(llm_spec: str, instruction: str) -> dict[str, object]:
    llm = make_llm(llm_spec)
    start = time.perf_counter()
    try:
        fit = check_instruction(llm, instruction)
    except RewardTranslationError as exc:
        fit_text = str(exc).split("P(yes) = ")[1].split(" ")[0]
        return {"fit": fit_text, "outcome": "refuse", "spec": "refused",
                "seconds": time.perf_counter() - start}  # fmt: skip
    try:
        result = translate(llm, instruction)
    except RewardTranslationError as exc:
        return {"fit": f"{fit:.2f}", "outcome": "error", "spec": f"error: {exc}"[:120],
                "seconds": time.perf_counter() - start}  # fmt: skip
    return {
        "fit": f"{fit:.2f}",
        "outcome": direction(result.spec),
        "spec": result.spec.describe(),
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=["embedded:qwen2.5-coder-1.5b", "embedded"])
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    os.environ["LANGREWARD_CACHE_DIR"] = tempfile.mkdtemp(prefix="lgr2-instr-cache-")
    lines = [
        "| model | instruction | meaning | P(fits) | spec written | follows | s |",
        "| --- | --- | --- | ---: | --- | --- | ---: |",
    ]
    counts: dict[str, list[int]] = {}
    for model in args.models:
        for instruction, meaning in INSTRUCTIONS:
            row = ask(model, instruction)
            follows = "—" if meaning is None else "yes" if row["outcome"] == meaning else "no"
            if meaning is not None:
                tally = counts.setdefault(model, [0, 0, 0])
                tally[0] += follows == "yes"
                tally[1] += 1
                tally[2] += row["outcome"] == "refuse"
            lines.append(
                f"| `{model}` | {instruction} | {meaning or 'not expressible'} | {row['fit']} | "
                f"{row['spec']} | {follows} | {row['seconds']:.0f} |"
            )
            print(lines[-1], flush=True)
    summary = "; ".join(
        f"`{m}`: {c[0]} of {c[1]} follow their instruction, {c[2]} refused"
        for m, c in counts.items()
    )
    body = (
        f"Each instruction asked as an LGR2 run asks it (`lgr2.reward.check_instruction: true`: the "
        "fit question, then the descriptor and the coder), a fresh LLM cache, 2 cores, "
        f"{date.today().isoformat()}. Command: `python benchmarks/lgr2_instructions.py`. "
        '"follows": the terms that mention the final goal pull toward it (reach), push away '
        "(keep away), or the instruction was refused (no task in it). "
        f"{summary}.\n\n" + "\n".join(lines)
    )
    if args.no_docs:
        print(body)
    else:
        update_benchmarks_md("lgr2_instructions", "Instructions and the specs they give", body, DOC)
        print(body)


if __name__ == "__main__":
    main()

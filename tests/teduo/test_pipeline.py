"""The TEDUO pipeline through the runner, on a small level: BabyAI's verifier rules stand in for
the LLM labeller and the goals' own objects for the LLM's abstraction (both named as such);
every stage's files are checked, and a run killed between stages resumes at the right one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("minigrid")
pytest.importorskip("minari")

from langreward.experiments import run_experiment, validate_config  # noqa: E402
from langreward.experiments.rundir import RunPaths  # noqa: E402

CONFIG = {
    "name": "teduo-test",
    "method": "teduo",
    "env": "TEDUO-TwoRooms-v0",
    "total_timesteps": 1,
    "llm": "scripted",
    "eval": {"episodes": 6},
    "teduo": {
        "abstraction": "oracle",
        "data": {"steps": 2500, "layouts": 3, "test_layouts": 3},
        "goals": {"kinds": ["goto", "pickup"], "max_train": 2, "max_test": 2},
        "labels": {"labeller": "verifier", "states_per_goal": 150},
        "proxy": {"epochs": 20},
    },
}


class Crash(Exception):
    """Stands in for a killed process."""


def test_pipeline_writes_every_stage_and_resumes_after_a_kill(tmp_path: Path) -> None:
    config = validate_config(CONFIG)

    def crash_at_proxy(progress) -> None:
        if progress.stage == "proxy":
            raise Crash

    with pytest.raises(Crash):
        run_experiment(config, tmp_path / "run", progress=crash_at_proxy)
    root = tmp_path / "run"
    assert (root / "labels.json").exists() and not (root / "proxy.json").exists()
    labelled = (root / "labels.json").stat().st_mtime_ns

    stages: list[str | None] = []
    result = run_experiment(config, root, resume=True, progress=lambda p: stages.append(p.stage))
    assert result.status == "finished"
    assert "collect" not in stages and "label" not in stages and "proxy" in stages
    assert (root / "labels.json").stat().st_mtime_ns == labelled  # not labelled again

    goals = json.loads((root / "goals.json").read_text())
    assert len(goals["train"]) == 2 and {g["kind"] for g in goals["train"]} == {"goto", "pickup"}
    assert goals["test"] and not {tuple(g["obj"]) for g in goals["train"]} & {
        tuple(g["obj"]) for g in goals["test"]
    }
    ids = [g["id"] for g in goals["train"]]
    for gid in ids:
        for path in (f"labels/{gid}.json", f"proxy/{gid}.pt", f"rewards/{gid}.npy",
                     f"qtables/{gid}.npz"):  # fmt: skip
            assert (root / path).exists(), path
    labels = json.loads((root / "labels.json").read_text())
    assert labels["labeller"] == "verifier (oracle stand-in)"
    assert all(entry["precision"] == 1.0 for entry in labels["goals"].values())
    qlearning = json.loads((root / "qlearning.json").read_text())
    assert all(entry["converged"] for entry in qlearning.values())

    evaluation = json.loads((root / "evaluation.json").read_text())
    step2, random_row = evaluation["rows"].values()
    assert step2["train layouts / test goals"]["episodes"] == 0  # no table for unseen goals
    assert step2["train layouts / train goals"]["episodes"] == 6
    assert (
        step2["train layouts / train goals"]["success"]
        > random_row["train layouts / train goals"]["success"]
    )
    assert "| step-2 policies" in (root / "evaluation.md").read_text()
    summary = RunPaths(root).read_summary()
    assert summary["stages"] == ["goals", "collect", "abstract", "label", "proxy", "qlearn"]
    assert summary["method_summary"]["abstractions"]["correct"] == 2
    assert set(summary["method_summary"]["timings"]) >= {"collect", "label", "qlearn"}

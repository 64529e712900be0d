"""The TEDUO pipeline through the runner, on a small level: BabyAI's verifier rules stand in for
the LLM labeller and the goals' own objects for the LLM's abstraction (both named as such), and
a tiny Qwen2-shaped model with a word tokenizer, built here, is fine-tuned in step 3; every
stage's files are checked, and a run killed between stages resumes at the right one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("minigrid")
pytest.importorskip("minari")

from langreward.experiments import run_experiment, validate_config  # noqa: E402
from langreward.experiments.rundir import RunPaths  # noqa: E402

from .tiny_model import build_tiny_model  # noqa: E402

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
        "sft": {
            "examples_per_goal": 8,
            "epochs": 20,
            "batch_size": 8,
            "learning_rate": 0.02,
            "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"],
        },
    },
}


class Crash(Exception):
    """Stands in for a killed process."""


def test_pipeline_writes_every_stage_and_resumes_after_a_kill(tmp_path: Path) -> None:
    raw = json.loads(json.dumps(CONFIG))
    raw["teduo"]["sft"]["model"] = str(build_tiny_model(tmp_path / "tiny-model"))
    config = validate_config(raw)

    def crash_at_proxy(progress) -> None:
        if progress.stage == "proxy":
            raise Crash

    with pytest.raises(Crash):
        run_experiment(config, tmp_path / "run", progress=crash_at_proxy)
    root = tmp_path / "run"
    assert (root / "labels.json").exists() and not (root / "proxy.json").exists()
    labelled = (root / "labels.json").stat().st_mtime_ns

    seen = []
    result = run_experiment(config, root, resume=True, progress=seen.append)
    assert result.status == "finished"
    stages = [p.stage for p in seen]
    assert "collect" not in stages and "label" not in stages and "proxy" in stages
    details = {(p.stage, p.detail) for p in seen}  # how far each long stage has got
    assert ("qlearn", "1/2 goals") in details and ("proxy", "0/2 goals") in details
    steps = [p.detail for p in seen if p.stage == "finetune" and p.detail]
    done, total = steps[-1].removesuffix(" training steps").split("/")
    assert len(steps) > 1 and done == total
    finished = [d for stage, d in details if stage == "evaluate" and d and d.endswith("1/6")]
    assert any(re.fullmatch(r"(\d+)/\1 episodes, policy 1/6", d) for d in finished)
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
    examples = [
        json.loads(line) for line in (root / "sft/examples.jsonl").read_text().split("\n") if line
    ]
    assert examples and {e["goal"] for e in examples} <= set(ids)
    assert examples[0]["prompt"][-1]["content"].startswith("Instruction: ")
    distilled = json.loads((root / "sft.json").read_text())["goals"].values()
    assert all(g["start_states_with_a_plan"] >= g["examples"] for g in distilled)
    assert (root / "sft/adapter/adapter_config.json").exists()
    finetuned = json.loads((root / "finetune.json").read_text())
    assert finetuned["trained_tokens"] > 0 and finetuned["peak_memory_gb"] < 12
    labels = json.loads((root / "labels.json").read_text())
    assert labels["labeller"] == "verifier (oracle stand-in)"
    assert all(entry["precision"] == 1.0 for entry in labels["goals"].values())
    qlearning = json.loads((root / "qlearning.json").read_text())
    assert all(entry["converged"] for entry in qlearning.values())

    evaluation = json.loads((root / "evaluation.json").read_text())
    tuned, untuned, gcbc, raw, step2, random_row = evaluation["rows"].values()
    assert gcbc["test layouts / test goals"]["episodes"] == 6  # reads any goal's structure
    assert raw["train layouts / test goals"]["episodes"] == 0  # no table for unseen goals
    assert evaluation["baselines"]["gcbc"]["examples"] > 0
    assert tuned["train layouts / train goals"]["episodes"] == 6
    assert tuned["test layouts / test goals"]["episodes"] == 6  # the LLM agent takes any goal
    agent = evaluation["agents"]["TEDUO agent (LLM + LoRA on step-2 plans)"]
    assert agent["queries"] > 0 and agent["unusable_replies"] < agent["queries"]
    assert step2["train layouts / test goals"]["episodes"] == 0  # no table for unseen goals
    assert step2["train layouts / train goals"]["episodes"] == 6
    mine, chance = step2["train layouts / train goals"], random_row["train layouts / train goals"]
    assert mine["success"] >= chance["success"] and mine["length"] < chance["length"]
    assert "| step-2 policies" in (root / "evaluation.md").read_text()
    summary = RunPaths(root).read_summary()
    assert summary["stages"] == [
        "goals", "collect", "abstract", "label", "proxy", "qlearn", "distill", "finetune"
    ]  # fmt: skip
    assert summary["method_summary"]["abstractions"]["correct"] == 2
    assert set(summary["method_summary"]["timings"]) >= {"collect", "label", "qlearn"}


def test_step_2_with_dqn_writes_tables_and_networks_and_is_evaluated(tmp_path: Path) -> None:
    raw = json.loads(json.dumps(CONFIG))
    raw["teduo"].update(distill=False, baselines=False)
    raw["teduo"]["qlearning"] = {"algorithm": "dqn", "dqn": {"gradient_steps": 300}}
    result = run_experiment(validate_config(raw), tmp_path / "run")
    assert result.status == "finished"
    root = tmp_path / "run"
    report = json.loads((root / "qlearning.json").read_text())
    assert {entry["algorithm"] for entry in report.values()} == {"dqn"}
    for gid in report:
        assert (root / "qtables" / f"{gid}.npz").exists() and (
            root / "qtables" / f"{gid}.pt"
        ).exists()
    evaluation = json.loads((root / "evaluation.json").read_text())
    rows = evaluation["rows"]
    assert set(evaluation["seconds"]) == set(rows)  # each policy's evaluation time
    dqn = rows["step-2 policies (DQN, oracle abstraction, verifier labels)"]  # named by source
    assert dqn["train layouts / train goals"]["episodes"] == 6


@pytest.mark.ray
def test_a_run_given_ray_labels_its_goals_there(tmp_path: Path) -> None:
    """`langreward run --ray local`: the label stage runs one Ray task per goal; the labels
    are the same as in-process ones."""
    pytest.importorskip("ray")
    raw = json.loads(json.dumps(CONFIG))
    raw["teduo"].update(distill=False, baselines=False)
    raw["eval"] = {"episodes": 1}
    config = validate_config(raw)
    here = run_experiment(config, tmp_path / "here")
    there = run_experiment(config, tmp_path / "ray", ray_address="local")
    assert here.status == there.status == "finished"
    local = json.loads((here.run_dir / "labels.json").read_text())
    remote = json.loads((there.run_dir / "labels.json").read_text())
    assert local["where"] == "local" and remote["where"] == "ray (local)"
    for gid in local["goals"]:
        mine = json.loads((here.run_dir / "labels" / f"{gid}.json").read_text())
        theirs = json.loads((there.run_dir / "labels" / f"{gid}.json").read_text())
        assert mine["decisions"] == theirs["decisions"] and mine["states"] == theirs["states"]


def test_a_wrong_model_path_or_level_fails_before_any_stage(tmp_path: Path) -> None:
    from langreward.experiments import ConfigError

    # the method's pre-flight check: before any stage, and no run directory is made
    raw = json.loads(json.dumps(CONFIG))
    raw["teduo"]["sft"]["model"] = str(tmp_path / "no-model")
    with pytest.raises(ConfigError, match="neither 'embedded' nor a directory"):
        run_experiment(validate_config(raw), tmp_path / "a")
    assert not (tmp_path / "a").exists()
    raw = json.loads(json.dumps(CONFIG))
    raw["env"] = "BabyAI-GoToLocal-v0"
    with pytest.raises(
        ConfigError, match="^env.id: TEDUO runs on its own levels; env.id must be one of"
    ):
        run_experiment(validate_config(raw), tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_describe_shows_what_step_1_asks() -> None:
    import gymnasium as gym

    from langreward.plugin import get_method

    method = get_method("teduo")
    text = method.explain(gym.make("TEDUO-TwoRooms-v0"), method.settings())
    assert "Instruction: go to" in text and "Has the agent carried out" in text
    assert method.explain(gym.make("CartPole-v1"), method.settings()).startswith("not applicable")

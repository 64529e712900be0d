"""A run killed (SIGKILL) right after a checkpoint and resumed ends as the uninterrupted run
with the same seed does: the same number of model updates and the same evaluation rows, for
an on-policy (PPO) and an off-policy (DQN) algorithm, whether the checkpoint falls on a
rollout boundary or inside a rollout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from langreward.experiments import run_experiment
from langreward.experiments.rundir import RunPaths

PPO = {
    "algo": "ppo",
    "algo_kwargs": {"n_steps": 256, "batch_size": 64, "n_epochs": 2},
    "total_timesteps": 2048,
}
DQN = {
    "algo": "dqn",
    "algo_kwargs": {
        "learning_starts": 200,
        "train_freq": 4,
        "buffer_size": 2000,
        "target_update_interval": 100,
        "policy_kwargs": {"net_arch": [32]},
    },
    "total_timesteps": 2000,
}

#: (id, config changes): checkpoints on a rollout boundary (PPO 512 = 2 rollouts) and inside
#: one (PPO 384, DQN 602: not a multiple of train_freq)
CASES = [
    ("ppo-boundary", {**PPO, "checkpoint_every": 512}),
    ("ppo-inside", {**PPO, "checkpoint_every": 384}),
    ("dqn", {**DQN, "checkpoint_every": 602}),
]


def outcome(run_dir: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on whether the run was killed and resumed."""
    return {
        "timesteps_done": summary["timesteps_done"],
        "model_updates": summary["model_updates"],
        "eval_rows": [
            (r["timestep"], bool(r.get("final"))) for r in RunPaths(run_dir).rows("eval")
        ],
        "method_summary": summary["method_summary"],
    }


@pytest.mark.parametrize(("case", "changes"), CASES, ids=[c[0] for c in CASES])
def test_killed_after_a_checkpoint_and_resumed_equals_uninterrupted(
    case, changes, tiny_config, kill_after_first_checkpoint, tmp_path
) -> None:
    config = tiny_config(**changes, seeds=[0], eval={"every": 500, "episodes": 1})
    full = run_experiment(config, tmp_path / "full")
    run_dir = kill_after_first_checkpoint(config.to_yaml(), tmp_path / "killed")
    paths = RunPaths(run_dir)
    state = paths.read_state()
    assert state and 0 < state["timesteps"] < config.total_timesteps
    assert not paths.summary.exists()  # killed: nothing was written after the checkpoint

    resumed = run_experiment(config, run_dir, resume=True)
    assert resumed.resumed_from == state["timesteps"] and resumed.summary["sessions"] == 2
    assert full.summary["model_updates"] > 0
    evals = [r["timestep"] for r in RunPaths(full.run_dir).rows("eval")]
    assert len(evals) == len(set(evals)) and evals[-1] == config.total_timesteps  # one per step
    assert outcome(run_dir, resumed.summary) == outcome(full.run_dir, full.summary)

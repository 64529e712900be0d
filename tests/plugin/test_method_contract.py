"""The contract every registered method keeps, checked on each built-in from its example config:
train a few hundred steps, get killed (SIGKILL) right after a checkpoint, resume, and finish with
a summary that covers the whole run and method state that continued (not restarted): the same
model updates, method counters and evaluation rows as the uninterrupted run with the seed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from langreward.experiments import load_config, run_experiment
from langreward.experiments.rundir import RunPaths
from langreward.plugin import get_method, method_names
from langreward.plugin.registry import BUILTIN

CONFIGS = Path(__file__).parents[2] / "configs"


class Crash(Exception):
    """Stands in for a process stopped between an offline pipeline's stages."""


def _lmgt_budget(summary: dict[str, Any]) -> None:
    judge = summary["method_summary"]["judge"]
    # the budget judged its 768 steps once, over both sessions, and the counters cover all
    assert judge["shaping"]["steps"] == 1536
    assert judge["shaping"]["judged_steps"] == judge["pairs"] == 768


def _lmgt_llm(summary: dict[str, Any]) -> None:
    _lmgt_budget(summary)
    judge = summary["method_summary"]["judge"]
    # remembered judgments survive: no pair was asked twice (queries == distinct keys)
    assert judge["queries"] + judge["key_hits"] + judge["pending"] >= judge["pairs"]
    assert summary["llm"]["calls"] >= judge["llm_rounds"] > 0
    assert summary["llm_spec"] == "scripted"


def _lare(summary: dict[str, Any]) -> None:
    # as in an uninterrupted run: updates at steps 500..900 (two 200-step episodes stored
    # first), 10 Adam steps each; none lost, none repeated
    assert summary["method_summary"]["decoder_updates"] == 50


def _lare_marl(summary: dict[str, Any]) -> None:
    # rollouts of 300 agent-steps, 4 team episodes each (the warm-up): every rollout but the
    # last (cut at the budget) relabelled, 3 Adam steps each. The checkpoint due at step 600
    # waits for the next rollout's start, after the second rollout was relabelled and PPO
    # trained on it (2 x 3 saved), then 3 x 3 more: 15; a restarted decoder would have made 9
    assert summary["method_summary"]["decoder_updates"] == 15


def _lgr2(summary: dict[str, Any]) -> None:
    # both levels' buffers came back with the checkpoint: 300 saved + 300 after the resume
    assert summary["method_summary"]["transitions"] == 600


def _spec_shaping(summary: dict[str, Any]) -> None:
    # the spec was chosen once (two 200-step trials) and read back from spec.json on resume
    method = summary["method_summary"]
    assert method["trial_steps"] == 400 and method["spec_source"] == "random"


def _baseline(summary: dict[str, Any]) -> None:
    assert summary["method_summary"] == {"shaping": "none"}


LMGT = [
    "total_timesteps=1536",
    "checkpoint_every=512",
    "n_envs=2",
    "algo_kwargs.n_steps=128",
    "eval={every: 0, episodes: 2}",
    "lmgt.budget={kind: first_n, steps: 768}",
    "lmgt.scale_schedule=constant",
]
LMGT_COUNTERS = ("judge.shaping.steps", "judge.shaping.judged_steps")
#: method -> [(example config, overrides, the method's counters (paths in its summary) that
#: must end as in the uninterrupted run, check of the resumed run's summary)]
CASES: dict[str, list[tuple[str, list[str], tuple[str, ...], Callable[[dict[str, Any]], None]]]]
CASES = {
    "baseline": [("baseline/cartpole-ppo-tiny.yaml", ["checkpoint_every=512"], (), _baseline)],
    "lmgt": [
        ("lmgt/cartpole_ppo.yaml", [*LMGT, "lmgt.judge=noisy(0.8)"], LMGT_COUNTERS, _lmgt_budget),
        (
            "lmgt/cartpole_ppo.yaml",
            [*LMGT, "llm=scripted", "lmgt.judge=llm"],
            LMGT_COUNTERS,
            _lmgt_llm,
        ),
    ],
    "lare": [
        (
            "lare/pendulum_sac.yaml",
            [
                "total_timesteps=900",
                "checkpoint_every=400",
                "algo_kwargs={learning_starts: 100, buffer_size: 2000, policy_kwargs: {net_arch: [16]}}",
                "eval={every: 0, episodes: 1}",
                "lare.encoder.source=reference",
                "lare.decoder={train_every: 100, gradient_steps: 10, subset_size: 16}",
            ],
            ("decoder_updates",),
            _lare,
        )
    ],
    "lare_marl": [
        (
            "lare_marl/spread_ippo.yaml",
            [
                "total_timesteps=1800",
                "checkpoint_every=600",
                "n_envs=2",
                "algo_kwargs={n_steps: 50, batch_size: 100, n_epochs: 1}",
                "eval={every: 0, episodes: 1}",
                "lare_marl.encoder.source=reference",
                "lare_marl.decoder={warmup_episodes: 4, gradient_steps: 3, batch_episodes: 4}",
            ],
            ("decoder_updates",),
            _lare_marl,
        )
    ],
    "lgr2": [
        (
            "lgr2/pointmaze_umaze.yaml",
            [
                "total_timesteps=600",
                "checkpoint_every=300",
                "eval={every: 0, episodes: 1}",
                "env.kwargs={max_episode_steps: 50}",
                "algo_kwargs={batch_size: 32, policy_kwargs: {net_arch: [16]}}",
                "lgr2.reward.source=hand",
                "lgr2.learning_starts=100",
            ],
            ("transitions",),
            _lgr2,
        )
    ],
    "spec_shaping": [
        (
            "spec_shaping/mountaincar_dqn.yaml",
            [
                "total_timesteps=1200",
                "checkpoint_every=400",
                "eval={every: 0, episodes: 1}",
                "algo_kwargs={learning_starts: 100, buffer_size: 2000, train_freq: 4, "
                "policy_kwargs: {net_arch: [16]}}",
                "spec_shaping={source: random, candidates: 2, sample_steps: 300, "
                "trial: {steps: 200, workers: 1}}",
            ],
            ("spec", "winner", "trial_steps"),
            _spec_shaping,
        )
    ],
}


#: offline methods: (example config, overrides, crash when this stage starts)
OFFLINE_CASES: dict[str, tuple[str, list[str], str]] = {
    "teduo": (
        "teduo/two_rooms.yaml",
        [
            "teduo.abstraction=oracle",
            "teduo.labels.labeller=verifier",
            "teduo.data={steps: 2000, layouts: 3, test_layouts: 2}",
            "teduo.goals={kinds: [goto, pickup], max_train: 2, max_test: 1}",
            "teduo.distill=false",
            "teduo.baselines=false",
            "eval={episodes: 2}",
        ],
        "proxy",
    ),
}


def test_every_builtin_method_has_a_contract_case() -> None:
    assert set(BUILTIN) <= set(method_names())
    covered = set(CASES) | set(OFFLINE_CASES)
    assert covered == set(BUILTIN), "add a contract case for each built-in method"


@pytest.mark.parametrize("method", sorted(OFFLINE_CASES))
def test_offline_pipeline_killed_between_stages_resumes_at_the_first_unfinished(
    method, tmp_path
) -> None:
    config_file, overrides, crash_stage = OFFLINE_CASES[method]
    config = load_config(CONFIGS / config_file, [*overrides, "seeds=[0]"])
    assert config.method == method and not get_method(method).online

    def crash(progress) -> None:
        if progress.stage == crash_stage:
            raise Crash

    with pytest.raises(Crash):
        run_experiment(config, tmp_path / "run", progress=crash)
    done = RunPaths(tmp_path / "run").read_state()["stages_done"]
    stages: list[str | None] = []
    result = run_experiment(
        config, tmp_path / "run", resume=True, progress=lambda p: stages.append(p.stage)
    )
    assert result.summary["status"] == "finished" and result.summary["sessions"] == 2
    assert not set(done) & set(stages) and stages[0] == crash_stage
    assert result.summary["stages"][: len(done)] == done


@pytest.mark.parametrize(
    ("method", "case"),
    [(name, case) for name, cases in CASES.items() for case in cases],
    ids=lambda value: value if isinstance(value, str) else value[1][-1],
)
def test_killed_after_a_checkpoint_resumes_where_it_stopped(
    method, case, kill_after_first_checkpoint, tmp_path
) -> None:
    config_file, overrides, counters, check = case
    config = load_config(CONFIGS / config_file, [*overrides, "seeds=[0]"])
    assert config.method == method and get_method(method).name == method
    full = run_experiment(config, tmp_path / "full").summary

    paths = RunPaths(kill_after_first_checkpoint(config.to_yaml(), tmp_path / "run"))
    state = paths.read_state()
    assert state and 0 < state["timesteps"] < config.total_timesteps
    assert paths.method_state.is_file() and not paths.summary.exists()

    result = run_experiment(config, paths.root, resume=True)
    summary = result.summary
    assert summary["status"] == "finished" and summary["sessions"] == 2
    assert result.resumed_from == state["timesteps"]
    assert summary["timesteps_done"] == config.total_timesteps
    check(summary)
    assert full["model_updates"] > 0
    assert _outcome(paths.root, summary, counters) == _outcome(tmp_path / "full", full, counters), (
        "the resumed run must end as the uninterrupted one"
    )


def _outcome(run_dir: Path, summary: dict[str, Any], counters: tuple[str, ...]) -> dict[str, Any]:
    """What must not depend on whether the run was killed and resumed."""
    stats = summary["method_summary"]
    return {
        "model_updates": summary["model_updates"],
        "eval_rows": [
            (r["timestep"], bool(r.get("final"))) for r in RunPaths(run_dir).rows("eval")
        ],
        **{path: _get(stats, path) for path in counters},
    }


def _get(data: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        data = data[key]
    return data

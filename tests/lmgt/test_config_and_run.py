"""Settings validation and the plug-in's ``build`` (the runner's entry point)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecEnv

from langreward.lmgt import LMGTLogCallback, LMGTSettings, VecRewardShift
from langreward.lmgt.config import LMGTConfigError
from langreward.lmgt.keys import TextKey
from langreward.lmgt.plugin import build
from langreward.plugin import OnlineSetup, RunContext, RunLLM


def build_setup(settings: dict, context: RunContext) -> OnlineSetup:
    return build(LMGTSettings.parse(settings), context)


def _context(tmp_path: Path, env_id: str = "CartPole-v1", **kwargs) -> RunContext:
    values = {
        "algo": "ppo",
        "seed": 0,
        "n_envs": 2,
        "total_timesteps": 256,
        "run_dir": tmp_path,
        "llm": RunLLM("scripted"),
    }
    values.update(kwargs)
    return RunContext(env_id=env_id, **values)


def test_settings_defaults_and_shorthands() -> None:
    s = LMGTSettings.parse({})
    assert (s.judge, s.strategy, s.scale, s.budget.kind, s.batch_size) == (
        "llm",
        "zero_shot",
        1.0,
        "all",
        16,
    )
    s = LMGTSettings.parse(
        {"judge": "noisy(0.7)", "strategy": "CoT", "budget": "probability", "key": [2, 2, 4, 4]}
    )
    assert (s.judge, s.accuracy, s.strategy, s.budget.kind, s.key.bins) == (
        "noisy",
        0.7,
        "chain_of_thought",
        "probability",
        [2, 2, 4, 4],
    )
    schedule = LMGTSettings.parse({"scale_schedule": "linear", "scale": 0.4}).scale_schedule_for(
        100
    )
    assert schedule.value(50) == pytest.approx(0.2)
    budget = LMGTSettings.parse({"budget": {"kind": "decay", "p": 1.0}}).budget.build(1000)
    assert budget.steps == 1000


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"judge": "psychic"},
            "lmgt.judge: Input should be 'llm', 'oracle', 'noisy', 'constant' or 'none'",
        ),
        ({"scale": -1}, "lmgt.scale: Input should be greater than or equal to 0"),
        ({"budget": {"kind": "first_n"}}, "lmgt.budget: a 'first_n' budget needs steps"),
        ({"budget": {"kind": "probability", "p": 2}}, "lmgt.budget.p: Input should be less"),
        ({"key": {"bins": 0}}, "lmgt.key.bins: bins must be >= 1"),
        ({"key": {"kind": "text", "bins": 4}}, "lmgt.key: a text key has no bins: drop bins"),
        ({"scael": 1.0}, "lmgt.scael: Extra inputs are not permitted"),
        ({"examples": [["state", "great"]]}, "lmgt.examples.0.1: Input should be 'good'"),
        ({"calibration": "platt"}, "lmgt.calibration: Input should be 'none' or 'contextual'"),
        ({"packed_orders": "some"}, "lmgt.packed_orders: Input should be 'auto'"),
    ],
)
def test_settings_errors_name_the_field(settings: dict, message: str) -> None:
    with pytest.raises(LMGTConfigError) as error:
        LMGTSettings.parse(settings)
    assert message in str(error.value)


def test_build_setup_oracle_trains_and_summarises(tmp_path: Path) -> None:
    context = _context(tmp_path)
    setup = build_setup({"judge": "oracle", "scale": 0.2}, context)
    assert isinstance(setup.env, VecRewardShift) and setup.env.num_envs == 2
    assert isinstance(setup.eval_env, VecEnv) and not isinstance(setup.eval_env, VecRewardShift)
    assert isinstance(setup.callbacks[0], LMGTLogCallback)
    PPO("MlpPolicy", setup.env, n_steps=64, batch_size=64, n_epochs=1, seed=0).learn(
        128, callback=setup.callbacks
    )
    summary = setup.summary()
    json.dumps(summary)
    judge = summary["judge"]
    assert judge["name"] == "oracle" and judge["reference"] == "cartpole-heuristic"
    assert judge["pairs"] >= 128 and judge["agreement"] == 1.0
    assert not context.llm.used  # an oracle never asks for the LLM
    setup.close()


@pytest.mark.parametrize("background", [False, True])
def test_build_setup_llm_judge_uses_context_llm(tmp_path: Path, background: bool) -> None:
    # the bare scripted backend answers "ok": every judgment is unparseable -> 0, counted
    context = _context(tmp_path)
    setup = build_setup(
        {
            "judge": "llm",
            "batch_size": 4,
            "budget": {"kind": "first_n", "steps": 8},
            "background": background,
        },
        context,
    )
    setup.env.reset()
    for _ in range(6):
        setup.env.step([0, 1])
    if background:  # wait for the worker thread's answers
        setup.env.shifter.judge.drain()
    summary = setup.summary()
    assert summary["judge"]["name"] == "llm" and summary["judge"]["pairs"] == 8
    assert summary["judge"]["unparseable"] == summary["judge"]["queries"] > 0
    assert summary["judge"]["shaping"]["judged_steps"] == 8
    assert summary["judge"]["calibration"] == {"kind": "none"}
    assert context.llm.stats()["calls"] > 0  # the runner's LLM: it reports the cost
    setup.close()


def test_build_setup_noisy_none_and_errors(tmp_path: Path) -> None:
    noisy = build_setup({"judge": "noisy(0.6)"}, _context(tmp_path, "MountainCar-v0"))
    assert noisy.summary()["judge"]["name"] == "noisy(0.6)"
    none = build_setup({"judge": "none"}, _context(tmp_path))
    assert not isinstance(none.env, VecRewardShift) and none.summary()["judge"] == {"name": "none"}
    with pytest.raises(LMGTConfigError, match="needs a reference policy"):
        build_setup({"judge": "oracle"}, _context(tmp_path, "Acrobot-v1"))
    with pytest.raises(LMGTConfigError, match="lmgt.examples: few_shot on Acrobot-v1"):
        build_setup({"strategy": "few_shot"}, _context(tmp_path, "Acrobot-v1"))
    with pytest.raises(LMGTConfigError, match="lmgt.key: key bins has 2 values"):
        build_setup({"key": {"bins": [2, 2]}}, _context(tmp_path))


def test_build_setup_few_shot_draws_examples_from_reference(tmp_path: Path) -> None:
    setup = build_setup({"strategy": "few_shot", "few_shot_count": 2}, _context(tmp_path))
    judge = setup.env.judge
    assert [label for _, label in judge.examples] == ["good", "bad"]  # type: ignore[attr-defined]


def test_build_setup_babyai(tmp_path: Path) -> None:
    pytest.importorskip("minigrid")
    setup = build_setup({"judge": "oracle"}, _context(tmp_path, "BabyAI-GoToRedBallNoDists-v0"))
    assert setup.env.observation_space.shape == (7, 7, 3)  # ImgObsWrapper: SB3 accepts it
    setup.env.reset()
    for _ in range(5):
        _, _, _, infos = setup.env.step([2, 2])
    assert "mission" in infos[0]
    judge = setup.summary()["judge"]
    assert judge["reference"] == "babyai-bot" and judge["compared"] == 10


def test_build_setup_babyai_llm_judge_with_text_key(tmp_path: Path) -> None:
    pytest.importorskip("minigrid")
    setup = build_setup(
        {"judge": "llm", "key": {"kind": "text"}, "batch_size": 4},
        _context(tmp_path, "BabyAI-GoToRedBallNoDists-v0"),
    )
    judge = setup.env.judge
    assert isinstance(judge.key, TextKey)  # type: ignore[attr-defined]
    setup.env.reset()
    for _ in range(6):
        setup.env.step([0, 0])  # turning left in place: 4 headings, so descriptions repeat
    summary = setup.summary()["judge"]
    assert summary["pairs"] == 12 and summary["key_hits"] > 0
    remembered = list(judge.memory) + list(judge.queue)  # type: ignore[attr-defined]
    assert remembered and all("go to the red ball" in key for key in remembered)
    setup.close()

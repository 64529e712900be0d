"""LGR2: reward parameters from an instruction (scripted LLM), hindsight on both levels, the
two-level agent through the runner, on a tiny PointMaze."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3.common.env_util import make_vec_env

from langreward.experiments import ConfigError, load_config, run_experiment
from langreward.lgr2.agent import TwoLevelSAC
from langreward.lgr2.buffer import HindsightBuffer
from langreward.lgr2.reward import HAND_WRITTEN_REACH, RewardSpec, RewardTerm
from langreward.lgr2.translate import (
    DESCRIPTOR_TEMPLATE,
    FILLED_EXAMPLE,
    HAND_JSON_EXAMPLE,
    RewardTranslationError,
    check_instruction,
    translate,
)
from langreward.llm import make_llm
from langreward.rl.envs import register_env_family

CONFIG = Path(__file__).parents[2] / "configs" / "lgr2" / "pointmaze_umaze.yaml"
ENV = "PointMaze_UMaze-v3"
TINY = {
    "maze_map": [[1, 1, 1, 1], [1, 0, 0, 1], [1, 0, 0, 1], [1, 1, 1, 1]],
    "max_episode_steps": 40,
}


@pytest.fixture(autouse=True, scope="module")
def _mazes_registered() -> None:
    # at test time, not at collection: other modules' parameters must not depend on it
    register_env_family(ENV)


def scripted(*replies: str, fits: bool = True):
    """A scripted LLM (tests only) answering with ``replies`` in turn (the last repeats); to
    the question whether the instruction fits, "yes" (``fits``) or "no" in either order."""
    answers = list(replies)

    def answer(messages):
        text = messages[-1]["content"]
        if "follow the instruction by how it moves?" in text:
            return "A" if f"A) {'yes' if fits else 'no'}" in text else "B"
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return make_llm("scripted", responses=answer)


# -- reward parameters -------------------------------------------------------------------------
def test_reward_terms_are_checked_and_compiled() -> None:
    with pytest.raises(ValueError, match="with itself"):
        RewardTerm(kind="distance", a="state", b="state", weight=1.0)
    with pytest.raises(ValueError, match="needs a threshold"):
        RewardTerm(kind="within", a="state", b="final_goal", weight=1.0)
    with pytest.raises(ValueError, match="no term mentions final_goal"):
        RewardSpec(terms=[RewardTerm(kind="distance", a="state", b="subgoal", weight=-1.0)])
    reward = HAND_WRITTEN_REACH.compile()
    state, goal, subgoal = np.zeros((2, 2)), np.array([[0.0, 0.4], [3.0, 4.0]]), np.zeros((2, 2))
    # -|subgoal - goal| - 0.5 |subgoal - state| + 5 [|state - goal| <= 0.45]
    np.testing.assert_allclose(reward(state, goal, subgoal), [-0.4 + 5.0, -5.0], rtol=1e-6)


def test_instruction_becomes_reward_parameters_in_two_stages() -> None:
    llm = scripted(FILLED_EXAMPLE, HAND_JSON_EXAMPLE)
    result = translate(llm, "Go to the goal.")
    assert result.spec.describe() == (
        "-1 x distance(subgoal, final_goal) ; +5 if distance(state, final_goal) <= 0.45"
    )
    assert result.description.startswith("[start of description]")
    assert result.descriptor_attempts == 1 and result.coder_repairs == 0


def test_a_template_slot_left_open_is_asked_again_then_filled_slot_by_slot() -> None:
    unfilled = FILLED_EXAMPLE.replace("reach", "{CHOICE: [reach, stay away from]}")
    result = translate(scripted(unfilled, FILLED_EXAMPLE, HAND_JSON_EXAMPLE), "Go to the goal.")
    assert result.descriptor_attempts == 2 and result.descriptor_mode == "free text"
    # a model that keeps echoing the template: each choice is asked on its own (calibrated)

    def echoing(messages):  # a scripted LLM (tests only) that answers choices with "B"
        prompt = messages[-1]["content"]
        if "single letter" in prompt:
            return "B"
        return DESCRIPTOR_TEMPLATE if "Fill in this template" in prompt else HAND_JSON_EXAMPLE

    result = translate(make_llm("scripted", responses=echoing), "Go to the goal.")
    assert result.descriptor_mode == "slot by slot" and "{CHOICE" not in result.description
    assert "within 0.45 units" in result.description  # numbers keep their defaults
    lines = result.description.splitlines()
    assert lines[1] in (
        "* The agent should reach the final goal.",
        "* The agent should stay away from the final goal.",
    )


def test_invalid_reward_json_is_repaired_with_the_error_fed_back() -> None:
    same_entity = HAND_JSON_EXAMPLE.replace('"a": "subgoal"', '"a": "final_goal"')
    llm = scripted(FILLED_EXAMPLE, same_entity, HAND_JSON_EXAMPLE)
    result = translate(llm, "Go to the goal.")
    assert result.coder_repairs == 1
    repair = llm.backend.requests[-1].messages[-1][1]
    assert "invalid" in repair and "itself" in repair  # the validation error, fed back


def test_reward_json_that_stays_invalid_is_refused_with_one_clear_error() -> None:
    with pytest.raises(RewardTranslationError, match="failed validation after 2 repair") as info:
        translate(scripted(FILLED_EXAMPLE, '{"terms": []}'), "Go to the goal.")
    assert "lgr2.reward.source: hand" in str(info.value)


# -- hindsight -----------------------------------------------------------------------------------
def _filled_buffer(her_ratio: float, capacity: int = 1000) -> HindsightBuffer:
    buffer = HindsightBuffer(
        capacity,
        obs_dim=1,
        goal_dim=1,
        action_dim=1,
        reward_fn=lambda a, na, g, u: -(np.abs(na - g)[:, 0] > 0.5).astype(np.float32),
        her_ratio=her_ratio,
    )
    for episode in range(30):
        for t in range(10):
            position = 100 * episode + t  # achieved goals tell episode and step apart
            buffer.add(
                np.array([position]), np.array([position + 1]), np.array([-1.0]),
                np.array([0.0]), np.array([position]), np.array([position + 1]), done=False,
            )  # fmt: skip
        buffer.end_episode()
    return buffer


@pytest.mark.parametrize("capacity", [1000, 155])  # 155: the ring has overwritten old episodes
def test_future_goals_come_from_the_same_episode_later_on(capacity) -> None:
    batch = _filled_buffer(0.8, capacity).sample(2000)
    obs = batch.observations.numpy()
    position, goal = obs[:, 0], obs[:, 1]
    relabelled = goal != -1.0
    assert 0.75 < relabelled.mean() < 0.85
    assert np.all(goal[relabelled] // 100 == position[relabelled] // 100)  # same episode
    assert np.all(goal[relabelled] >= position[relabelled] + 1)  # a future achieved goal
    # rewards are recomputed for the relabelled goal (0 when it is the next achieved goal)
    rewards = batch.rewards.numpy()[:, 0]
    np.testing.assert_array_equal(rewards, -(np.abs(position + 1 - goal) > 0.5).astype(float))
    assert (rewards[relabelled] == 0).any() and (rewards[~relabelled] == -1).all()


def test_without_hindsight_goals_stay_as_stored() -> None:
    goals = _filled_buffer(0.0).sample(500).observations.numpy()[:, 1]
    assert np.all(goals == -1.0)


def _agent(her_ratio: float = 0.8, **kwargs) -> TwoLevelSAC:
    env = make_vec_env(ENV, n_envs=1, seed=0, env_kwargs=TINY)
    reward = HAND_WRITTEN_REACH.compile()
    return TwoLevelSAC(
        None,
        env,
        high_reward=lambda achieved, next_achieved, goal, subgoal: reward(achieved, goal, subgoal),
        subgoal_bounds=([-2.0, -2.0], [2.0, 2.0]),
        k=5,
        her_ratio=her_ratio,
        learning_starts=100,
        batch_size=32,
        policy_kwargs={"net_arch": [16]},
        **kwargs,
    )


def test_the_relabelled_high_level_reward_is_r_phi_of_the_sampled_transition() -> None:
    agent = _agent()
    agent.learn(300)
    buffer = agent.high.replay_buffer
    assert len(buffer) == 60  # one high-level transition per 5-step segment
    seen = {}

    def recording(achieved, next_achieved, goal, action):
        seen.update(achieved=achieved, goal=goal, action=action)
        return agent._high_reward(achieved, next_achieved, goal, action)

    buffer.reward_fn = recording
    batch = buffer.sample(256)
    goal = batch.observations.numpy()[:, agent.obs_dim :]
    np.testing.assert_allclose(goal, seen["goal"])  # the policy sees the relabelled goal
    expected = HAND_WRITTEN_REACH.compile()(
        seen["achieved"], seen["goal"], agent.subgoal(seen["action"])
    )
    np.testing.assert_allclose(batch.rewards.numpy()[:, 0], expected, rtol=1e-6)
    stored = {tuple(g) for g in buffer.goal[: len(buffer)]}
    relabelled = [tuple(g) not in stored for g in goal]
    assert 0.6 < np.mean(relabelled) < 0.95  # ~80 % future achieved goals


def test_the_low_level_relabels_within_its_segment_and_rewards_reaching_the_subgoal() -> None:
    agent = _agent()
    agent.learn(300)
    buffer = agent.low.replay_buffer
    batch = buffer.sample(512)
    obs = batch.observations.numpy()
    goal = obs[:, agent.obs_dim :]
    reached = np.linalg.norm(batch.next_observations.numpy()[:, :2] - goal, axis=1) <= 0.45
    np.testing.assert_array_equal(batch.rewards.numpy()[:, 0], np.where(reached, 0.0, -1.0))
    # a relabelled goal is the achieved goal after a later transition of the same segment
    n = len(buffer)
    stored_obs, achieved_after = buffer.obs[:n], buffer.next_achieved[:n]
    subgoals = {tuple(g) for g in buffer.goal[:n]}
    checked = 0
    for row, g in zip(obs, goal, strict=True):
        if tuple(g) in subgoals:
            continue
        i = np.flatnonzero((stored_obs == row[: agent.obs_dim]).all(axis=1))[0]
        j = np.flatnonzero((achieved_after == g).all(axis=1))[0]
        assert 0 <= j - i < 5 and buffer.episode_end[i] == buffer.episode_end[j]
        checked += 1
    assert checked > 300  # ~80 % of 512


def test_save_and_load_keep_the_policy_the_buffers_and_the_counters(tmp_path) -> None:
    agent = _agent()
    agent.learn(300)
    agent.save(tmp_path / "model.zip")
    agent.save_replay_buffer(tmp_path / "buffer.pkl")
    again = TwoLevelSAC.load(
        tmp_path / "model.zip",
        env=agent.env,
        high_reward=agent.high_reward,
        subgoal_bounds=([-2.0, -2.0], [2.0, 2.0]),
        k=5,
        learning_starts=100,
        batch_size=32,
    )
    again.load_replay_buffer(tmp_path / "buffer.pkl")
    obs = agent.env.reset()
    np.testing.assert_allclose(
        agent.predict(obs, deterministic=True)[0], again.predict(obs, deterministic=True)[0]
    )
    assert again.num_timesteps == 300 and again.stats()["transitions"] == 300
    assert len(again.high.replay_buffer) == 60


# -- through the runner --------------------------------------------------------------------------
def _config(*overrides: str):
    return load_config(
        CONFIG,
        [
            "env.kwargs={maze_map: [[1, 1, 1, 1], [1, 0, 0, 1], [1, 0, 0, 1], [1, 1, 1, 1]], "
            "max_episode_steps: 40}",
            "total_timesteps=300",
            "seeds=[0]",
            "eval={every: 0, episodes: 2}",
            "checkpoint_every=0",
            "algo_kwargs={batch_size: 32, policy_kwargs: {net_arch: [16]}}",
            "lgr2.learning_starts=100",
            "lgr2.k=5",
            *overrides,
        ],
    )


@pytest.mark.parametrize(
    "overrides",
    [
        ["lgr2.variant=flat"],
        ["lgr2.variant=hrl"],
        ["lgr2.reward.source=hand"],
        ["lgr2.reward.source=hand", "lgr2.her=false"],
    ],
    ids=["flat", "hrl", "hand", "no-her"],
)
def test_every_arm_trains_through_the_runner(overrides, tmp_path) -> None:
    result = run_experiment(_config(*overrides), tmp_path / "run")
    summary = result.summary
    assert summary["status"] == "finished" and summary["timesteps_done"] == 300
    method = summary["method_summary"]
    assert 0.0 <= method["success_rate"] <= 1.0
    if overrides[0] == "lgr2.variant=flat":
        assert summary["algorithm"] == "SAC"
    else:
        assert summary["algorithm"] == "TwoLevelSAC" and method["transitions"] == 300
        assert np.isfinite(method["subgoal_distance"])


def test_lgr2_with_a_scripted_llm_saves_its_reward_and_reuses_it(tmp_path, monkeypatch) -> None:
    import langreward.plugin.run_llm as run_llm_module

    monkeypatch.setattr(
        run_llm_module, "make_llm", lambda spec, cache: scripted(FILLED_EXAMPLE, HAND_JSON_EXAMPLE)
    )
    result = run_experiment(_config("llm=scripted"), tmp_path / "run")
    method = result.summary["method_summary"]
    assert method["origin"] == "llm:scripted" and method["coder_repairs"] == 0
    assert method["reward"].startswith("-1 x distance(subgoal, final_goal)")
    record = json.loads((tmp_path / "run" / "reward.json").read_text())
    saved = RewardSpec.model_validate(record["spec"])
    assert saved.terms[1].threshold == 0.45
    # another run reads that file without any LLM
    monkeypatch.setattr(run_llm_module, "make_llm", None)
    path = tmp_path / "run" / "reward.json"
    again = run_experiment(
        _config(f"lgr2.reward={{source: file, path: {path}}}"), tmp_path / "again"
    )
    assert again.summary["method_summary"]["origin"] == f"file:{path}"


def test_an_instruction_that_does_not_fit_a_maze_is_refused_before_any_reward(
    tmp_path, monkeypatch
) -> None:
    import langreward.plugin.run_llm as run_llm_module

    asked: list[str] = []

    def answer(messages):  # tests only: "no" to whether it fits, in either order
        asked.append(text := messages[-1]["content"])
        return "A" if "A) no" in text else "B"

    monkeypatch.setattr(
        run_llm_module, "make_llm", lambda spec, cache: make_llm("scripted", responses=answer)
    )
    config = _config("llm=scripted", "lgr2.instruction=Bake a chocolate cake.")
    with pytest.raises(RewardTranslationError, match=r"does not fit a maze \(P\(yes\) = 0.00"):
        run_experiment(config, tmp_path / "run")
    assert asked and all("follow the instruction by how it moves?" in q for q in asked)
    assert not (tmp_path / "run" / "reward.json").exists()
    # the check can be skipped: the same instruction then gets the template's reward
    llm = scripted(FILLED_EXAMPLE, HAND_JSON_EXAMPLE)
    monkeypatch.setattr(run_llm_module, "make_llm", lambda spec, cache: llm)
    skip = _config("llm=scripted", "lgr2.instruction=Bake a chocolate cake.",
                   "lgr2.reward.check_instruction=false")  # fmt: skip
    result = run_experiment(skip, tmp_path / "skip")
    assert result.summary["method_summary"]["origin"] == "llm:scripted"


def test_check_instruction_returns_the_probability_of_yes() -> None:
    assert check_instruction(scripted("unused"), "Go to the goal.") == 1.0
    with pytest.raises(RewardTranslationError, match="lgr2.reward.check_instruction: false"):
        check_instruction(scripted("unused", fits=False), "Write a poem.")


def test_a_env_without_goals_gets_one_clear_error(tmp_path) -> None:
    config = load_config(CONFIG, ["env.id=Pendulum-v1", "env.kwargs={}", "seeds=[0]"])
    # the method's pre-flight check: before the LLM writes a reward and before any directory
    with pytest.raises(ConfigError, match="Pendulum-v1 is not a goal env"):
        run_experiment(config, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_the_runner_evaluates_the_two_level_agent_with_its_segment_state() -> None:
    agent = _agent()
    obs = agent.env.reset()
    _, (subgoals, steps) = agent.predict(obs, deterministic=True)
    _, (same, later) = agent.predict(obs, (subgoals, steps), np.zeros(1, bool), True)
    np.testing.assert_array_equal(same, subgoals)  # kept within the segment
    assert later[0] == 2 and gym.spaces.Box(-2, 2, (2,)).contains(subgoals[0].astype(np.float32))


def test_flat_her_needs_learning_to_start_after_the_first_episode(tmp_path) -> None:
    config = _config("lgr2.variant=flat", "lgr2.learning_starts=30")
    with pytest.raises(ConfigError, match="more than the episode length \\(40\\)"):
        run_experiment(config, tmp_path / "run")  # the pre-flight check: no directory yet
    assert not (tmp_path / "run").exists()

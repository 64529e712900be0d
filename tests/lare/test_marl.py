"""Multi-agent LaRe on MPE2 simple_spread: team env, agent slots, relabelling, the shared
decoder, and a short IPPO run of every variant through the runner (scripted LLM)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

import langreward.rl.mpe  # noqa: F401  (registers MPE2-SimpleSpread-v3)
from langreward.experiments import ConfigError, load_config, run_experiment
from langreward.lare.encoder import generate_encoder
from langreward.lare.marl.config import LaReMARLSettings, TeamDecoderSettings
from langreward.lare.marl.decoder import TeamDecoder
from langreward.lare.marl.encoder import agent_form, agent_transitions
from langreward.lare.marl.relabel import TeamRelabelCallback, one_hot
from langreward.llm import make_llm
from langreward.plugin import MethodError
from langreward.rl.episodic import EpisodicRewardWrapper
from langreward.rl.teams import AgentSlotVecEnv, SharedPolicy

CONFIG = Path(__file__).parents[2] / "configs" / "lare_marl" / "spread_ippo.yaml"
ENV = "MPE2-SimpleSpread-v3"

#: a per-agent encoder as the scripted LLM writes it (tests only)
SCRIPTED_ENCODER = """```python
import numpy as np

def evaluation_func(obs, action):
    # distance to the nearest landmark
    landmarks = obs[:, 4:10].reshape(-1, 3, 2)
    nearest = np.linalg.norm(landmarks, axis=2).min(axis=1)[:, None]
    # distance to the nearest other agent
    others = obs[:, 10:14].reshape(-1, 2, 2)
    crowd = np.linalg.norm(others, axis=2).min(axis=1)[:, None]
    # staying still
    still = action[:, 0:1]
    return [nearest, crowd, still]
```"""


def test_team_env_sums_agent_rewards_and_ends_at_the_horizon() -> None:
    env = gym.make(ENV)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (3, 18) and env.action_space.nvec.tolist() == [5, 5, 5]
    for step in range(1, 26):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert reward == pytest.approx(info["agent_rewards"].sum())
        assert terminated == (step == 25) and not truncated  # the horizon is terminal


def test_agent_slots_pay_the_team_return_once_per_team_episode() -> None:
    venv = AgentSlotVecEnv(make_vec_env(ENV, n_envs=2, seed=0, wrapper_class=EpisodicRewardWrapper))
    assert venv.num_envs == 6 and venv.observation_space.shape == (18,)
    assert venv.reset().shape == (6, 18)
    dense = np.zeros(6)
    for step in range(1, 26):
        obs, rewards, dones, infos = venv.step(np.random.default_rng(step).integers(0, 5, 6))
        dense += [info["agent_reward"] for info in infos]
        assert dones.all() == (step == 25)
        if step < 25:
            assert not rewards.any() and not any("episode" in info for info in infos)
    # the last step pays each slot its team's return; Monitor's episode is in slot 0 only
    teams = dense.reshape(2, 3).sum(axis=1)
    np.testing.assert_allclose(rewards, np.repeat(teams, 3), rtol=1e-5)
    assert [("episode" in info) for info in infos] == [True, False, False] * 2
    assert infos[0]["episode"]["r"] == pytest.approx(teams[0], rel=1e-5)
    assert infos[1]["terminal_observation"].shape == (18,)


def test_simple_tag_team_is_the_predators_chasing_a_scripted_prey() -> None:
    env = gym.make("MPE2-SimpleTag-v3")
    assert env.observation_space.shape == (3, 16)
    assert env.unwrapped.outsiders == ("agent_0",)

    def returns(policy) -> float:
        total = 0.0
        for seed in range(10):
            obs, _ = env.reset(seed=seed)
            for _ in range(25):
                obs, reward, *_ = env.step(policy(obs))
                total += reward
        return total

    def chase(obs):  # each predator steps along the larger axis toward the prey
        prey = obs[:, 12:14]
        axis = np.abs(prey).argmax(axis=1)
        return 1 + 2 * axis + (prey[np.arange(3), axis] > 0)

    assert returns(lambda obs: np.zeros(3, dtype=int)) == 0.0  # standing still catches nothing
    assert returns(chase) > 0.0


def test_shared_policy_acts_for_every_agent_of_a_team() -> None:
    slots = AgentSlotVecEnv(make_vec_env(ENV, n_envs=1, seed=0))
    model = PPO("MlpPolicy", slots, n_steps=25, batch_size=75, seed=0)
    actions, _ = SharedPolicy(model).predict(np.zeros((2, 3, 18), np.float32), deterministic=True)
    assert actions.shape == (2, 3)


def test_decoder_learns_a_known_per_agent_decomposition_from_team_sums() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(512, 25, 3, 4))
    truth = np.tanh(features[..., 0]) - 0.5 * features[..., 1] ** 2  # per agent and step
    returns = truth.sum(axis=(1, 2))
    decoder = TeamDecoder(4, hidden=[32, 32], lr=3e-3, seed=0)
    decoder.fit_scaling(features, returns)
    for _ in range(400):
        picks = rng.choice(len(features), 64, replace=False)
        decoder.train_step(features[picks], returns[picks])
    held_out = rng.normal(size=(64, 25, 3, 4))
    expected = np.tanh(held_out[..., 0]) - 0.5 * held_out[..., 1] ** 2
    correlation = np.corrcoef(decoder.predict(held_out).ravel(), expected.ravel())[0, 1]
    assert correlation > 0.9


def _ppo(venv, callback_kwargs: dict, rollouts: int = 3) -> tuple[PPO, TeamRelabelCallback]:
    callback = TeamRelabelCallback(
        n_agents=3, episode_length=25, n_actions=5, seed=0, **callback_kwargs
    )
    model = PPO("MlpPolicy", venv, n_steps=50, batch_size=100, n_epochs=1, seed=0)
    model.learn(rollouts * 50 * venv.num_envs, callback=callback)
    return model, callback


def _episodic_slots() -> AgentSlotVecEnv:
    return AgentSlotVecEnv(make_vec_env(ENV, n_envs=2, seed=0, wrapper_class=EpisodicRewardWrapper))


def test_uniform_relabelling_spreads_each_team_return_before_advantages() -> None:
    model, callback = _ppo(_episodic_slots(), {"mode": "uniform"})
    buffer = model.rollout_buffer
    # (50 steps, 6 slots): two 25-step episodes per team; every agent-step of a team episode
    # gets R / (25 * 3) * reward_scale = R, the team return
    rewards = buffer.rewards.reshape(2, 25, 2, 3)
    assert np.all(rewards == rewards[:, :1, :, :1])
    assert rewards.std() > 0 and np.all(rewards < 0)
    # returns and advantages were recomputed from the new rewards
    np.testing.assert_allclose(buffer.returns, buffer.advantages + buffer.values, rtol=1e-5)
    assert -1.0 <= callback.last_correlation <= 1.0


def test_decoder_relabelling_gives_each_agent_its_own_reward_and_the_ablation_averages() -> None:
    settings = TeamDecoderSettings(warmup_episodes=4, gradient_steps=5, batch_episodes=4)

    def features(obs, actions):
        return np.concatenate([obs[:, 4:10], actions], axis=1)

    for credit in (True, False):
        model, callback = _ppo(
            _episodic_slots(),
            {"mode": "decoder", "features": features, "settings": settings, "agent_credit": credit},
        )
        rewards = model.rollout_buffer.rewards.reshape(2, 25, 2, 3)
        spread_over_agents = np.abs(rewards - rewards.mean(axis=3, keepdims=True)).max()
        assert (spread_over_agents > 1e-4 * np.abs(rewards).max()) == credit
        assert callback.decoder is not None and callback.decoder.updates == 15
        assert callback.store.size == 12


def test_rollouts_that_cut_episodes_are_refused() -> None:
    callback = TeamRelabelCallback("uniform", n_agents=3, episode_length=25, n_actions=5)
    model = PPO("MlpPolicy", _episodic_slots(), n_steps=40, batch_size=80, n_epochs=1, seed=0)
    with pytest.raises(MethodError, match="multiple of the episode length"):
        model.learn(240, callback=callback)


def test_agent_form_and_samples_describe_one_agent() -> None:
    form = agent_form(gym.make(ENV, N=4))
    assert form.obs_dim == 24 and form.act_dim == 5
    assert "4 landmarks" in form.describe() and "same function" in form.describe()
    obs, actions = agent_transitions(ENV, {"N": 4}, count=40)
    assert obs.shape == (40, 24) and np.all(actions.sum(axis=1) == 1)
    np.testing.assert_array_equal(one_hot(np.array([4, 0]), 5)[:, [0, 4]], [[0, 1], [1, 0]])


def _config(variant: str, *extra: str):
    return load_config(
        CONFIG,
        [
            f"lare_marl.variant={variant}",
            "total_timesteps=1200",
            "n_envs=2",
            "seeds=[0]",
            "eval={every: 0, episodes: 2}",
            "algo_kwargs={n_steps: 50, batch_size: 100, n_epochs: 1}",
            "lare_marl.decoder={warmup_episodes: 4, gradient_steps: 3, batch_episodes: 4}",
            *extra,
        ],
    )


@pytest.mark.parametrize(
    ("variant", "extra"),
    [
        ("episodic", []),
        ("ircr", []),
        ("rd", []),
        ("lare", ["lare_marl.encoder.source=reference"]),
        ("lare", ["lare_marl.encoder.source=reference", "lare_marl.agent_credit=false"]),
        ("dense", []),
        ("lare", ["lare_marl.encoder.source=reference", "env={id: MPE2-SimpleTag-v3}"]),
    ],
)
def test_every_variant_trains_through_the_runner(variant, extra, tmp_path) -> None:
    result = run_experiment(_config(variant, *extra), tmp_path / "run")
    summary = result.summary
    assert summary["status"] == "finished" and summary["timesteps_done"] == 1200
    assert summary["episodes"] == 16  # 2 teams x 200 steps / 25: counted once per team
    assert summary["final_eval"]["episodes"] == 2 and summary["final_eval"]["length_mean"] == 25
    method = summary["method_summary"]
    assert method["variant"] == variant and method["agents"] == 3
    if variant in ("rd", "lare"):
        # 4 rollouts of 300 agent-steps; the runner stops PPO at step 1200, before the last
        # rollout's end, so 3 were relabelled (3 Adam steps each, from the first: 4 episodes)
        assert method["decoder_updates"] == 9 and np.isfinite(method["decoder_loss"])
    if variant != "dense" and summary["env"] == ENV:
        assert -1.0 <= method["proxy_corr"] <= 1.0
    # on simple_tag, a short run may never touch the prey: all hidden rewards 0, no correlation


def test_lare_with_a_scripted_llm_writes_the_per_agent_encoder(tmp_path, monkeypatch) -> None:
    import langreward.plugin.run_llm as run_llm_module

    monkeypatch.setattr(
        run_llm_module,
        "make_llm",
        lambda spec, cache: make_llm("scripted", responses=lambda messages: SCRIPTED_ENCODER),
    )
    config = _config("lare", "llm=scripted", "lare_marl.encoder={n_candidates: 2}")
    result = run_experiment(config, tmp_path / "run")
    method = result.summary["method_summary"]
    assert method["encoder"]["origin"] == "llm:scripted" and method["encoder"]["factors"] == 3
    assert method["encoder_failures"]["encoder_failures"] == 0
    prompt = (tmp_path / "run" / "encoder.json").read_text()
    assert "consolidated" in prompt
    assert "def evaluation_func" in (tmp_path / "run" / "encoder.py").read_text()


def test_a_team_encoder_with_a_constant_factor_is_sent_back_for_repair() -> None:
    constant = SCRIPTED_ENCODER.replace(
        "return [nearest, crowd, still]", "bias = np.ones((obs.shape[0], 1))\n    "
        "return [nearest, crowd, still, bias]"
    )  # fmt: skip
    asked: list[str] = []

    def answer(messages):  # tests only: the constant factor until the error names it
        asked.append(messages[-1]["content"])
        return SCRIPTED_ENCODER if "is the same for all" in messages[-1]["content"] else constant

    obs, actions = agent_transitions(ENV, {"N": 3}, count=64)
    settings = LaReMARLSettings().encoder
    assert settings.reject_constant_factors  # the team default
    result = generate_encoder(
        make_llm("scripted", responses=answer),
        agent_form(gym.make(ENV, N=3)),
        obs,
        actions,
        settings.model_copy(update={"n_candidates": 1, "consolidate": False}),
    )
    assert result.valid_first_try == 0 and result.repairs_used == 1
    assert "factor column 3 is the same for all 64 rows" in asked[-1]
    assert "bias" not in result.source
    # single-agent LaRe keeps such a factor (off by default there)
    lenient = settings.model_copy(update={"reject_constant_factors": False, "n_candidates": 1})
    kept = generate_encoder(
        make_llm("scripted", responses=lambda messages: constant),
        agent_form(gym.make(ENV, N=3)),
        obs,
        actions,
        lenient,
    )
    assert kept.valid_first_try == 1 and "bias" in kept.source


def test_a_single_agent_env_gets_one_clear_error(tmp_path) -> None:
    config = load_config(CONFIG, ["env.id=CartPole-v1", "env.kwargs={}", "seeds=[0]"])
    # the method's pre-flight check: before the encoder is written and before any directory
    with pytest.raises(ConfigError, match="CartPole-v1 is not a fixed-length team env"):
        run_experiment(config, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_a_fresh_process_builds_the_method_without_registering_the_env_first(tmp_path) -> None:
    # sweep workers start fresh: the method itself registers the env family it needs
    code = (
        "from pathlib import Path\n"
        "from langreward.plugin import RunContext, get_method\n"
        "method = get_method('lare_marl')\n"
        f"ctx = RunContext('{ENV}', 'ppo', 0, 1, 100, Path({str(tmp_path)!r}))\n"
        "print(method.build(method.settings(variant='episodic'), ctx).env.num_envs)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip().endswith("3")

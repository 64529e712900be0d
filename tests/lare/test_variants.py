"""LaRe's baseline variants train SB3 SAC/TD3 unchanged on episodic Pendulum."""

from __future__ import annotations

import numpy as np
import pytest
from stable_baselines3 import SAC, TD3

from langreward.experiments import ConfigError, validate_config
from langreward.lare.config import LaReSettings
from langreward.lare.plugin import build
from langreward.plugin import OnlineSetup, RunContext


def build_setup(settings: dict, context: RunContext) -> OnlineSetup:
    return build(LaReSettings.model_validate(settings), context)


def _context(tmp_path, algo="sac"):
    return RunContext(
        env_id="Pendulum-v1",
        algo=algo,
        seed=0,
        n_envs=1,
        total_timesteps=600,
        run_dir=tmp_path,
        env_kwargs={"max_episode_steps": 50},
    )


@pytest.mark.parametrize(("variant", "algo"), [("rd", "sac"), ("rrd", "td3"), ("ircr", "sac")])
def test_variant_trains_and_relabels(tmp_path, variant, algo):
    settings = {
        "variant": variant,
        "decoder": {"train_every": 100, "gradient_steps": 3, "subset_size": 8, "batch_episodes": 4},
    }
    setup = build_setup(settings, _context(tmp_path, algo))
    cls = SAC if algo == "sac" else TD3
    model = cls(
        "MlpPolicy",
        setup.env,
        learning_starts=100,
        buffer_size=2000,
        batch_size=32,
        seed=0,
        policy_kwargs={"net_arch": [16]},
        **setup.model_kwargs,
    )
    model.learn(600, callback=setup.callbacks)
    # the training env is episodic: the stored rewards are 0 except at the episode end
    stored = model.replay_buffer.rewards[:600, 0]
    assert np.count_nonzero(stored) == len(model.replay_buffer.episodes) == 12
    samples = model.replay_buffer.sample(256)
    relabelled = samples.rewards.numpy().ravel()
    assert np.count_nonzero(relabelled) > 200  # dense proxy rewards, not the sparse stored ones
    summary = setup.summary()
    assert summary["variant"] == variant
    if variant != "ircr":
        assert summary["decoder_updates"] > 0 and np.isfinite(summary["decoder_loss"])
    assert -1.0 <= summary["proxy_corr"] <= 1.0  # measured against the hidden dense reward


def test_dense_reference_uses_env_reward(tmp_path):
    setup = build_setup({"variant": "dense"}, _context(tmp_path))
    assert setup.callbacks == [] and setup.model_kwargs == {}
    setup.env.reset()
    _, rewards, _, _ = setup.env.step(np.zeros((1, 1), dtype=np.float32))
    assert rewards[0] != 0.0


def _config(**changes):
    base = {"name": "t", "method": "lare", "env": "Pendulum-v1", "algo": "sac"}
    return validate_config({**base, "total_timesteps": 100, **changes}, "t")


def test_on_policy_algorithm_is_a_clear_error():
    with pytest.raises(ConfigError, match="method 'lare' works with sac, td3; got 'ppo'"):
        _config(algo="ppo", lare={"variant": "rd"})


def test_bad_settings_name_the_field():
    with pytest.raises(ConfigError, match=r"lare\.decoder\.loss"):
        _config(lare={"variant": "rd", "decoder": {"loss": "mse"}})


def test_proxy_correlation_measures_fidelity_to_hidden_rewards():
    from langreward.lare.reward import proxy_correlation
    from langreward.rl.relabel import StoredEpisode, ircr_relabel

    rng = np.random.default_rng(0)
    dense = rng.normal(size=(3, 10))
    episodes = [StoredEpisode(np.c_[d], np.zeros((10, 1)), float(d.sum()), d) for d in dense]

    def perfect(obs, actions, uniform):
        return obs[:, 0]

    def negated(obs, actions, uniform):
        return -2 * obs[:, 0]

    assert proxy_correlation(perfect, episodes) == pytest.approx(1.0)
    assert proxy_correlation(negated, episodes) == pytest.approx(-1.0)
    assert -1.0 < proxy_correlation(ircr_relabel, episodes) < 1.0
    assert np.isnan(proxy_correlation(lambda o, a, u: np.zeros(len(o)), episodes))
    no_dense = [StoredEpisode(e.observations, e.actions, e.episodic_return) for e in episodes]
    assert np.isnan(proxy_correlation(perfect, no_dense))


def test_decoder_solver_choice():
    from langreward.lare.config import DecoderSettings

    assert DecoderSettings(hidden=[]).exact
    assert not DecoderSettings().exact
    assert not DecoderSettings(hidden=[], solver="adam").exact
    with pytest.raises(ValueError, match="exact needs a linear decoder"):
        DecoderSettings(solver="exact")


def test_resumed_method_state_keeps_the_trained_decoder(tmp_path):
    settings = {"variant": "rrd", "decoder": {"train_every": 100, "gradient_steps": 2}}

    def model_for(setup):
        return SAC(
            "MlpPolicy",
            setup.env,
            learning_starts=100,
            buffer_size=2000,
            seed=0,
            policy_kwargs={"net_arch": [16]},
            **setup.model_kwargs,
        )

    first = build_setup(settings, _context(tmp_path))
    model = model_for(first)
    model.learn(300, callback=first.callbacks)
    trained = model.replay_buffer.relabel
    assert trained.updates > 0
    model.save_replay_buffer(tmp_path / "buffer.pkl")
    import torch

    torch.save(first.state_dict(), tmp_path / "state.pt")

    second = build_setup(settings, _context(tmp_path))
    resumed = model_for(second)
    resumed.load_replay_buffer(tmp_path / "buffer.pkl")
    assert resumed.replay_buffer.relabel is None  # the buffer does not carry the decoder
    second.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=False))
    resumed.learn(1, callback=second.callbacks, reset_num_timesteps=False)
    proxy = resumed.replay_buffer.relabel
    assert proxy is second.callbacks[0].proxy and proxy.updates == trained.updates
    episode = resumed.replay_buffer.episodes[0]
    uniform = np.zeros(len(episode.observations))
    np.testing.assert_allclose(
        proxy(episode.observations, episode.actions, uniform),
        trained(episode.observations, episode.actions, uniform),
    )

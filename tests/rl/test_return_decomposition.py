from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import SAC

from langreward.rl.episodic import EpisodicRewardWrapper
from langreward.rl.relabel import RelabelingReplayBuffer, ircr_relabel
from langreward.rl.return_decomposition import (
    Episode,
    LinearReturnDecomposer,
    ReturnDecomposer,
    RewardDecoder,
)


def synthetic_episodes(count: int, rng: np.random.Generator, length: int = 20):
    """Per-step reward 2*x0 - x1 (x2 is a distractor); only the episode sum is observed."""
    episodes = []
    for _ in range(count):
        features = rng.normal(size=(length, 3))
        true_rewards = 2 * features[:, 0] - features[:, 1]
        episodes.append(Episode(features, float(true_rewards.sum())))
    return episodes


@pytest.mark.parametrize("loss", ["rd", "rrd"])
def test_decoder_learns_known_decomposition(loss):
    rng = np.random.default_rng(0)
    episodes = synthetic_episodes(256, rng)
    decomposer = ReturnDecomposer(3, loss=loss, subset_size=8, lr=3e-3, hidden=(32,), seed=0)
    for _ in range(600):
        batch = [episodes[i] for i in rng.choice(len(episodes), 16, replace=False)]
        decomposer.train_step(batch)
    test = rng.normal(size=(500, 3))
    predicted = decomposer.predict(test)
    truth = 2 * test[:, 0] - test[:, 1]
    assert np.corrcoef(predicted, truth)[0, 1] > 0.95
    assert np.mean(np.abs(predicted - truth)) < 0.35


def test_linear_decomposer_recovers_known_decomposition_exactly():
    rng = np.random.default_rng(0)
    episodes = [
        Episode(features, float((2 * features[:, 0] - features[:, 1] + 0.5).sum()))
        for features in (rng.normal(size=(int(rng.integers(5, 30)), 3)) for _ in range(40))
    ]
    decomposer = LinearReturnDecomposer(3, ridge=0.0)
    assert decomposer.train_step(episodes) < 1e-12
    np.testing.assert_allclose(decomposer.weights, [2.0, -1.0, 0.0], atol=1e-8)
    assert decomposer.bias == pytest.approx(0.5)
    np.testing.assert_allclose(decomposer.predict(np.array([[1.0, 1.0, 9.0]])), [1.5], atol=1e-6)


def test_linear_decomposer_ridge_keeps_few_episodes_stable():
    rng = np.random.default_rng(1)
    episodes = synthetic_episodes(2, rng)  # fewer episodes than unknowns
    decomposer = LinearReturnDecomposer(3, ridge=0.1)
    decomposer.train_step(episodes)
    assert np.all(np.isfinite(decomposer.weights)) and np.abs(decomposer.weights).max() < 5


def test_decoder_starts_at_zero_reward():
    # random initial outputs, multiplied by the return scale, would swamp the learner early
    decoder = RewardDecoder(4, hidden=(16,))
    with torch.no_grad():
        assert float(decoder(torch.randn(10, 4)).abs().max()) == 0.0


def test_rrd_unbiased_matches_rd_in_expectation():
    from langreward.rl.return_decomposition import rd_loss, rrd_unbiased_loss

    rng = np.random.default_rng(1)
    episodes = synthetic_episodes(4, rng, length=30)
    decomposer = ReturnDecomposer(3, seed=3)
    with torch.no_grad():  # a non-zero output layer, so the variance term matters
        decomposer.decoder.net[-1].weight.normal_()
        exact = float(rd_loss(decomposer.decoder, episodes))
    with torch.no_grad():
        estimates = [
            float(rrd_unbiased_loss(decomposer.decoder, episodes, 6, rng)) for _ in range(3000)
        ]
    assert np.mean(estimates) == pytest.approx(exact, rel=0.05)


def test_episodic_wrapper_pays_return_at_the_end():
    env = EpisodicRewardWrapper(gym.make("Pendulum-v1", max_episode_steps=25))
    env.reset(seed=0)
    rewards, dense = [], []
    done = False
    while not done:
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        rewards.append(reward)
        dense.append(info["dense_reward"])
        done = terminated or truncated
    assert all(r == 0.0 for r in rewards[:-1])
    assert rewards[-1] == pytest.approx(sum(dense))


def test_relabeling_buffer_with_sac_keeps_episodes_and_relabels():
    env = EpisodicRewardWrapper(gym.make("Pendulum-v1", max_episode_steps=50))
    calls = []

    def relabel(obs, actions, uniform):
        calls.append((obs.shape, actions.shape))
        assert np.all(np.abs(actions) <= 2.0 + 1e-6)  # env action values, not SB3's [-1, 1]
        return ircr_relabel(obs, actions, uniform)

    model = SAC(
        "MlpPolicy",
        env,
        learning_starts=60,
        buffer_size=1000,
        batch_size=32,
        replay_buffer_class=RelabelingReplayBuffer,
        replay_buffer_kwargs={"relabel": relabel},
        seed=0,
        policy_kwargs={"net_arch": [16]},
    )
    model.learn(160)
    buffer = model.replay_buffer
    assert calls and calls[0] == ((32, 3), (32, 1))
    assert len(buffer.episodes) == 3
    episode = buffer.episodes[0]
    assert episode.observations.shape == (50, 3) and episode.actions.shape == (50, 1)
    # the withheld per-step rewards are kept for diagnostics, and sum to the return
    assert episode.dense_rewards is not None and episode.dense_rewards.shape == (50,)
    assert episode.dense_rewards.sum() == pytest.approx(episode.episodic_return)
    # the episodic env pays the whole return on the last step, so the sum is the return
    uniform = buffer.uniform_by_episode[int(buffer.episode_ids[0, 0])]
    assert uniform == pytest.approx(episode.episodic_return / 50)
    samples = buffer.sample(64)
    assert samples.rewards.shape == (64, 1)

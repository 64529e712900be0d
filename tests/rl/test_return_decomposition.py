from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import SAC

from langreward.rl.episodic import EpisodicRewardWrapper
from langreward.rl.relabel import RelabelingReplayBuffer, ircr_relabel
from langreward.rl.return_decomposition import Episode, ReturnDecomposer


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


def test_rrd_unbiased_matches_rd_in_expectation():
    import torch

    from langreward.rl.return_decomposition import rd_loss, rrd_unbiased_loss

    rng = np.random.default_rng(1)
    episodes = synthetic_episodes(4, rng, length=30)
    decomposer = ReturnDecomposer(3, seed=3)
    with torch.no_grad():
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
    # the episodic env pays the whole return on the last step, so the sum is the return
    uniform = buffer.uniform_by_episode[int(buffer.episode_ids[0, 0])]
    assert uniform == pytest.approx(episode.episodic_return / 50)
    samples = buffer.sample(64)
    assert samples.rewards.shape == (64, 1)

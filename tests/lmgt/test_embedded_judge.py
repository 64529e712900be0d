"""The LLM judge on the embedded model: one packed prompt for a batch, readable labels."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from langreward.lmgt import LLMJudge, LLMJudgeSettings
from langreward.lmgt.keys import default_key
from langreward.lmgt.reference import CartPoleReference

pytestmark = pytest.mark.embedded


def test_embedded_packed_judgments() -> None:
    from langreward.llm import make_llm
    from langreward.llm.models import EMBEDDED_MODELS, ModelNotAvailableError, find_part

    try:
        for part in EMBEDDED_MODELS["qwen2.5-coder-0.5b"].parts:
            find_part(*part)
    except ModelNotAvailableError:
        pytest.skip("embedded model packages not installed (pip install 'langreward[embedded]')")
    from langreward.text import CartPoleDescriber

    llm = make_llm("embedded", cache=False)
    try:
        env = gym.make("CartPole-v1")
        judge = LLMJudge(
            llm,
            CartPoleDescriber(),
            LLMJudgeSettings(batch_size=4),
            key=default_key(env),
            reference=CartPoleReference(),
        )
        rng = np.random.default_rng(0)
        obs = [env.observation_space.sample() * np.array([0.5, 0.5, 0.5, 0.5]) for _ in range(4)]
        actions = rng.integers(0, 2, 4).tolist()
        shifts = judge.judge_batch(obs, actions)
        assert set(shifts.tolist()) <= {-1, 0, 1}
        assert judge.stats.llm_rounds == 1 and judge.stats.unparseable == 0
        assert judge.stats.compared == 4 and judge.stats.agreement is not None
        assert llm.stats.calls == 1
    finally:
        llm.close()

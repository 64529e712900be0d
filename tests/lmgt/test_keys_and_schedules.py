"""State-action keys, scale schedules and judgment budgets."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from langreward.lmgt import Budget, ReferenceJudge, ScaleSchedule
from langreward.lmgt.judge import exact_key
from langreward.lmgt.keys import StateActionKey, default_key
from langreward.lmgt.reference import CartPoleReference
from langreward.lmgt.shifter import RewardShifter


def test_cartpole_default_key_bins_nearby_states_together() -> None:
    key = default_key(gym.make("CartPole-v1"))
    assert key([0.0, 0.0, 0.010, 0.0], 1) == key([0.01, 0.05, 0.012, 0.1], 1)
    assert key([0.0, 0.0, 0.010, 0.0], 1) != key([0.0, 0.0, 0.010, 0.0], 0)
    assert key([0.0, 0.0, 0.010, 0.0], 1) != key([0.0, 0.0, -0.05, 0.0], 1)
    # beyond the bounds clips into the edge cells
    assert key([99.0, 0, 0, 0], 0)[0][0] == 5 and key([-99.0, 0, 0, 0], 0)[0][0] == 0


def test_key_for_continuous_actions_and_overrides() -> None:
    key = default_key(gym.make("Pendulum-v1"), action_bins=4)
    obs = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    assert key(obs, [1.9]) == key(obs, [1.1])  # same quarter of [-2, 2]
    assert key(obs, [1.9]) != key(obs, [-1.9])
    coarse = default_key(gym.make("MountainCar-v0"), bins=[2, 2])
    assert coarse([-1.0, -0.01], 0) == coarse([-0.4, -0.06], 0)


def test_unbounded_discrete_dict_and_image_keys() -> None:
    unbounded = StateActionKey(spaces.Box(-np.inf, np.inf, (2,)), spaces.Discrete(2), width=0.5)
    assert unbounded([0.1, 0.2], 0) == unbounded([0.4, 0.3], 0) == ((0, 0), (0,))
    image = StateActionKey(spaces.Box(0, 255, (7, 7, 3), np.uint8), spaces.Discrete(7))
    a, b = np.zeros((7, 7, 3), np.uint8), np.zeros((7, 7, 3), np.uint8)
    b[0, 0, 0] = 2
    assert image(a, 1) == image(a.copy(), 1) and image(a, 1) != image(b, 1)
    assert image(a, 1, {"mission": "x"}) != image(a, 1, {"mission": "y"})
    tup = StateActionKey(
        spaces.Tuple((spaces.Discrete(32), spaces.Discrete(11))), spaces.Discrete(2)
    )
    assert tup((12, 3), 1) == ((12, 3), (1,))
    goal = StateActionKey(
        spaces.Dict(
            {"observation": spaces.Box(-1, 1, (2,)), "desired_goal": spaces.Box(-1, 1, (2,))}
        ),
        spaces.Box(-1, 1, (1,)),
        bins=4,
    )
    assert goal({"observation": [0.1, 0.1], "desired_goal": [0.9, 0.9]}, [0.0]) == (
        (("desired_goal", (3, 3)), ("observation", (2, 2))),
        (4,),
    )


def test_key_errors() -> None:
    with pytest.raises(ValueError, match="key bins has 3 values for 4 components"):
        default_key(gym.make("CartPole-v1"), bins=[2, 2, 2])
    with pytest.raises(ValueError, match="bins must be >= 1"):
        StateActionKey(spaces.Box(-1, 1, (2,)), spaces.Discrete(2), bins=0)


def test_exact_key() -> None:
    assert exact_key(np.zeros(2), 1) == exact_key(np.zeros(2), 1)
    assert exact_key(np.zeros(2), 1) != exact_key(np.ones(2), 1)


def test_scale_schedules() -> None:
    assert ScaleSchedule(0.5).value(10**6) == 0.5
    linear = ScaleSchedule(1.0, "linear", end=0.2, steps=100)
    assert [linear.value(s) for s in (0, 50, 100, 500)] == pytest.approx([1.0, 0.6, 0.2, 0.2])
    with pytest.raises(ValueError, match="needs steps"):
        ScaleSchedule(1.0, "linear")


def test_budget_kinds() -> None:
    assert Budget().mask(0, 3).all()
    first = Budget("first_n", steps=5)
    assert first.mask(3, 4).tolist() == [True, True, False, False]
    assert first.exhausted(5) and not first.exhausted(4)
    prob = Budget("probability", p=0.3, seed=1)
    share = np.mean([prob.mask(s, 10).mean() for s in range(0, 10_000, 10)])
    assert share == pytest.approx(0.3, abs=0.03)
    decay = Budget("decay", steps=1000, p=1.0, p_end=0.0, seed=2)
    early = np.mean([decay.mask(s, 10).mean() for s in range(0, 100, 10)])
    late = np.mean([decay.mask(s, 10).mean() for s in range(900, 1000, 10)])
    assert early > 0.85 and late < 0.15 and decay.probability(2000) == 0.0
    assert decay.exhausted(1000)
    for kwargs, match in (
        ({"kind": "first_n"}, "needs steps"),
        ({"kind": "probability", "p": 1.5}, r"p must be in \[0, 1\]"),
        ({"kind": "sometimes"}, "budget kind must be"),
    ):
        with pytest.raises(ValueError, match=match):
            Budget(**kwargs)  # type: ignore[arg-type]


def test_shifter_gives_zero_outside_the_budget() -> None:
    judge = ReferenceJudge(CartPoleReference())
    shifter = RewardShifter(
        judge, ScaleSchedule(1.0, "linear", end=0.0, steps=8), Budget("first_n", steps=3)
    )
    obs = [[0.0, 0.0, 0.1, 0.0]] * 2
    shifts, scale = shifter(obs, [1, 1])
    assert shifts.tolist() == [1, 1] and scale == 1.0
    shifts, scale = shifter(obs, [0, 0])
    assert shifts.tolist() == [-1, 0] and scale == 0.75  # step 3 is outside the budget
    assert judge.stats.pairs == 3
    assert shifter.stats.steps == 4 and shifter.stats.judged_steps == 3
    assert shifter.stats.shaping_sum == pytest.approx(2 * 1.0 - 0.75)
    summary = shifter.summary()
    assert summary["name"] == "oracle" and summary["budget"] == "first_n"
    assert summary["shaping"]["mean_shift"] == pytest.approx(0.25)

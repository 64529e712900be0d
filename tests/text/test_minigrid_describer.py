"""MiniGrid/BabyAI: egocentric view, mission from obs or info, carried object."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

minigrid = pytest.importorskip("minigrid")
gym.register_envs(minigrid)

from minigrid.core.constants import COLOR_TO_IDX, OBJECT_TO_IDX  # noqa: E402
from minigrid.wrappers import ImgObsWrapper  # noqa: E402

from langreward.text import describer_for  # noqa: E402
from langreward.text.minigrid import MiniGridDescriber  # noqa: E402


def _view() -> np.ndarray:
    image = np.zeros((7, 7, 3), dtype=np.uint8)
    image[:, :, 0] = OBJECT_TO_IDX["empty"]
    image[3, 4] = (OBJECT_TO_IDX["ball"], COLOR_TO_IDX["red"], 0)  # 2 ahead
    image[1, 5] = (OBJECT_TO_IDX["door"], COLOR_TO_IDX["yellow"], 2)  # 1 ahead, 2 left
    image[:, 0, 0] = OBJECT_TO_IDX["wall"]
    return image


def test_view_in_words() -> None:
    d = MiniGridDescriber()
    text = d.state({"image": _view(), "direction": 3, "mission": "go to the red ball"})
    assert text.startswith("mission: go to the red ball; facing north; in front: empty floor")
    assert "free cells straight ahead: 1" in text
    assert "a red ball 2 steps ahead" in text
    assert "a locked yellow door 1 step ahead and 2 steps to the left" in text
    assert text.endswith("carrying nothing")
    assert d.action(2) == "move forward" and d.action(5).startswith("toggle")


def test_image_only_mission_from_info_and_carrying() -> None:
    image = _view()
    image[3, 6] = (OBJECT_TO_IDX["key"], COLOR_TO_IDX["blue"], 0)  # carried
    d = MiniGridDescriber(grid=True)
    text = d.state(image, {"mission": "open the door"})
    assert text.startswith("mission: open the door;") and "facing" not in text
    assert "carrying a blue key" in text
    assert "view (rows far to near, ^ is you): #######/" in text
    assert MiniGridDescriber(mission="fixed").state(image).startswith("mission: fixed")
    with pytest.raises(ValueError, match="expects the"):
        d.state(np.zeros(10))


def test_describer_for_babyai_env() -> None:
    env = gym.make("BabyAI-GoToRedBallNoDists-v0")
    d = describer_for(env)
    assert isinstance(d, MiniGridDescriber)
    obs, _ = env.reset(seed=3)
    assert "go to the red ball" in d.describe(obs, 2)
    wrapped = ImgObsWrapper(gym.make("MiniGrid-Empty-5x5-v0"))
    obs, _ = wrapped.reset(seed=0)
    assert isinstance(describer_for(wrapped), MiniGridDescriber)
    assert "mission: unknown" in describer_for(wrapped).state(obs)

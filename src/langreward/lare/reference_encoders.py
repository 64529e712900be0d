"""Hand-written reference encoders, labelled as such in every result.

They show what LaRe gains with a good encoder, separately from what a given LLM writes. They go
through the same codegen checks as LLM-written code.
"""

from __future__ import annotations

from langreward.families import knowledge, register_knowledge

PENDULUM = """
import numpy as np

def evaluation_func(obs, action):
    cos_t, sin_t, speed = obs[:, 0], obs[:, 1], obs[:, 2]
    # uprightness: 1 when upright, -1 when hanging down
    upright = cos_t[:, None]
    # angle error from upright, in radians
    angle = np.abs(np.arctan2(sin_t, cos_t))[:, None]
    # spinning speed
    spin = np.abs(speed)[:, None]
    # control effort
    effort = np.square(action[:, 0])[:, None]
    return [upright, angle, spin, effort]
"""

HOPPER = """
import numpy as np

def evaluation_func(obs, action):
    height, torso_angle, forward = obs[:, 0], obs[:, 1], obs[:, 5]
    # forward progress
    progress = forward[:, None]
    # healthy: height above 0.7 and torso upright
    healthy = ((height > 0.7) & (np.abs(torso_angle) < 0.2)).astype(float)[:, None]
    # posture: torso tilt
    tilt = np.abs(torso_angle)[:, None]
    # control effort
    effort = np.sum(np.square(action), axis=1)[:, None]
    return [progress, healthy, tilt, effort]
"""

HALFCHEETAH = """
import numpy as np

def evaluation_func(obs, action):
    # forward progress
    progress = obs[:, 8][:, None]
    # control effort
    effort = np.sum(np.square(action), axis=1)[:, None]
    # body pitch
    pitch = np.abs(obs[:, 1])[:, None]
    return [progress, effort, pitch]
"""

REFERENCE_ENCODERS: dict[str, str] = {
    "Pendulum": PENDULUM,
    "Hopper": HOPPER,
    "HalfCheetah": HALFCHEETAH,
}

for _family, _source in REFERENCE_ENCODERS.items():
    register_knowledge(_family, "reference_encoder", _source)


def reference_encoder(env_id: str) -> str:
    """The hand-written encoder of an env family (e.g. ``Hopper-v5`` -> Hopper's)."""
    source = knowledge(env_id, "reference_encoder")
    if source is None:
        raise KeyError(
            f"no reference encoder for {env_id!r} (available: {', '.join(REFERENCE_ENCODERS)})"
        )
    return source

"""Observation/action forms: what each dimension means, for the LLM's prompt.

Built in: the MuJoCo v5 locomotion envs Hopper, HalfCheetah, Walker2d, Swimmer (default
observation settings, positions of the root excluded) and Pendulum-v1. Any other env gets a form
from the user (``TaskForm(...)`` or the ``lare.form`` section of a config).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from langreward.families import knowledge, register_knowledge


@dataclass(frozen=True)
class TaskForm:
    """A task in words: its goal, and the meaning of each observation and action dimension."""

    task: str
    observation: tuple[str, ...]
    action: tuple[str, ...]
    action_range: tuple[float, float] = (-1.0, 1.0)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def obs_dim(self) -> int:
        return len(self.observation)

    @property
    def act_dim(self) -> int:
        return len(self.action)

    def describe(self) -> str:
        """The form as prompt text, with every index spelled out."""
        lines = [f"Task: {self.task}", "", f"Observation `obs` has {self.obs_dim} dimensions:"]
        lines += [f"  obs[:, {i}]: {meaning}" for i, meaning in enumerate(self.observation)]
        low, high = self.action_range
        lines += ["", f"Action `action` has {self.act_dim} dimensions, each in [{low}, {high}]:"]
        lines += [f"  action[:, {i}]: {meaning}" for i, meaning in enumerate(self.action)]
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)


_HOPPER = TaskForm(
    task="Make a two-dimensional one-legged robot (torso, thigh, leg, foot) hop forward "
    "(in the +x direction) as fast as possible while staying healthy: torso height above 0.7 "
    "and torso angle within +-0.2 rad.",
    observation=(
        "z-coordinate (height) of the torso (m)",
        "angle of the torso (rad)",
        "angle of the thigh joint (rad)",
        "angle of the leg joint (rad)",
        "angle of the foot joint (rad)",
        "velocity of the torso along x, forward speed (m/s)",
        "velocity of the torso along z, vertical (m/s)",
        "angular velocity of the torso (rad/s)",
        "angular velocity of the thigh joint (rad/s)",
        "angular velocity of the leg joint (rad/s)",
        "angular velocity of the foot joint (rad/s)",
    ),
    action=("torque on the thigh joint", "torque on the leg joint", "torque on the foot joint"),
)

_WALKER = TaskForm(
    task="Make a two-dimensional two-legged robot walk forward (in the +x direction) as fast as "
    "possible while staying healthy: torso height between 0.8 and 2.0 and torso angle within "
    "+-1 rad.",
    observation=(
        "z-coordinate (height) of the torso (m)",
        "angle of the torso (rad)",
        "angle of the right thigh joint (rad)",
        "angle of the right leg joint (rad)",
        "angle of the right foot joint (rad)",
        "angle of the left thigh joint (rad)",
        "angle of the left leg joint (rad)",
        "angle of the left foot joint (rad)",
        "velocity of the torso along x, forward speed (m/s)",
        "velocity of the torso along z, vertical (m/s)",
        "angular velocity of the torso (rad/s)",
        "angular velocity of the right thigh joint (rad/s)",
        "angular velocity of the right leg joint (rad/s)",
        "angular velocity of the right foot joint (rad/s)",
        "angular velocity of the left thigh joint (rad/s)",
        "angular velocity of the left leg joint (rad/s)",
        "angular velocity of the left foot joint (rad/s)",
    ),
    action=(
        "torque on the right thigh joint",
        "torque on the right leg joint",
        "torque on the right foot joint",
        "torque on the left thigh joint",
        "torque on the left leg joint",
        "torque on the left foot joint",
    ),
)

_CHEETAH = TaskForm(
    task="Make a two-dimensional cheetah robot run forward (in the +x direction) as fast as "
    "possible, with small control effort.",
    observation=(
        "z-coordinate of the front tip (m)",
        "angle of the front tip (rad)",
        "angle of the back thigh (rad)",
        "angle of the back shin (rad)",
        "angle of the back foot (rad)",
        "angle of the front thigh (rad)",
        "angle of the front shin (rad)",
        "angle of the front foot (rad)",
        "velocity of the front tip along x, forward speed (m/s)",
        "velocity of the front tip along z (m/s)",
        "angular velocity of the front tip (rad/s)",
        "angular velocity of the back thigh (rad/s)",
        "angular velocity of the back shin (rad/s)",
        "angular velocity of the back foot (rad/s)",
        "angular velocity of the front thigh (rad/s)",
        "angular velocity of the front shin (rad/s)",
        "angular velocity of the front foot (rad/s)",
    ),
    action=(
        "torque on the back thigh",
        "torque on the back shin",
        "torque on the back foot",
        "torque on the front thigh",
        "torque on the front shin",
        "torque on the front foot",
    ),
)

_SWIMMER = TaskForm(
    task="Make a three-segment swimmer in a viscous fluid move forward (in the +x direction) as "
    "fast as possible, with small control effort.",
    observation=(
        "angle of the front tip (rad)",
        "angle of the first rotor (rad)",
        "angle of the second rotor (rad)",
        "velocity of the tip along x, forward speed (m/s)",
        "velocity of the tip along y (m/s)",
        "angular velocity of the front tip (rad/s)",
        "angular velocity of the first rotor (rad/s)",
        "angular velocity of the second rotor (rad/s)",
    ),
    action=("torque on the first rotor", "torque on the second rotor"),
)

_PENDULUM = TaskForm(
    task="Swing a pendulum up and keep it balanced upright (angle 0) with as little torque as "
    "possible; it starts at a random angle.",
    observation=(
        "cos(theta), theta is the pendulum angle from upright (1 = upright)",
        "sin(theta)",
        "angular velocity theta_dot (rad/s), in [-8, 8]",
    ),
    action=("torque applied to the pendulum",),
    action_range=(-2.0, 2.0),
)

BUILTIN_FORMS: dict[str, TaskForm] = {
    "Hopper": _HOPPER,
    "Walker2d": _WALKER,
    "HalfCheetah": _CHEETAH,
    "Swimmer": _SWIMMER,
    "Pendulum": _PENDULUM,
}

for _family, _form in BUILTIN_FORMS.items():
    register_knowledge(_family, "lare_form", _form)


def form_for(env_id: str) -> TaskForm:
    """The built-in form of an env id such as ``Hopper-v5`` (any version)."""
    form = knowledge(env_id, "lare_form")
    if form is None:
        raise KeyError(
            f"no built-in observation/action form for {env_id!r} (built in: "
            f"{', '.join(BUILTIN_FORMS)}); give one with TaskForm(task=..., observation=..., "
            "action=...) or the 'lare.form' config section"
        )
    return form

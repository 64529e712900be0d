"""Observation/action forms: what each dimension means, for the LLM's prompt.

Built in: the MuJoCo v5 locomotion envs Hopper, HalfCheetah, Walker2d, Swimmer (default
observation settings, positions of the root excluded) and Pendulum-v1. Any other documented
Gymnasium env gets its form from its own docs (:func:`langreward.envdocs.read_env_docs`: Ant,
Humanoid, Reacher, InvertedDoublePendulum...); the ``lare.form`` section of a config (or
``TaskForm(...)``) gives or overrides any part of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langreward.envdocs import read_env_docs
from langreward.families import knowledge, register_knowledge
from langreward.plugin import MethodError


class FormError(MethodError, ValueError):
    """No usable observation/action form; the message names the config fields to give."""


@dataclass(frozen=True)
class TaskForm:
    """A task in words: its goal, and the meaning of each observation and action dimension."""

    task: str
    observation: tuple[str, ...]
    action: tuple[str, ...]
    action_range: tuple[float, float] = (-1.0, 1.0)
    notes: tuple[str, ...] = field(default_factory=tuple)
    blocks: tuple[tuple[int, int, str], ...] = ()  # (start, size, meaning): one line each

    @property
    def obs_dim(self) -> int:
        return len(self.observation)

    @property
    def act_dim(self) -> int:
        return len(self.action)

    def describe(self) -> str:
        """The form as prompt text, with every index spelled out."""
        lines = [f"Task: {self.task}", "", f"Observation `obs` has {self.obs_dim} dimensions:"]
        starts = {start: (size, meaning) for start, size, meaning in self.blocks}
        i = 0
        while i < self.obs_dim:
            if i in starts:
                size, meaning = starts[i]
                lines.append(f"  obs[:, {i}:{i + size}] ({size} values): {meaning}")
                i += size
            else:
                lines.append(f"  obs[:, {i}]: {self.observation[i]}")
                i += 1
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


def form_from_docs(env: Any) -> tuple[dict[str, Any], list[str]]:
    """What the env's docs give of a form (``task``, ``observation``, ``action``,
    ``action_range``, ``blocks``; only the parts they document) and what they lacked."""
    docs = read_env_docs(env)
    parts: dict[str, Any] = {}
    if docs.task:
        parts["task"] = docs.task_text()
    if docs.observation:
        parts["observation"] = tuple(c.label() for c in docs.observation)
        parts["blocks"] = tuple((b.start, b.size, f"{b.name}: {b.meaning}") for b in docs.blocks)
    if docs.actions:
        parts["action"] = tuple(c.label() for c in docs.actions)
    space = env.action_space
    if hasattr(space, "low"):
        parts["action_range"] = (
            round(float(space.low.min()), 6),
            round(float(space.high.max()), 6),
        )
    return parts, docs.problems


def form_for(
    env_id: str,
    env: Any = None,
    *,
    task: str | None = None,
    observation: Sequence[str] | None = None,
    action: Sequence[str] | None = None,
    action_range: tuple[float, float] | None = None,
) -> TaskForm:
    """The form of an env: built in, else from the env's docs, with any given part replacing
    the derived one (the ``lare.form`` config section).

    Raises:
        FormError: a part is missing; the message names the ``lare.form`` fields to give.
    """
    builtin: TaskForm | None = knowledge(env_id, "lare_form")
    parts: dict[str, Any] = {}
    lacking: list[str] = []
    if builtin is not None:
        parts = {
            "task": builtin.task,
            "observation": builtin.observation,
            "action": builtin.action,
            "action_range": builtin.action_range,
            "blocks": builtin.blocks,
            "notes": builtin.notes,
        }
    elif env is not None:
        parts, lacking = form_from_docs(env)
    if task:
        parts["task"] = task
    if observation:
        parts.update(observation=tuple(observation), blocks=())
    if action:
        parts["action"] = tuple(action)
    if action_range:
        parts["action_range"] = (float(action_range[0]), float(action_range[1]))
    missing = [name for name in ("task", "observation", "action") if not parts.get(name)]
    if missing:
        dims = _dims(env)
        why = "; ".join(lacking) if lacking else "no built-in form and no env to read"
        raise FormError(
            f"{env_id}: its docs do not give the whole form ({why}); give "
            + ", ".join(f"lare.form.{name}{dims.get(name, '')}" for name in missing)
        )
    form = TaskForm(**parts)
    if env is not None:
        _check_dims(env_id, form, env)
    return form


def _dims(env: Any) -> dict[str, str]:
    if env is None:
        return {}
    import numpy as np

    obs = int(np.prod(env.observation_space.shape or (1,)))
    act = int(np.prod(env.action_space.shape or (1,)))
    return {
        "task": " (what the agent should achieve)",
        "observation": f" ({obs} meanings, one per observation dimension)",
        "action": f" ({act} meanings, one per action dimension)",
    }


def _check_dims(env_id: str, form: TaskForm, env: Any) -> None:
    import numpy as np

    obs = int(np.prod(env.observation_space.shape or (1,)))
    act = int(np.prod(env.action_space.shape or (1,)))
    if form.obs_dim != obs or form.act_dim != act:
        raise FormError(
            f"{env_id}: the form has {form.obs_dim} observation and {form.act_dim} action "
            f"meanings, the env {obs} and {act}; give lare.form.observation ({obs} meanings) "
            f"and lare.form.action ({act} meanings)"
        )

"""Reference policies: hand-written experts that serve as perfect (oracle) judges.

A reference policy proposes an action for a state; :meth:`ReferencePolicy.score` turns the
agent's action into a shift in {-1, 0, +1} by comparing it with that proposal. They are the
"oracle" judges of LMGT experiments and the yardstick for an LLM judge's agreement.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import gymnasium as gym
import numpy as np

from langreward.families import knowledge, register_knowledge
from langreward.text.base import discrete, scalar

REFERENCE_ACTION_KEY = "reference_action"


class ReferencePolicy(ABC):
    """A hand-written policy used as a judge: +1 where the agent agrees with it, -1 where not.

    Subclasses that need the live env (``needs_env = True``, e.g. the BabyAI bot) do not
    implement :meth:`act`; their action reaches the judge through
    ``info["reference_action"]``, written by :class:`~langreward.lmgt.context.JudgeContextWrapper`.
    """

    name: str = "reference"
    needs_env: bool = False

    @abstractmethod
    def act(self, obs: Any) -> Any:
        """The reference action for an observation."""

    def reference_action(self, obs: Any, info: Mapping[str, Any] | None = None) -> Any | None:
        """The reference action for a state, or ``None`` when it is not known."""
        if self.needs_env:
            return (info or {}).get(REFERENCE_ACTION_KEY)
        return self.act(obs)

    def score(self, obs: Any, action: Any, reference_action: Any) -> int:
        """The shift in {-1, 0, +1} the reference gives ``action`` (default: equal or not)."""
        return 1 if discrete(action) == discrete(reference_action) else -1

    def judge(self, obs: Any, action: Any, info: Mapping[str, Any] | None = None) -> int | None:
        """Score one pair; ``None`` when the reference action is not known."""
        reference = self.reference_action(obs, info)
        return None if reference is None else self.score(obs, action, reference)


class CartPoleReference(ReferencePolicy):
    """Push toward the side the pole is falling to: sign of ``angle + 0.5 * angular velocity``.

    Example:
        >>> CartPoleReference().act([0.0, 0.0, 0.05, 0.0])
        1
    """

    name = "cartpole-heuristic"

    def __init__(self, velocity_weight: float = 0.5) -> None:
        self.velocity_weight = velocity_weight

    def act(self, obs: Any) -> int:
        values = np.asarray(obs, dtype=np.float64).reshape(-1)
        return int(values[2] + self.velocity_weight * values[3] > 0)


class MountainCarReference(ReferencePolicy):
    """Pump energy: accelerate along the velocity (right when still). Not accelerating is 0.

    Example:
        >>> MountainCarReference().act([-0.5, -0.01])
        0
    """

    name = "mountaincar-energy"

    def act(self, obs: Any) -> int:
        velocity = float(np.asarray(obs, dtype=np.float64).reshape(-1)[1])
        return 2 if velocity >= 0 else 0

    def score(self, obs: Any, action: Any, reference_action: Any) -> int:
        chosen = discrete(action)
        if chosen == 1:
            return 0
        return 1 if chosen == discrete(reference_action) else -1


class ContinuousReference(ReferencePolicy):
    """Base for continuous actions: +1 when close to the reference, -1 when pushing the other
    way, 0 otherwise.

    Args:
        max_action: the action bound (symmetric).
        tolerance: "close" means within ``tolerance * max_action`` of the reference.
        deadband: actions smaller than ``deadband * max_action`` are never scored -1.
    """

    def __init__(self, max_action: float, tolerance: float = 0.5, deadband: float = 0.1) -> None:
        self.max_action = max_action
        self.tolerance = tolerance
        self.deadband = deadband

    def score(self, obs: Any, action: Any, reference_action: Any) -> int:
        chosen, reference = scalar(action), scalar(reference_action)
        if abs(chosen - reference) <= self.tolerance * self.max_action:
            return 1
        if chosen * reference < 0 and abs(chosen) > self.deadband * self.max_action:
            return -1
        return 0


class MountainCarContinuousReference(ContinuousReference):
    """Full force along the velocity (energy pumping), for MountainCarContinuous-v0."""

    name = "mountaincar-continuous-energy"

    def __init__(self) -> None:
        super().__init__(max_action=1.0)

    def act(self, obs: Any) -> np.ndarray:
        velocity = float(np.asarray(obs, dtype=np.float64).reshape(-1)[1])
        return np.array([1.0 if velocity >= 0 else -1.0], dtype=np.float32)


class PendulumReference(ContinuousReference):
    """Energy-based swing-up far from the top, a PD controller near it (Pendulum-v1).

    Mean return about -130 over 200 steps (SAC reaches about -150). A continuous action
    scores +1 within ``tolerance * max_torque`` of this torque, -1 when it pushes the other
    way, else 0.

    Example:
        >>> float(PendulumReference().act([1.0, 0.1, 0.0])[0]) < 0  # leaning +: push back
        True
    """

    name = "pendulum-energy-pd"

    def __init__(self, max_torque: float = 2.0, top_angle: float = 0.5) -> None:
        super().__init__(max_action=max_torque)
        self.top_angle = top_angle

    def act(self, obs: Any) -> np.ndarray:
        cos_t, sin_t, theta_dot = (float(v) for v in np.asarray(obs, dtype=np.float64)[:3])
        theta = math.atan2(sin_t, cos_t)
        if abs(theta) < self.top_angle:
            torque = -(10.0 * theta + 2.0 * theta_dot)
        elif abs(theta_dot) < 1e-3:
            torque = self.max_action  # at rest: start swinging
        else:
            energy = theta_dot**2 / 6.0 + 5.0 * cos_t  # m = l = 1, g = 10; upright at rest: 5
            torque = self.max_action * math.copysign(1.0, theta_dot) if energy < 5.0 else 0.0
        return np.array([np.clip(torque, -self.max_action, self.max_action)], dtype=np.float32)


class BlackjackReference(ReferencePolicy):
    """Basic strategy without doubling or splitting (stick = 0, hit = 1).

    Example:
        >>> BlackjackReference().act((16, 10, 0)), BlackjackReference().act((16, 5, 0))
        (1, 0)
    """

    name = "blackjack-basic-strategy"

    def act(self, obs: Any) -> int:
        player, dealer, usable_ace = (int(v) for v in np.asarray(obs).reshape(-1)[:3])
        if usable_ace:
            if player >= 19:
                return 0
            if player == 18:
                return 0 if 2 <= dealer <= 8 else 1
            return 1
        if player >= 17:
            return 0
        if player >= 13:
            return 0 if 2 <= dealer <= 6 else 1
        if player == 12:
            return 0 if 4 <= dealer <= 6 else 1
        return 1


class BabyAIBotReference(ReferencePolicy):
    """The BabyAI bot (``minigrid.utils.baby_ai_bot.BabyAIBot``), which solves BabyAI levels.

    The bot plans on the live env, so its action reaches judges through
    ``info["reference_action"]``: wrap the env in
    :class:`~langreward.lmgt.context.JudgeContextWrapper` (the LMGT plug-in does this for you).
    """

    name = "babyai-bot"
    needs_env = True

    def act(self, obs: Any) -> int:
        raise RuntimeError(
            "the BabyAI bot needs the live env: wrap it in JudgeContextWrapper(env, reference) "
            "and pass the step infos to the judge"
        )

    def tracker(self, env: gym.Env) -> BabyAIBotTracker:
        """A per-env tracker that follows an episode and proposes the bot's action."""
        return BabyAIBotTracker(env)


class BabyAIBotTracker:
    """Runs a fresh :class:`BabyAIBot` per episode; ``None`` when the bot cannot plan."""

    def __init__(self, env: gym.Env) -> None:
        try:
            from minigrid.utils.baby_ai_bot import BabyAIBot
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise ImportError(
                "the BabyAI reference needs 'minigrid': pip install 'langreward[minigrid]'"
            ) from exc
        self._bot_class = BabyAIBot
        self.env = env
        self.bot: Any = None
        self.failures = 0

    def reset(self) -> int | None:
        """Call after ``env.reset()``: the bot's first action."""
        try:
            self.bot = self._bot_class(self.env)
            return int(self.bot.replan())
        except Exception:  # noqa: BLE001 - the bot's own errors (e.g. a box opened)
            self.bot, self.failures = None, self.failures + 1
            return None

    def step(self, action: Any) -> int | None:
        """Call after ``env.step(action)``: the bot's next action, given the agent's action."""
        if self.bot is None:
            return None
        try:
            return int(self.bot.replan(discrete(action)))
        except Exception:  # noqa: BLE001 - the bot cannot recover from some agent actions
            self.bot, self.failures = None, self.failures + 1
            return None


def reference_for(env: gym.Env) -> ReferencePolicy | None:
    """The reference policy for an env family, or ``None`` when there is none.

    Example:
        >>> import gymnasium as gym
        >>> reference_for(gym.make("CartPole-v1")).name
        'cartpole-heuristic'
    """
    make = knowledge(env, "reference")
    return make(env) if make is not None else None


def _is_babyai(env: gym.Env) -> bool:
    env_id = env.spec.id if env.spec is not None else ""
    return env_id.startswith("BabyAI") or any(
        cls.__module__.startswith("minigrid.envs.babyai") for cls in type(env.unwrapped).__mro__
    )


_REFERENCES: dict[str, Any] = {
    "CartPole": lambda env: CartPoleReference(),
    "MountainCar": lambda env: MountainCarReference(),
    "MountainCarContinuous": lambda env: MountainCarContinuousReference(),
    "Pendulum": lambda env: PendulumReference(float(getattr(env.unwrapped, "max_torque", 2.0))),
    "Blackjack": lambda env: BlackjackReference(),
    "MiniGrid": lambda env: BabyAIBotReference() if _is_babyai(env) else None,
}
for _family, _make in _REFERENCES.items():
    register_knowledge(_family, "reference", _make)

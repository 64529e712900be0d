"""Reward shifting as a Gymnasium wrapper and as a batching VecEnv wrapper."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium.core import ActType, ObsType
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper, VecMonitor
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn

from langreward.families import family_of
from langreward.lmgt.judge import Judge
from langreward.lmgt.keys import PairKey, default_key, key_for_spaces
from langreward.lmgt.schedules import Budget, ScaleSchedule
from langreward.lmgt.shifter import RewardShifter

logger = logging.getLogger(__name__)


def _snapshot(obs: Any) -> Any:
    """A copy of an observation that later in-place changes by the env cannot alter."""
    if isinstance(obs, np.ndarray):
        return obs.copy()
    if isinstance(obs, Mapping):
        return {k: _snapshot(v) for k, v in obs.items()}
    return copy.copy(obs)


def _is_goal_env(space: gym.Space[Any]) -> bool:
    return isinstance(space, gym.spaces.Dict) and {"achieved_goal", "desired_goal"} <= set(
        space.spaces
    )


class RewardShiftWrapper(
    gym.Wrapper[ObsType, ActType, ObsType, ActType], gym.utils.RecordConstructorArgs
):
    """Adds ``scale * shift`` to every reward, where a judge scores the (state, action).

    ``info["original_reward"]`` keeps the env's reward and ``info["shift"]`` the judge's
    shift (0 on steps outside the budget). On goal-conditioned envs ``compute_reward`` adds
    the stored shift too, so the shaping survives HER relabelling (SB3's ``HerReplayBuffer``
    needs ``replay_buffer_kwargs={"copy_info_dict": True}`` to pass the infos on).

    With several envs prefer :class:`VecRewardShift`, which judges all sub-envs in one call.

    Args:
        env: the env to wrap.
        judge: any :class:`~langreward.lmgt.judge.Judge`.
        scale: a constant scale or a :class:`~langreward.lmgt.ScaleSchedule`.
        budget: which steps get judged (default: all).
        key: the state-action key of judges that remember judgments; a judge without one
            gets this key, or the env's default key (:func:`~langreward.lmgt.keys.default_key`).

    Example:
        >>> import gymnasium as gym
        >>> from langreward.lmgt import ReferenceJudge
        >>> from langreward.lmgt.reference import CartPoleReference
        >>> env = RewardShiftWrapper(gym.make("CartPole-v1"),
        ...                          ReferenceJudge(CartPoleReference()), scale=0.5)
        >>> obs, info = env.reset(seed=0)
        >>> obs, reward, terminated, truncated, info = env.step(1)
        >>> reward == info["original_reward"] + 0.5 * info["shift"]
        True
    """

    def __init__(
        self,
        env: gym.Env,
        judge: Judge,
        *,
        scale: float | ScaleSchedule = 1.0,
        budget: Budget | None = None,
        key: PairKey | None = None,
    ) -> None:
        # Recorded without a deep copy (a judge may hold an LLM): an env re-made from
        # ``env.spec`` shares this judge.
        gym.utils.RecordConstructorArgs.__init__(
            self, _disable_deepcopy=True, judge=judge, scale=scale, budget=budget, key=key
        )
        gym.Wrapper.__init__(self, env)
        if key is not None:
            judge.key = key
        elif getattr(judge, "key", None) is None and hasattr(judge, "memory"):
            judge.key = default_key(env)
        self.shifter = RewardShifter(judge, scale, budget)
        self._obs: ObsType | None = None
        self._info: dict[str, Any] = {}

    @property
    def judge(self) -> Judge:
        return self.shifter.judge

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[ObsType, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        self._obs, self._info = _snapshot(obs), dict(info)
        return obs, info

    def step(self, action: ActType) -> tuple[ObsType, SupportsFloat, bool, bool, dict[str, Any]]:
        if self._obs is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        obs, reward, terminated, truncated, info = self.env.step(action)
        shifts, scale = self.shifter([self._obs], [_snapshot(action)], [self._info])
        shift = float(shifts[0])
        info = dict(info)
        info["original_reward"] = float(reward)
        info["shift"] = shift
        self._obs, self._info = _snapshot(obs), info
        return obs, float(reward) + scale * shift, terminated, truncated, info

    def compute_reward(self, achieved_goal: Any, desired_goal: Any, info: Any) -> Any:
        """The env's ``compute_reward`` plus ``scale * info["shift"]`` (goal-conditioned envs)."""
        base = self.env.get_wrapper_attr("compute_reward")(achieved_goal, desired_goal, info)
        return self.shifter.shaped_relabelled(base, info)


class VecRewardShift(VecEnvWrapper):
    """Reward shifting for a VecEnv: one judge call per step for all sub-envs.

    Put it directly around the VecEnv that ``make_vec_env`` builds, so that the ``Monitor``
    inside each sub-env records the original returns (``rollout/ep_rew_mean`` stays
    comparable with an unshaped baseline). Put ``VecNormalize`` outside it, so the judge
    sees raw observations. Infos get ``"original_reward"`` and ``"shift"``; on
    goal-conditioned envs ``env_method("compute_reward", ...)`` (what SB3's
    ``HerReplayBuffer`` calls) adds the stored shifts.

    Args:
        venv: the VecEnv to wrap.
        judge: any :class:`~langreward.lmgt.judge.Judge`.
        scale: a constant scale or a :class:`~langreward.lmgt.ScaleSchedule`.
        budget: which steps get judged (default: all).
        key: the state-action key (see :class:`RewardShiftWrapper`).

    Example:
        >>> from stable_baselines3.common.env_util import make_vec_env
        >>> from langreward.lmgt import ReferenceJudge
        >>> from langreward.lmgt.reference import CartPoleReference
        >>> venv = VecRewardShift(make_vec_env("CartPole-v1", n_envs=4),
        ...                       ReferenceJudge(CartPoleReference()), scale=0.2)
        >>> _ = venv.reset()
        >>> obs, rewards, dones, infos = venv.step([1, 1, 0, 0])
        >>> sorted(infos[0])[:2]
        ['TimeLimit.truncated', 'original_reward']
    """

    def __init__(
        self,
        venv: VecEnv,
        judge: Judge,
        *,
        scale: float | ScaleSchedule = 1.0,
        budget: Budget | None = None,
        key: PairKey | None = None,
    ) -> None:
        super().__init__(venv)
        if key is not None:
            judge.key = key
        elif getattr(judge, "key", None) is None and hasattr(judge, "memory"):
            judge.key = key_for_spaces(venv.observation_space, venv.action_space, self._family())
        self.shifter = RewardShifter(judge, scale, budget)
        self._check_monitor()
        self._obs: Any = None
        self._infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        self._actions: np.ndarray | None = None

    @property
    def judge(self) -> Judge:
        return self.shifter.judge

    def _family(self) -> str | None:
        try:
            spec = self.venv.get_attr("spec", indices=[0])[0]
        except Exception:  # a VecEnv that cannot report its spec: no family defaults
            return None
        family = family_of(getattr(spec, "id", None))
        return family.name if family is not None else None

    def _check_monitor(self) -> None:
        inner: Any = self.venv
        while isinstance(inner, VecEnvWrapper):
            if isinstance(inner, VecMonitor):
                return
            inner = inner.venv
        try:
            monitored = all(self.venv.env_is_wrapped(Monitor))
        except Exception:
            monitored = True  # cannot tell: do not warn
        if not monitored:
            logger.warning(
                "VecRewardShift: the sub-envs have no Monitor inside, so episode returns "
                "logged outside will include the shaping; build the VecEnv with make_vec_env"
            )

    def _split(self, obs: Any) -> list[Any]:
        if isinstance(obs, Mapping):
            return [{k: np.array(v[i]) for k, v in obs.items()} for i in range(self.num_envs)]
        return [np.array(o) for o in obs]

    def reset(self) -> Any:
        obs = self.venv.reset()
        self._obs = self._split(obs)
        self._infos = [
            dict(i)
            for i in getattr(self.venv, "reset_infos", None) or [{} for _ in range(self.num_envs)]
        ]
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.array(actions, copy=True)
        self.venv.step_async(actions)

    def step_wait(self) -> VecEnvStepReturn:
        if self._obs is None or self._actions is None:
            raise RuntimeError("VecRewardShift: call reset() and step_async() before step_wait()")
        obs, rewards, dones, infos = self.venv.step_wait()
        shifts, scale = self.shifter(self._obs, list(self._actions), self._infos)
        shaped = (np.asarray(rewards, dtype=np.float32) + scale * shifts).astype(np.float32)
        reset_infos = getattr(self.venv, "reset_infos", None)
        next_infos: list[dict[str, Any]] = []
        for i, info in enumerate(infos):
            info["original_reward"] = float(rewards[i])
            info["shift"] = float(shifts[i])
            if dones[i] and reset_infos is not None:
                next_infos.append(dict(reset_infos[i]))  # the info of the auto-reset obs
            else:
                next_infos.append(info)
        self._obs, self._infos = self._split(obs), next_infos
        return obs, shaped, dones, infos

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        """Forwards to the sub-envs; ``compute_reward`` also gets the stored shaping (HER)."""
        results = self.venv.env_method(method_name, *method_args, indices=indices, **method_kwargs)
        if method_name != "compute_reward" or not _is_goal_env(self.observation_space):
            return results
        infos = method_args[2] if len(method_args) > 2 else method_kwargs.get("info")
        if infos is None:
            return results
        return [self.shifter.shaped_relabelled(result, infos) for result in results]

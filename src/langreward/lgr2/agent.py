"""A two-level agent built from two SB3 SAC learners, trained by its own loop.

Every ``k`` steps the **high level** (SAC over ``[observation, final goal]``) proposes a subgoal
in the goal space (its tanh action mapped linearly onto ``subgoal_bounds``); the **low level**
(SAC over ``[observation, subgoal]``) acts for ``k`` steps and is rewarded ``0`` within
``low_threshold`` of the subgoal, ``-1`` elsewhere. Both levels store their transitions in a
:class:`~langreward.lgr2.buffer.HindsightBuffer` (a high-level transition is one ``k``-step
segment); both relabel with future achieved goals. The high level's reward is
``high_reward(achieved, next_achieved, goal, subgoal)``: LGR2's stationary ``r_phi(state,
final_goal, subgoal)`` or, for the control arm, the env's own sparse reward at the segment's end.

The class keeps SB3's algorithm interface where the experiment runner uses it (``learn`` with
callbacks, ``predict`` with a recurrent state for evaluation, ``save``/``load``,
``save_replay_buffer``/``load_replay_buffer``, ``set_logger``, ``get_env``, ``num_timesteps``);
``policy`` is accepted for that interface and ignored (both levels use ``MlpPolicy``).

Logged (``lgr2/``): ``subgoal_distance`` (the non-stationarity metric: the mean distance
between a subgoal and where the low level was ``k`` steps later), ``success`` (share of
training episodes that reached the goal), ``high_reward`` (mean high-level reward).
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import gymnasium as gym
import numpy as np
from stable_baselines3 import SAC
from stable_baselines3.common.callbacks import BaseCallback, CallbackList, ConvertCallback
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.save_util import load_from_zip_file
from stable_baselines3.common.utils import configure_logger
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv

from langreward.lgr2.buffer import HindsightBuffer

if TYPE_CHECKING:
    import torch

#: ``high_reward(achieved, next_achieved, goal, subgoal) -> (n,)``
HighReward = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
SAC_KEYS = ("learning_rate", "gamma", "tau", "ent_coef", "batch_size", "policy_kwargs")


class _Spaces(gym.Env):
    """Only the spaces, for building an SB3 learner that our loop drives (never stepped)."""

    def __init__(self, observation_space: gym.Space[Any], action_space: gym.Space[Any]) -> None:
        self.observation_space, self.action_space = observation_space, action_space

    def reset(self, **kwargs: Any) -> Any:
        raise RuntimeError("the two-level agent steps the env itself")

    def step(self, action: Any) -> Any:
        raise RuntimeError("the two-level agent steps the env itself")


def _box(size: int, bound: float = np.inf) -> gym.spaces.Box:
    return gym.spaces.Box(-bound, bound, (size,), np.float32)


def _hindsight(learner: SAC) -> HindsightBuffer:
    """A level's buffer: the HindsightBuffer put in its SAC's ``replay_buffer`` slot."""
    return cast(HindsightBuffer, learner.replay_buffer)


class TwoLevelSAC:
    """Two SAC learners, a subgoal every ``k`` steps, hindsight on both levels.

    Args:
        policy: ignored (SB3's interface); both levels use ``MlpPolicy``.
        env: a VecEnv with one goal env (dict observations ``observation``, ``achieved_goal``,
            ``desired_goal``).
        high_reward: the high level's reward (see the module docstring).
        subgoal_bounds: ``(low, high)`` corners of the subgoal box in the goal space.
        k: low-level steps per subgoal.
        low_threshold: distance within which the low level has reached its subgoal.
        her_ratio: share of relabelled samples on both levels (0: no hindsight).
        learning_starts: env steps of uniformly random subgoals and actions first.
        gradient_steps: low-level SAC gradient steps per env step (the high level makes as
            many per segment).
        buffer_size: transitions kept per level.
        seed: learners, buffers and exploration.
        **sac_kwargs: ``learning_rate``, ``gamma``, ``tau``, ``ent_coef``, ``batch_size``,
            ``policy_kwargs`` for both SAC learners.
    """

    def __init__(
        self,
        policy: Any,
        env: VecEnv,
        *,
        high_reward: HighReward,
        subgoal_bounds: tuple[list[float], list[float]],
        k: int = 15,
        low_threshold: float = 0.45,
        her_ratio: float = 0.8,
        learning_starts: int = 1000,
        gradient_steps: int = 1,
        buffer_size: int = 1_000_000,
        seed: int | None = 0,
        tensorboard_log: str | None = None,
        verbose: int = 0,
        device: str = "cpu",
        _init_setup_model: bool = True,
        **sac_kwargs: Any,
    ) -> None:
        unknown = sorted(set(sac_kwargs) - set(SAC_KEYS))
        if unknown:
            raise ValueError(f"TwoLevelSAC does not take {unknown}; it takes {list(SAC_KEYS)}")
        if env.num_envs != 1:
            raise ValueError("TwoLevelSAC steps one env (n_envs: 1)")
        self.env = env
        self.high_reward = high_reward
        self.low_goal, self.high_goal = (np.asarray(b, np.float32) for b in subgoal_bounds)
        self.k, self.low_threshold, self.her_ratio = k, low_threshold, her_ratio
        self.learning_starts, self.gradient_steps = learning_starts, gradient_steps
        self.buffer_size, self.seed, self.device = buffer_size, seed, device
        self.sac_kwargs = sac_kwargs
        self.tensorboard_log, self.verbose = tensorboard_log, verbose
        self.num_timesteps = 0
        self.rng = np.random.default_rng(seed)
        self._logger: Logger | None = None
        self.subgoal_distances: deque[float] = deque(maxlen=100)
        self.successes: deque[float] = deque(maxlen=100)
        # A goal env: a Dict of Boxes (observation, achieved_goal, desired_goal).
        spaces = cast(gym.spaces.Dict, env.observation_space)
        self.obs_dim = int(cast(gym.spaces.Box, spaces["observation"]).shape[0])
        self.goal_dim = int(cast(gym.spaces.Box, spaces["desired_goal"]).shape[0])
        self.action_dim = int(cast(gym.spaces.Box, env.action_space).shape[0])  # SAC: a Box
        self._segment: dict[str, Any] | None = None
        self._last_obs: dict[str, np.ndarray] | None = None
        self.high = self._learner(self.obs_dim + self.goal_dim, _box(self.goal_dim, 1.0), 1)
        self.low = self._learner(self.obs_dim + self.goal_dim, env.action_space, 2)
        # Duck-typed: SAC's train() only calls sample(), which HindsightBuffer has with
        # ReplayBuffer's signature; it is not an SB3 ReplayBuffer subclass.
        self.high.replay_buffer = self._buffer(self._high_reward, 1)  # type: ignore[assignment]  # a duck-typed buffer (see above)
        self.low.replay_buffer = self._buffer(self._low_reward, 2)  # type: ignore[assignment]  # a duck-typed buffer (see above)

    @property
    def _n_updates(self) -> int:
        """Gradient updates of both levels so far (SB3's counter, summed)."""
        return int(self.high._n_updates + self.low._n_updates)

    # -- construction -----------------------------------------------------------------------
    def _learner(self, obs_dim: int, action_space: gym.Space[Any], salt: int) -> SAC:
        spaces = _Spaces(_box(obs_dim), action_space)
        return SAC(
            "MlpPolicy",
            DummyVecEnv([lambda: spaces]),
            buffer_size=1,
            learning_starts=0,
            seed=None if self.seed is None else self.seed + salt,
            device=self.device,
            **self.sac_kwargs,
        )

    def _buffer(self, reward_fn: Any, salt: int) -> HindsightBuffer:
        action_dim = self.goal_dim if salt == 1 else self.action_dim
        return HindsightBuffer(
            self.buffer_size,
            obs_dim=self.obs_dim,
            goal_dim=self.goal_dim,
            action_dim=action_dim,
            reward_fn=reward_fn,
            her_ratio=self.her_ratio,
            seed=(self.seed or 0) + salt,
        )

    def subgoal(self, action: np.ndarray) -> np.ndarray:
        """The high level's tanh action mapped onto the subgoal box."""
        middle, half = (self.high_goal + self.low_goal) / 2, (self.high_goal - self.low_goal) / 2
        return middle + np.clip(action, -1.0, 1.0) * half

    def _high_reward(
        self, achieved: np.ndarray, next_achieved: np.ndarray, goal: np.ndarray, action: np.ndarray
    ) -> np.ndarray:
        return self.high_reward(achieved, next_achieved, goal, self.subgoal(action))

    def _low_reward(
        self, achieved: np.ndarray, next_achieved: np.ndarray, goal: np.ndarray, action: np.ndarray
    ) -> np.ndarray:
        distance = np.linalg.norm(next_achieved - goal, axis=-1)
        return -(distance > self.low_threshold).astype(np.float32)

    # -- SB3's interface --------------------------------------------------------------------
    @property
    def logger(self) -> Logger:
        if self._logger is None:
            self._logger = configure_logger(self.verbose, None, "run")
        return self._logger

    def set_logger(self, logger: Logger) -> None:
        self._logger = logger
        self.high.set_logger(logger)
        self.low.set_logger(logger)

    def get_env(self) -> VecEnv:
        return self.env

    def _policy_input(self, observation: np.ndarray, goal: np.ndarray) -> np.ndarray:
        return np.concatenate([observation, goal], axis=-1).astype(np.float32)

    def _choose(self, learner: SAC, inputs: np.ndarray, deterministic: bool) -> np.ndarray:
        return learner.predict(inputs, deterministic=deterministic)[0]

    def predict(
        self,
        observation: dict[str, np.ndarray],
        state: tuple[np.ndarray, np.ndarray] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Actions for a batch of goal-env observations; ``state`` = (subgoals, steps into
        their segments), as SB3's recurrent policies carry it through ``evaluate_policy``."""
        obs, goal = observation["observation"], observation["desired_goal"]
        n = len(obs)
        if state is None:
            state = (np.zeros((n, self.goal_dim), np.float32), np.zeros(n, np.int64))
        subgoals, steps = state[0].copy(), state[1].copy()
        fresh = steps % self.k == 0
        if episode_start is not None:
            fresh |= np.asarray(episode_start, bool)
            steps[np.asarray(episode_start, bool)] = 0
        if fresh.any():
            high = self._choose(self.high, self._policy_input(obs, goal), deterministic)
            subgoals[fresh] = self.subgoal(high)[fresh]
        actions = self._choose(self.low, self._policy_input(obs, subgoals), deterministic)
        return actions, (subgoals, steps + 1)

    # -- training ---------------------------------------------------------------------------
    def learn(
        self,
        total_timesteps: int,
        callback: Any = None,
        log_interval: int = 1000,
        tb_log_name: str = "run",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> TwoLevelSAC:
        """Train for ``total_timesteps`` more env steps (SB3's ``learn``)."""
        if reset_num_timesteps:
            self.num_timesteps = 0
        if self._logger is None or reset_num_timesteps:
            self.set_logger(
                configure_logger(
                    self.verbose, self.tensorboard_log, tb_log_name, reset_num_timesteps
                )
            )
        end = self.num_timesteps + total_timesteps
        callback = self._callback(callback)
        callback.init_callback(self)
        self._last_obs = cast("dict[str, np.ndarray]", self.env.reset())  # a goal env's dict
        self._segment = None
        callback.on_training_start(locals(), globals())
        while self.num_timesteps < end:
            callback.on_rollout_start()
            keep_going = self._step(callback)
            callback.on_rollout_end()
            if not keep_going:
                break
            if self.num_timesteps % log_interval == 0:
                self._log()
        callback.on_training_end()
        return self

    @staticmethod
    def _callback(callback: Any) -> BaseCallback:
        if isinstance(callback, list):
            return CallbackList(callback)
        if callback is None or isinstance(callback, BaseCallback):
            return callback or CallbackList([])
        return ConvertCallback(callback)

    def _step(self, callback: BaseCallback) -> bool:
        assert self._last_obs is not None
        obs = self._last_obs
        warm = self.num_timesteps < self.learning_starts
        if self._segment is None:
            high_input = self._policy_input(obs["observation"], obs["desired_goal"])
            if warm:
                high_action = self.rng.uniform(-1, 1, (1, self.goal_dim)).astype(np.float32)
            else:
                high_action = self._choose(self.high, high_input, deterministic=False)
            self._segment = {
                "obs": obs["observation"][0],
                "achieved": obs["achieved_goal"][0],
                "goal": obs["desired_goal"][0],
                "action": high_action[0],
                "subgoal": self.subgoal(high_action)[0],
                "steps": 0,
            }
        segment = self._segment
        subgoal = segment["subgoal"][None]
        if warm:
            action = self.rng.uniform(-1, 1, (1, self.action_dim)).astype(np.float32)
        else:
            action = self._choose(self.low, self._policy_input(obs["observation"], subgoal), False)
        new_obs, rewards, dones, infos = self.env.step(action)
        new_obs = cast("dict[str, np.ndarray]", new_obs)  # a goal env's dict observations
        self.num_timesteps += 1
        done, info = bool(dones[0]), infos[0]
        final = info["terminal_observation"] if done else {k: v[0] for k, v in new_obs.items()}
        terminated = done and not info.get("TimeLimit.truncated", False)
        _hindsight(self.low).add(
            obs["observation"][0],
            final["observation"],
            segment["subgoal"],
            action[0],
            obs["achieved_goal"][0],
            final["achieved_goal"],
            done=terminated,
        )
        segment["steps"] += 1
        if segment["steps"] == self.k or done:
            self._close_segment(segment, final, terminated)
        if done:
            _hindsight(self.high).end_episode()
            self.successes.append(float(info.get("success", info.get("is_success", 0.0))))
        self._last_obs = new_obs
        callback.update_locals(locals())
        if not callback.on_step():
            return False
        if not warm:
            self.low.train(gradient_steps=self.gradient_steps, batch_size=self.low.batch_size)
        return True

    def _close_segment(
        self, segment: dict[str, Any], final: dict[str, Any], terminated: bool
    ) -> None:
        _hindsight(self.high).add(
            segment["obs"],
            final["observation"],
            segment["goal"],
            segment["action"],
            segment["achieved"],
            final["achieved_goal"],
            done=terminated,
        )
        _hindsight(self.low).end_episode()  # a low-level episode is one segment
        self.subgoal_distances.append(
            float(np.linalg.norm(final["achieved_goal"] - segment["subgoal"]))
        )
        self._segment = None
        if self.num_timesteps >= self.learning_starts:
            self.high.train(gradient_steps=self.gradient_steps, batch_size=self.high.batch_size)

    def _log(self) -> None:
        if self.subgoal_distances:
            self.logger.record("lgr2/subgoal_distance", float(np.mean(self.subgoal_distances)))
        if self.successes:
            self.logger.record("lgr2/success", float(np.mean(self.successes)))
        self.logger.dump(self.num_timesteps)

    def stats(self) -> dict[str, float]:
        """The recent non-stationarity metric, training success rate and stored transitions."""
        return {
            "transitions": len(_hindsight(self.low)),
            "subgoal_distance": float(np.mean(self.subgoal_distances))
            if self.subgoal_distances
            else float("nan"),
            "train_success": float(np.mean(self.successes)) if self.successes else float("nan"),
        }

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """One zip holding both SB3 learners and the loop's own state."""
        state = {
            "num_timesteps": self.num_timesteps,
            "rng": self.rng.bit_generator.state,
            "subgoal_distances": list(self.subgoal_distances),
            "successes": list(self.successes),
            "policy_kwargs": self.sac_kwargs.get("policy_kwargs"),
        }
        with zipfile.ZipFile(path, "w") as archive:
            for name, learner in (("high", self.high), ("low", self.low)):
                data = io.BytesIO()
                learner.save(data)
                archive.writestr(f"{name}.zip", data.getvalue())
            archive.writestr("state.pkl", pickle.dumps(state))

    @classmethod
    def load(
        cls,
        path: str | Path,
        env: VecEnv | None = None,
        device: str = "cpu",
        **kwargs: Any,
    ) -> TwoLevelSAC:
        """A saved agent on ``env``; the method's settings (``high_reward``, bounds...) come
        again in ``kwargs``, the network shapes from the file."""
        if env is None:
            raise ValueError("TwoLevelSAC.load needs the env")
        with zipfile.ZipFile(path) as archive:
            state = pickle.loads(archive.read("state.pkl"))
            saved = {name: archive.read(f"{name}.zip") for name in ("high", "low")}
        if state["policy_kwargs"] is not None:
            kwargs["policy_kwargs"] = state["policy_kwargs"]
        model = cls(None, env, device="cpu" if device == "auto" else device, **kwargs)
        for name, blob in saved.items():
            learner: SAC = getattr(model, name)
            data, params, variables = load_from_zip_file(io.BytesIO(blob), device=model.device)
            learner.set_parameters(params, exact_match=True)
            learner._n_updates = int((data or {}).get("_n_updates", 0))
            if variables and variables.get("log_ent_coef") is not None:
                # saved with a learned entropy coefficient: the learner (same settings) has one
                cast("torch.Tensor", learner.log_ent_coef).data = variables["log_ent_coef"].data
        model.num_timesteps = int(state["num_timesteps"])
        model.rng.bit_generator.state = state["rng"]
        model.subgoal_distances.extend(state["subgoal_distances"])
        model.successes.extend(state["successes"])
        return model

    def save_replay_buffer(self, path: str | Path) -> None:
        with open(path, "wb") as handle:
            pickle.dump(
                {
                    "high": _hindsight(self.high).state_dict(),
                    "low": _hindsight(self.low).state_dict(),
                },
                handle,
            )

    def load_replay_buffer(self, path: str | Path) -> None:
        with open(path, "rb") as handle:
            state = pickle.load(handle)
        _hindsight(self.high).load_state_dict(state["high"])
        _hindsight(self.low).load_state_dict(state["low"])

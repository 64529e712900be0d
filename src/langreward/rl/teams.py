"""Cooperative multi-agent tasks on the single-agent stack.

- :class:`TeamEnv` is a PettingZoo parallel env seen as one Gymnasium env: observations
  ``(agents, obs_dim)``, one discrete action per agent, the team reward (the sum of the agents'
  rewards) as its reward and each agent's own reward in ``info["agent_rewards"]``. Any
  Gymnasium wrapper (``Monitor``, :class:`~langreward.rl.episodic.EpisodicRewardWrapper`)
  applies to it unchanged, so episode returns are team returns.
- :class:`AgentSlotVecEnv` splits a VecEnv of team envs into one slot per agent, so an SB3
  algorithm trains one policy for every agent (parameter sharing, independent learners: IPPO
  with PPO). SB3 counts one timestep per slot: ``num_timesteps`` is agent-steps.
- :class:`SharedPolicy` lets the trained model act for every agent of a team env (evaluation).

Example:
    >>> from stable_baselines3.common.env_util import make_vec_env
    >>> import langreward.rl.mpe  # registers MPE2-SimpleSpread-v3
    >>> venv = AgentSlotVecEnv(make_vec_env("MPE2-SimpleSpread-v3", n_envs=2, seed=0))
    >>> venv.num_envs, venv.n_agents, venv.observation_space.shape
    (6, 3, (18,))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn


class TeamEnv(gym.Env):
    """A PettingZoo parallel env with identical agents as one Gymnasium env.

    Args:
        make_parallel_env: ``make_parallel_env(render_mode)`` builds the PettingZoo
            ``ParallelEnv`` (called once).
        team: the agents that learn (default: all); the others act by ``scripted``.
        scripted: ``scripted(agent, observation) -> action`` for agents outside the team
            (e.g. a fixed prey).
        horizon_is_terminal: a fixed-length episode's end is part of the task (MPE's 25
            steps): report it as ``terminated`` so that learners do not bootstrap past it.

    The episode ends for the team when it ends for any agent. ``info["agent_rewards"]`` holds
    each team member's own reward (order of ``agents``); the reward is their sum.
    """

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(
        self,
        make_parallel_env: Callable[[str | None], Any],
        *,
        team: Sequence[str] | None = None,
        scripted: Callable[[str, np.ndarray], int] | None = None,
        horizon_is_terminal: bool = True,
        render_mode: str | None = None,
    ) -> None:
        self.render_mode = render_mode
        self.parallel_env = make_parallel_env(render_mode)
        everyone = tuple(self.parallel_env.possible_agents)
        self.agents: tuple[str, ...] = tuple(team) if team is not None else everyone
        self.outsiders = tuple(a for a in everyone if a not in self.agents)
        if self.outsiders and scripted is None:
            raise ValueError(f"agents {self.outsiders} are outside the team: give `scripted`")
        self.scripted = scripted
        spaces = [self.parallel_env.observation_space(a) for a in self.agents]
        actions = [self.parallel_env.action_space(a) for a in self.agents]
        if len({s.shape for s in spaces}) != 1 or len({a.n for a in actions}) != 1:
            raise ValueError(
                "TeamEnv needs agents with the same observation shape and discrete action count"
            )
        one = spaces[0]
        self.agent_observation_space = gym.spaces.Box(-np.inf, np.inf, one.shape, np.float32)
        self.agent_action_space = gym.spaces.Discrete(int(actions[0].n))
        self.observation_space = gym.spaces.Box(
            -np.inf, np.inf, (len(self.agents), *one.shape), np.float32
        )
        self.action_space = gym.spaces.MultiDiscrete([int(actions[0].n)] * len(self.agents))
        self.horizon_is_terminal = horizon_is_terminal

    @property
    def n_agents(self) -> int:
        return len(self.agents)

    def _stack(self, per_agent: dict[str, Any]) -> np.ndarray:
        return np.stack([np.asarray(per_agent[a], dtype=np.float32) for a in self.agents])

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        obs, _ = self.parallel_env.reset(seed=seed, options=options)
        self._last = obs
        return self._stack(obs), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        actions = np.asarray(action).reshape(-1)
        joint = {a: int(actions[i]) for i, a in enumerate(self.agents)}
        for agent in self.outsiders:
            assert self.scripted is not None
            joint[agent] = int(self.scripted(agent, np.asarray(self._last[agent])))
        obs, rewards, terms, truncs, _ = self.parallel_env.step(joint)
        self._last = obs
        agent_rewards = np.array([float(rewards[a]) for a in self.agents])
        terminated = any(terms.values())
        truncated = any(truncs.values())
        if self.horizon_is_terminal:
            terminated, truncated = terminated or truncated, False
        info = {"agent_rewards": agent_rewards}
        return self._stack(obs), float(agent_rewards.sum()), terminated, truncated, info

    def render(self) -> Any:
        return self.parallel_env.render()

    def close(self) -> None:
        self.parallel_env.close()


class AgentSlotVecEnv(VecEnv):
    """One VecEnv slot per agent of each team env of ``venv`` (parameter sharing).

    Slot ``e * n_agents + i`` is agent ``i`` of team env ``e``. Each slot's reward is the
    team reward (what the team env returns, e.g. an episodic team return; a method relabels
    it per agent). Each slot's info holds ``agent_reward`` (the agent's own reward, even where
    a wrapper withheld the team's);
    ``episode`` (Monitor's team episode) is given to the team's first slot only, so episodes
    are counted once per team.
    """

    def __init__(self, venv: VecEnv) -> None:
        space = venv.observation_space
        if not isinstance(space, gym.spaces.Box) or len(space.shape) < 2:
            raise ValueError("AgentSlotVecEnv needs a team env with (agents, ...) observations")
        if not isinstance(venv.action_space, gym.spaces.MultiDiscrete):
            raise ValueError("AgentSlotVecEnv needs one discrete action per agent")
        self.venv = venv
        self.n_teams = venv.num_envs
        self.n_agents = int(space.shape[0])
        agent_obs = gym.spaces.Box(
            np.asarray(space.low)[0], np.asarray(space.high)[0], space.shape[1:], space.dtype
        )
        agent_action = gym.spaces.Discrete(int(venv.action_space.nvec[0]))
        super().__init__(self.n_teams * self.n_agents, agent_obs, agent_action)

    def _slots(self, team_values: np.ndarray) -> np.ndarray:
        return np.asarray(team_values).reshape(self.num_envs, *np.shape(team_values)[2:])

    def reset(self) -> np.ndarray:
        # The team env's observation space is a Box (checked in __init__): its obs an array.
        return self._slots(cast(np.ndarray, self.venv.reset()))

    def step_async(self, actions: np.ndarray) -> None:
        self.venv.step_async(np.asarray(actions).reshape(self.n_teams, self.n_agents))

    def step_wait(self) -> VecEnvStepReturn:
        obs, rewards, dones, infos = self.venv.step_wait()
        slot_infos: list[dict[str, Any]] = []
        slot_rewards = np.repeat(np.asarray(rewards, dtype=np.float32), self.n_agents)
        for info in infos:
            own = np.asarray(info.get("agent_rewards", np.zeros(self.n_agents)), np.float32)
            for i in range(self.n_agents):
                slot = {"agent_reward": float(own[i])}
                if "terminal_observation" in info:
                    slot["terminal_observation"] = info["terminal_observation"][i]
                if "TimeLimit.truncated" in info:
                    slot["TimeLimit.truncated"] = info["TimeLimit.truncated"]
                if i == 0 and "episode" in info:
                    slot["episode"] = info["episode"]
                slot_infos.append(slot)
        team_obs = cast(np.ndarray, obs)  # a Box observation space (checked in __init__)
        return self._slots(team_obs), slot_rewards, np.repeat(dones, self.n_agents), slot_infos

    def close(self) -> None:
        self.venv.close()

    def seed(self, seed: int | None = None) -> Sequence[None | int]:
        return self.venv.seed(seed)

    def _slot_teams(self, indices: VecEnvIndices) -> list[int]:
        """The team env of each slot in ``indices``."""
        # SB3 types indices as any Iterable[int]; it passes an int, a list or a range.
        slots = (
            range(self.num_envs)
            if indices is None
            else np.atleast_1d(cast("int | Sequence[int]", indices))
        )
        return [int(s) // self.n_agents for s in slots]

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [self.venv.get_attr(attr_name, [t])[0] for t in self._slot_teams(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        self.venv.set_attr(attr_name, value, sorted(set(self._slot_teams(indices))))

    def env_method(
        self, method_name: str, *args: Any, indices: VecEnvIndices = None, **kwargs: Any
    ) -> list[Any]:
        return [
            self.venv.env_method(method_name, *args, indices=[t], **kwargs)[0]
            for t in self._slot_teams(indices)
        ]

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        return [self.venv.env_is_wrapped(wrapper_class, [t])[0] for t in self._slot_teams(indices)]


class SharedPolicy:
    """The trained per-agent model acting for every agent of a team env (``predict`` as SB3).

    Example:
        >>> # evaluate_policy(SharedPolicy(model), team_vec_env, n_eval_episodes=10)
    """

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        obs = np.asarray(observation)
        teams, agents = obs.shape[:2]
        actions, _ = self.model.predict(
            obs.reshape(teams * agents, *obs.shape[2:]), deterministic=deterministic
        )
        return np.asarray(actions).reshape(teams, agents), None

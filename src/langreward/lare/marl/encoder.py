"""The per-agent latent-reward encoder of a team env: one function for every agent.

The prompt describes one agent's observation, block by block as the team env states it
(``observation_blocks``), and its action as a one-hot row; candidates are verified on real
per-agent observations from random team rollouts. Generation, consolidation and repair are
single-agent LaRe's (:func:`langreward.lare.encoder.obtain_encoder`).
"""

from __future__ import annotations

from typing import Any, cast

import gymnasium as gym
import numpy as np

from langreward.lare.encoder import Encoder, obtain_encoder, read_env, sample_transitions
from langreward.lare.forms import FormError, TaskForm
from langreward.lare.marl.config import LaReMARLSettings
from langreward.lare.marl.relabel import one_hot
from langreward.plugin import RunContext

SAME_FUNCTION_NOTE = (
    "The same function is applied to each agent's own observation and action; the team is "
    "scored on the sum over agents and steps."
)

#: Hand-written encoders of the team tasks (the ``reference`` source, labelled as such).
REFERENCE_ENCODERS: dict[str, str] = {
    "MPE2-SimpleSpread": """
import numpy as np

def evaluation_func(obs, action):
    n = obs.shape[1] // 6  # agents = landmarks: obs = 4 + 2n + 2(n - 1) + 2(n - 1) dims
    landmarks = obs[:, 4:4 + 2 * n].reshape(-1, n, 2)
    others = obs[:, 4 + 2 * n:4 + 4 * n - 2].reshape(-1, n - 1, 2)
    # distance from each landmark to the nearest agent (this agent at the origin)
    agents = np.concatenate([np.zeros((obs.shape[0], 1, 2)), others], axis=1)
    gaps = np.linalg.norm(landmarks[:, :, None, :] - agents[:, None, :, :], axis=-1)
    coverage = gaps.min(axis=2).sum(axis=1)[:, None]
    # this agent's distance to its nearest landmark
    own = np.linalg.norm(landmarks, axis=-1).min(axis=1)[:, None]
    # other agents closer than two radii (collisions)
    collisions = (np.linalg.norm(others, axis=-1) < 0.3).sum(axis=1)[:, None].astype(float)
    # speed
    speed = np.linalg.norm(obs[:, 0:2], axis=1)[:, None]
    return [coverage, own, collisions, speed]
""",
    # the default layout, 3 predators and 2 obstacles (obs: velocity 0:2, position 2:4,
    # obstacles 4:8, other predators 8:12, prey 12:14, prey velocity 14:16)
    "MPE2-SimpleTag": """
import numpy as np

def evaluation_func(obs, action):
    prey = obs[:, 12:14]
    others = obs[:, 8:12].reshape(-1, 2, 2)
    # this predator's distance to the prey
    own = np.linalg.norm(prey, axis=1)[:, None]
    # the team's closest distance to the prey
    gaps = np.linalg.norm(prey[:, None, :] - others, axis=2)
    team = np.minimum(own[:, 0], gaps.min(axis=1))[:, None]
    # touching the prey (centres closer than 0.125)
    touch = (own < 0.125).astype(float)
    # speed toward the prey
    closing = (np.sum(obs[:, 0:2] * prey, axis=1) / (own[:, 0] + 1e-6))[:, None]
    return [own, team, touch, closing]
""",
}


def _team(env: gym.Env) -> Any:
    team = env.unwrapped
    for field in ("task", "observation_blocks", "action_meanings", "n_agents"):
        if not hasattr(team, field):
            raise FormError(
                f"{env.spec.id if env.spec else type(team).__name__} is not a team env with a "
                f"stated task (it has no {field!r}); multi-agent LaRe runs on team envs such "
                "as MPE2-SimpleSpread-v3"
            )
    return team


def agent_form(env: gym.Env, task: str | None = None) -> TaskForm:
    """One agent's view of a team env as a :class:`TaskForm` (``task`` replaces the env's).

    Example:
        >>> import langreward.rl.mpe
        >>> form = agent_form(gym.make("MPE2-SimpleSpread-v3"))
        >>> form.obs_dim, form.act_dim, form.action[1]
        (18, 5, '1 if the agent chose to move left (-x), else 0')
    """
    team = _team(env)
    observation: list[str] = []
    for _, size, meaning in team.observation_blocks:
        observation += [f"{meaning}, value {j + 1} of {size}" for j in range(size)]
    return TaskForm(
        task=task or team.task,
        observation=tuple(observation),
        action=tuple(f"1 if the agent chose to {move}, else 0" for move in team.action_meanings),
        action_range=(0.0, 1.0),
        notes=(SAME_FUNCTION_NOTE, "`action` is one-hot: exactly one column is 1."),
        blocks=tuple(team.observation_blocks),
    )


def agent_transitions(
    env_id: str, env_kwargs: dict[str, Any] | None = None, count: int = 256, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Real per-agent (observation, one-hot action) rows from random team rollouts: the
    team's rows of :func:`~langreward.lare.encoder.sample_transitions`, one per agent."""
    team_obs, team_actions = sample_transitions(env_id, env_kwargs, count=count, seed=seed)
    agents = team_actions.shape[1]
    probe = gym.make(env_id, **(env_kwargs or {}))
    n_actions = int(cast(gym.spaces.MultiDiscrete, probe.action_space).nvec[0])  # a team env
    probe.close()
    obs = team_obs.reshape(len(team_obs) * agents, -1)[:count]
    return obs, one_hot(team_actions.reshape(-1)[:count], n_actions)


def reference_team_encoder(env_id: str) -> str:
    """The hand-written encoder of a team task (``MPE2-SimpleSpread-v3`` -> spread's)."""
    name = env_id.split(":")[-1].rsplit("-v", 1)[0]
    if name not in REFERENCE_ENCODERS:
        raise FormError(
            f"no hand-written encoder for {env_id!r} (available: "
            f"{', '.join(REFERENCE_ENCODERS)}); use lare_marl.encoder.source: llm or file"
        )
    return REFERENCE_ENCODERS[name]


def load_team_encoder(settings: LaReMARLSettings, context: RunContext) -> Encoder:
    """The run's per-agent encoder (reused, from a file, the reference, or the LLM's)."""
    obs, actions = agent_transitions(context.env_id, context.env_kwargs, seed=context.seed)
    return obtain_encoder(
        settings.encoder,
        context,
        obs,
        actions,
        form=lambda: read_env(context, lambda env: agent_form(env, settings.task)),
        reference=lambda: reference_team_encoder(context.env_id),
        section="lare_marl",
    )

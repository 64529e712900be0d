"""LMGT: LLM-guided reward shifting for any Stable-Baselines3 algorithm (Deng et al., 2024).

A judge scores each (state, action) with -1, 0 or +1 and the reward becomes
``env reward + scale * shift``. Judges: :class:`LLMJudge` (an LLM on described pairs,
remembered per discretised key, packed into few prompts; its options are
:class:`LLMJudgeSettings`), :class:`ReferenceJudge` (a hand-written reference policy: the
oracle, see :func:`reference_for`) and :class:`NoisyReferenceJudge` (an oracle right with
probability ``p``). :class:`RewardShiftWrapper` (one env) and :class:`VecRewardShift` (all
sub-envs judged in one call) plug them into SB3 unchanged. The rest (keys, prompts, queueing,
reference policies) lives in the submodules.

Example:
    >>> from stable_baselines3 import PPO
    >>> from stable_baselines3.common.env_util import make_vec_env
    >>> from langreward.lmgt import ReferenceJudge, VecRewardShift
    >>> from langreward.lmgt.reference import CartPoleReference
    >>> env = VecRewardShift(make_vec_env("CartPole-v1", n_envs=4),
    ...                      ReferenceJudge(CartPoleReference()), scale=0.2)
    >>> model = PPO("MlpPolicy", env, n_steps=32).learn(128)
"""

from langreward.lmgt.callbacks import LMGTLogCallback
from langreward.lmgt.config import LLMJudgeSettings, LMGTSettings
from langreward.lmgt.llm_judge import LLMJudge
from langreward.lmgt.plugin import METHOD
from langreward.lmgt.reference import reference_for
from langreward.lmgt.reference_judge import NoisyReferenceJudge, ReferenceJudge
from langreward.lmgt.schedules import Budget, ScaleSchedule
from langreward.lmgt.wrappers import RewardShiftWrapper, VecRewardShift

__all__ = [
    "METHOD",
    "Budget",
    "LLMJudge",
    "LLMJudgeSettings",
    "LMGTLogCallback",
    "LMGTSettings",
    "NoisyReferenceJudge",
    "ReferenceJudge",
    "RewardShiftWrapper",
    "ScaleSchedule",
    "VecRewardShift",
    "reference_for",
]

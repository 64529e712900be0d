"""LMGT: LLM-guided reward shifting for any Stable-Baselines3 algorithm (Deng et al., 2024).

A judge scores each (state, action) with -1, 0 or +1 and the reward becomes
``env reward + scale * shift``. Judges: :class:`LLMJudge` (an LLM on described pairs,
remembered per discretised key, packed into few prompts), :class:`ReferenceJudge` (a
hand-written reference policy: the oracle) and :class:`NoisyReferenceJudge` (an oracle right
with probability ``p``). :class:`RewardShiftWrapper` (one env) and :class:`VecRewardShift`
(all sub-envs judged in one call) plug them into SB3 unchanged.

Example:
    >>> from stable_baselines3 import PPO
    >>> from stable_baselines3.common.env_util import make_vec_env
    >>> from langreward.lmgt import CartPoleReference, ReferenceJudge, VecRewardShift
    >>> env = VecRewardShift(make_vec_env("CartPole-v1", n_envs=4),
    ...                      ReferenceJudge(CartPoleReference()), scale=0.2)
    >>> model = PPO("MlpPolicy", env, n_steps=32).learn(128)
"""

from langreward.lmgt.callbacks import LMGTLogCallback
from langreward.lmgt.config import (
    BudgetSettings,
    DescriberSettings,
    KeySettings,
    LMGTConfigError,
    LMGTSettings,
)
from langreward.lmgt.context import JudgeContextWrapper
from langreward.lmgt.examples import reference_examples
from langreward.lmgt.judge import BaseJudge, Judge, JudgeStats, exact_key
from langreward.lmgt.keys import PairKey, StateActionKey, TextKey, default_key, key_for_spaces
from langreward.lmgt.llm_judge import LLMJudge
from langreward.lmgt.plugin import METHOD
from langreward.lmgt.prompts import LABELS, SHIFT_OF, STRATEGIES
from langreward.lmgt.reference import (
    BabyAIBotReference,
    BlackjackReference,
    CartPoleReference,
    ContinuousReference,
    MountainCarContinuousReference,
    MountainCarReference,
    PendulumReference,
    ReferencePolicy,
    reference_for,
)
from langreward.lmgt.reference_judge import NoisyReferenceJudge, ReferenceJudge
from langreward.lmgt.schedules import Budget, ScaleSchedule
from langreward.lmgt.shifter import RewardShifter, ShiftStats
from langreward.lmgt.wrappers import RewardShiftWrapper, VecRewardShift

__all__ = [
    "METHOD",
    "LABELS",
    "SHIFT_OF",
    "STRATEGIES",
    "BabyAIBotReference",
    "BaseJudge",
    "BlackjackReference",
    "Budget",
    "BudgetSettings",
    "CartPoleReference",
    "ContinuousReference",
    "DescriberSettings",
    "Judge",
    "JudgeContextWrapper",
    "JudgeStats",
    "KeySettings",
    "LLMJudge",
    "LMGTConfigError",
    "LMGTLogCallback",
    "LMGTSettings",
    "MountainCarContinuousReference",
    "MountainCarReference",
    "NoisyReferenceJudge",
    "PairKey",
    "PendulumReference",
    "ReferenceJudge",
    "ReferencePolicy",
    "RewardShiftWrapper",
    "RewardShifter",
    "ScaleSchedule",
    "ShiftStats",
    "StateActionKey",
    "TextKey",
    "VecRewardShift",
    "default_key",
    "exact_key",
    "key_for_spaces",
    "reference_examples",
    "reference_for",
]

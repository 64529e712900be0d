"""LGR2: language-guided, stationary high-level rewards for a two-level SAC agent.

An LLM turns an instruction into the parameters of a high-level reward
``r_phi(state, final_goal, subgoal)`` (:mod:`langreward.lgr2.translate`, compiled by
:mod:`langreward.lgr2.reward`); a two-level agent built from SB3 SAC learners
(:mod:`langreward.lgr2.agent`) proposes a subgoal every ``k`` steps and relabels both levels
with hindsight (:mod:`langreward.lgr2.buffer`). See ``docs/lgr2.md``.
"""

from langreward.lgr2.agent import TwoLevelSAC
from langreward.lgr2.buffer import HindsightBuffer
from langreward.lgr2.config import LGR2Settings
from langreward.lgr2.plugin import METHOD
from langreward.lgr2.reward import RewardSpec
from langreward.lgr2.translate import translate

__all__ = ["METHOD", "HindsightBuffer", "LGR2Settings", "RewardSpec", "TwoLevelSAC", "translate"]

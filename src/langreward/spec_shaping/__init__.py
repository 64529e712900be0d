"""Spec shaping: the LLM fills a reward spec over an env's named features, a short trial picks
among candidate specs by the env's own return, and the chosen spec shapes the reward as a
potential (Ng et al. 1999), so a wrong spec costs speed, not the task.

See docs/spec_shaping.md.
"""

from langreward.spec_shaping.config import SpecShapingSettings, TrialSettings
from langreward.spec_shaping.features import EnvFeatures, env_features
from langreward.spec_shaping.plugin import METHOD
from langreward.spec_shaping.shaping import PotentialShaping, VecPotentialShaping
from langreward.spec_shaping.spec import ShapingSpec, SpecError, SpecTerm

__all__ = [
    "METHOD",
    "EnvFeatures",
    "PotentialShaping",
    "ShapingSpec",
    "SpecError",
    "SpecShapingSettings",
    "SpecTerm",
    "TrialSettings",
    "VecPotentialShaping",
    "env_features",
]

"""TEDUO (Pouplin et al., ICML 2025): offline language-conditioned policies from unlabelled data.

The method ``teduo`` is an offline pipeline (:mod:`~langreward.teduo.pipeline`, registered by
:mod:`~langreward.teduo.plugin`): goals and layouts, the unlabelled BabyAI dataset (Minari),
step 1 (the LLM's abstraction per goal and labels of sample states, a proxy classifier),
step 2 (tabular Q-learning per goal), step 3 (LoRA fine-tuning of a small LLM on the step-2
plans) and an evaluation on training/unseen layouts and goals. See ``docs/teduo.md``.
This package exports the data side used on its own: levels with fixed layouts
(:mod:`~langreward.teduo.levels`), goals and phrasings (:mod:`~langreward.teduo.goals`), the
state as arrays and text (:mod:`~langreward.teduo.state`) and the dataset
(:mod:`~langreward.teduo.collect`).
"""

from langreward.teduo.collect import CollectStats, collect_dataset, load_dataset
from langreward.teduo.config import TEDUOSettings
from langreward.teduo.goals import Goal, goals_in_layout, phrase, split_goals
from langreward.teduo.levels import LEVELS, LevelSpec, make_level, reset_layout
from langreward.teduo.plugin import METHOD
from langreward.teduo.state import encode_state, observation_space, state_text

__all__ = [
    "LEVELS",
    "METHOD",
    "CollectStats",
    "Goal",
    "LevelSpec",
    "TEDUOSettings",
    "collect_dataset",
    "encode_state",
    "goals_in_layout",
    "load_dataset",
    "make_level",
    "observation_space",
    "phrase",
    "reset_layout",
    "split_goals",
    "state_text",
]

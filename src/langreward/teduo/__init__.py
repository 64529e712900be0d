"""TEDUO (Pouplin et al., ICML 2025): offline language-conditioned policies from unlabelled data.

Built so far: the data side. CPU-sized BabyAI levels with fixed training and unseen test
layouts (:mod:`~langreward.teduo.levels`), goals in plain words with training and unseen
test phrasings (:mod:`~langreward.teduo.goals`), the full state as arrays and as text
(:mod:`~langreward.teduo.state`), and the unlabelled dataset collected by the BabyAI bot
pursuing hidden goals, stored as a Minari dataset on local disk
(:mod:`~langreward.teduo.collect`). The LLM stages (abstraction and labels), offline
Q-learning and distillation come next; the method is not registered until they exist.
"""

from langreward.teduo.collect import CollectStats, collect_dataset, load_dataset
from langreward.teduo.goals import Goal, goals_in_layout, phrase, split_goals
from langreward.teduo.levels import LEVELS, LevelSpec, make_level, reset_layout
from langreward.teduo.state import encode_state, observation_space, state_text

__all__ = [
    "LEVELS",
    "CollectStats",
    "Goal",
    "LevelSpec",
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

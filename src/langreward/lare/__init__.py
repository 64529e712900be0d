"""LaRe (Qu et al., AAAI 2025): LLM-written latent reward factors for episodic RL.

The LLM writes ``evaluation_func(obs, action)`` from the env's form (what each observation and
action dimension means); a decoder learns per-step rewards from the factors by return
decomposition; SAC/TD3 learn from the relabelled rewards. ``lare_marl``
(:mod:`langreward.lare.marl`) does the same for cooperative teams. See ``docs/lare.md``.

Example:
    >>> from langreward.lare import METHOD, LaReSettings, form_for
    >>> METHOD.name, METHOD.settings is LaReSettings
    ('lare', True)
    >>> form_for("Pendulum-v1").action
    ('torque applied to the pendulum',)
"""

from langreward.lare.config import EncoderSettings, LaReSettings
from langreward.lare.encoder import compile_encoder, generate_encoder, sample_transitions
from langreward.lare.forms import TaskForm, form_for
from langreward.lare.plugin import METHOD

__all__ = [
    "METHOD",
    "EncoderSettings",
    "LaReSettings",
    "TaskForm",
    "compile_encoder",
    "form_for",
    "generate_encoder",
    "sample_transitions",
]

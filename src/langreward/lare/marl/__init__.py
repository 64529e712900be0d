"""LaRe for cooperative multi-agent tasks (method ``lare_marl``).

The team is paid one return at the end of each episode. The LLM-written encoder is applied to
every agent's own observation and action; a decoder shared across agents maps each agent's
factors at each step to a reward, trained so that the sum over agents and steps matches the
team return (credit assignment across agents as well as time). PPO with one policy shared by
all agents (IPPO) learns from those rewards. See ``docs/lare.md``.
"""

from langreward.lare.marl.config import LaReMARLSettings, TeamDecoderSettings
from langreward.lare.marl.decoder import TeamDecoder
from langreward.lare.marl.plugin import METHOD
from langreward.lare.marl.relabel import TeamRelabelCallback

__all__ = [
    "METHOD",
    "LaReMARLSettings",
    "TeamDecoder",
    "TeamDecoderSettings",
    "TeamRelabelCallback",
]

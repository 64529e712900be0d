"""Instruction -> reward parameters, in two LLM stages as in "Language to Rewards".

1. **Motion descriptor**: the LLM fills a template whose ``{CHOICE: [...]}`` and
   ``[NUM: default]`` slots describe how the agent and its subgoals should move; a reply that
   still holds a slot is asked again (a bounded number of times). A model that keeps echoing
   the template (the embedded 1.5B model does) then fills it slot by slot: each choice by
   :meth:`LLM.choose` (calibrated, free of letter-position bias), each number at its default.
2. **Reward coder**: the LLM turns the description into a JSON :class:`RewardSpec` (terms over
   ``state``, ``subgoal`` and ``final_goal``), decoded under the schema where the backend can;
   an invalid answer is shown back to the model with the validation error
   (``repair_rounds``), then refused with one clear error.

The result is saved with the run (``reward.json``) and reused without any LLM.

Example (a scripted LLM, tests only):
    >>> from langreward.llm import make_llm
    >>> replies = iter([FILLED_EXAMPLE, HAND_JSON_EXAMPLE])
    >>> llm = make_llm("scripted", responses=lambda messages: next(replies))
    >>> result = translate(llm, "Go to the red target.")
    >>> result.spec.terms[0].kind, result.descriptor_attempts, result.coder_repairs
    ('distance', 1, 0)
"""

from __future__ import annotations

from dataclasses import dataclass

from langreward.lgr2.reward import ENTITY_WORDS, RewardSpec
from langreward.llm import LLM, LLMError
from langreward.llm.fit import FIT_THRESHOLD, instruction_fit
from langreward.llm.templates import SLOT, fill_template
from langreward.plugin import MethodError

DESCRIPTOR_TEMPLATE = """[start of description]
* The agent should {CHOICE: [reach, stay away from]} the final goal.
* Each subgoal should be placed {CHOICE: [on the final goal, between the agent and the final goal, next to the agent]}.
* A subgoal should be at most [NUM: 1.0] units away from where the agent is.
* The agent has reached the final goal when it is within [NUM: 0.45] units of it.
[end of description]"""

FILLED_EXAMPLE = """[start of description]
* The agent should reach the final goal.
* Each subgoal should be placed between the agent and the final goal.
* A subgoal should be at most 1.0 units away from where the agent is.
* The agent has reached the final goal when it is within 0.45 units of it.
[end of description]"""

HAND_JSON_EXAMPLE = (
    '{"terms": [{"kind": "distance", "a": "subgoal", "b": "final_goal", "weight": -1.0}, '
    '{"kind": "within", "a": "state", "b": "final_goal", "weight": 5.0, "threshold": 0.45}], '
    '"bias": 0.0}'
)


class RewardTranslationError(MethodError):
    """The LLM gave no usable description or reward parameters; the message says what to do."""


@dataclass
class Translation:
    """The reward parameters and how they were obtained."""

    spec: RewardSpec
    description: str
    descriptor_attempts: int = 1
    descriptor_mode: str = "free text"  # or "slot by slot"
    coder_repairs: int = 0


def descriptor_messages(instruction: str) -> list[dict[str, str]]:
    return [
        {
            "role": "system",
            "content": "You describe how an agent should move to follow an instruction, by "
            "filling in a template.",
        },
        {
            "role": "user",
            "content": f"""Instruction: {instruction}

The agent is controlled at two levels: a high level proposes a subgoal (a position) every few
steps, and a low level moves the agent toward the subgoal. Fill in this template for the
instruction. Replace every {{CHOICE: [...]}} with one of its options and every [NUM: default]
with a number. Use as few words as possible and keep the other lines exactly as they are.

{DESCRIPTOR_TEMPLATE}

Reply with the filled template only, from [start of description] to [end of description].""",
        },
    ]


def coder_messages(description: str) -> list[dict[str, str]]:
    entities = "\n".join(f"- {name}: {words}" for name, words in ENTITY_WORDS.items())
    return [
        {
            "role": "system",
            "content": "You write reward parameters for a reinforcement learning agent as JSON.",
        },
        {
            "role": "user",
            "content": f"""A high-level policy proposes subgoals. Its reward is a sum of terms over
three positions:
{entities}

Each term is one of:
- {{"kind": "distance", "a": A, "b": B, "weight": W}}: W times the distance between A and B
  (a negative W rewards being close).
- {{"kind": "within", "a": A, "b": B, "weight": W, "threshold": T}}: W when A and B are at most
  T apart, else 0.
A and B are two different names among state, subgoal, final_goal. Use 1 to 6 terms; at least
one must mention final_goal. "bias" is a constant added at every step.

Example for a different description:
{HAND_JSON_EXAMPLE}

Write the reward for this description:
{description}

Reply with JSON only: {{"terms": [...], "bias": number}}.""",
        },
    ]


def _cut_description(text: str) -> str:
    start, end = text.find("[start of description]"), text.find("[end of description]")
    if start >= 0 and end > start:
        return text[start : end + len("[end of description]")]
    return text.strip()


#: The env in words for the question whether an instruction fits (:func:`check_instruction`).
MAZE_TASK = "An agent moves through a 2-D maze with walls; each episode gives it a goal position."
MAZE_OBSERVES = ("the agent's position (x, y) and velocity", "the goal position (x, y)")


def check_instruction(llm: LLM, instruction: str) -> float:
    """The model's probability that ``instruction`` fits a maze
    (:func:`langreward.llm.fit.instruction_fit`); refused below 0.5, before any reward is
    written.

    Raises:
        RewardTranslationError: one line with the probability and the way out.
    """
    try:
        fit = instruction_fit(llm, MAZE_TASK, MAZE_OBSERVES, instruction)
    except LLMError as exc:
        raise RewardTranslationError(f"no usable answer from the LLM: {exc}") from exc
    if fit < FIT_THRESHOLD:
        raise RewardTranslationError(
            f"the LLM ({llm.spec}) finds that the instruction {instruction!r} does not fit a "
            f"maze (P(yes) = {fit:.2f} < {FIT_THRESHOLD}): say where the agent should go or "
            "what it should keep away from, or skip this check "
            "(lgr2.reward.check_instruction: false)"
        )
    return fit


def fill_slots(llm: LLM, instruction: str, template: str = DESCRIPTOR_TEMPLATE) -> str:
    """The template filled one slot at a time (:func:`langreward.llm.templates.fill_template`):
    each ``{CHOICE: [...]}`` by ``llm.choose``, each ``[NUM: default]`` at its default.

    Raises:
        RewardTranslationError: the LLM named none of a slot's options.
    """

    def question(line: str) -> str:
        return (
            f"Instruction: {instruction}\n\nThe agent is controlled at two levels: a high "
            "level proposes a subgoal (a position) every few steps, a low level moves the "
            "agent toward it. Which words complete this line of a description of how the "
            f"agent should move?\n{line}"
        )

    try:
        return fill_template(llm, template, question).text
    except LLMError as exc:
        raise RewardTranslationError(f"no usable choice for a template line: {exc}") from exc


def describe_motion(llm: LLM, instruction: str, attempts: int = 3) -> tuple[str, int, str]:
    """Stage 1: the filled template, how many free-text replies were asked, and the mode
    (``"free text"``, or ``"slot by slot"`` after ``attempts`` replies that kept a slot)."""
    messages = descriptor_messages(instruction)
    for attempt in range(1, attempts + 1):
        temperature = 0.0 if attempt == 1 else 0.3
        text = llm.chat(messages, temperature=temperature, seed=attempt, max_tokens=200).text
        reply = _cut_description(text)
        if not SLOT.search(reply):
            return reply, attempt, "free text"
    return fill_slots(llm, instruction), attempts, "slot by slot"


def translate(
    llm: LLM, instruction: str, *, repair_rounds: int = 2, descriptor_attempts: int = 3
) -> Translation:
    """Both stages: instruction -> description -> validated :class:`RewardSpec`.

    Raises:
        RewardTranslationError: no usable choice for a slot, or no valid reward after the
            repairs.
    """
    description, attempts, mode = describe_motion(llm, instruction, descriptor_attempts)
    repairs_before = llm.stats.repairs
    try:
        spec = llm.json(
            coder_messages(description),
            RewardSpec,
            max_tokens=400,
            repair_rounds=repair_rounds,
        )
    except LLMError as exc:
        raise RewardTranslationError(
            f"the LLM's reward parameters failed validation after {repair_rounds} repair(s): "
            f"{exc}; try a larger LLM or give the reward yourself (lgr2.reward.source: hand "
            "or file)"
        ) from exc
    return Translation(
        spec=spec,
        description=description,
        descriptor_attempts=attempts,
        descriptor_mode=mode,
        coder_repairs=llm.stats.repairs - repairs_before,
    )

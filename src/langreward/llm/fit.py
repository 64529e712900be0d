"""Does an instruction fit the env? One yes/no question, read as the model's order-averaged
probability of "yes" (:meth:`~langreward.llm.LLM.choose`), asked before a method turns the
instruction into a reward, so a sentence with no task in it is refused in one line within
seconds instead of filled with a template's defaults.

Spec shaping and LGR2 ask it with their own words for the env. Measured with the embedded 1.5B
model (spec shaping, MountainCar): "reach the flag" 0.60, "drive up the right hill..." 0.56;
"bake a chocolate cake" 0.38.

Example (a scripted LLM that always answers the first option it is shown, tests only):
    >>> from langreward.llm import make_llm
    >>> llm = make_llm("scripted", responses=lambda messages: "A")
    >>> round(instruction_fit(llm, "A car in a valley.", ["position", "velocity"], "Go up."), 2)
    0.5
"""

from __future__ import annotations

from collections.abc import Sequence

from langreward.llm.client import LLM

#: Below this probability of "yes" an instruction is refused.
FIT_THRESHOLD = 0.5


def fit_question(task: str, observes: Sequence[str], instruction: str) -> str:
    """The yes/no question: the env in words, what the agent observes, the instruction."""
    listing = "\n".join(f"- {name}" for name in observes)
    return (
        f"Environment: {task}\n\nThe agent observes:\n{listing}\n\nInstruction: "
        f"{instruction}\n\nCan an agent in this environment follow the instruction by how it "
        "moves?"
    )


def instruction_fit(llm: LLM, task: str, observes: Sequence[str], instruction: str) -> float:
    """The model's order-debiased probability that an agent in the env can follow
    ``instruction`` by how it moves.

    Raises:
        LLMError: the model named neither answer.
    """
    return llm.choose(fit_question(task, observes, instruction), ["yes", "no"]).probs["yes"]

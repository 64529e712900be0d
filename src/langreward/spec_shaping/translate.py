"""Instruction + named features -> ranked candidate specs.

``slots`` (the default, built for small models): a template with one ``{CHOICE: [...]}`` slot
per feature ("should increase / should decrease / its size should grow / does not matter") and
one for what ends an episode early, filled slot by slot with the order-debiased
:meth:`~langreward.llm.LLM.choose` (:mod:`langreward.llm.templates`). The ``k`` likeliest
fillings are the candidates, likeliest first. ``json``: the model writes the whole spec under a
JSON schema (grammar-constrained on the embedded model), validated and repaired with the error
fed back; further candidates are sampled at temperature 0.7. :func:`random_candidates` draws
fillings uniformly from the same grammar: the control that tells whether the model's
knowledge or the selection did the work.

Example (a scripted LLM, tests only):
    >>> from langreward.llm import make_llm
    >>> from langreward.spec_shaping.features import EnvFeatures
    >>> features = EnvFeatures("Reach the flag.", ["position", "velocity"], [None, None])
    >>> llm = make_llm("scripted", responses=lambda messages: "A")
    >>> result = slot_candidates(llm, features, "Reach the flag.", count=2)
    >>> [c.spec.describe() for c in result.candidates][:1]
    ['position should increase (weight 1) ; velocity should increase (weight 1) ; the episode ends early on success']
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langreward.llm import LLM, LLMError
from langreward.llm.fit import FIT_THRESHOLD, instruction_fit
from langreward.llm.templates import SlotChoice, fill_template, ranked_fillings
from langreward.plugin import MethodError
from langreward.spec_shaping.features import EnvFeatures
from langreward.spec_shaping.spec import MAX_TERMS, ShapingSpec, SpecTerm

#: The words of each feature slot's options, and the term kind each one means (None: no term).
FEATURE_OPTIONS: tuple[tuple[str, str | None], ...] = (
    ("should increase", "increase"),
    ("should decrease", "decrease"),
    ("should grow in size (either sign)", "magnitude"),
    ("does not matter", None),
)
#: What ends an episode early, and the spec's ``termination`` each option means.
END_OPTIONS: tuple[tuple[str, str], ...] = (
    ("the task is done", "success"),
    ("the agent fails", "failure"),
)
END_LINE = "* The episode ends before its time limit when {CHOICE: [%s]}."


class SpecTranslationError(MethodError):
    """The LLM gave no usable spec; the message says what to do."""


@dataclass
class Candidate:
    """One candidate spec, its prior probability (the model's, or uniform) and where it came
    from."""

    spec: ShapingSpec
    prior: float
    origin: str  # "llm slots", "llm json", "random", "hand", "file"


@dataclass
class Translation:
    """The candidates (likeliest first) and how they were obtained."""

    candidates: list[Candidate]
    description: str = ""
    slots: list[dict[str, Any]] = field(default_factory=list)
    repairs: int = 0


def spec_template(features: EnvFeatures) -> str:
    """The template the model fills: one slot for the episode's end, one per feature."""
    feature_choice = ", ".join(words for words, _ in FEATURE_OPTIONS)
    end_choice = ", ".join(words for words, _ in END_OPTIONS)
    lines = ["[start of description]", END_LINE % end_choice]
    lines += [f"* {name} {{CHOICE: [{feature_choice}]}}." for name in features.names]
    return "\n".join([*lines, "[end of description]"])


def slot_question(features: EnvFeatures, instruction: str) -> Callable[[str], str]:
    """The question asked for one template line (the task, the features, the line)."""
    listing = "\n".join(f"- {name}" for name in features.names)

    def question(line: str) -> str:
        ending = ""
        if "ends before its time limit" in line and features.episode_end:
            ending = f"What ends an episode: {features.episode_end}\n\n"
        return (
            f"Task: {features.task}\nInstruction: {instruction}\n\nThe agent observes:\n"
            f"{listing}\n\n{ending}While the agent learns to follow the instruction, which "
            f"words complete this line of a description of a good episode?\n{line.strip()}"
        )

    return question


def spec_from_choices(
    features: EnvFeatures, end: int, per_feature: Sequence[int]
) -> ShapingSpec | None:
    """The spec a filling means (``None`` when every feature 'does not matter', or more than
    :data:`MAX_TERMS` matter)."""
    terms = [
        SpecTerm(feature=name, kind=FEATURE_OPTIONS[option][1])
        for name, option in zip(features.names, per_feature, strict=True)
        if FEATURE_OPTIONS[option][1] is not None
    ]
    if not terms or len(terms) > MAX_TERMS:
        return None
    return ShapingSpec(terms=terms, termination=END_OPTIONS[end][1])


def instruction_fits(llm: LLM, features: EnvFeatures, instruction: str) -> float:
    """The model's order-debiased probability that an agent in this env can follow
    ``instruction`` by how it moves (:func:`langreward.llm.fit.instruction_fit`; the embedded
    1.5B model, MountainCar: "reach the flag" 0.60, "drive up the right hill..." 0.56; "bake a
    chocolate cake" 0.38, "write a poem" 0.50)."""
    try:
        return instruction_fit(llm, features.task, features.names, instruction)
    except LLMError as exc:
        raise SpecTranslationError(f"no usable answer from the LLM: {exc}") from exc


def check_instruction(llm: LLM, features: EnvFeatures, instruction: str) -> None:
    """Refuse an instruction the model says does not fit the env (P(yes) < 0.5).

    Raises:
        SpecTranslationError: one line with the probability and the way out.
    """
    fits = instruction_fits(llm, features, instruction)
    if fits < FIT_THRESHOLD:
        raise SpecTranslationError(
            f"the LLM ({llm.spec}) finds that the instruction {instruction!r} does not fit "
            f"this env (P(yes) = {fits:.2f} < {FIT_THRESHOLD}): say what the agent should do in terms of "
            f"its features ({', '.join(features.names)}), or skip this check "
            "(spec_shaping.check_instruction: false)"
        )


def slot_candidates(llm: LLM, features: EnvFeatures, instruction: str, count: int) -> Translation:
    """The ``count`` likeliest specs of the slot-by-slot filling.

    Raises:
        SpecTranslationError: a slot got no usable answer, or the likeliest filling says no
            feature matters (the instruction does not speak of this env's features).
    """
    question = slot_question(features, instruction)
    try:
        filled = fill_template(llm, spec_template(features), question)
    except LLMError as exc:
        raise SpecTranslationError(f"no usable choice from the LLM: {exc}") from exc
    candidates = []
    for filling in ranked_fillings(filled.slots, count * 4):
        end, *per_feature = filling.option_indices
        spec = spec_from_choices(features, end, per_feature)
        if spec is not None:
            candidates.append(Candidate(spec, filling.probability, "llm slots"))
        if len(candidates) == count:
            break
    best_end, *best_features = (slot.best for slot in filled.slots)
    if spec_from_choices(features, best_end, best_features) is None:
        raise SpecTranslationError(
            f"the LLM ({llm.spec}) says no observed feature matters for the instruction "
            f"{instruction!r}; reword spec_shaping.instruction in terms of the features "
            f"({', '.join(features.names)}), or give the spec yourself (source: hand)"
        )
    return Translation(
        candidates=candidates,
        description=filled.text,
        slots=[_slot_record(slot) for slot in filled.slots],
    )


def _slot_record(slot: SlotChoice) -> dict[str, Any]:
    return {
        "line": slot.line.strip(),
        "probs": {o: round(p, 4) for o, p in zip(slot.options, slot.probs, strict=True)},
    }


def random_candidates(features: EnvFeatures, count: int, seed: int) -> list[Candidate]:
    """``count`` different fillings drawn uniformly from the slot grammar (no LLM)."""
    rng = random.Random(seed)
    seen: set[tuple[int, ...]] = set()
    candidates: list[Candidate] = []
    total = len(END_OPTIONS) * len(FEATURE_OPTIONS) ** len(features.names)
    while len(candidates) < count and len(seen) < total:
        end = rng.randrange(len(END_OPTIONS))
        per_feature = [rng.randrange(len(FEATURE_OPTIONS)) for _ in features.names]
        key = (end, *per_feature)
        if key in seen:
            continue
        seen.add(key)
        spec = spec_from_choices(features, end, per_feature)
        if spec is not None:
            candidates.append(Candidate(spec, 1.0 / total, "random"))
    return candidates


def json_schema(features: EnvFeatures) -> dict[str, Any]:
    """The spec's JSON schema with the feature names as an enum (what the grammar enforces)."""
    schema = ShapingSpec.model_json_schema()
    term = schema["$defs"]["SpecTerm"]
    term["properties"]["feature"] = {"type": "string", "enum": list(features.names)}
    schema["properties"].pop("ranges", None)
    return schema


def json_messages(features: EnvFeatures, instruction: str) -> list[dict[str, str]]:
    listing = "\n".join(f"- {name}" for name in features.names)
    return [
        {"role": "system", "content": "You write reward specs for reinforcement learning as JSON."},
        {
            "role": "user",
            "content": f"""Task: {features.task}
Instruction: {instruction}

The agent observes these features:
{listing}

Write a reward spec: a list of terms, each about one feature, saying how it should behave in
a good episode. Kinds: "increase", "decrease", "magnitude" (its size should grow, either sign),
"toward" (near "target"), "inside" (between "lower" and "upper"). "weight" (0 to 10) says how
much a term counts. "termination" says what ends an episode before its time limit: "success"
or "failure". Use 1 to 4 terms, each naming a feature exactly as listed.

Reply with JSON only: {{"terms": [{{"feature": ..., "kind": ..., "weight": ...}}],
"termination": ...}}.""",
        },
    ]


def _json_spec(
    llm: LLM,
    messages: list[dict[str, str]],
    schema: dict[str, Any],
    repair_rounds: int,
    temperature: float,
    seed: int,
) -> ShapingSpec:
    """One spec under the schema; an answer the schema allows but the spec's own checks refuse
    (a 'toward' term with no target...) is shown back with the error, like a schema error."""
    for round_ in range(repair_rounds + 1):
        data = llm.json(
            messages,
            schema,
            max_tokens=400,
            repair_rounds=repair_rounds,
            temperature=temperature,
            seed=seed,
        )
        try:
            return ShapingSpec.model_validate(data)
        except ValueError as exc:
            if round_ == repair_rounds:
                raise LLMError(f"the spec's checks refused it: {exc}") from None
            llm.stats.repairs += 1
            messages = [
                *messages,
                {"role": "assistant", "content": json.dumps(data)},
                {"role": "user", "content": f"That spec is invalid: {exc}. Answer again."},
            ]
    raise AssertionError("unreachable")


def json_candidates(
    llm: LLM, features: EnvFeatures, instruction: str, count: int, repair_rounds: int = 2
) -> Translation:
    """Specs written whole as JSON: the first at temperature 0, the others sampled.

    Raises:
        SpecTranslationError: the first answer failed validation after the repairs.
    """
    schema = json_schema(features)
    messages = json_messages(features, instruction)
    repairs_before = llm.stats.repairs
    candidates: list[Candidate] = []
    seen: set[str] = set()
    for attempt in range(count * 2):
        if len(candidates) == count:
            break
        temperature = 0.0 if attempt == 0 else 0.7
        try:
            spec = _json_spec(llm, messages, schema, repair_rounds, temperature, attempt)
        except LLMError as exc:
            if attempt == 0:
                raise SpecTranslationError(
                    f"the LLM's spec failed validation after {repair_rounds} repair(s): {exc}; "
                    "try translator: slots, or give the spec yourself (source: hand)"
                ) from exc
            continue
        key = spec.model_dump_json()
        if spec.unknown_features(features.names) or key in seen:
            continue
        seen.add(key)
        candidates.append(Candidate(spec, 1.0 / (attempt + 1), "llm json"))
    return Translation(candidates=candidates, repairs=llm.stats.repairs - repairs_before)

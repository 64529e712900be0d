"""Read what a Gymnasium env's own documentation says: the task, each observation component,
each action and the reward.

Gymnasium envs document themselves in the env class's docstring: ``## Description``,
``## Action Space`` and ``## Observation Space`` (tables with ``Num | Observation | Min | Max |
... | Type (Unit)``, or lists such as ``- 0: Accelerate to the left``, and MuJoCo's "parts"
lists such as ``- *cinert (130 elements):* ...``) and ``## Rewards``. :func:`read_env_docs`
turns that into names, units, ranges and blocks of repeated values, checked against the env's
real spaces, so that prompts speak of "angular velocity of the first joint" rather than
``x[4]``. What it could not derive is listed in :attr:`EnvDocs.problems`.

Example:
    >>> import gymnasium as gym
    >>> docs = read_env_docs(gym.make("Acrobot-v1"))
    >>> docs.observation[4].name, docs.observation[4].high
    ('Angular velocity of theta1', 12.567)
    >>> docs.actions[0].name
    'apply -1 torque to the actuated joint'
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

_HEADING = re.compile(r"^\s*#{1,4}\s*(.+?)\s*:?\s*$", re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*[-*]\s*`?(\d+)`?\s*[:.)-]\s*(.+)$", re.MULTILINE)
_PART = re.compile(
    r"^\s*-\s*\*?(\w+)\s*\((\d+)\s+elements?[^)]*\)\s*:?\*?\s*:?\s*(.*)$", re.MULTILINE
)


@dataclass(frozen=True)
class Component:
    """One documented observation component or action.

    Attributes:
        index: its position in the (flattened) vector, or the discrete action's number.
        name: what it is, as the docs say.
        low: documented lower bound (``None``: unbounded or not given).
        high: documented upper bound.
        unit: the unit, e.g. ``"rad/s"`` (``None`` when not given).
    """

    index: int
    name: str
    low: float | None = None
    high: float | None = None
    unit: str | None = None

    def label(self) -> str:
        """The name with its unit: ``"angle of the thigh joint (rad)"``."""
        return f"{self.name} ({self.unit})" if self.unit else self.name


@dataclass(frozen=True)
class Block:
    """A run of repeated values documented as one part (MuJoCo's ``cinert``, ``cvel``...).

    Attributes:
        name: the part's name (``"cinert"``).
        start: index of its first value.
        size: how many values.
        meaning: what the docs say about it.
    """

    name: str
    start: int
    size: int
    meaning: str

    @property
    def stop(self) -> int:
        return self.start + self.size


@dataclass
class EnvDocs:
    """What an env's docstring says, checked against its spaces.

    Attributes:
        env_id: the env's id (or class name).
        source: whose docstring was read (an undocumented version reads a documented one's).
        task: the description, as plain text.
        reward: the reward section, as plain text.
        episode_end: the section on what ends an episode (``## Episode End``), as plain text.
        observation: one component per observation index (empty when not derived).
        blocks: runs of repeated values, also covered by ``observation`` (one entry each).
        observation_text: the observation section's prose (for discrete or tuple spaces).
        actions: one component per discrete action or continuous action dimension.
        problems: what could not be derived, one line each.
    """

    env_id: str
    source: str = ""
    task: str = ""
    reward: str = ""
    episode_end: str = ""
    observation: list[Component] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    observation_text: str = ""
    actions: list[Component] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def documented(self) -> bool:
        """Whether the docs gave the task and names for every observation component and action."""
        return bool(self.task and self.observation and self.actions)

    def feature_names(self) -> list[str] | None:
        return [c.label() for c in self.observation] if self.observation else None

    def action_names(self) -> list[str] | None:
        return [c.label() for c in self.actions] if self.actions else None

    def task_text(self, max_chars: int = 800) -> str:
        """The task for a prompt: the description, then (for a state number) what the number
        encodes, then the reward; each part shortened to its share of ``max_chars``."""
        parts = [(self.task, "")]
        if self.observation_text and len(self.observation) == 1:
            parts.append((self.observation_text, "Observation: "))
        if self.reward:
            parts.append((self.reward, "Reward: "))
        share = max_chars // len(parts)
        return " ".join(f"{label}{_shorten(text, share)}" for text, label in parts if text)


def env_docstring(env: Any) -> str:
    """The docstring of the env's own (unwrapped) class, cleaned of indentation."""
    unwrapped = getattr(env, "unwrapped", env)
    return inspect.cleandoc(type(unwrapped).__doc__ or "")


def read_env_docs(env: Any) -> EnvDocs:
    """Derive task, observation components, actions and reward from the env's docstring.

    The counts are checked against ``env.observation_space`` and ``env.action_space``: a
    table that does not cover every component is dropped and said in ``problems``.
    """

    spec = getattr(env, "spec", None)
    env_id = spec.id if spec is not None else type(getattr(env, "unwrapped", env)).__name__
    docs = EnvDocs(env_id, source=env_id)
    sections = _sections(env_docstring(env))
    sibling = _documented_siblings(spec)[:1] if not sections and spec is not None else []
    for sibling_id, sibling_class in sibling:  # e.g. MuJoCo v4: its v5 sibling is documented
        sections = _sections(inspect.cleandoc(sibling_class.__doc__ or ""))
        docs.source = f"{sibling_id} (the documented version)"
    if not sections:
        docs.problems.append(f"{env_id} has no documentation sections in its class docstring")
        return docs
    docs.task = _task_sentences(_plain(_first_paragraphs(_section(sections, "description"), 3)))
    docs.reward = _plain(_first_paragraphs(_section(sections, "reward"), 2))
    docs.episode_end = _plain(_first_paragraphs(_section(sections, "episode end"), 2))
    if not docs.task:
        docs.problems.append("the docs have no '## Description' section")
    if not docs.reward:
        docs.problems.append("the docs have no '## Rewards' section")

    obs_text = _section(sections, "observation")
    docs.observation_text = _plain(_first_paragraphs(_without_tables(obs_text), 2))
    _read_observation(docs, obs_text, env.observation_space)
    _read_actions(docs, _section(sections, "action"), env.action_space)
    return docs


def _read_observation(docs: EnvDocs, text: str, space: Any) -> None:
    """Fill ``docs.observation`` (and ``blocks``) when the docs name every component."""
    from gymnasium import spaces

    size = component_count(space)
    if isinstance(space, spaces.Discrete):
        docs.observation = [Component(0, "state number")]  # what it encodes: observation_text
        return
    if size is None:
        docs.problems.append(f"observation space {type(space).__name__} is not read")
        return
    components = _table_components(text, ("observation", "state", "obs"))
    blocks = _parts_after(text, components, size)
    for block in blocks:
        components += [
            Component(i, f"{block.name}[{i - block.start}]") for i in range(block.start, block.stop)
        ]
    if not components and isinstance(space, spaces.Tuple):
        components = _listed_in_prose(docs.observation_text, size)
    if [c.index for c in components] == list(range(size)):
        docs.observation, docs.blocks = components, blocks
    elif components:
        docs.problems.append(
            f"the observation docs name {len(components)} components, but the observation "
            f"has {size}"
        )
    else:
        docs.problems.append(
            "the docs have no table of the observation's components "
            "(## Observation Space: | Num | Observation | Min | Max |)"
        )


def _read_actions(docs: EnvDocs, text: str, space: Any) -> None:
    """Fill ``docs.actions`` when the docs name every discrete action or action component."""
    from gymnasium import spaces

    if isinstance(space, spaces.Discrete):
        count, start = int(space.n), int(space.start)
        by_index = {c.index: c for c in _table_components(text, ("action",)) or _list_items(text)}
        if all(i in by_index for i in range(start, start + count)):
            docs.actions = [
                Component(i - start, by_index[i].name, unit=by_index[i].unit)
                for i in range(start, start + count)
            ]
        else:
            docs.problems.append(
                f"the action docs name {len(by_index)} of {count} actions "
                "(## Action Space: a line '- 0: what action 0 does' for each)"
            )
        return
    if not isinstance(space, spaces.Box):
        docs.problems.append(f"action space {type(space).__name__} is not read")
        return
    size = int(np.prod(space.shape))
    named = _table_components(text, ("action",))
    if not named and size == 1:  # "The action ... representing the force on the car."
        match = re.search(r"represent(?:s|ing)\s+([^.]+)", _plain(text))
        if match:
            low, high = float(space.low.min()), float(space.high.max())
            named = [Component(0, match.group(1).strip(), low, high)]
    if [c.index for c in named] == list(range(size)):
        docs.actions = named
    else:
        docs.problems.append(
            f"the action docs name {len(named)} of {size} action components "
            "(## Action Space: | Num | Action | Min | Max |)"
        )


# -- sections and text ------------------------------------------------------------------------
def _sections(doc: str) -> dict[str, str]:
    """``{lower-cased heading: body}`` for every markdown heading."""
    found = list(_HEADING.finditer(doc))
    return {
        match.group(1).strip().rstrip(":").lower(): doc[
            match.end() : found[k + 1].start() if k + 1 < len(found) else len(doc)
        ].strip("\n")
        for k, match in enumerate(found)
    }


def _section(sections: dict[str, str], word: str) -> str:
    """The first section whose heading starts with ``word`` (``reward`` finds "Rewards")."""
    for heading, body in sections.items():
        if heading.startswith(word):
            return body
    return ""


def _documented_siblings(spec: Any) -> list[tuple[str, type]]:
    """Other registered versions of the same env whose classes have docs, newest first."""
    import importlib

    import gymnasium as gym

    found = []
    for env_id, other in gym.registry.items():
        if other.name != spec.name or other.namespace != spec.namespace or env_id == spec.id:
            continue
        if not isinstance(other.entry_point, str):
            continue
        module, _, attr = other.entry_point.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except Exception:  # noqa: BLE001 - a sibling that cannot import is just skipped
            continue
        if _sections(inspect.cleandoc(cls.__doc__ or "")):
            found.append((other.version or 0, env_id, cls))
    return [(env_id, cls) for _, env_id, cls in sorted(found, reverse=True)]


_CITATION = re.compile(
    r'based on the (work|environment)|introduced by|described by|corresponds to the version|"[^"]{12,}"',
    re.IGNORECASE,
)


def _task_sentences(text: str) -> str:
    """The description without its citation sentences (who introduced the env, in which paper)."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept = [s for s in sentences if not _CITATION.search(s)]
    return " ".join(kept or sentences)


def _first_paragraphs(text: str, count: int) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    prose = [p for p in paragraphs if not p.startswith(("```", ":", "|", "<"))]
    return "\n\n".join(prose[:count])


def _without_tables(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("|"))


def _plain(text: str) -> str:
    """Markdown and HTML to one line of plain text."""
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links
    text = re.sub(r"<[^>]+>", "", text)  # html tags
    text = re.sub(r"\$([^$]+)\$", r"\1", text)  # inline math
    text = text.replace("\\times", "x").replace("\\", "")
    text = re.sub(r"[*`]+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return (match.group(1) if match else text).rstrip(".")


def _shorten(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars].rsplit(". ", 1)[0]
    return cut if cut.endswith(".") else cut + "."


# -- tables, lists and parts ------------------------------------------------------------------
def _rows(text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.lstrip().startswith("|")
    ]


def _table_components(text: str, name_words: tuple[str, ...]) -> list[Component]:
    """Components from every ``| Num | <name> | ...`` table row with a numeric Num.

    Only the first table with a ``Num`` column counts; rows such as ``excluded`` are skipped.
    """
    header: list[str] | None = None
    components: list[Component] = []
    for row in _rows(text):
        lowered = [cell.lower() for cell in row]
        if lowered and lowered[0] in ("num", "index", "#"):
            if header is not None and components:
                break  # a second table (body parts, joints): not components
            header = lowered
            continue
        if header is None or not row or set(row[0]) <= set("-: "):
            continue
        if not row[0].isdigit():
            continue
        cells = dict(zip(header, row, strict=False))
        name_key = next((h for h in header[1:] if h.startswith(name_words)), header[1])
        low_key = next((h for h in header if h.endswith("min")), None)
        high_key = next((h for h in header if h.endswith("max")), None)
        unit_key = next((h for h in header if "unit" in h), None)
        components.append(
            Component(
                int(row[0]),
                _plain(cells.get(name_key, "")),
                _number(cells.get(low_key, "")) if low_key else None,
                _number(cells.get(high_key, "")) if high_key else None,
                _unit(cells.get(unit_key, "")) if unit_key else None,
            )
        )
    return components


def _listed_in_prose(text: str, count: int) -> list[Component]:
    """ "... a 3-tuple containing: A, B, and C." -> A, B, C (only when there are ``count``)."""
    match = re.search(r"(?:containing|consists of)[^:]*:\s*([^.]+)", text)
    if match is None:
        return []
    names = [n.strip() for n in re.split(r",\s*(?:and\s+)?|\s+and\s+", match.group(1))]
    names = [n for n in names if n]
    return [Component(i, n) for i, n in enumerate(names)] if len(names) == count else []


def _list_items(text: str) -> list[Component]:
    """``- 0: Accelerate to the left`` lines."""
    return [Component(int(num), _plain(name)) for num, name in _LIST_ITEM.findall(text)]


def _parts_after(text: str, table: list[Component], obs_dim: int) -> list[Block]:
    """MuJoCo's parts (``- *cinert (130 elements):* ...``) that follow the table's components.

    The table documents the first parts (qpos, qvel); the parts whose sizes add up to what is
    left of the observation become blocks, in order, after the table.
    """
    parts = [(m.group(1), int(m.group(2)), _plain(m.group(3))) for m in _PART.finditer(text)]
    start = len(table)
    remaining = obs_dim - start
    for k in range(len(parts)):
        tail = parts[k:]
        if sum(size for _, size, _ in tail) == remaining and remaining > 0:
            blocks, at = [], start
            for name, size, meaning in tail:
                blocks.append(Block(name, at, size, _first_sentence(meaning).rstrip(",;:") or name))
                at += size
            return blocks
    return []


def _number(cell: str) -> float | None:
    """``-Inf`` -> None, ``~ -12.567 (-4 * pi)`` -> -12.567, ``0.418 rad (24°)`` -> 0.418."""
    match = re.search(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", cell.replace("~", ""))
    if match is None or "inf" in cell.lower():
        return None
    return float(match.group(0))


def _unit(cell: str) -> str | None:
    """``angular velocity (rad/s)`` -> ``rad/s``; ``unitless`` -> ``None``."""
    match = re.search(r"\(([^()]+)\)\s*$", cell)
    unit = match.group(1).strip() if match else cell.strip()
    return None if unit.lower() in ("", "unitless", "none", "-") else unit


def component_count(space: Any) -> int | None:
    """How many values an observation or action holds (a Discrete: 1; a Tuple: the sum)."""
    from gymnasium import spaces

    if isinstance(space, spaces.Box | spaces.MultiDiscrete | spaces.MultiBinary):
        return int(np.prod(space.shape))
    if isinstance(space, spaces.Discrete):
        return 1
    if isinstance(space, spaces.Tuple):
        sizes = [component_count(s) for s in space.spaces]
        # The cast only tells mypy what the any(...) check just established: no None left.
        return None if any(s is None for s in sizes) else sum(cast("list[int]", sizes))
    return None

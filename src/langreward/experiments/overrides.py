"""``--set key.sub=value`` overrides applied to a raw config mapping before validation."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from langreward.experiments.errors import ConfigError
from langreward.experiments.yamlio import parse_yaml


def parse_assignment(assignment: str) -> tuple[list[str], Any]:
    """Split ``"a.b=VALUE"`` into ``(["a", "b"], value)``; the value is parsed as YAML.

    Example:
        >>> parse_assignment("algo_kwargs.learning_rate=1e-3")
        (['algo_kwargs', 'learning_rate'], 0.001)
    """
    key, sep, raw = assignment.partition("=")
    parts = [p.strip() for p in key.strip().split(".")]
    if not sep or not all(parts):
        raise ConfigError(
            f"--set {assignment!r}: expected KEY.SUB=VALUE, e.g. --set algo_kwargs.learning_rate=1e-3"
        )
    value = parse_yaml(raw, f"--set {key.strip()}") if raw.strip() else ""
    return parts, value


def set_path(data: dict[str, Any], path: list[str], value: Any) -> None:
    """Set ``data[path[0]][path[1]]... = value``, creating missing sections."""
    node = data
    for i, part in enumerate(path[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            where = ".".join(path[: i + 1])
            raise ConfigError(
                f"{'.'.join(path)}: cannot set inside {where!r}, which is a "
                f"{type(child).__name__} ({child!r}), not a section"
            )
        node = child
    node[path[-1]] = value


def normalize_raw(data: Mapping[str, Any]) -> dict[str, Any]:
    """Copy a raw config mapping, expanding shorthands (``env: CartPole-v1`` → ``env: {id: ...}``)."""
    out = copy.deepcopy(dict(data))
    if isinstance(out.get("env"), str):
        out["env"] = {"id": out["env"]}
    return out


def apply_overrides(data: Mapping[str, Any], assignments: Iterable[str]) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``key.sub=value`` assignment applied in order.

    Example:
        >>> apply_overrides({"eval": {"episodes": 5}}, ["eval.episodes=10", "n_envs=4"])
        {'eval': {'episodes': 10}, 'n_envs': 4}
    """
    out = normalize_raw(data)
    for assignment in assignments:
        path, value = parse_assignment(assignment)
        set_path(out, path, value)
    return out


def apply_values(data: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Like :func:`apply_overrides` with already-parsed values (``{"lmgt.scale": 0.2}``)."""
    out = normalize_raw(data)
    for key, value in values.items():
        set_path(out, key.split("."), copy.deepcopy(value))
    return out

"""The import contracts in pyproject.toml see every built-in method package.

import-linter checks only the packages a contract names; the contracts list the method
packages by hand, so a new method package left out of one would be silently unchecked. These
tests derive the method packages from the registry and fail when a contract misses one.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from langreward.plugin.registry import BUILTIN

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def method_packages(targets: dict[str, str]) -> set[str]:
    """The top-level packages of the methods: ``langreward.lare.marl.plugin:METHOD`` ->
    ``langreward.lare``."""
    return {".".join(target.partition(":")[0].split(".")[:2]) for target in targets.values()}


def _modules(entry: str) -> set[str]:
    """The modules of one layer (``"a | b"``) or one list entry."""
    return {part.strip() for part in entry.split("|") if part.strip()}


def contract_gaps(contracts: list[dict[str, Any]], packages: set[str]) -> list[str]:
    """One line per contract that misses a method package (empty: all see every package).

    - the layers contract: one layer holds every method package;
    - the independence contract: it names every method package;
    - every forbidden contract that forbids one method package forbids them all, and at least
      one keeps the runner, the CLI and the seam from importing any method.
    """
    gaps = []
    layers = [c for c in contracts if c.get("type") == "layers"]
    independence = [c for c in contracts if c.get("type") == "independence"]
    forbidden = [c for c in contracts if c.get("type") == "forbidden"]
    if not layers:
        gaps.append("no layers contract")
    for contract in layers:
        held = [_modules(layer) & packages for layer in contract["layers"]]
        methods_layer = max(held, key=len, default=set())
        missing = packages - methods_layer
        if missing:
            gaps.append(f"{contract['name']!r}: the methods layer misses {sorted(missing)}")
    if not independence:
        gaps.append("no independence contract")
    for contract in independence:
        missing = packages - {m for entry in contract["modules"] for m in _modules(entry)}
        if missing:
            gaps.append(f"{contract['name']!r}: misses {sorted(missing)}")
    guarding = [c for c in forbidden if packages & set(c["forbidden_modules"])]
    if not any(
        "langreward.experiments" in c["source_modules"] and "langreward.cli" in c["source_modules"]
        for c in guarding
    ):
        gaps.append("no forbidden contract keeps the runner and the CLI from importing methods")
    for contract in guarding:
        missing = packages - set(contract["forbidden_modules"])
        if missing:
            gaps.append(f"{contract['name']!r}: does not forbid {sorted(missing)}")
    return gaps


def _contracts() -> list[dict[str, Any]]:
    with PYPROJECT.open("rb") as handle:
        return tomllib.load(handle)["tool"]["importlinter"]["contracts"]


def test_method_packages_come_from_the_registry() -> None:
    assert method_packages({"a": "langreward.lare.marl.plugin:METHOD"}) == {"langreward.lare"}
    assert "langreward.teduo" in method_packages(BUILTIN)
    assert len(method_packages(BUILTIN)) == 6  # lare and lare_marl share a package


def test_every_contract_sees_every_built_in_method_package() -> None:
    assert contract_gaps(_contracts(), method_packages(BUILTIN)) == []


def _without(contract: dict[str, Any], package: str) -> dict[str, Any]:
    """``contract`` with ``package`` taken out of whatever lists it."""

    def drop(entries: list[str]) -> list[str]:
        return [" | ".join(sorted(_modules(entry) - {package})) for entry in entries]

    keys = ("layers", "modules", "forbidden_modules")
    return {k: drop(v) if k in keys else v for k, v in contract.items()}


def test_a_package_left_out_of_any_contract_is_reported() -> None:
    contracts = _contracts()
    for i, contract in enumerate(contracts):
        cut = [*contracts[:i], _without(contract, "langreward.lgr2"), *contracts[i + 1 :]]
        gaps = contract_gaps(cut, method_packages(BUILTIN))
        assert gaps == [gaps[0]] and "langreward.lgr2" in gaps[0], contract["name"]
        assert contract["name"] in gaps[0]


def test_a_new_method_package_must_be_added_to_every_contract() -> None:
    gaps = contract_gaps(_contracts(), method_packages(BUILTIN) | {"langreward.newmethod"})
    assert len(gaps) == len(_contracts())  # each of them names the methods: each misses it

"""The registry of methods a config may name, resolved lazily (method packages are imported
only when a run uses them)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from langreward.experiments.errors import MethodNotAvailableError
from langreward.rl.training import RunContext, TrainingSetup

BuildSetup = Callable[[dict[str, Any], RunContext], TrainingSetup]

#: method name -> ``build_setup`` or ``"module:attribute"`` naming it.
METHODS: dict[str, BuildSetup | str] = {
    "baseline": "langreward.experiments.baseline:build_setup",
    "lmgt": "langreward.lmgt.run:build_setup",
    "lare": "langreward.lare.run:build_setup",
}


def resolve_method(name: str) -> BuildSetup:
    """Return the ``build_setup`` function of a method, importing its package if needed.

    Raises:
        MethodNotAvailableError: the method is unknown, its package or module is missing, or
            the module has no ``build_setup``; the message says which.
    """
    try:
        target = METHODS[name]
    except KeyError:
        raise MethodNotAvailableError(
            f"unknown method {name!r}; known methods: {', '.join(sorted(METHODS))}"
        ) from None
    if callable(target):
        return target
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise MethodNotAvailableError(
                f"method {name!r} is not available: its module {module_name!r} does not exist "
                "(the method package is not installed or not implemented yet)"
            ) from exc
        raise MethodNotAvailableError(
            f"method {name!r} is not available: importing {module_name!r} needs the missing "
            f"package {exc.name!r} (install the extra it belongs to)"
        ) from exc
    try:
        build = getattr(module, attr or "build_setup")
    except AttributeError:
        raise MethodNotAvailableError(
            f"method {name!r} is not available: {module_name!r} has no {attr!r} function"
        ) from None
    return build

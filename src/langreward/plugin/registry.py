"""The registry of methods: found by name, built in, registered in code, or from entry points.

Third-party packages add methods without editing langreward, either in code::

    from langreward.plugin import Method, register
    register(Method("mymethod", MySettings, build))

or in their ``pyproject.toml`` (loaded the first time the name is looked up)::

    [project.entry-points."langreward.methods"]
    mymethod = "mypackage.plugin:METHOD"

Method packages are imported only when a config names them.

Example:
    >>> "lmgt" in method_names()
    True
    >>> get_method("baseline").name
    'baseline'
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable

from langreward.plugin.protocol import Method

ENTRY_POINT_GROUP = "langreward.methods"

#: The methods that ship with langreward: name -> "module:attribute" of their :class:`Method`.
BUILTIN: dict[str, str] = {
    "baseline": "langreward.baseline.plugin:METHOD",
    "lmgt": "langreward.lmgt.plugin:METHOD",
    "lare": "langreward.lare.plugin:METHOD",
    "lare_marl": "langreward.lare.marl.plugin:METHOD",
    "teduo": "langreward.teduo.plugin:METHOD",
    "lgr2": "langreward.lgr2.plugin:METHOD",
    "spec_shaping": "langreward.spec_shaping.plugin:METHOD",
}

_registered: dict[str, Method] = {}


class MethodNotAvailableError(LookupError):
    """A config names a method that is unknown or whose package cannot be imported."""


def register(method: Method, *, replace: bool = False) -> Method:
    """Make ``method`` available by its name (returns it, so it can decorate a constant).

    Raises:
        ValueError: the name is taken (by a built-in or an earlier registration) and
            ``replace`` is False.
    """
    if not replace and (method.name in _registered or method.name in BUILTIN):
        raise ValueError(
            f"a method named {method.name!r} is already registered; pass replace=True to override"
        )
    _registered[method.name] = method
    return method


def unregister(name: str) -> None:
    """Forget a method registered with :func:`register` (built-ins stay)."""
    _registered.pop(name, None)


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def method_names() -> list[str]:
    """Every method name a config may use (nothing is imported), sorted."""
    return sorted({*BUILTIN, *_registered, *_entry_points()})


def get_method(name: str) -> Method:
    """The :class:`Method` called ``name``, importing its package on first use.

    Raises:
        MethodNotAvailableError: the name is unknown, or its package (or a package it needs)
            cannot be imported; the message says which and what to do.
    """
    if name in _registered:
        return _registered[name]
    if name in BUILTIN:
        method = _load(name, BUILTIN[name], lambda: _import_target(name, BUILTIN[name]))
    else:
        entry = _entry_points().get(name)
        if entry is None:
            raise MethodNotAvailableError(
                f"unknown method {name!r}; known methods: {', '.join(method_names())}"
            )
        method = _load(name, entry.value, entry.load)
    _registered[name] = method
    return method


def _import_target(name: str, target: str) -> object:
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    try:
        return getattr(module, attr or "METHOD")
    except AttributeError:
        raise MethodNotAvailableError(
            f"method {name!r} is not available: {module_name!r} has no {attr!r}"
        ) from None


def _load(name: str, target: str, load: Callable[[], object]) -> Method:
    module_name = target.partition(":")[0]
    try:
        value = load()
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise MethodNotAvailableError(
                f"method {name!r} is not available: its module {module_name!r} does not exist "
                "(the method package is not installed)"
            ) from exc
        raise MethodNotAvailableError(
            f"method {name!r} is not available: importing {module_name!r} needs the missing "
            f"package {exc.name!r} (install the extra it belongs to)"
        ) from exc
    method = value() if callable(value) and not isinstance(value, Method) else value
    if not isinstance(method, Method):
        raise MethodNotAvailableError(
            f"method {name!r}: {target!r} is a {type(method).__name__}, not a "
            "langreward.plugin.Method"
        )
    if method.name != name:
        raise MethodNotAvailableError(
            f"method {name!r}: {target!r} is registered under the name {method.name!r}"
        )
    return method

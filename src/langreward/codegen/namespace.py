"""Allow-lists and the restricted namespace generated code runs in.

This module is the single source of truth for *what generated code may touch*: the
builtins it sees, the modules it may import, and the attributes of those modules. The static
policy (:mod:`langreward.codegen.policy`) checks code against these lists; the namespace built
here enforces the same lists again at run time (defence in depth): ``np`` in generated code is
a *proxy module* holding only the allowed numpy attributes, so ``np.load`` does not exist there
even if the static check missed it, and builtins such as ``open``, ``eval`` or ``getattr`` are
simply absent.

It imports only the standard library and numpy, because the sandbox child process loads this
very file (by path) to build the same namespace.
"""

from __future__ import annotations

import builtins
import importlib
import math
import types
from collections.abc import Callable, Mapping
from typing import Any

#: Builtins generated code may use. ``print`` is replaced by a no-op.
SAFE_BUILTINS: frozenset[str] = frozenset(
    {
        # numbers and containers
        "abs", "all", "any", "bool", "complex", "dict", "divmod", "enumerate", "filter",
        "float", "frozenset", "int", "isinstance", "iter", "len", "list", "map", "max", "min",
        "next", "pow", "print", "range", "reversed", "round", "set", "slice", "sorted", "str",
        "sum", "tuple", "zip",
        # constants that are names, not literals
        "Ellipsis", "NotImplemented",
        # exceptions generated code may raise or catch
        "Exception", "ArithmeticError", "AssertionError", "FloatingPointError", "IndexError",
        "KeyError", "LookupError", "NotImplementedError", "OverflowError", "RuntimeError",
        "StopIteration", "TypeError", "ValueError", "ZeroDivisionError",
    }
)  # fmt: skip

#: Builtins that are denied by name, with the reason given to the author of the code.
FORBIDDEN_BUILTINS: Mapping[str, str] = {
    "open": "file access",
    "exec": "executes arbitrary code",
    "eval": "executes arbitrary code",
    "compile": "builds code objects",
    "globals": "exposes the module namespace (and through it the builtins)",
    "locals": "exposes interpreter frames",
    "vars": "exposes object and module namespaces",
    "dir": "introspection",
    "getattr": "reaches any attribute by a computed name (bypasses the attribute rules)",
    "setattr": "sets any attribute by a computed name",
    "delattr": "deletes any attribute by a computed name",
    "hasattr": "probes attributes by a computed name",
    "__import__": "imports any module",
    "__build_class__": "builds classes",
    "input": "reads from the terminal",
    "breakpoint": "starts a debugger",
    "help": "starts the interactive help system",
    "memoryview": "raw memory access",
    "bytearray": "raw buffers",
    "type": "builds new classes / introspection",
    "object": "the root of the class hierarchy (escape route through subclasses)",
    "super": "introspection",
    "classmethod": "class machinery",
    "staticmethod": "class machinery",
    "property": "class machinery",
    "issubclass": "introspection",
    "id": "exposes object addresses",
    "hash": "salted per process (not deterministic)",
    "exit": "ends the process",
    "quit": "ends the process",
    "copyright": "interactive helper",
    "credits": "interactive helper",
    "license": "interactive helper",
    "format": "format specs can reach attributes",
    "repr": "introspection",
    "callable": "introspection",
    "aiter": "async machinery",
    "anext": "async machinery",
    "BaseException": "catching it swallows KeyboardInterrupt and SystemExit",
    "SystemExit": "ends the process",
    "KeyboardInterrupt": "must not be caught",
    "GeneratorExit": "generator machinery",
}

#: numpy attributes generated code may use (``np.<name>``). File I/O (``load``, ``save*``,
#: ``fromfile``, ``memmap``, ``*txt``), process / FFI escapes (``ctypeslib``, ``lib``,
#: ``f2py``, ``distutils``, ``testing``), global state (``seterr``, ``set_printoptions``,
#: ``random``) and introspection helpers are left out on purpose.
NUMPY_ALLOWED: frozenset[str] = frozenset(
    """
    pi e inf nan newaxis euler_gamma
    float16 float32 float64 int8 int16 int32 int64 uint8 uint16 uint32 uint64 bool_ intp
    double single dtype ndarray number floating integer generic finfo iinfo issubdtype
    isscalar result_type shape ndim size errstate linalg
    array asarray ascontiguousarray zeros zeros_like ones ones_like empty empty_like full
    full_like arange linspace logspace geomspace eye identity diag diagonal diagflat meshgrid
    copy atleast_1d atleast_2d atleast_3d tri tril triu
    reshape ravel squeeze expand_dims transpose swapaxes moveaxis permute_dims
    matrix_transpose stack vstack hstack column_stack dstack concatenate concat split
    array_split tile repeat flip fliplr flipud roll broadcast_to broadcast_arrays take
    take_along_axis where select choose pad append insert delete unique sort argsort
    searchsorted nonzero flatnonzero count_nonzero argwhere extract compress diff ediff1d
    cumsum cumprod cumulative_sum cumulative_prod trace einsum dot matmul inner outer cross
    tensordot kron vdot vecdot
    abs absolute fabs sign sqrt cbrt square exp exp2 expm1 log log2 log10 log1p sin cos tan
    arcsin arccos arctan arctan2 asin acos atan atan2 sinh cosh tanh arcsinh arccosh arctanh
    asinh acosh atanh deg2rad rad2deg degrees radians hypot power pow float_power add
    subtract multiply divide true_divide floor_divide mod fmod remainder divmod reciprocal
    negative positive maximum minimum fmax fmin clip floor ceil round around rint trunc fix
    sinc heaviside logaddexp logaddexp2 copysign nan_to_num interp convolve polyval unwrap
    gcd lcm angle real imag conj
    isnan isinf isfinite isclose allclose array_equal logical_and logical_or logical_not
    logical_xor greater greater_equal less less_equal equal not_equal all any signbit
    sum prod mean median std var min max amin amax argmin argmax ptp average percentile
    quantile nansum nanmean nanmax nanmin nanstd nanmedian nanargmax nanargmin cov corrcoef
    bincount digitize
    """.split()
)

#: ``np.linalg`` attributes generated code may use.
LINALG_ALLOWED: frozenset[str] = frozenset(
    """
    norm vector_norm matrix_norm det slogdet inv pinv solve lstsq eig eigh eigvals eigvalsh
    svd qr cholesky matrix_rank matrix_power multi_dot cond cross outer vecdot trace diagonal
    """.split()
)

#: ``math`` attributes generated code may use (all public ones: pure functions and constants).
MATH_ALLOWED: frozenset[str] = frozenset(n for n in dir(math) if not n.startswith("_"))

#: ``typing`` names allowed so that annotated code (``-> Dict[str, np.ndarray]``) loads.
TYPING_ALLOWED: frozenset[str] = frozenset(
    "Any Dict List Tuple Optional Union Sequence Mapping Callable Iterable Literal".split()
)

#: Module name -> allowed attribute names (``None``: every public attribute). A dotted name
#: is a submodule; its parent lists it as an attribute.
DEFAULT_MODULES: Mapping[str, frozenset[str] | None] = {
    "numpy": NUMPY_ALLOWED,
    "numpy.linalg": LINALG_ALLOWED,
    "math": MATH_ALLOWED,
    "typing": TYPING_ALLOWED,
    "__future__": frozenset({"annotations"}),
}

#: Names bound before the code runs (so code that forgets ``import numpy as np`` still works).
DEFAULT_PRELOADED: Mapping[str, str] = {"np": "numpy", "numpy": "numpy", "math": "math"}


def _noop_print(*_args: Any, **_kwargs: Any) -> None:
    """Stand-in for ``print``: generated code must not write to the trainer's output."""


def _real_module(name: str) -> types.ModuleType:
    module = builtins.__import__(name)
    for part in name.split(".")[1:]:
        module = getattr(module, part)
    return module


def make_module_proxies(
    modules: Mapping[str, frozenset[str] | None],
) -> dict[str, types.ModuleType]:
    """Build one proxy module per allowed module, holding only the allowed attributes.

    Args:
        modules: Module name -> allowed attribute names (``None``: the real module is used).

    Returns:
        Module name -> proxy (or real) module. Submodule proxies are set as attributes of
        their parent's proxy, so ``np.linalg.norm`` works and ``np.lib`` does not exist.
    """
    proxies: dict[str, types.ModuleType] = {}
    # Parents before children: sort by depth.
    for name in sorted(modules, key=lambda n: n.count(".")):
        allowed = modules[name]
        real = _real_module(name)
        if allowed is None:
            proxies[name] = real
            continue
        proxy = types.ModuleType(name)
        for attr in allowed:
            if f"{name}.{attr}" in modules:
                continue  # filled in below from the submodule's own proxy
            if hasattr(real, attr):
                setattr(proxy, attr, getattr(real, attr))
        proxies[name] = proxy
    for name, proxy in proxies.items():
        parent, _, attr = name.rpartition(".")
        if parent and parent in proxies and attr in (modules.get(parent) or ()):
            setattr(proxies[parent], attr, proxy)
    return proxies


def make_guarded_import(
    proxies: Mapping[str, types.ModuleType],
) -> Callable[..., types.ModuleType]:
    """Return an ``__import__`` that hands out the proxies and refuses every other module.

    C code (numpy's ufunc and method machinery) imports its own helper modules lazily with
    ``PyImport_Import``, which looks up ``__import__`` in the builtins of the *calling frame*,
    i.e. the generated code's. Those calls are recognisable (``fromlist`` is a list, ``[]`` or
    ``["__doc__"]`` depending on the Python version, and ``locals is globals``, a dict; an
    ``import`` statement passes ``None`` or a tuple) and their result goes to the C caller,
    not to the generated code; they are let through for modules under an allowed top-level
    package (``numpy.*``). Generated code cannot make such a call itself: the policy rejects
    ``__import__``, and the code has no reference to its globals dict.
    """
    roots = frozenset(name.partition(".")[0] for name in proxies)

    def guarded_import(
        name: str,
        globals: Any = None,  # noqa: A002 - the signature of builtins.__import__
        locals: Any = None,  # noqa: A002
        fromlist: Any = (),
        level: int = 0,
    ) -> types.ModuleType:
        if level == 0 and name in proxies:
            return proxies[name] if fromlist else proxies[name.partition(".")[0]]
        if (
            level == 0
            and type(globals) is dict
            and locals is globals
            and type(fromlist) is list
            and fromlist in ([], ["__doc__"])
            and name.partition(".")[0] in roots
        ):
            return importlib.import_module(name)  # a library's own lazy import, from C
        raise ImportError(f"import of {name!r} is not allowed in generated code")

    return guarded_import


def make_namespace(
    modules: Mapping[str, frozenset[str] | None] = DEFAULT_MODULES,
    builtin_names: frozenset[str] = SAFE_BUILTINS,
    preloaded: Mapping[str, str] = DEFAULT_PRELOADED,
) -> dict[str, Any]:
    """Build the globals dict generated code is executed in.

    Args:
        modules: Allowed modules and their allowed attributes.
        builtin_names: Builtins to expose (``print`` becomes a no-op).
        preloaded: Global name -> module name bound before the code runs.

    Returns:
        A fresh dict with ``__builtins__`` restricted to ``builtin_names`` plus a guarded
        ``__import__``, and the preloaded module proxies.

    Example:
        >>> ns = make_namespace()
        >>> "open" in ns["__builtins__"], hasattr(ns["np"], "load")
        (False, False)
    """
    proxies = make_module_proxies(modules)
    safe: dict[str, Any] = {
        name: getattr(builtins, name) for name in builtin_names if hasattr(builtins, name)
    }
    if "print" in builtin_names:
        safe["print"] = _noop_print
    safe["__import__"] = make_guarded_import(proxies)
    namespace: dict[str, Any] = {"__builtins__": safe, "__name__": "generated"}
    for alias, module in preloaded.items():
        if module in proxies:
            namespace[alias] = proxies[module]
    return namespace

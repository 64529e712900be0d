"""Sandbox child: run one generated function on sample inputs, under resource limits.

Started by :mod:`langreward.codegen.verify` as ``python -I _child.py WORKDIR``. It imports only
the standard library, numpy, and (by file path) :mod:`langreward.codegen.namespace`, never
the rest of langreward. It reads ``WORKDIR/config.json`` and ``WORKDIR/inputs.npz`` (written
by the parent) and writes ``WORKDIR/result.json``: numbers only (base64 raw bytes of numeric
arrays, plus dtype and shape), never pickles, so the parent can read it without trusting it.

Limits set here: no core dumps; CPU seconds (SIGXCPU past the soft limit); file size (caps the
report, SIGXFSZ past it); address space (set after numpy is imported, so it bounds what the
generated code allocates); number of processes (no effect when running as root).
"""

import base64
import importlib.util
import json
import os
import resource
import sys
import time
import traceback
from types import ModuleType, TracebackType
from typing import Any

_MAX_SEQUENCE_ITEMS = 256
REPORT_TOO_LARGE_EXIT = 75  # the exit status when the report hits RLIMIT_FSIZE


def _set_limit(which: int, soft: int, hard: int | None = None) -> None:
    try:
        resource.setrlimit(which, (soft, soft if hard is None else hard))
    except (ValueError, OSError):
        pass


class _Rejected(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _where(tb: TracebackType | None, source_lines: list[str]) -> str:
    """' (line N: `text`)' for the innermost frame in the generated code, else ''."""
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == "<generated>":
            line = lineno
    if line is None:
        return ""
    text = source_lines[line - 1].strip() if 0 < line <= len(source_lines) else ""
    return f" (line {line}: `{text[:100]}`)" if text else f" (line {line})"


def _describe(exc: BaseException, source_lines: list[str]) -> str:
    msg = str(exc)
    if len(msg) > 400:
        msg = msg[:400] + "..."
    if "read-only" in msg:
        msg += " -- the inputs are read-only; copy them (x = obs.copy()) before modifying"
    return f"{type(exc).__name__}: {msg}{_where(exc.__traceback__, source_lines)}"


def _encode_array(np: ModuleType, value: Any, what: str, budget: list[int]) -> dict[str, Any]:
    if value is None or isinstance(value, str | bytes | dict):
        raise _Rejected("bad_type", f"{what} is {type(value).__name__}, expected numbers")
    try:
        arr = np.asarray(value)
    except MemoryError:
        raise
    except Exception as exc:
        raise _Rejected("bad_type", f"{what} cannot be made an array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise _Rejected(
            "bad_type",
            f"{what} has dtype {arr.dtype} ({type(value).__name__}), expected real numbers",
        )
    budget[0] -= arr.nbytes
    if budget[0] < 0:
        raise _Rejected(
            "output_too_large",
            f"the result is larger than the limit of {budget[1]} bytes "
            f"({what} alone has shape {arr.shape})",
        )
    arr = np.ascontiguousarray(arr)
    return {
        "type": "array",
        "dtype": arr.dtype.str,
        "shape": list(arr.shape),
        "data": base64.b64encode(arr.tobytes()).decode("ascii"),
    }


def _encode(np: ModuleType, value: Any, max_bytes: int) -> dict[str, Any]:
    budget = [max_bytes, max_bytes]
    if isinstance(value, dict):
        keys = list(value)
        if not all(isinstance(k, str) for k in keys):
            raise _Rejected("bad_type", "factor names (dict keys) must be strings")
        if len(keys) > _MAX_SEQUENCE_ITEMS:
            raise _Rejected("output_too_large", f"the result is a dict of {len(keys)} items")
        items = [_encode_array(np, value[k], f"factor {k!r}", budget) for k in keys]
        return {"type": "mapping", "keys": keys, "items": items}
    if isinstance(value, list | tuple) and len(value) <= _MAX_SEQUENCE_ITEMS:
        items = [
            _encode_array(np, v, f"item {i} of the result", budget) for i, v in enumerate(value)
        ]
        return {"type": "sequence", "items": items}
    return _encode_array(np, value, "the result", budget)


def _run(cfg: dict[str, Any], workdir: str) -> dict[str, Any]:
    limits = cfg["limits"]
    import numpy as np

    spec = importlib.util.spec_from_file_location(
        "_langreward_codegen_namespace", cfg["namespace_path"]
    )
    # A .py path always has a loader, so neither is None (an AttributeError here before).
    assert spec is not None and spec.loader is not None
    namespace_mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(namespace_mod)

    with np.load(os.path.join(workdir, "inputs.npz"), allow_pickle=False) as data:
        inputs = [np.array(data[f"arg{i}"]) for i in range(cfg["num_inputs"])]

    policy = cfg["policy"]
    modules = {
        name: (frozenset(attrs) if attrs is not None else None)
        for name, attrs in policy["modules"].items()
    }
    namespace = namespace_mod.make_namespace(
        modules, frozenset(policy["builtins"]), policy["preloaded"]
    )
    source = cfg["source"]
    source_lines = source.splitlines()
    code = compile(source, "<generated>", "exec", dont_inherit=True)

    # From here on, generated code runs: bound its memory and forbid new processes.
    _set_limit(resource.RLIMIT_AS, int(limits["memory_bytes"]))
    if hasattr(resource, "RLIMIT_NPROC"):
        _set_limit(resource.RLIMIT_NPROC, 0)

    try:
        with np.errstate(all="ignore"):
            exec(code, namespace)
    except MemoryError:
        raise _Rejected(
            "memory", f"the module body ran out of memory (limit {limits['memory_bytes']} bytes)"
        ) from None
    except BaseException as exc:
        raise _Rejected(
            "load_error", "running the module failed: " + _describe(exc, source_lines)
        ) from None

    fn = namespace.get(cfg["function_name"])
    if not callable(fn):
        raise _Rejected(
            "missing_function", f"`{cfg['function_name']}` is not a function after loading"
        )

    outputs = []
    seconds = []
    for _ in range(int(cfg.get("calls", 2))):
        args = []
        for arr in inputs:
            view = arr.copy()
            view.flags.writeable = False
            args.append(view)
        t0 = time.perf_counter()
        try:
            with np.errstate(all="ignore"):
                result = fn(*args)
        except MemoryError:
            raise _Rejected(
                "memory", f"the function ran out of memory (limit {limits['memory_bytes']} bytes)"
            ) from None
        except BaseException as exc:
            raise _Rejected(
                "exception", "the function raised " + _describe(exc, source_lines)
            ) from None
        seconds.append(time.perf_counter() - t0)
        try:
            outputs.append(_encode(np, result, int(limits["max_output_bytes"])))
        except MemoryError:
            raise _Rejected("output_too_large", "the result is too large to report") from None
        del result
    return {"status": "ok", "message": "", "outputs": outputs, "seconds": seconds}


def main() -> None:
    workdir = sys.argv[1]
    with open(os.path.join(workdir, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    limits = cfg["limits"]
    out = open(os.path.join(workdir, "result.json"), "w", encoding="utf-8")  # noqa: SIM115

    _set_limit(resource.RLIMIT_CORE, 0)
    cpu = int(limits["cpu_s"])
    _set_limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _set_limit(resource.RLIMIT_FSIZE, int(limits["max_report_bytes"]))

    try:
        report = _run(cfg, workdir)
    except _Rejected as exc:
        report = {"status": exc.status, "message": exc.message}
    except MemoryError:
        report = {"status": "memory", "message": "out of memory"}
    except BaseException as exc:  # the sandbox itself failed
        report = {"status": "internal", "message": f"{type(exc).__name__}: {exc}"}
    try:
        text = json.dumps(report)
    except MemoryError:
        text = json.dumps({"status": "output_too_large", "message": "the report is too large"})
    try:
        out.write(text)
        out.close()
    except OSError:  # EFBIG past RLIMIT_FSIZE (Python ignores SIGXFSZ)
        os._exit(REPORT_TOO_LARGE_EXIT)
    os._exit(0)  # skip interpreter teardown (and any finalizers the generated code left)


if __name__ == "__main__":
    main()

"""One-time verification of generated code in a resource-limited child process.

:func:`verify_function` checks the policy, then runs the function twice on sample inputs in a
fresh ``python -I`` child with a wall-clock timeout, CPU-second, address-space and file-size
limits, and reads back only numbers (never a pickle). The parent then checks the output's
type and shape, finiteness, determinism (the two runs agree) and that it varies across the
batch. Whatever the child does — loop forever, allocate without end, crash, print, return
junk — the parent gets a :class:`VerificationResult` and never hangs or raises.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from langreward.codegen import namespace as _namespace_module
from langreward.codegen.errors import Reason
from langreward.codegen.outputs import OutputError, OutputSpec, all_finite, normalize_output
from langreward.codegen.policy import DEFAULT_POLICY, CodePolicy, check_policy

logger = logging.getLogger("langreward.codegen")

_CHILD = Path(__file__).with_name("_child.py")
_REPORT_TOO_LARGE_EXIT = 75  # keep equal to _child.REPORT_TOO_LARGE_EXIT
_NAMESPACE = Path(_namespace_module.__file__)

_STATUS_REASON: Mapping[str, Reason] = {
    "load_error": Reason.LOAD_ERROR,
    "missing_function": Reason.MISSING_FUNCTION,
    "exception": Reason.EXCEPTION,
    "memory": Reason.MEMORY,
    "bad_type": Reason.BAD_TYPE,
    "output_too_large": Reason.OUTPUT_TOO_LARGE,
    "internal": Reason.INTERNAL,
}


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of the verification child.

    Attributes:
        timeout_s: Wall-clock limit for the whole child (start-up, about 0.2 s, included).
        cpu_s: CPU-second limit (``RLIMIT_CPU``); default: the timeout rounded up, plus one.
        memory_bytes: Address-space limit (``RLIMIT_AS``) for the generated code, set after
            numpy is imported (numpy itself takes about 100–150 MB of it).
        max_output_bytes: Most bytes one call may return.
    """

    timeout_s: float = 5.0
    cpu_s: int | None = None
    memory_bytes: int = 1 << 30
    max_output_bytes: int = 8 << 20

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError("SandboxLimits.timeout_s must be positive")
        if self.memory_bytes < 256 << 20:
            raise ValueError("SandboxLimits.memory_bytes must be at least 256 MiB (numpy needs it)")
        if self.max_output_bytes <= 0:
            raise ValueError("SandboxLimits.max_output_bytes must be positive")

    @property
    def effective_cpu_s(self) -> int:
        """The CPU-second limit applied."""
        return self.cpu_s if self.cpu_s is not None else math.ceil(self.timeout_s) + 1


@dataclass(frozen=True)
class VerificationChecks:
    """Which checks the output must pass (type and shape are always checked).

    Attributes:
        finite: No NaN or infinity.
        deterministic: Two calls on the same inputs give identical outputs.
        non_constant: The output differs between at least two rows of the batch.
        constant_factors: Stricter: every column (factor) of a 2-D output differs between
            at least two rows (a factor that is the same for every input carries no signal).
    """

    finite: bool = True
    deterministic: bool = True
    non_constant: bool = True
    constant_factors: bool = False


@dataclass(frozen=True)
class VerificationResult:
    """What verifying one generated function found.

    Attributes:
        ok: Whether every check passed.
        reason: The failure category (``None`` when ``ok``).
        message: What went wrong, naming the line where known (empty when ``ok``); written to
            be fed back to the LLM.
        outputs: The normalised output on the sample inputs (``None`` if none was obtained).
        names: Factor names, when the function returned a dict of factors.
        spec: The output spec with the factor count filled in (for :func:`compile_function`).
        summary: Shape, per-column min/max/mean, constant columns, seconds per call.
        seconds: Wall-clock seconds of the whole verification.
        stderr: The tail of the child's standard error (for debugging crashes).
    """

    ok: bool
    reason: Reason | None
    message: str
    outputs: np.ndarray | None = None
    names: tuple[str, ...] | None = None
    spec: OutputSpec | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    stderr: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"verified in {self.seconds:.2f} s: {dict(self.summary)}"
        return f"rejected ({self.reason}): {self.message}"


def _fail(reason: Reason, message: str, t0: float, **kwargs: Any) -> VerificationResult:
    return VerificationResult(
        ok=False, reason=reason, message=message, seconds=time.perf_counter() - t0, **kwargs
    )


def _decode_array(obj: Any) -> np.ndarray:
    if not isinstance(obj, dict) or obj.get("type") != "array":
        raise ValueError("malformed array record")
    dtype = np.dtype(str(obj["dtype"]))
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise ValueError(f"unexpected dtype {dtype}")
    shape = tuple(int(d) for d in obj["shape"])
    if any(d < 0 for d in shape):
        raise ValueError("negative dimension")
    data = base64.b64decode(str(obj["data"]), validate=True)
    if len(data) != dtype.itemsize * math.prod(shape):
        raise ValueError("array data does not match its shape")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _decode(obj: Any) -> Any:
    """Rebuild the function's result (arrays, lists of arrays, dicts of arrays)."""
    if not isinstance(obj, dict):
        raise ValueError("malformed output record")
    kind = obj.get("type")
    if kind == "array":
        return _decode_array(obj)
    if kind == "sequence":
        return [_decode_array(item) for item in obj["items"]]
    if kind == "mapping":
        keys = [str(k) for k in obj["keys"]]
        return dict(zip(keys, (_decode_array(i) for i in obj["items"]), strict=True))
    raise ValueError(f"unknown output record type {kind!r}")


def _child_env() -> dict[str, str]:
    env = {
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
    }
    if "LD_LIBRARY_PATH" in os.environ:
        env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
    return env


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass
    proc.wait()


def _read_tail(path: Path, limit: int = 2000) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def run_in_sandbox(
    source: str,
    function_name: str,
    inputs: Sequence[np.ndarray],
    *,
    limits: SandboxLimits = SandboxLimits(),  # noqa: B008 - frozen dataclass
    policy: CodePolicy = DEFAULT_POLICY,
    calls: int = 2,
    python: str | None = None,
) -> tuple[Reason | None, str, list[Any], list[float], str]:
    """Run a function on inputs in a fresh resource-limited child; no policy check here.

    This is the low-level runner behind :func:`verify_function`; it assumes ``source``
    already passed :func:`check_policy` (the child still runs it in the restricted
    namespace that ``policy`` describes).

    Args:
        source: The module source.
        function_name: The function to call.
        inputs: Positional arguments (numeric arrays).
        limits: Resource limits.
        policy: Describes the restricted namespace (modules, builtins) built in the child.
        calls: How many times to call the function on fresh copies of the inputs.
        python: The interpreter to run (default: this one).

    Returns:
        ``(reason, message, raw_outputs, seconds_per_call, stderr_tail)`` where ``reason`` is
        ``None`` on success and ``raw_outputs`` holds one decoded result per call.
    """
    with tempfile.TemporaryDirectory(prefix="langreward-codegen-") as tmp:
        workdir = Path(tmp)
        config: dict[str, Any] = {
            "source": source,
            "function_name": function_name,
            "num_inputs": len(inputs),
            "calls": calls,
            "namespace_path": str(_NAMESPACE),
            "policy": policy.to_json(),
            "limits": {
                "cpu_s": limits.effective_cpu_s,
                "memory_bytes": limits.memory_bytes,
                "max_output_bytes": limits.max_output_bytes,
                "max_report_bytes": 2 * calls * limits.max_output_bytes + (1 << 20),
            },
        }
        (workdir / "config.json").write_text(json.dumps(config), encoding="utf-8")
        # Typed as Any-valued: mypy would otherwise match the ** keys against allow_pickle: bool.
        arrays: dict[str, Any] = {f"arg{i}": a for i, a in enumerate(inputs)}
        np.savez(workdir / "inputs.npz", **arrays)
        stdout_path, stderr_path = workdir / "stdout.txt", workdir / "stderr.txt"
        timed_out = False
        with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
            proc = subprocess.Popen(
                [python or sys.executable, "-I", str(_CHILD), str(workdir)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=workdir,
                env=_child_env(),
                start_new_session=True,
                close_fds=True,
            )
            try:
                proc.wait(timeout=limits.timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
                # Kill the whole group (the child is not reaped yet, so its id is still ours).
                _kill_group(proc)
        stderr_tail = _read_tail(stderr_path)
        if timed_out:
            return (
                Reason.TIMEOUT,
                f"the code ran past the time limit of {limits.timeout_s:g} s "
                "(an endless or very long loop?)",
                [],
                [],
                stderr_tail,
            )
        report_path = workdir / "result.json"
        report_text = ""
        if (
            report_path.exists()
            and report_path.stat().st_size <= config["limits"]["max_report_bytes"]
        ):
            report_text = report_path.read_text(encoding="utf-8", errors="replace")
        rc = proc.returncode
        if not report_text.strip():
            return (*_classify_exit(rc, limits, stderr_tail), [], [], stderr_tail)
        try:
            report = json.loads(report_text)
            status = str(report["status"])
            message = str(report.get("message", ""))
            if status != "ok":
                return _STATUS_REASON.get(status, Reason.INTERNAL), message, [], [], stderr_tail
            outputs = [_decode(o) for o in report["outputs"]]
            seconds = [float(s) for s in report["seconds"]]
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            if rc:
                return (*_classify_exit(rc, limits, stderr_tail), [], [], stderr_tail)
            return Reason.INTERNAL, f"unreadable report from the child: {exc}", [], [], stderr_tail
        return None, "", outputs, seconds, stderr_tail


def _classify_exit(rc: int | None, limits: SandboxLimits, stderr_tail: str) -> tuple[Reason, str]:
    hint = f"; stderr: {stderr_tail.strip()[-300:]}" if stderr_tail.strip() else ""
    if rc is not None and rc < 0:
        sig = -rc
        if sig == getattr(signal, "SIGXCPU", -1):
            return Reason.TIMEOUT, f"the code ran past the CPU limit of {limits.effective_cpu_s} s"
        if sig == getattr(signal, "SIGXFSZ", -1):
            return (
                Reason.OUTPUT_TOO_LARGE,
                f"the child wrote more than the output limit ({limits.max_output_bytes} bytes)",
            )
        if sig == signal.SIGKILL:
            return Reason.CRASH, f"the child was killed (SIGKILL; out of memory?){hint}"
        return Reason.CRASH, f"the child crashed with {_signal_name(sig)}{hint}"
    if rc == _REPORT_TOO_LARGE_EXIT:
        return (
            Reason.OUTPUT_TOO_LARGE,
            f"the report exceeded the output limit ({limits.max_output_bytes} bytes per call)",
        )
    return Reason.CRASH, f"the child exited with status {rc} without a report{hint}"


def _summary(
    out: np.ndarray, names: tuple[str, ...] | None, seconds: list[float]
) -> dict[str, Any]:
    batch = out.shape[0] if out.ndim else 1
    flat = out.reshape(batch, -1) if out.ndim else out.reshape(1, 1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        constant = (flat == flat[:1]).all(axis=0) | (np.isnan(flat).all(axis=0))
        summary: dict[str, Any] = {
            "shape": list(out.shape),
            "min": np.nanmin(flat, axis=0).tolist() if flat.size else [],
            "max": np.nanmax(flat, axis=0).tolist() if flat.size else [],
            "mean": np.nanmean(flat, axis=0).tolist() if flat.size else [],
            "constant_columns": [int(i) for i in np.flatnonzero(constant)],
            "seconds_per_call": min(seconds) if seconds else None,
        }
    if names is not None:
        summary["names"] = list(names)
    return summary


def verify_function(
    source: str,
    *,
    function_name: str,
    inputs: Sequence[np.ndarray],
    output_spec: OutputSpec = OutputSpec(),  # noqa: B008 - frozen dataclass
    checks: VerificationChecks = VerificationChecks(),  # noqa: B008 - frozen dataclass
    limits: SandboxLimits = SandboxLimits(),  # noqa: B008 - frozen dataclass
    policy: CodePolicy = DEFAULT_POLICY,
) -> VerificationResult:
    """Check generated code against the policy and run it on sample inputs in a sandbox.

    Args:
        source: The module source (see :func:`extract_code`).
        function_name: The function to verify.
        inputs: Sample positional arguments, numeric arrays whose leading dimension is the
            batch (e.g. ``(obs, action)`` of shapes ``(64, 11)`` and ``(64, 3)``). Use varied,
            realistic values: the constant check compares rows.
        output_spec: What the function must return.
        checks: Which output checks to apply.
        limits: Resource limits of the child process.
        policy: The static policy (also shapes the child's namespace).

    Returns:
        A :class:`VerificationResult`; it never raises for anything the code does.

    Raises:
        ValueError: If ``inputs`` are not numeric arrays (a caller error).

    Example:
        >>> import numpy as np
        >>> src = "def reward(obs, act):\\n    return obs[:, 0] - 0.1 * (act ** 2).sum(axis=1)\\n"
        >>> rng = np.random.default_rng(0)
        >>> res = verify_function(src, function_name="reward",
        ...                       inputs=[rng.normal(size=(8, 4)), rng.normal(size=(8, 2))])
        >>> res.ok, res.outputs.shape
        (True, (8,))
    """
    t0 = time.perf_counter()
    arrays = [np.asarray(a) for a in inputs]
    for i, arr in enumerate(arrays):
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"inputs[{i}] must be a numeric array, got dtype {arr.dtype}")
    batch = int(arrays[0].shape[0]) if arrays and arrays[0].ndim >= 1 else None
    if output_spec.needs_batch and batch is None:
        raise ValueError("inputs[0] must have a leading batch dimension for this output_spec")

    violations = check_policy(source, function_name, len(arrays), policy)
    reason: Reason | None  # a failure here; the sandbox's verdict (None: success) below
    if violations:
        reason = Reason.SYNTAX if any(v.rule == "syntax" for v in violations) else Reason.POLICY
        return _fail(reason, "\n".join(str(v) for v in violations), t0)

    calls = 2 if checks.deterministic else 1
    try:
        reason, message, raw_outputs, seconds, stderr_tail = run_in_sandbox(
            source, function_name, arrays, limits=limits, policy=policy, calls=calls
        )
    except Exception as exc:  # the sandbox machinery itself failed; never crash the caller
        logger.exception("codegen sandbox failed")
        return _fail(Reason.INTERNAL, f"the sandbox failed: {type(exc).__name__}: {exc}", t0)
    if reason is not None:
        return _fail(reason, message, t0, stderr=stderr_tail)

    try:
        normalized = [normalize_output(raw, output_spec, batch) for raw in raw_outputs]
    except OutputError as exc:
        return _fail(
            exc.reason, f"{exc} (expected {output_spec.describe()})", t0, stderr=stderr_tail
        )
    out, names = normalized[0]
    spec = output_spec
    if spec.kind == "factors" and spec.count is None:
        spec = spec.with_count(int(out.shape[1]))
    if spec.kind == "factors" and spec.names is None and names is not None:
        # Pin the column order to the verified names (dict order may vary between processes).
        spec = replace(spec, names=names)
    summary = _summary(out, names, seconds)
    kwargs: dict[str, Any] = {
        "outputs": out,
        "names": names,
        "spec": spec,
        "summary": summary,
        "stderr": stderr_tail,
    }

    with np.errstate(all="ignore"):
        finite = all_finite(out)
    if checks.finite and not finite:
        n_nan = int(np.isnan(out).sum())
        n_inf = int(np.isinf(out).sum())
        return _fail(
            Reason.NON_FINITE,
            f"the result holds {n_nan} NaN and {n_inf} infinite values "
            "(guard divisions, logs and square roots)",
            t0,
            **kwargs,
        )
    if checks.deterministic and len(normalized) > 1:
        other, other_names = normalized[1]
        if other_names != names or not np.array_equal(out, other, equal_nan=True):
            return _fail(
                Reason.NON_DETERMINISTIC,
                "two calls on the same inputs gave different results (no randomness or state "
                "kept between calls)",
                t0,
                **kwargs,
            )
    if checks.non_constant and batch is not None and batch > 1:
        flat = out.reshape(batch, -1)
        if flat.size and bool((flat == flat[:1]).all()):
            return _fail(
                Reason.CONSTANT,
                f"the result is the same for all {batch} rows of the sample batch; "
                "it must depend on the inputs",
                t0,
                **kwargs,
            )
    if checks.constant_factors and batch is not None and batch > 1 and out.ndim == 2:
        same = np.flatnonzero((out == out[:1]).all(axis=0))
        if same.size:
            labels = [repr(names[i]) if names else f"column {i}" for i in same]
            return _fail(
                Reason.CONSTANT,
                f"factor {', '.join(labels)} is the same for all {batch} rows of the sample "
                "batch; every factor must depend on the inputs (compute it from them or "
                "remove it)",
                t0,
                **kwargs,
            )
    return VerificationResult(
        ok=True,
        reason=None,
        message="",
        seconds=time.perf_counter() - t0,
        **kwargs,
    )

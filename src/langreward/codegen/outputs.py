"""What a generated function must return, and how its result is turned into one array.

The same :func:`normalize_output` runs in the parent on the outputs reported by the sandbox
child (verification) and in-process on every hot-path call (:class:`SafeFunction`), so a
function that passed verification is judged by exactly the same rules at training time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from langreward.codegen.errors import Reason

#: Placeholder for the batch size (the leading dimension of the first input) in shapes.
BATCH = "batch"

_NUMERIC_KINDS = frozenset("biuf")


class OutputError(Exception):
    """A result that does not match its :class:`OutputSpec` (internal; carries a reason)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class OutputSpec:
    """The expected result of a generated function.

    Two kinds:

    * ``"array"``: one numeric array of exactly ``shape`` (``"batch"`` stands for the
      leading dimension of the first input). Example: a reward per sample, ``("batch",)``.
    * ``"factors"``: several named or unnamed factors (LaRe's latent factors), returned as a
      dict ``{name: array}``, a list/tuple of arrays, or one ``(batch, k)`` array; each factor
      has shape ``(batch, 1)`` (``(batch,)`` is accepted too). They are stacked into one
      ``(batch, k)`` array; ``count`` fixes ``k`` (``None``: learnt at verification).

    Attributes:
        kind: ``"array"`` or ``"factors"``.
        shape: For ``"array"``: the exact shape, ints and ``"batch"``.
        count: For ``"factors"``: the number of factors, or ``None``.
        names: For ``"factors"`` returned as a dict: the required names, in order.

    Example:
        >>> OutputSpec.array(("batch", 1)).expected_shape(batch=64)
        (64, 1)
        >>> OutputSpec.factors(count=3).expected_shape(batch=64)
        (64, 3)
    """

    kind: Literal["array", "factors"] = "array"
    shape: tuple[int | str, ...] = (BATCH,)
    count: int | None = None
    names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("array", "factors"):
            raise ValueError(f"OutputSpec.kind must be 'array' or 'factors', not {self.kind!r}")
        for dim in self.shape:
            if not (dim == BATCH or (isinstance(dim, int) and dim >= 0)):
                raise ValueError(
                    f"OutputSpec.shape entries must be non-negative ints or {BATCH!r}, not {dim!r}"
                )
        if self.names is not None and self.count is not None and len(self.names) != self.count:
            raise ValueError("OutputSpec.names and OutputSpec.count disagree")

    @classmethod
    def array(cls, shape: Sequence[int | str] = (BATCH,)) -> OutputSpec:
        """One array of exactly this shape (``"batch"`` = the batch size)."""
        return cls(kind="array", shape=tuple(shape))

    @classmethod
    def factors(cls, count: int | None = None, names: Sequence[str] | None = None) -> OutputSpec:
        """Several factors, each ``(batch, 1)``, stacked into ``(batch, k)``."""
        names_t = tuple(names) if names is not None else None
        if count is None and names_t is not None:
            count = len(names_t)
        return cls(kind="factors", shape=(BATCH, count if count is not None else 0), count=count,
                   names=names_t)  # fmt: skip

    @property
    def needs_batch(self) -> bool:
        """Whether the expected shape depends on the batch size."""
        return self.kind == "factors" or BATCH in self.shape

    @property
    def resolved(self) -> bool:
        """Whether the expected shape is fully known once the batch size is."""
        return self.kind == "array" or self.count is not None

    def with_count(self, count: int) -> OutputSpec:
        """A factors spec with ``count`` fixed (used after verification)."""
        return replace(self, count=count, shape=(BATCH, count))

    def expected_shape(self, batch: int) -> tuple[int, ...]:
        """The shape of the normalised output for a batch of ``batch`` rows.

        Raises:
            ValueError: For a factors spec whose count is not known yet.
        """
        if self.kind == "factors":
            if self.count is None:
                raise ValueError("the number of factors is not known yet (verify first)")
            return (batch, self.count)
        return tuple(batch if d == BATCH else int(d) for d in self.shape)

    def describe(self) -> str:
        """A short human-readable description, for error messages and prompts."""
        if self.kind == "factors":
            k = self.count if self.count is not None else "k"
            return f"{k} factors, each of shape (batch, 1)"
        dims = ", ".join(str(d) for d in self.shape)
        return f"an array of shape ({dims}{',' if len(self.shape) == 1 else ''})"


def _numeric(value: Any, what: str) -> np.ndarray:
    if value is None or isinstance(value, str | bytes | dict):
        raise OutputError(
            Reason.BAD_TYPE, f"{what} is {type(value).__name__}, expected numbers (a numpy array)"
        )
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise OutputError(Reason.BAD_TYPE, f"{what} cannot be made an array: {exc}") from None
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise OutputError(
            Reason.BAD_TYPE,
            f"{what} has dtype {arr.dtype} ({type(value).__name__}), expected real numbers",
        )
    return arr.astype(np.float64, copy=False)


def normalize_output(
    raw: Any, spec: OutputSpec, batch: int | None
) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Turn a function's result into one float64 array, checking it against ``spec``.

    Args:
        raw: What the generated function returned.
        spec: The expected output.
        batch: The batch size (leading dimension of the first input), if known.

    Returns:
        ``(array, names)``: the float64 array of the expected shape, and the factor names
        when factors were returned as a dict (else ``None``).

    Raises:
        OutputError: With reason ``BAD_TYPE`` or ``BAD_SHAPE``.
    """
    if spec.kind == "array":
        if type(raw) is np.ndarray and raw.dtype == np.float64:
            out = raw
        else:
            out = _numeric(raw, "the result")
        if batch is None and spec.needs_batch:
            return out, None
        expected = spec.expected_shape(batch or 0)
        if out.shape != expected:
            raise OutputError(
                Reason.BAD_SHAPE,
                f"the result has shape {out.shape}, expected {expected} (batch size {batch})",
            )
        return out, None

    names: tuple[str, ...] | None = None
    if isinstance(raw, dict):
        if not all(isinstance(k, str) for k in raw):
            raise OutputError(Reason.BAD_TYPE, "factor names (dict keys) must be strings")
        names = tuple(raw)
        if spec.names is not None:
            missing = [n for n in spec.names if n not in raw]
            if missing or len(raw) != len(spec.names):
                raise OutputError(
                    Reason.BAD_SHAPE,
                    f"the factors are named {list(names)}, expected {list(spec.names)}",
                )
            names = spec.names
        items = [raw[n] for n in names]
    elif isinstance(raw, list | tuple):
        items = list(raw)
    elif isinstance(raw, np.ndarray) and raw.ndim == 2:
        out = _numeric(raw, "the result")
        items = None
    else:
        raise OutputError(
            Reason.BAD_TYPE,
            f"the result is {type(raw).__name__}; expected a dict of factor arrays, a list or "
            "tuple of them, or one (batch, k) array",
        )
    if items is not None:
        if not items:
            raise OutputError(Reason.BAD_SHAPE, "the result holds no factors")
        columns = []
        for i, item in enumerate(items):
            label = f"factor {names[i]!r}" if names else f"factor {i}"
            if type(item) is np.ndarray and item.dtype == np.float64:
                arr = item
            else:
                arr = _numeric(item, label)
            if batch is not None and arr.shape == (batch,):
                arr = arr.reshape(batch, 1)
            elif batch is None and arr.ndim == 1:
                arr = arr.reshape(-1, 1)
            if arr.ndim != 2 or arr.shape[1] != 1 or (batch is not None and arr.shape[0] != batch):
                want = f"({batch}, 1)" if batch is not None else "(batch, 1)"
                raise OutputError(
                    Reason.BAD_SHAPE, f"{label} has shape {arr.shape}, expected {want}"
                )
            columns.append(arr)
        try:
            out = np.concatenate(columns, axis=1)
        except ValueError as exc:
            raise OutputError(Reason.BAD_SHAPE, f"the factors do not stack: {exc}") from None
    if batch is not None and out.shape[0] != batch:
        raise OutputError(
            Reason.BAD_SHAPE, f"the result has shape {out.shape}, expected ({batch}, k)"
        )
    if spec.count is not None and out.shape[1] != spec.count:
        raise OutputError(
            Reason.BAD_SHAPE,
            f"the result holds {out.shape[1]} factors, expected {spec.count}",
        )
    return out, names


def all_finite(out: np.ndarray) -> bool:
    """Whether every element is finite (fast path: the sum is finite)."""
    if out.size == 0:
        return True
    # NaN and inf propagate into the sum; a non-finite sum of finite values is an overflow.
    return math.isfinite(out.sum()) or bool(np.isfinite(out).all())

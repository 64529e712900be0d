"""Typed errors and reason categories of the code-generation layer.

Every way a piece of generated code can be turned down maps to one :class:`Reason`. The
reason is machine-readable (for counters and tests); the message next to it is written for a
person, or for an LLM asked to repair its code, and names the line where there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - imports for type hints only
    from langreward.codegen.verify import VerificationResult


class Reason(StrEnum):
    """Why generated code was rejected, or why one call of it fell back.

    Extraction and policy: ``NO_CODE``, ``SYNTAX``, ``POLICY``. Verification in the child
    process: ``LOAD_ERROR`` … ``CONSTANT``. The hot path (:class:`SafeFunction`) counts
    ``EXCEPTION``, ``BAD_TYPE``, ``BAD_SHAPE`` and ``NON_FINITE``.
    """

    NO_CODE = "no_code"
    """The reply holds no Python code (or none defining the requested function)."""
    SYNTAX = "syntax"
    """The code does not parse or compile."""
    POLICY = "policy"
    """The code breaks the static policy (see :class:`Rule` for which rule)."""
    LOAD_ERROR = "load_error"
    """Running the module body raised (before the function was ever called)."""
    MISSING_FUNCTION = "missing_function"
    """The module ran but did not leave a callable under the requested name."""
    EXCEPTION = "exception"
    """The function raised."""
    TIMEOUT = "timeout"
    """The child ran past its wall-clock or CPU-time limit."""
    MEMORY = "memory"
    """The child ran out of its address-space limit."""
    CRASH = "crash"
    """The child died (a signal, an exit) without reporting a result."""
    OUTPUT_TOO_LARGE = "output_too_large"
    """The function returned (or the child wrote) more bytes than allowed."""
    BAD_TYPE = "bad_type"
    """The function returned something that is not numbers (a string, None, objects)."""
    BAD_SHAPE = "bad_shape"
    """The function returned numbers of the wrong shape or count."""
    NON_FINITE = "non_finite"
    """The output holds NaN or infinity."""
    NON_DETERMINISTIC = "non_deterministic"
    """Two calls on the same inputs gave different outputs."""
    CONSTANT = "constant"
    """The output is the same for every row of the batch."""
    INTERNAL = "internal"
    """The sandbox itself failed (could not start the child, unreadable report)."""


class Rule(StrEnum):
    """Which static-policy rule a :class:`PolicyViolation` breaks."""

    SYNTAX = "syntax"
    """The source does not parse or compile."""
    TOO_LARGE = "too_large"
    """The source is too long or too deeply nested."""
    IMPORT = "import"
    """An import of a module (or a name from a module) that is not allowed."""
    DUNDER = "dunder"
    """A ``__dunder__`` name or attribute."""
    PRIVATE_ATTRIBUTE = "private_attribute"
    """An attribute starting with an underscore."""
    FORBIDDEN_NAME = "forbidden_name"
    """A builtin that can escape the sandbox (``open``, ``eval``, ``getattr``, …)."""
    UNKNOWN_NAME = "unknown_name"
    """A name that is neither defined in the code nor an allowed builtin or module."""
    MODULE_ATTRIBUTE = "module_attribute"
    """An attribute of an allowed module that is not on its allow-list (``np.load``)."""
    FORBIDDEN_ATTRIBUTE = "forbidden_attribute"
    """An attribute that is denied on any object (``.tofile``, ``.format``, ``.gi_frame``)."""
    MODULE_AS_VALUE = "module_as_value"
    """A module used other than for ``module.attribute`` (``x = np``), or rebound."""
    STATEMENT = "statement"
    """A statement or construct that is not allowed (``global``, ``class``, ``async``, …)."""
    MISSING_FUNCTION = "missing_function"
    """The requested function is not defined at module level."""
    SIGNATURE = "signature"
    """The requested function cannot be called with the given number of arguments."""


@dataclass(frozen=True)
class PolicyViolation:
    """One broken policy rule, with where it happens.

    Attributes:
        rule: Which rule is broken.
        line: 1-based line in the checked source (0 when not tied to a line).
        col: 0-based column (0 when not tied to a line).
        message: What is wrong and, where obvious, how to fix it.
    """

    rule: Rule
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.message} [{self.rule.value}]"


class CodegenError(Exception):
    """Base class of every error raised by :mod:`langreward.codegen`.

    Attributes:
        reason: The machine-readable category.
    """

    reason: Reason = Reason.INTERNAL

    def __init__(self, message: str, reason: Reason | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    @property
    def feedback(self) -> str:
        """The message, phrased to be fed back to the LLM that wrote the code."""
        return str(self)


class ExtractionError(CodegenError, ValueError):
    """The reply holds no usable Python code."""

    reason = Reason.NO_CODE


class PolicyError(CodegenError):
    """The code breaks the static policy.

    Attributes:
        violations: Every violation found, in source order.
    """

    reason = Reason.POLICY

    def __init__(self, violations: list[PolicyViolation]) -> None:
        self.violations = list(violations)
        reason = (
            Reason.SYNTAX if any(v.rule is Rule.SYNTAX for v in self.violations) else Reason.POLICY
        )
        lines = "\n".join(f"- {v}" for v in self.violations)
        super().__init__(f"the code breaks the sandbox policy:\n{lines}", reason)

    @property
    def rules(self) -> set[Rule]:
        """The set of rules broken."""
        return {v.rule for v in self.violations}


class VerificationError(CodegenError):
    """Running the code on the sample inputs in the sandbox failed a check.

    Attributes:
        result: The full verification result (timings, outputs summary).
    """

    def __init__(self, result: VerificationResult) -> None:
        self.result = result
        super().__init__(
            f"verification failed ({result.reason}): {result.message}",
            result.reason or Reason.INTERNAL,
        )

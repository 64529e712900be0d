"""Handling code written by an LLM: extract, check, verify in a sandbox, compile.

This is the only place in langreward that touches generated code. The path is:

1. :func:`extract_code` pulls the Python source out of a reply.
2. :func:`check_policy` / :func:`enforce_policy` check it statically against an allow-list
   policy (:class:`CodePolicy`): only numpy/math, no dunders, no escaping builtins or
   attributes, no file I/O, the requested function with the right arity.
3. :func:`verify_function` runs it once on sample inputs in a fresh, resource-limited child
   process and checks the output (:class:`OutputSpec`, :class:`VerificationChecks`).
4. :func:`compile_function` compiles it once into a restricted namespace and returns a
   :class:`SafeFunction` for the hot path, which contains and counts run-time failures.

:func:`build_function` does all four. This is defence in depth for *mistakes* and casual
misbehaviour of generated code, not a security boundary against a determined attacker; see
``docs/codegen.md``.

Example:
    >>> import numpy as np
    >>> from langreward.codegen import build_function
    >>> reply = "```python\\ndef reward(obs, act):\\n    return obs[:, 0] - act[:, 0] ** 2\\n```"
    >>> obs, act = np.random.default_rng(0).normal(size=(2, 16, 3))
    >>> f = build_function(reply, function_name="reward", sample_inputs=[obs, act])
    >>> bool(np.allclose(f(obs, act), obs[:, 0] - act[:, 0] ** 2))
    True
"""

from langreward.codegen.build import build_function
from langreward.codegen.compiled import SafeFunction, SafeFunctionStats, compile_function
from langreward.codegen.errors import (
    CodegenError,
    ExtractionError,
    PolicyError,
    PolicyViolation,
    Reason,
    Rule,
    VerificationError,
)
from langreward.codegen.extract import extract_code, strip_main_guard
from langreward.codegen.namespace import make_namespace
from langreward.codegen.outputs import BATCH, OutputSpec, normalize_output
from langreward.codegen.policy import DEFAULT_POLICY, CodePolicy, check_policy, enforce_policy
from langreward.codegen.verify import (
    SandboxLimits,
    VerificationChecks,
    VerificationResult,
    run_in_sandbox,
    verify_function,
)

__all__ = [
    "BATCH",
    "DEFAULT_POLICY",
    "CodePolicy",
    "CodegenError",
    "ExtractionError",
    "OutputSpec",
    "PolicyError",
    "PolicyViolation",
    "Reason",
    "Rule",
    "SafeFunction",
    "SafeFunctionStats",
    "SandboxLimits",
    "VerificationChecks",
    "VerificationError",
    "VerificationResult",
    "build_function",
    "check_policy",
    "compile_function",
    "enforce_policy",
    "extract_code",
    "make_namespace",
    "normalize_output",
    "run_in_sandbox",
    "strip_main_guard",
    "verify_function",
]

"""The whole path from an LLM reply to a hot-path callable."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from langreward.codegen.compiled import SafeFunction, compile_function
from langreward.codegen.errors import VerificationError
from langreward.codegen.extract import extract_code
from langreward.codegen.outputs import OutputSpec
from langreward.codegen.policy import DEFAULT_POLICY, CodePolicy, enforce_policy
from langreward.codegen.verify import (
    SandboxLimits,
    VerificationChecks,
    verify_function,
)


def build_function(
    reply: str,
    *,
    function_name: str,
    sample_inputs: Sequence[np.ndarray],
    output_spec: OutputSpec = OutputSpec(),  # noqa: B008 - frozen dataclass
    checks: VerificationChecks = VerificationChecks(),  # noqa: B008 - frozen dataclass
    limits: SandboxLimits = SandboxLimits(),  # noqa: B008 - frozen dataclass
    policy: CodePolicy = DEFAULT_POLICY,
    fallback_value: float = 0.0,
    readonly_inputs: bool = True,
    from_reply: bool = True,
) -> SafeFunction:
    """Extract, check, verify in the sandbox, and compile generated code.

    Args:
        reply: The LLM reply (or the bare source, with ``from_reply=False``).
        function_name: The function the code must define.
        sample_inputs: Sample positional arguments for verification (batch first).
        output_spec: What the function must return.
        checks: Which output checks verification applies.
        limits: Resource limits of the verification child.
        policy: The static policy.
        fallback_value: Fills the array a failed hot-path call returns.
        readonly_inputs: Pass read-only views of the inputs on the hot path.
        from_reply: Whether ``reply`` still needs :func:`extract_code`.

    Returns:
        The :class:`SafeFunction`, with ``.verification`` set to the verification result.

    Raises:
        ExtractionError: No code in the reply.
        PolicyError: The code breaks the policy (``.violations`` names each line).
        VerificationError: The sandbox run failed a check (``.result`` has the details).
        All three are :class:`CodegenError` with a ``.reason`` and a message fit to feed back
        to the LLM for a repair.

    Example:
        >>> import numpy as np
        >>> reply = '''Sure:
        ... ```python
        ... import numpy as np
        ... def reward(obs, action):
        ...     return -np.abs(obs[:, 0]) - 0.01 * np.sum(action ** 2, axis=1)
        ... ```'''
        >>> rng = np.random.default_rng(0)
        >>> obs, act = rng.normal(size=(32, 4)), rng.normal(size=(32, 1))
        >>> f = build_function(reply, function_name="reward", sample_inputs=[obs, act])
        >>> f(obs, act).shape
        (32,)
    """
    source = extract_code(reply, function_name) if from_reply else reply
    enforce_policy(source, function_name, len(sample_inputs), policy)
    result = verify_function(
        source,
        function_name=function_name,
        inputs=sample_inputs,
        output_spec=output_spec,
        checks=checks,
        limits=limits,
        policy=policy,
    )
    if not result.ok:
        raise VerificationError(result)
    fn = compile_function(
        source,
        function_name=function_name,
        num_args=len(sample_inputs),
        output_spec=result.spec or output_spec,
        policy=policy,
        fallback_value=fallback_value,
        readonly_inputs=readonly_inputs,
        names=result.names,
    )
    fn.verification = result
    return fn

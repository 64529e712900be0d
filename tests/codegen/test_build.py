"""End to end: from an LLM reply to a hot-path callable, and the errors fed back for repair."""

from __future__ import annotations

import numpy as np
import pytest

from langreward.codegen import (
    CodegenError,
    ExtractionError,
    OutputSpec,
    PolicyError,
    Reason,
    Rule,
    SafeFunction,
    VerificationError,
    build_function,
)

RNG = np.random.default_rng(3)
OBS = RNG.normal(size=(48, 11))
ACT = RNG.normal(size=(48, 3))

REPLY = '''Sure! The latent factors for Hopper:

```python
import numpy as np

def compute_factors(obs, action):
    """Three factors, each (batch, 1)."""
    height = obs[:, 0:1]
    forward = obs[:, 5:6]
    energy = np.sum(action ** 2, axis=1, keepdims=True)
    return {"height": height, "forward": forward, "energy": -energy}
```

Example:

```python
factors = compute_factors(obs, action)
```
'''


def test_reply_to_callable() -> None:
    fn = build_function(
        REPLY,
        function_name="compute_factors",
        sample_inputs=[OBS, ACT],
        output_spec=OutputSpec.factors(),
    )
    assert isinstance(fn, SafeFunction)
    assert fn.names == ("height", "forward", "energy")
    assert fn.spec.names == fn.names  # the column order is pinned to the verified names
    assert fn.verification is not None and fn.verification.ok
    other_obs, other_act = RNG.normal(size=(7, 11)), RNG.normal(size=(7, 3))
    expected = np.column_stack([other_obs[:, 0], other_obs[:, 5], -np.sum(other_act**2, axis=1)])
    np.testing.assert_allclose(fn(other_obs, other_act), expected)


def test_no_code() -> None:
    with pytest.raises(ExtractionError) as info:
        build_function("I am not sure.", function_name="f", sample_inputs=[OBS, ACT])
    assert info.value.reason is Reason.NO_CODE
    assert "```python" in info.value.feedback


def test_policy_error_feedback() -> None:
    reply = "```python\nimport os\ndef f(obs, action):\n    return obs[:, 0]\n```"
    with pytest.raises(PolicyError) as info:
        build_function(reply, function_name="f", sample_inputs=[OBS, ACT])
    assert info.value.rules == {Rule.IMPORT}
    assert "line 1" in info.value.feedback


def test_verification_error_feedback() -> None:
    reply = "```python\ndef f(obs, action):\n    return obs[:, :11]\n```"
    with pytest.raises(VerificationError) as info:
        build_function(
            reply,
            function_name="f",
            sample_inputs=[OBS, ACT],
            output_spec=OutputSpec.array(("batch", 1)),
        )
    err = info.value
    assert isinstance(err, CodegenError)
    assert err.reason is Reason.BAD_SHAPE
    assert "(48, 11)" in err.feedback and "(48, 1)" in err.feedback
    assert err.result.reason is Reason.BAD_SHAPE


def test_bare_source() -> None:
    source = "def f(obs, action):\n    return obs[:, 0] * 2\n"
    fn = build_function(source, function_name="f", sample_inputs=[OBS, ACT], from_reply=False)
    np.testing.assert_allclose(fn(OBS, ACT), OBS[:, 0] * 2)

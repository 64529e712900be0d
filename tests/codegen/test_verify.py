"""Verification in the sandbox child: passing functions, checks, and what comes back."""

from __future__ import annotations

import numpy as np
import pytest

from langreward.codegen import (
    OutputSpec,
    Reason,
    SandboxLimits,
    VerificationChecks,
    verify_function,
)
from langreward.codegen.verify import run_in_sandbox

LIMITS = SandboxLimits(timeout_s=10.0)


@pytest.fixture(scope="module")
def inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.normal(size=(32, 11)), rng.normal(size=(32, 3))]


REWARD = """
import numpy as np

def reward(obs, action):
    forward = obs[:, 5]
    healthy = (np.abs(obs[:, 1]) < 0.2).astype(np.float64)
    ctrl = 1e-3 * np.sum(np.square(action), axis=1)
    return forward + healthy - ctrl
"""


def reference(obs: np.ndarray, action: np.ndarray) -> np.ndarray:
    return obs[:, 5] + (np.abs(obs[:, 1]) < 0.2) - 1e-3 * np.sum(action**2, axis=1)


def test_good_vectorised_function_passes(inputs: list[np.ndarray]) -> None:
    result = verify_function(REWARD, function_name="reward", inputs=inputs, limits=LIMITS)
    assert result.ok, result.message
    assert result.reason is None and result.message == ""
    np.testing.assert_allclose(result.outputs, reference(*inputs))
    assert result.summary["shape"] == [32]
    assert result.summary["seconds_per_call"] < 1.0
    assert 0 < result.seconds < LIMITS.timeout_s
    assert "verified" in str(result)


def test_factors_dict(inputs: list[np.ndarray]) -> None:
    source = (
        "def factors(obs, action):\n"
        "    return {'height': obs[:, 0:1], 'energy': (action ** 2).sum(axis=1, keepdims=True),\n"
        "            'speed': obs[:, 5]}\n"  # (batch,) is accepted too
    )
    result = verify_function(
        source,
        function_name="factors",
        inputs=inputs,
        output_spec=OutputSpec.factors(),
        limits=LIMITS,
    )
    assert result.ok, result.message
    assert result.names == ("height", "energy", "speed")
    assert result.outputs.shape == (32, 3)
    assert result.spec == OutputSpec.factors(names=("height", "energy", "speed"))
    np.testing.assert_allclose(result.outputs[:, 2], inputs[0][:, 5])
    assert result.summary["names"] == ["height", "energy", "speed"]


def test_factors_tuple_and_fixed_shape_array(inputs: list[np.ndarray]) -> None:
    source = "def g(obs, action):\n    return obs[:, :1], action[:, :1]\n"
    result = verify_function(
        source, function_name="g", inputs=inputs, output_spec=OutputSpec.factors(count=2)
    )
    assert result.ok, result.message
    assert result.names is None and result.outputs.shape == (32, 2)

    source = "def g(obs, action):\n    return obs[:, :2] @ np.ones((2, 1))\n"
    result = verify_function(
        source, function_name="g", inputs=inputs, output_spec=OutputSpec.array(("batch", 1))
    )
    assert result.ok, result.message


def test_checks_can_be_disabled(inputs: list[np.ndarray]) -> None:
    source = "def f(obs, action):\n    return np.zeros(len(obs))\n"
    result = verify_function(source, function_name="f", inputs=inputs)
    assert result.reason is Reason.CONSTANT
    assert result.outputs is not None  # the outputs are still reported
    relaxed = VerificationChecks(non_constant=False)
    assert verify_function(source, function_name="f", inputs=inputs, checks=relaxed).ok

    nan = "def f(obs, action):\n    return np.where(obs[:, 0] > 0, np.nan, obs[:, 0])\n"
    result = verify_function(source=nan, function_name="f", inputs=inputs)
    assert result.reason is Reason.NON_FINITE and "NaN" in result.message
    assert verify_function(
        nan, function_name="f", inputs=inputs, checks=VerificationChecks(finite=False)
    ).ok


def test_exception_message_names_the_line(inputs: list[np.ndarray]) -> None:
    source = "def f(obs, action):\n    x = obs[:, 0]\n    return obs[:, 11] + x\n"
    result = verify_function(source, function_name="f", inputs=inputs)
    assert result.reason is Reason.EXCEPTION
    assert "IndexError" in result.message
    assert "line 3" in result.message and "obs[:, 11]" in result.message


def test_read_only_inputs_message(inputs: list[np.ndarray]) -> None:
    source = "def f(obs, action):\n    obs[:, 0] = 0\n    return obs[:, 1]\n"
    result = verify_function(source, function_name="f", inputs=inputs)
    assert result.reason is Reason.EXCEPTION and "copy" in result.message


def test_print_is_silent(inputs: list[np.ndarray]) -> None:
    source = (
        "def f(obs, action):\n"
        "    for _ in range(1000):\n"
        "        print('x' * 10000)\n"
        "    return obs[:, 0]\n"
    )
    reason, _, outputs, _, stderr = run_in_sandbox(source, "f", inputs)
    assert reason is None and len(outputs) == 2 and stderr == ""


def test_integer_and_bool_outputs_become_float(inputs: list[np.ndarray]) -> None:
    source = "def f(obs, action):\n    return obs[:, 0] > 0\n"
    result = verify_function(source, function_name="f", inputs=inputs)
    assert result.ok and result.outputs.dtype == np.float64


def test_bad_inputs_are_a_caller_error() -> None:
    with pytest.raises(ValueError, match="numeric"):
        verify_function("def f(x):\n    return x\n", function_name="f", inputs=[np.array(["a"])])


def test_limits_validation() -> None:
    with pytest.raises(ValueError):
        SandboxLimits(timeout_s=0)
    with pytest.raises(ValueError):
        SandboxLimits(memory_bytes=1 << 20)
    assert SandboxLimits(timeout_s=2.5).effective_cpu_s == 4


def test_a_constant_factor_is_refused_by_name_when_asked(inputs: list[np.ndarray]) -> None:
    source = (
        "def f(obs, action):\n"
        "    return {'speed': obs[:, 0], 'bias': np.ones(len(obs)), 'tilt': obs[:, 1]}\n"
    )
    factors = OutputSpec.factors()
    assert verify_function(source, function_name="f", inputs=inputs, output_spec=factors).ok
    strict = VerificationChecks(constant_factors=True)
    result = verify_function(
        source, function_name="f", inputs=inputs, output_spec=factors, checks=strict
    )
    assert result.reason is Reason.CONSTANT
    assert result.message.startswith("factor 'bias' is the same for all")

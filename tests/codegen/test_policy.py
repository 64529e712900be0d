"""The static policy: what passes, and how violations are reported."""

from __future__ import annotations

import textwrap

import pytest

from langreward.codegen import (
    DEFAULT_POLICY,
    PolicyError,
    Reason,
    Rule,
    check_policy,
    enforce_policy,
)

TYPICAL = textwrap.dedent(
    '''
    """LaRe-style latent factors for Hopper."""
    from __future__ import annotations

    import math
    from typing import Dict

    import numpy as np
    import numpy.linalg as la
    from numpy.linalg import norm

    HEIGHT_TARGET = 1.25
    WEIGHTS = np.array([1.0, 0.5, 0.25])


    def _upright(angle: np.ndarray) -> np.ndarray:
        return np.cos(angle)


    def factors(obs: np.ndarray, action: np.ndarray) -> Dict[str, np.ndarray]:
        """Return four factors, each (batch, 1)."""
        height = obs[:, 0:1]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(height > 0, height / HEIGHT_TARGET, 0.0)
        energy = np.sum(action ** 2, axis=1, keepdims=True)
        speed = la.norm(obs[:, 5:7], axis=1, keepdims=True) + 0 * norm(obs, axis=1, keepdims=True)
        clipped = [np.clip(obs[:, i : i + 1], -1, 1) for i in range(3)]
        upright = _upright(obs[:, 1:2]) * math.pi / math.pi
        total = sum(w * c for w, c in zip(WEIGHTS, clipped))
        scale = (lambda z: z * 0.5)(total)
        try:
            safe = np.log1p(np.abs(speed))
        except (ValueError, FloatingPointError) as exc:
            raise ValueError("bad speed") from exc
        assert ratio.shape == height.shape
        if energy.max() > 1e6:
            energy = energy / energy.max()
        out = {"ratio": ratio, "energy": -energy, "speed": safe + scale, "upright": upright}
        return out
    '''
)


def test_typical_generated_code_passes() -> None:
    assert check_policy(TYPICAL, "factors", 2) == []


@pytest.mark.parametrize(
    "source",
    [
        "def f(a, b=1):\n    return a\n",  # default for the extra argument
        "def f(*args):\n    return args[0]\n",
        "def f(a, b, *, scale=1.0):\n    return a * scale\n",
        "def f(a, b):\n    while a.sum() > 0:\n        a = a - 1\n    return a\n",
        "def f(a, b):\n    x = [v for v in a if (w := v) is not None]\n    return w\n",
        "def f(a, b):\n    print('debug', a.shape)\n    return a\n",  # print is a no-op
        "def f(a, b):\n    return np.asarray(a, dtype=np.float32).T.reshape(-1)\n",
        "def f(a, b):\n    return isinstance(a, np.ndarray) and a.ndim == 2\n",
        "def f(a, b):\n    type_ = a.dtype\n    return a\n",
        "def f(a, b):\n    input = a\n    return input\n",  # shadowing a denied builtin
    ],
    ids=[
        "default-arg",
        "varargs",
        "kwonly-default",
        "while-loop",
        "walrus-in-comprehension",
        "print",
        "array-methods",
        "isinstance",
        "type-underscore",
        "local-named-input",
    ],
)
def test_allowed_constructs(source: str) -> None:
    assert check_policy(source, "f", 2) == []


def test_every_violation_is_reported_with_its_line() -> None:
    source = "import os\n\ndef f(obs, action):\n    x = obs.__class__\n    return eval('1')\n"
    violations = check_policy(source, "f", 2)
    assert [(v.line, v.rule) for v in violations] == [
        (1, Rule.IMPORT),
        (4, Rule.DUNDER),
        (5, Rule.FORBIDDEN_NAME),
    ]
    assert str(violations[0]).startswith("line 1: import of 'os' is not allowed")
    assert "eval" in violations[2].message


def test_enforce_policy_raises_with_feedback() -> None:
    with pytest.raises(PolicyError) as info:
        enforce_policy("def f(obs, action):\n    return np.load('x')\n", "f", 2)
    err = info.value
    assert err.reason is Reason.POLICY
    assert err.rules == {Rule.MODULE_ATTRIBUTE}
    assert "line 2" in err.feedback and "np.load" in err.feedback and "file I/O" in err.feedback


def test_syntax_error_reason() -> None:
    with pytest.raises(PolicyError) as info:
        enforce_policy("def f(obs, action)\n    return obs\n", "f", 2)
    assert info.value.reason is Reason.SYNTAX
    assert "line 1" in str(info.value)


def test_enforce_policy_returns_code_object() -> None:
    code = enforce_policy("def f(obs, action):\n    return obs\n", "f", 2)
    assert code.co_filename == "<generated>"


def test_function_name_and_arity_are_optional() -> None:
    assert check_policy("def g(x):\n    return x\n") == []


def test_policy_can_be_extended() -> None:
    source = "def f(obs, action):\n    return obs[:, 0] + np.random.rand(len(obs))\n"
    assert {v.rule for v in check_policy(source, "f", 2)} == {Rule.MODULE_ATTRIBUTE}
    policy = DEFAULT_POLICY.with_modules({"numpy.random": None})
    assert check_policy(source, "f", 2, policy) == []
    assert "random" not in DEFAULT_POLICY.modules["numpy"]  # the default is untouched

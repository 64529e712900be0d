"""A suite of hostile or broken generated programs: each is rejected, with the right reason.

Every case is run through :func:`verify_function` (static policy first, then the sandbox
child). A case expecting a :class:`Rule` must be stopped by the policy, before any code
runs; a case expecting a :class:`Reason` must pass the policy and be stopped by the sandbox
run or the output checks. The parent must never crash or hang.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np
import pytest

from langreward.codegen import (
    DEFAULT_POLICY,
    CodePolicy,
    OutputSpec,
    Reason,
    Rule,
    SandboxLimits,
    check_policy,
    verify_function,
)

# Generous wall-clock limits for cases that end by themselves (the machine may be loaded),
# short ones for the cases that only end by timing out.
LIMITS = SandboxLimits(timeout_s=10.0, memory_bytes=512 << 20, max_output_bytes=1 << 20)
LOOP_LIMITS = SandboxLimits(timeout_s=1.5, memory_bytes=512 << 20, max_output_bytes=1 << 20)

# A deliberately weakened policy, to show that the *sandbox* contains what the policy would
# normally stop (crashes through os/signal, np.random).
PERMISSIVE = DEFAULT_POLICY.with_modules({"os": None, "signal": None, "sys": None})
WITH_RANDOM = DEFAULT_POLICY.with_modules({"numpy.random": None})


@dataclass(frozen=True)
class Case:
    id: str
    body: str  # the body of `def f(obs, action):`, or a full module when `module` is set
    expected: Rule | Reason
    module: bool = False
    spec: OutputSpec = field(default_factory=OutputSpec)
    policy: CodePolicy = DEFAULT_POLICY
    limits: SandboxLimits = LIMITS

    @property
    def source(self) -> str:
        if self.module:
            return textwrap.dedent(self.body)
        return "import numpy as np\n\ndef f(obs, action):\n" + textwrap.indent(
            textwrap.dedent(self.body), "    "
        )


def mod(id: str, body: str, expected: Rule | Reason, **kw: object) -> Case:
    return Case(id, body, expected, module=True, **kw)  # type: ignore[arg-type]


POLICY_CASES = [
    # -- imports -------------------------------------------------------------------------
    Case("import-os", "import os\nreturn obs[:, 0]", Rule.IMPORT),
    Case("import-sys", "import sys\nreturn obs[:, 0]", Rule.IMPORT),
    Case("import-subprocess", "import subprocess\nsubprocess.run(['ls'])\nreturn obs[:, 0]", Rule.IMPORT),
    Case("import-socket", "import socket\nreturn obs[:, 0]", Rule.IMPORT),
    Case("import-ctypes", "import ctypes\nreturn obs[:, 0]", Rule.IMPORT),
    Case("import-builtins", "import builtins\nreturn obs[:, 0]", Rule.IMPORT),
    Case("import-importlib", "import importlib\nreturn obs[:, 0]", Rule.IMPORT),
    Case("import-pickle", "import pickle\nreturn obs[:, 0]", Rule.IMPORT),
    Case("import-signal-alarm", "import signal\nsignal.alarm(1)\nreturn obs[:, 0]", Rule.IMPORT),
    Case("import-os-fork", "import os\nos.fork()\nreturn obs[:, 0]", Rule.IMPORT),
    Case("from-os-system", "from os import system\nreturn obs[:, 0]", Rule.IMPORT),
    Case("from-numpy-load", "from numpy import load\nreturn load('x.npy')", Rule.IMPORT),
    Case("import-numpy-random", "import numpy.random\nreturn obs[:, 0]", Rule.IMPORT),
    Case("from-numpy-lib", "from numpy.lib import stride_tricks\nreturn obs[:, 0]", Rule.IMPORT),
    Case("star-import", "from numpy import *\nreturn obs[:, 0]", Rule.IMPORT),
    mod("relative-import", "from . import x\ndef f(obs, action):\n    return obs[:, 0]\n", Rule.IMPORT),
    # -- dunders and private attributes ----------------------------------------------------
    Case("dunder-import", "os = __import__('os')\nreturn obs[:, 0]", Rule.DUNDER),
    Case("dunder-builtins", "e = __builtins__['eval']\nreturn obs[:, 0]", Rule.DUNDER),
    Case(
        "subclasses-escape",
        "for c in ().__class__.__bases__[0].__subclasses__():\n    pass\nreturn obs[:, 0]",
        Rule.DUNDER,
    ),
    Case("obs-class", "t = obs.__class__\nreturn obs[:, 0]", Rule.DUNDER),
    Case("func-globals", "g = f.__globals__\nreturn obs[:, 0]", Rule.DUNDER),
    Case("lambda-code", "c = (lambda: 0).__code__\nreturn obs[:, 0]", Rule.DUNDER),
    Case("module-dict", "d = np.__dict__\nreturn obs[:, 0]", Rule.DUNDER),
    Case("np-private-core", "m = np._core\nreturn obs[:, 0]", Rule.PRIVATE_ATTRIBUTE),
    # -- forbidden builtins ------------------------------------------------------------------
    Case("open-passwd", "open('/etc/passwd').read()\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("eval", "return eval('obs[:, 0]')", Rule.FORBIDDEN_NAME),
    Case("exec", "exec('import os')\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("compile", "c = compile('1', 'x', 'eval')\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("globals", "globals()['x'] = 1\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("locals-vars", "v = vars()\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("getattr-dunder-string", "c = getattr(obs, '__cla' + 'ss__')\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("setattr", "setattr(np, 'x', 1)\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("type-3-args", "T = type('T', (), {})\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("object-subclasses", "s = object\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("breakpoint", "breakpoint()\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("input", "x = input()\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("help", "help(np)\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("memoryview", "m = memoryview(obs)\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    Case("exit", "exit(0)", Rule.FORBIDDEN_NAME),
    Case("lambda-eval-escape", "g = (lambda: eval)\nreturn g()('obs[:, 0]')", Rule.FORBIDDEN_NAME),
    Case("catch-base-exception", "try:\n    pass\nexcept BaseException:\n    pass\nreturn obs[:, 0]", Rule.FORBIDDEN_NAME),
    # -- unknown names ---------------------------------------------------------------------
    Case("os-without-import", "os.system('ls')\nreturn obs[:, 0]", Rule.UNKNOWN_NAME),
    Case("sys-modules", "m = sys.modules\nreturn obs[:, 0]", Rule.UNKNOWN_NAME),
    # -- numpy I/O and escapes -----------------------------------------------------------
    Case("np-load", "return np.load('/tmp/x.npy')", Rule.MODULE_ATTRIBUTE),
    Case("np-save", "np.save('/tmp/x.npy', obs)\nreturn obs[:, 0]", Rule.MODULE_ATTRIBUTE),
    Case("np-savetxt", "np.savetxt('/tmp/x.txt', obs)\nreturn obs[:, 0]", Rule.MODULE_ATTRIBUTE),
    Case("np-fromfile", "return np.fromfile('/etc/passwd')", Rule.MODULE_ATTRIBUTE),
    Case("np-memmap", "m = np.memmap('/tmp/x', mode='w+', shape=(10,))\nreturn obs[:, 0]", Rule.MODULE_ATTRIBUTE),
    Case("np-ctypeslib", "l = np.ctypeslib.load_library('libc', '/lib')\nreturn obs[:, 0]", Rule.MODULE_ATTRIBUTE),
    Case("np-as-strided", "return np.lib.stride_tricks.as_strided(obs, (10**6,), (8,))", Rule.MODULE_ATTRIBUTE),
    Case("np-testing", "np.testing.assert_equal(1, 1)\nreturn obs[:, 0]", Rule.MODULE_ATTRIBUTE),
    Case("np-f2py", "np.f2py.compile('x')\nreturn obs[:, 0]", Rule.MODULE_ATTRIBUTE),
    Case("np-random-default", "return np.random.rand(len(obs))", Rule.MODULE_ATTRIBUTE),
    Case("np-seterr", "np.seterr(all='raise')\nreturn obs[:, 0]", Rule.MODULE_ATTRIBUTE),
    Case("ndarray-tofile", "obs.tofile('/tmp/x')\nreturn obs[:, 0]", Rule.FORBIDDEN_ATTRIBUTE),
    Case("ndarray-dump", "obs.dump('/tmp/x')\nreturn obs[:, 0]", Rule.FORBIDDEN_ATTRIBUTE),
    Case("ndarray-ctypes", "p = obs.ctypes.data\nreturn obs[:, 0]", Rule.FORBIDDEN_ATTRIBUTE),
    Case("unlock-read-only-input", "obs.setflags(write=True)\nobs[:] = 0\nreturn obs[:, 0]", Rule.FORBIDDEN_ATTRIBUTE),
    Case("flags-writeable", "obs.flags.writeable = True\nreturn obs[:, 0]", Rule.FORBIDDEN_ATTRIBUTE),
    Case("write-through-view-base", "obs.base[:] = 0\nreturn obs[:, 0]", Rule.FORBIDDEN_ATTRIBUTE),
    Case("str-format-escape", "s = '{0.__class__}'.format(obs)\nreturn obs[:, 0]", Rule.FORBIDDEN_ATTRIBUTE),
    Case(
        "generator-frame-escape",
        "g = (x for x in [1])\nb = g.gi_frame.f_back.f_builtins\nreturn obs[:, 0]",
        Rule.FORBIDDEN_ATTRIBUTE,
    ),
    # -- module aliasing ------------------------------------------------------------------
    Case("alias-module-then-load", "m = np\nreturn m.load('x')", Rule.MODULE_AS_VALUE),
    Case("alias-submodule", "la = np.linalg\nreturn la.norm(obs, axis=1)", Rule.MODULE_AS_VALUE),
    Case("rebind-np", "np = obs\nreturn np[:, 0]", Rule.MODULE_AS_VALUE),
    Case("patch-module-attribute", "np.sum = np.prod\nreturn obs[:, 0]", Rule.MODULE_AS_VALUE),
    # -- statements ------------------------------------------------------------------------
    mod("global", "n = 0\ndef f(obs, action):\n    global n\n    n += 1\n    return obs[:, 0] * n\n", Rule.STATEMENT),
    mod(
        "nonlocal",
        "def f(obs, action):\n    n = 0\n    def g():\n        nonlocal n\n        n += 1\n    g()\n    return obs[:, 0]\n",
        Rule.STATEMENT,
    ),
    mod("async", "async def f(obs, action):\n    return obs[:, 0]\n", Rule.STATEMENT),
    mod("class", "class C:\n    pass\ndef f(obs, action):\n    return obs[:, 0]\n", Rule.STATEMENT),
    mod("decorator", "@np.vectorize\ndef f(obs, action):\n    return obs\n", Rule.STATEMENT),
    Case("yield", "yield obs[:, 0]", Rule.STATEMENT),
    Case(
        "match-class-pattern",
        "match obs:\n    case np.ndarray(shape=s):\n        pass\nreturn obs[:, 0]",
        Rule.STATEMENT,
    ),
    Case("bare-except", "try:\n    x = 1\nexcept:\n    pass\nreturn obs[:, 0]", Rule.STATEMENT),
    mod("module-level-loop", "while True:\n    pass\ndef f(obs, action):\n    return obs[:, 0]\n", Rule.STATEMENT),
    mod(
        "module-level-example-call",
        "import numpy as np\ndef f(obs, action):\n    return obs[:, 0]\nprint(f(np.ones((2, 2)), None))\n",
        Rule.STATEMENT,
    ),
    # -- broken programs --------------------------------------------------------------------
    Case("syntax-error", "return obs[:, 0", Rule.SYNTAX),
    mod("compile-time-error", "def f(obs, action):\n    break\n", Rule.SYNTAX),
    mod("null-byte", "def f(obs, action):\n    return obs\x00\n", Rule.SYNTAX),
    mod("missing-function", "def g(obs, action):\n    return obs[:, 0]\n", Rule.MISSING_FUNCTION),
    mod("wrong-signature", "def f(obs):\n    return obs[:, 0]\n", Rule.SIGNATURE),
    mod("too-many-required-args", "def f(obs, action, extra):\n    return obs[:, 0]\n", Rule.SIGNATURE),
    mod("required-kwonly", "def f(obs, action, *, k):\n    return obs[:, 0]\n", Rule.SIGNATURE),
    mod("huge-source", "def f(obs, action):\n    return obs[:, 0]\n" + "# pad\n" * 20_000, Rule.TOO_LARGE),
    mod("deep-nesting", "X = " + "-" * 40_000 + "1\ndef f(obs, action):\n    return obs[:, 0]\n", Rule.TOO_LARGE),
]  # fmt: skip

SANDBOX_CASES = [
    # -- time ------------------------------------------------------------------------------
    Case("infinite-loop", "while True:\n    pass", Reason.TIMEOUT, limits=LOOP_LIMITS),
    Case("long-python-loop", "x = 0\nfor i in range(10**12):\n    x += i\nreturn obs[:, 0]", Reason.TIMEOUT, limits=LOOP_LIMITS),
    Case("long-c-loop", "s = sum(range(10**13))\nreturn obs[:, 0]", Reason.TIMEOUT, limits=LOOP_LIMITS),
    Case("huge-factorial", "x = math.factorial(10**8)\nreturn obs[:, 0]", Reason.TIMEOUT, limits=LOOP_LIMITS),
    mod("module-level-slow-constant", "X = sum(range(10**13))\ndef f(obs, action):\n    return obs[:, 0]\n", Reason.TIMEOUT, limits=LOOP_LIMITS),
    # -- memory ----------------------------------------------------------------------------
    Case("np-ones-1e12", "x = np.ones(10**12)\nreturn obs[:, 0]", Reason.MEMORY),
    Case("np-zeros-square", "x = np.zeros((10**5, 10**5))\nreturn obs[:, 0]", Reason.MEMORY),
    Case("list-bomb", "x = [0] * 10**10\nreturn obs[:, 0]", Reason.MEMORY),
    Case("string-bomb", "x = 'a' * 10**10\nreturn obs[:, 0]", Reason.MEMORY),
    Case("growing-list", "xs = []\nwhile True:\n    xs.append(np.empty(10**7))", Reason.MEMORY),
    mod("module-level-memory-bomb", "import numpy as np\nBIG = np.ones(10**12)\ndef f(obs, action):\n    return obs[:, 0]\n", Reason.MEMORY),
    Case("recursion-bomb", "return f(obs, action)", Reason.EXCEPTION),
    # -- output ----------------------------------------------------------------------------
    Case("huge-output", "return np.zeros(10**7)", Reason.OUTPUT_TOO_LARGE),
    Case("huge-list-output", "return [np.zeros(10**6)] * 1000", Reason.OUTPUT_TOO_LARGE),
    Case("wrong-shape", "return obs", Reason.BAD_SHAPE),
    Case("scalar-output", "return float(obs.sum())", Reason.BAD_SHAPE),
    Case("transposed-output", "return obs[:, :1].T", Reason.BAD_SHAPE),
    Case("nan-output", "return np.full(len(obs), np.nan)", Reason.NON_FINITE),
    Case("inf-output", "return obs[:, 0] / 0.0", Reason.NON_FINITE),
    Case("log-of-negative", "return np.log(obs[:, 0])", Reason.NON_FINITE),
    Case("returns-string", "return 'high reward'", Reason.BAD_TYPE),
    Case("returns-none", "x = obs[:, 0]", Reason.BAD_TYPE),
    Case("returns-string-array", "return np.array(['a'] * len(obs))", Reason.BAD_TYPE),
    Case("returns-complex", "return obs[:, 0] + 1j", Reason.BAD_TYPE),
    Case("returns-dict-for-array", "return {'r': obs[:, 0]}", Reason.BAD_TYPE),
    Case("returns-function", "return f", Reason.BAD_TYPE),
    Case("ragged-list", "return [obs[:, 0], obs[:2, 0]]", Reason.BAD_TYPE),
    Case(
        "factors-wrong-shape",
        "return {'a': obs[:, :1], 'b': obs[:, :2]}",
        Reason.BAD_SHAPE,
        spec=OutputSpec.factors(),
    ),
    Case(
        "factors-wrong-count",
        "return [obs[:, :1], obs[:, 1:2]]",
        Reason.BAD_SHAPE,
        spec=OutputSpec.factors(count=3),
    ),
    Case("factors-not-a-container", "return 'abc'", Reason.BAD_TYPE, spec=OutputSpec.factors()),
    # -- exceptions ------------------------------------------------------------------------
    Case("raises", "raise ValueError('no idea')", Reason.EXCEPTION),
    Case("zero-division", "return obs[:, 0] * (1 / 0)", Reason.EXCEPTION),
    Case("index-out-of-range", "return obs[:, 11]", Reason.EXCEPTION),
    Case("matmul-shape-error", "return obs @ action", Reason.EXCEPTION),
    Case("mutates-input", "obs[:, 0] = 0.0\nreturn obs[:, 1]", Reason.EXCEPTION),
    Case("axis-error", "import numpy.linalg as la\nreturn la.norm(obs, axis=2)", Reason.EXCEPTION),
    mod("module-level-error", "X = 1 / 0\ndef f(obs, action):\n    return obs[:, 0]\n", Reason.LOAD_ERROR),
    mod("function-rebound-to-constant", "def f(obs, action):\n    return obs[:, 0]\nf = 3\n", Reason.MISSING_FUNCTION),
    # -- checks ----------------------------------------------------------------------------
    Case("constant-output", "return np.zeros(len(obs))", Reason.CONSTANT),
    mod(
        "state-in-mutable-default",
        "def f(obs, action, _n=[0]):\n    _n[0] += 1\n    return obs[:, 0] * _n[0]\n",
        Reason.NON_DETERMINISTIC,
    ),
    Case("unseeded-np-random", "return obs[:, 0] + np.random.rand(len(obs))", Reason.NON_DETERMINISTIC, policy=WITH_RANDOM),
    # -- the sandbox contains what a weakened policy lets through --------------------------
    Case("abort", "import os\nos.abort()", Reason.CRASH, policy=PERMISSIVE),
    Case("segfault-signal", "import signal\nsignal.raise_signal(signal.SIGSEGV)", Reason.CRASH, policy=PERMISSIVE),
    Case("sys-exit", "import sys\nsys.exit(0)", Reason.EXCEPTION, policy=PERMISSIVE),
    Case("cpu-limit-signal", "import signal\nsignal.raise_signal(signal.SIGXCPU)", Reason.TIMEOUT, policy=PERMISSIVE),
    # RLIMIT_FSIZE caps every file the child writes, its redirected stdout included.
    Case("stdout-flood", "import os\nos.write(1, b'x' * (64 << 20))\nreturn obs[:, 0]", Reason.EXCEPTION, policy=PERMISSIVE),
]  # fmt: skip

ALL_CASES = POLICY_CASES + SANDBOX_CASES


def test_suite_is_large_enough() -> None:
    assert len(ALL_CASES) >= 40
    assert len({c.id for c in ALL_CASES}) == len(ALL_CASES)


@pytest.fixture(scope="module")
def inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(size=(16, 4)), rng.normal(size=(16, 2))]


@pytest.mark.parametrize("case", POLICY_CASES, ids=lambda c: c.id)
def test_policy_rejects(case: Case, inputs: list[np.ndarray]) -> None:
    rules = {v.rule for v in check_policy(case.source, "f", 2, case.policy)}
    assert case.expected in rules, rules
    # The full verification stops at the policy: no child process is started.
    result = verify_function(case.source, function_name="f", inputs=inputs, limits=LIMITS)
    assert not result.ok
    assert result.reason in (Reason.POLICY, Reason.SYNTAX)
    assert result.message
    if case.expected not in (Rule.TOO_LARGE, Rule.MISSING_FUNCTION):
        assert "line " in result.message  # every rejection names its line


@pytest.mark.parametrize("case", SANDBOX_CASES, ids=lambda c: c.id)
def test_sandbox_rejects(case: Case, inputs: list[np.ndarray]) -> None:
    assert check_policy(case.source, "f", 2, case.policy) == [], "must pass the policy"
    result = verify_function(
        case.source,
        function_name="f",
        inputs=inputs,
        output_spec=case.spec,
        limits=case.limits,
        policy=case.policy,
    )
    assert not result.ok
    assert result.reason == case.expected, (result.reason, result.message, result.stderr)
    assert result.message
    assert result.seconds < case.limits.timeout_s + 5.0

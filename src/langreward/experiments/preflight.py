"""The pre-flight check of a config loaded for a run: what validation alone cannot see.

Run before a run directory exists and before any LLM call (``langreward run`` and ``sweep``,
:func:`~langreward.experiments.run_experiment` and every sweep grid point): the env is made
once with the user's ``env.kwargs`` (and reset once), and the method's own rules that depend
on the env or the algorithm's settings (:attr:`~langreward.plugin.Method.preflight`) run on it.
Anything the env raises becomes one line naming ``env.kwargs`` and the env's own message.

Example:
    >>> from langreward.experiments import validate_config
    >>> config = validate_config(
    ...     {"name": "x", "env": {"id": "CartPole-v1", "kwargs": {"N": 3}}, "algo": "ppo",
    ...      "total_timesteps": 100})
    >>> print(preflight_problems(config)[0])  # doctest: +ELLIPSIS
    env.kwargs: gymnasium.make('CartPole-v1', N=3) failed: TypeError: ...unexpected keyword argument 'N'...
"""

from __future__ import annotations

import inspect
import re
import traceback
from pathlib import Path
from typing import Any

import gymnasium as gym

from langreward.experiments.config import ExperimentConfig
from langreward.experiments.errors import ConfigError

#: config keys (everything but name and seeds) that passed in this process
_PASSED: set[str] = set()
_GYM_SUFFIX = re.compile(r" was raised from the environment creator for .*$", re.DOTALL)


def preflight(config: ExperimentConfig, source: str | None = None) -> None:
    """Check ``config`` as :func:`preflight_problems` does (once per process and config).

    Args:
        config: the validated config.
        source: what to name before each line (the config file, a sweep grid point).

    Raises:
        ConfigError: one line per problem, naming the config field.
    """
    key = config.config_key()
    if key in _PASSED:
        return
    problems = preflight_problems(config)
    if problems:
        raise ConfigError([f"{source}: {p}" if source else p for p in problems])
    _PASSED.add(key)


def preflight_problems(config: ExperimentConfig) -> list[str]:
    """Make the env with ``env.kwargs`` and run the method's ``preflight`` on it.

    Returns:
        One line per problem (empty: the run can start). A missing optional dependency
        (``ModuleNotFoundError``, Gymnasium's ``DependencyNotInstalled``) is raised as it is,
        so the CLI says what to install.
    """
    from langreward.plugin import PreflightInfo, get_method, prepare_env
    from langreward.rl.envs import env_kwargs_problem, import_env_modules

    env_id, kwargs = config.env.id, dict(config.env.kwargs)
    import_env_modules(config.env.imports, env_id)
    prepare_env(env_id, get_method(config.method))
    if problem := env_kwargs_problem(env_id, kwargs):
        return [problem]
    try:
        env = gym.make(env_id, **kwargs)
    except (ModuleNotFoundError, gym.error.DependencyNotInstalled):
        raise
    except Exception as exc:
        return [_env_failure(env_id, kwargs, exc, "gymnasium.make")]
    try:
        try:
            env.reset(seed=config.seeds[0])
        except Exception as exc:
            return [_env_failure(env_id, kwargs, exc, "reset")]
        method = get_method(config.method)
        if method.preflight is None:
            return []
        info = PreflightInfo(
            env_id=env_id,
            env=env,
            env_kwargs=kwargs,
            algo=config.algo,
            algo_kwargs=dict(config.algo_kwargs),
            n_envs=config.n_envs,
            total_timesteps=config.total_timesteps,
        )
        return list(method.preflight(config.method_settings(), info))
    finally:
        try:
            env.close()
        except Exception:  # a broken close must not hide the outcome
            pass


def _env_failure(env_id: str, kwargs: dict[str, Any], exc: Exception, step: str) -> str:
    """One line: which call failed with the user's kwargs, and the env's own words."""
    args = ", ".join([repr(env_id), *(f"{k}={v!r}" for k, v in kwargs.items())])
    call = f"gymnasium.make({args})" if step == "gymnasium.make" else f"reset() of {env_id}"
    field = "env.kwargs" if kwargs else "env.id"
    line = f"{field}: {call} failed: {describe_exception(exc)}"
    if isinstance(exc, TypeError) and "unexpected keyword argument" in str(exc):
        accepted = accepted_kwargs(env_id)
        if accepted:
            line += f"; {env_id} takes: {', '.join(accepted)}"
    return line


def describe_exception(exc: BaseException) -> str:
    """``Type: message``; for an empty message, where it was raised (file, line, function
    and the source line), e.g. an ``assert`` with no message inside an env.

    Example:
        >>> def check(width):
        ...     assert width > 0
        >>> try:
        ...     check(0)
        ... except AssertionError as exc:
        ...     print(describe_exception(exc))  # doctest: +ELLIPSIS
        AssertionError (no message) raised at ...:2 in check: assert width > 0
    """
    # Gymnasium repeats every kwarg (defaults included) after a creator's TypeError
    message = _GYM_SUFFIX.sub("", str(exc).strip())
    if message:
        return f"{type(exc).__name__}: {message}"
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return f"{type(exc).__name__} (no message)"
    frame = frames[-1]
    where = "/".join(Path(frame.filename).parts[-2:])
    source = f": {frame.line.strip()}" if frame.line else ""
    return f"{type(exc).__name__} (no message) raised at {where}:{frame.lineno} in {frame.name}{source}"


def accepted_kwargs(env_id: str) -> list[str]:
    """The keyword arguments ``env_id``'s class takes (``[]`` when they cannot be read)."""
    try:
        spec = gym.spec(env_id.partition(":")[2] or env_id)
        entry = spec.entry_point
        creator = gym.envs.registration.load_env_creator(entry) if isinstance(entry, str) else entry
        if creator is None:  # no entry point: nothing to read (signature(None) raised before)
            return []
        params = inspect.signature(creator).parameters.values()
    except Exception:
        return []
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in params if p.kind in kinds and p.name != "self"]

"""The SB3 algorithms a config may name, and the checks on their keyword arguments."""

from __future__ import annotations

import copy
import importlib
import inspect
from typing import Any

from stable_baselines3.common.base_class import BaseAlgorithm

from langreward.experiments.errors import ConfigError

ALGOS: dict[str, str] = {
    "ppo": "PPO",
    "a2c": "A2C",
    "dqn": "DQN",
    "sac": "SAC",
    "td3": "TD3",
}
OFF_POLICY = frozenset({"dqn", "sac", "td3"})

# Arguments the runner sets itself, with the config field to use instead.
RESERVED_KWARGS = {
    "policy": "the top-level 'policy' field",
    "env": "the 'env' section",
    "seed": "the top-level 'seeds' field",
    "tensorboard_log": "nothing (the runner writes TensorBoard logs into the run directory)",
}

_ACTIVATIONS = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "elu": "ELU",
    "leaky_relu": "LeakyReLU",
    "gelu": "GELU",
    "silu": "SiLU",
}


def algo_class(algo: str) -> type[BaseAlgorithm]:
    """The SB3 class for an algorithm name (``"ppo"`` → ``stable_baselines3.PPO``)."""
    try:
        name = ALGOS[algo]
    except KeyError:
        raise ConfigError(
            f"algo: unknown algorithm {algo!r}; choose one of {sorted(ALGOS)}"
        ) from None
    return getattr(importlib.import_module("stable_baselines3"), name)


def valid_algo_kwargs(algo: str) -> list[str]:
    """The keyword arguments the algorithm's constructor accepts from a config (sorted)."""
    params = inspect.signature(algo_class(algo).__init__).parameters
    return sorted(
        name
        for name, p in params.items()
        if name not in {"self", "_init_setup_model", *RESERVED_KWARGS}
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    )


def check_algo_kwargs(algo: str, kwargs: dict[str, Any]) -> list[str]:
    """Problems with ``algo_kwargs`` for ``algo``: one line per unknown or reserved name."""
    valid = set(valid_algo_kwargs(algo))
    problems = []
    for key in kwargs:
        if key in RESERVED_KWARGS:
            problems.append(
                f"algo_kwargs.{key}: set by the runner; use {RESERVED_KWARGS[key]} instead"
            )
        elif key not in valid:
            problems.append(
                f"algo_kwargs.{key}: not an argument of {ALGOS[algo]}; "
                f"valid names: {', '.join(sorted(valid))}"
            )
    return problems


def prepare_algo_kwargs(algo: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Turn YAML-friendly values into what SB3 expects.

    ``train_freq: [1, episode]`` becomes a tuple; ``policy_kwargs.activation_fn: tanh`` becomes
    ``torch.nn.Tanh``.
    """
    out = copy.deepcopy(dict(kwargs))  # SB3 writes into policy_kwargs (use_sde): not the config's
    if isinstance(out.get("train_freq"), list):
        out["train_freq"] = tuple(out["train_freq"])
    policy_kwargs = out.get("policy_kwargs")
    if isinstance(policy_kwargs, dict) and isinstance(policy_kwargs.get("activation_fn"), str):
        import torch

        name = policy_kwargs["activation_fn"]
        if name not in _ACTIVATIONS:
            raise ConfigError(
                f"algo_kwargs.policy_kwargs.activation_fn: unknown activation {name!r}; "
                f"choose one of {sorted(_ACTIVATIONS)}"
            )
        out["policy_kwargs"] = {
            **policy_kwargs,
            "activation_fn": getattr(torch.nn, _ACTIVATIONS[name]),
        }
    return out

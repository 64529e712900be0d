"""The experiment config: one YAML file, validated by pydantic, with ``--set`` overrides.

Example file (``configs/baseline/cartpole-ppo.yaml``)::

    name: cartpole-ppo
    method: baseline
    env: {id: CartPole-v1}
    algo: ppo
    algo_kwargs: {n_steps: 128}
    total_timesteps: 50000
    seeds: 5                # or a list: [0, 1, 2]
    eval: {every: 10000, episodes: 10}
    checkpoint_every: 10000
    threshold: 475

Example use::

    config = load_config("configs/baseline/cartpole-ppo.yaml", ["algo_kwargs.n_steps=256"])
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
)

from langreward.experiments.errors import ConfigError
from langreward.experiments.overrides import apply_overrides, normalize_raw
from langreward.experiments.yamlio import dump_yaml, read_yaml

AlgoName = Literal["ppo", "dqn", "a2c", "sac", "td3"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnvConfig(_Strict):
    """The Gymnasium environment: an id, kwargs, and modules that register it.

    ``id`` is what ``gymnasium.make`` takes: a registered id, or ``"mypackage.envs:MyEnv-v0"``
    (the module is imported first, which registers the env). ``imports`` lists more modules
    to import in every process of a run (local sweep workers and Ray tasks too) before the
    env is made; it is left out of the saved config while empty, so that run directories of
    configs without it keep their names.
    """

    id: str = Field(min_length=1)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    imports: list[str] = Field(
        default_factory=list,
        description="modules to import in every process of a run (they register the env)",
    )

    @field_validator("imports", mode="before")
    @classmethod
    def _one_module(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_serializer(mode="wrap")
    def _without_empty_imports(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if not self.imports:
            data.pop("imports", None)
        return data


class EvalConfig(_Strict):
    """Evaluation on the original reward: every N steps during training (0: only at the end)."""

    every: int = Field(default=0, ge=0)
    episodes: int = Field(default=10, ge=1)
    deterministic: bool = True


class ExperimentConfig(BaseModel):
    """One experiment: a method, an env, an SB3 algorithm, a budget and seeds.

    Besides the fields below, a config may hold one section per registered method, named
    after it (``lmgt: {...}``); :func:`validate_config` checks each against the method's
    settings class. The sections are kept as written (``to_dict``), so a sweep's grid values
    apply to what the user wrote; :meth:`resolved_dict` fills in every default.
    """

    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)
    method: str = Field(default="baseline", min_length=1)
    env: EnvConfig
    algo: AlgoName | None = None
    algo_kwargs: dict[str, Any] = Field(default_factory=dict)
    policy: str = "MlpPolicy"
    n_envs: int = Field(default=1, ge=1)
    total_timesteps: int = Field(gt=0)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    llm: str = Field(default="embedded", min_length=1)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    checkpoint_every: int = Field(default=0, ge=0)
    threshold: float | None = None
    threshold_window: int = Field(default=20, ge=1)
    torch_threads: int = Field(
        default=1,
        ge=0,
        description="torch threads of the training process (0: torch's default, all cores)",
    )

    @field_validator("seeds", mode="before")
    @classmethod
    def _seed_count(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                raise ValueError("a seed count must be at least 1 (or give a list of seeds)")
            return list(range(value))
        return value

    @field_validator("seeds")
    @classmethod
    def _unique_seeds(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError(f"seeds must be distinct (got {value})")
        return value

    # -- helpers ------------------------------------------------------------------------
    def sections(self) -> dict[str, Any]:
        """The method sections as written (``{"lmgt": {...}}``)."""
        return dict(self.model_extra or {})

    def method_section(self) -> dict[str, Any]:
        """The chosen method's section as written (``{}`` when there is none)."""
        return dict(self.sections().get(self.method) or {})

    def method_settings(self) -> BaseModel:
        """The chosen method's validated settings object (defaults filled in)."""
        from langreward.plugin import get_method

        return get_method(self.method).settings.model_validate(self.method_section())

    def resolved_dict(self) -> dict[str, Any]:
        """:meth:`to_dict` with the chosen method's section complete (every default)."""
        data = self.to_dict()
        data[self.method] = self.method_settings().model_dump(mode="json")
        return data

    def for_seed(self, seed: int) -> ExperimentConfig:
        """This config restricted to one seed (what a run directory's ``config.yaml`` holds)."""
        return self.model_copy(update={"seeds": [seed]})

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as plain JSON-able data."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The resolved config as YAML."""
        return dump_yaml(self.to_dict())

    def config_key(self) -> str:
        """A short hash of everything but ``name`` and ``seeds``: runs with equal keys are seeds
        of one configuration."""
        data = {k: v for k, v in self.to_dict().items() if k not in ("name", "seeds")}
        return short_hash(data)

    def run_key(self, seed: int) -> str:
        """A short hash of the configuration and one seed (the suffix of its run directory)."""
        data = {k: v for k, v in self.to_dict().items() if k != "seeds"}
        return short_hash({**data, "seed": seed})


def short_hash(data: Any) -> str:
    blob = json.dumps(data, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:8]


# -- loading and validation -----------------------------------------------------------------
def validate_config(
    data: Mapping[str, Any], source: str = "config", *, check_algo: bool = True
) -> ExperimentConfig:
    """Validate a raw mapping into an :class:`ExperimentConfig`.

    Args:
        data: the parsed YAML (shorthands allowed, e.g. ``env: CartPole-v1``).
        source: what to name in error messages (a file path, ``"sweep grid"``...).
        check_algo: also check ``algo_kwargs`` against the SB3 constructor (imports SB3).

    Raises:
        ConfigError: one line per problem: ``<source>: <field.path>: <what is allowed>``.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{source}: the config must be a mapping of fields (name, method, env, algo, ...), "
            f"got {type(data).__name__}"
        )
    try:
        config = ExperimentConfig.model_validate(normalize_raw(data))
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None
    problems = check_method_sections(config) + _env_and_llm_problems(config)
    if problems:
        raise ConfigError([f"{source}: {p}" for p in problems])
    if check_algo and config.algo is not None:
        from langreward.experiments.algos import check_algo_kwargs

        problems = check_algo_kwargs(config.algo, config.algo_kwargs)
        if problems:
            raise ConfigError([f"{source}: {p}" for p in problems])
    return config


def _env_and_llm_problems(config: ExperimentConfig) -> list[str]:
    """An env id Gymnasium does not know, or an LLM spec that cannot name a backend."""
    from langreward.llm.spec import spec_problem
    from langreward.plugin import MethodNotAvailableError, get_method
    from langreward.plugin.envs import declare_env_families
    from langreward.rl.envs import env_id_problem, env_imports_problem

    try:  # the method's own env families (TEDUO's levels), so that their ids are known
        declare_env_families(get_method(config.method))
    except MethodNotAvailableError:
        pass  # check_method_sections says so
    problems = []
    imports_problem = env_imports_problem(config.env.imports, config.env.id)
    if imports_problem:
        problems.append(f"env.imports: {imports_problem}")
    env_problem = None if imports_problem else env_id_problem(config.env.id, config.env.imports)
    if env_problem:
        problems.append(f"env.id: {env_problem}")
    llm_problem = spec_problem(config.llm)
    if llm_problem:
        problems.append(f"llm: {llm_problem}")
    return problems


def check_method_sections(config: ExperimentConfig) -> list[str]:
    """Problems with ``method`` and the method sections (one line each, naming the field).

    The chosen method must be registered and importable; every section must be named after a
    registered method and validate against its settings (sections of methods that cannot be
    imported are checked only when chosen).
    """
    from langreward.plugin import MethodNotAvailableError, get_method, method_names

    names = method_names()
    if config.method not in names:
        return [f"method: unknown method {config.method!r}; registered methods: {', '.join(names)}"]
    problems: list[str] = []
    for section, value in config.sections().items():
        if section not in names:
            allowed = ", ".join(ExperimentConfig.model_fields)
            problems.append(
                f"{section}: unknown field; allowed fields here: {allowed}, or a section "
                f"named after a method ({', '.join(names)})"
            )
            continue
        if value is not None and not isinstance(value, Mapping):
            problems.append(f"{section}: a method section must be a mapping of settings")
            continue
        try:
            method = get_method(section)
        except MethodNotAvailableError as exc:
            if section == config.method:
                problems.append(f"method: {exc}")
            continue
        try:
            method.settings.model_validate(dict(value or {}))
        except ValidationError as exc:
            problems.extend(
                format_validation_error(exc, None, prefix=(section,), root=method.settings)
            )
    if not problems:
        try:
            problems.extend(get_method(config.method).problems(config.algo))
        except MethodNotAvailableError as exc:
            problems.append(f"method: {exc}")
    return problems


def load_config(
    path: str | Path, overrides: Iterable[str] = (), *, check_algo: bool = True
) -> ExperimentConfig:
    """Read a YAML config file, apply ``--set key.sub=value`` overrides, validate it.

    Example:
        >>> config = load_config("configs/baseline/cartpole-ppo.yaml", ["seeds=3"])  # doctest: +SKIP
        >>> config.seeds  # doctest: +SKIP
        [0, 1, 2]

    Raises:
        ConfigError: the file is missing, not YAML, or invalid (one line per problem).
    """
    raw = read_yaml(Path(path))
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{path}: the config must be a mapping of fields, got {type(raw).__name__}"
        )
    return validate_config(apply_overrides(raw, overrides), str(path), check_algo=check_algo)


def as_config(config: ExperimentConfig | Mapping[str, Any] | str | Path) -> ExperimentConfig:
    """Accept a config object, a raw mapping or a YAML path."""
    if isinstance(config, ExperimentConfig):
        return config
    if isinstance(config, str | Path):
        return load_config(config)
    return validate_config(config)


# -- error messages -------------------------------------------------------------------------
def format_validation_error(
    error: ValidationError,
    source: str | None,
    *,
    prefix: tuple[str, ...] = (),
    root: type[BaseModel] | None = None,
) -> list[str]:
    """One line per pydantic error: ``<source>: <field.path>: <message> (got <input>)``.

    ``prefix`` is prepended to each field path and ``root`` is the model the paths start
    from (default :class:`ExperimentConfig`); a method section passes its name and settings.
    """
    lines = []
    for item in error.errors():
        loc = tuple(item["loc"])
        path = ".".join(str(p) for p in (*prefix, *loc)) or "(top level)"
        kind = item["type"]
        if kind == "extra_forbidden":
            allowed = allowed_fields(loc[:-1], root or ExperimentConfig)
            hint = f"; allowed fields here: {', '.join(allowed)}" if allowed else ""
            message = f"unknown field{hint}"
        elif kind == "missing":
            message = "required field is missing"
        else:
            message = item["msg"].removeprefix("Value error, ")
            value = item.get("input")
            if not isinstance(value, dict | list) and kind != "value_error":
                message += f" (got {value!r})"
        lines.append(f"{source}: {path}: {message}" if source else f"{path}: {message}")
    return lines


def allowed_fields(loc: tuple[Any, ...], root: type[BaseModel] | None = None) -> list[str]:
    """The field names of the section at ``loc`` of ``root`` (default: the config)."""
    model: Any = root or ExperimentConfig
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        model = _model_in(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is not None:
        for arg in get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return None

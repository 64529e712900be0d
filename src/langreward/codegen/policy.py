"""Static (AST) policy for generated code.

The policy is an allow-list: code may import only ``numpy`` (and ``numpy.linalg``), ``math``
and a few ``typing`` names; it may use only the allowed attributes of those modules, a small
set of safe builtins and the names it defines itself. On top of that it may not touch
``__dunder__`` or ``_private`` attributes, reach attributes that escape through any object
(``.tofile``, ``.format``, ``.gi_frame``, …), or use statements that are not needed for a pure
numeric function (``global``, ``class``, ``async``, ``yield``, decorators, …).

Every violation names its line and says what to change, so that it can be fed back to the LLM.
The same allow-lists are enforced again at run time by the restricted namespace
(:mod:`langreward.codegen.namespace`).

Example:
    >>> from langreward.codegen import check_policy
    >>> [str(v) for v in check_policy("import os\\ndef f(x):\\n    return x\\n")]
    ["line 1: import of 'os' is not allowed (allowed: numpy, numpy.linalg, math, typing) [import]"]
"""

from __future__ import annotations

import ast
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace

from langreward.codegen.errors import PolicyError, PolicyViolation, Rule
from langreward.codegen.namespace import (
    DEFAULT_MODULES,
    DEFAULT_PRELOADED,
    FORBIDDEN_BUILTINS,
    SAFE_BUILTINS,
)

#: Attributes denied on *any* object (not only modules), with the reason.
FORBIDDEN_ATTRIBUTES: Mapping[str, str] = {
    "tofile": "writes a file",
    "dump": "pickles to a file",
    "dumps": "pickles",
    "ctypes": "raw memory access",
    "data": "raw memory buffer",
    "format": "format strings can reach attributes ('{0.__class__}')",
    "format_map": "format strings can reach attributes",
    "mro": "class introspection",
    "base": "reaches the writable array behind a read-only input view",
    "flags": "array flags (the inputs are read-only on purpose)",
    "setflags": "array flags (the inputs are read-only on purpose)",
    "load": "file I/O",
    "loadtxt": "file I/O",
    "save": "file I/O",
    "savez": "file I/O",
    "savez_compressed": "file I/O",
    "savetxt": "file I/O",
    "fromfile": "file I/O",
    "genfromtxt": "file I/O",
    "memmap": "file-backed memory",
    "ctypeslib": "foreign-function interface",
    "system": "runs a shell command",
    "popen": "runs a shell command",
    "fork": "creates a process",
    "kill": "sends signals",
}

#: Attribute prefixes of interpreter internals (frames, code objects, generators, tracebacks).
FORBIDDEN_ATTRIBUTE_PREFIXES: tuple[str, ...] = ("f_", "co_", "gi_", "cr_", "ag_", "tb_", "func_")

#: Why well-known module attributes are left off the allow-lists (for clearer messages).
MODULE_ATTRIBUTE_REASONS: Mapping[str, str] = {
    "load": "file I/O",
    "loadtxt": "file I/O",
    "genfromtxt": "file I/O",
    "fromfile": "file I/O",
    "fromregex": "file I/O",
    "save": "file I/O",
    "savez": "file I/O",
    "savez_compressed": "file I/O",
    "savetxt": "file I/O",
    "memmap": "file-backed memory",
    "DataSource": "file and network I/O",
    "ctypeslib": "foreign-function interface",
    "lib": "internal helpers, including raw memory views (as_strided)",
    "f2py": "compiles and loads native code",
    "distutils": "build tooling",
    "testing": "test helpers (runs processes)",
    "random": "global random state (the function must be deterministic)",
    "seterr": "changes global numpy state",
    "seterrcall": "changes global numpy state",
    "set_printoptions": "changes global numpy state",
    "frombuffer": "raw memory buffers",
    "vectorize": "slow per-element Python loop; write vectorised numpy code",
    "frompyfunc": "slow per-element Python loop; write vectorised numpy code",
    "show_config": "prints to the terminal",
    "info": "prints to the terminal",
}

_MODULE_LEVEL_STATEMENTS = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
    ast.Pass,
)

_SCOPE_NODES = (
    ast.FunctionDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)

_DENIED_NODES: Mapping[type[ast.AST], str] = {
    ast.ClassDef: "classes are not allowed; write plain functions",
    ast.AsyncFunctionDef: "async code is not allowed",
    ast.AsyncFor: "async code is not allowed",
    ast.AsyncWith: "async code is not allowed",
    ast.Await: "async code is not allowed",
    ast.Global: "`global` is not allowed; return values instead of keeping state",
    ast.Nonlocal: "`nonlocal` is not allowed; return values instead of keeping state",
    ast.Yield: "generators (`yield`) are not allowed; return arrays",
    ast.YieldFrom: "generators (`yield from`) are not allowed; return arrays",
    ast.Match: "`match` statements are not allowed; use if/elif",
    ast.TryStar: "`except*` is not allowed",
}


@dataclass(frozen=True)
class CodePolicy:
    """What generated code may use.

    Attributes:
        modules: Importable module name -> allowed attribute names (``None``: any public
            attribute). A dotted name is a submodule and must also be listed as an attribute
            of its parent.
        builtins: Builtin names the code may use.
        preloaded: Global name -> module name available without an import (``np``, ``math``).
        max_source_chars: Longest accepted source.
        max_nodes: Most AST nodes accepted.

    Example:
        >>> policy = CodePolicy().with_modules({"numpy.random": None})  # allow np.random
        >>> "random" in policy.modules["numpy"]
        True
    """

    modules: Mapping[str, frozenset[str] | None] = field(
        default_factory=lambda: dict(DEFAULT_MODULES)
    )
    builtins: frozenset[str] = SAFE_BUILTINS
    preloaded: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PRELOADED))
    max_source_chars: int = 50_000
    max_nodes: int = 20_000

    def with_modules(self, extra: Mapping[str, frozenset[str] | None]) -> CodePolicy:
        """Return a copy that also allows ``extra`` modules (submodules join their parent).

        Args:
            extra: Module name -> allowed attributes (``None``: any public attribute).

        Returns:
            The extended policy.
        """
        modules = dict(self.modules)
        modules.update(extra)
        for name in extra:
            parent, _, attr = name.rpartition(".")
            if parent and modules.get(parent) is not None:
                modules[parent] = frozenset(modules[parent] or ()) | {attr}
        return replace(self, modules=modules)

    def to_json(self) -> dict[str, object]:
        """The parts of the policy the sandbox child needs, as JSON-ready data."""
        return {
            "modules": {k: (sorted(v) if v is not None else None) for k, v in self.modules.items()},
            "builtins": sorted(self.builtins),
            "preloaded": dict(self.preloaded),
        }


#: The default policy: numpy (allow-listed), numpy.linalg, math, a few typing names.
DEFAULT_POLICY = CodePolicy()


@dataclass
class _Scope:
    node: ast.AST
    bindings: dict[str, str | None]  # name -> module name when bound by an import, else None


def _is_dunder(name: str) -> bool:
    return name.startswith("__")


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    names = [node.test.left, *node.test.comparators]
    return any(isinstance(n, ast.Name) and n.id == "__name__" for n in names)


class _Checker(ast.NodeVisitor):
    def __init__(self, policy: CodePolicy) -> None:
        self.policy = policy
        self.violations: list[PolicyViolation] = []
        self.scopes: list[_Scope] = []

    # -- helpers ---------------------------------------------------------------------------

    def report(self, rule: Rule, node: ast.AST | None, message: str) -> None:
        line = getattr(node, "lineno", 0) if node is not None else 0
        col = getattr(node, "col_offset", 0) if node is not None else 0
        self.violations.append(PolicyViolation(rule, line, col, message))

    def allowed_modules_text(self) -> str:
        return ", ".join(m for m in self.policy.modules if not _is_dunder(m))

    def attribute_allowed(self, module: str, attr: str) -> bool:
        allowed = self.policy.modules[module]
        return (allowed is None and not attr.startswith("_")) or (
            allowed is not None and attr in allowed
        )

    def lookup(self, name: str) -> tuple[bool, str | None]:
        """(bound?, module name if it names a module)."""
        for scope in reversed(self.scopes):
            if name in scope.bindings:
                return True, scope.bindings[name]
        if name in self.policy.preloaded:
            return True, self.policy.preloaded[name]
        return False, None

    def module_of(self, expr: ast.expr) -> str | None:
        """The module an expression names (``np``, ``np.linalg``), or None."""
        if isinstance(expr, ast.Name):
            return self.lookup(expr.id)[1]
        if isinstance(expr, ast.Attribute):
            base = self.module_of(expr.value)
            if base is None or base not in self.policy.modules:
                return None
            sub = f"{base}.{expr.attr}"
            if sub in self.policy.modules and self.attribute_allowed(base, expr.attr):
                return sub
        return None

    # -- bindings --------------------------------------------------------------------------

    def _scope_children(self, scope: ast.AST) -> Iterator[ast.AST]:
        """Nodes evaluated in ``scope`` itself (not descending into nested scopes)."""
        if isinstance(scope, ast.FunctionDef | ast.Lambda):
            roots: list[ast.AST] = (
                list(scope.body) if isinstance(scope.body, list) else [scope.body]
            )
        elif isinstance(scope, ast.Module):
            roots = list(scope.body)
        else:  # comprehension
            roots = list(ast.iter_child_nodes(scope))
        stack = list(reversed(roots))
        while stack:
            node = stack.pop()
            yield node
            if isinstance(node, _SCOPE_NODES):
                continue
            stack.extend(reversed(list(ast.iter_child_nodes(node))))

    def collect_bindings(self, scope: ast.AST) -> dict[str, str | None]:
        bindings: dict[str, str | None] = {}
        kinds: dict[str, set[str | None]] = {}

        def bind(name: str, module: str | None, node: ast.AST) -> None:
            kinds.setdefault(name, set()).add(module)
            bindings[name] = module
            if name in self.policy.preloaded and module != self.policy.preloaded[name]:
                self.report(
                    Rule.MODULE_AS_VALUE,
                    node,
                    f"`{name}` is reserved for the {self.policy.preloaded[name]} module; "
                    "choose another variable name",
                )

        if isinstance(scope, ast.FunctionDef | ast.Lambda):
            a = scope.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
                if arg is not None:
                    bind(arg.arg, None, arg)
        for node in self._scope_children(scope):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                bind(node.id, None, node)
            elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
                bind(node.name, None, node)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bind(node.name, None, node)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        module = alias.name if alias.name in self.policy.modules else None
                        bind(alias.asname, module or f"<{alias.name}>", node)
                    else:
                        top = alias.name.partition(".")[0]
                        bind(top, top if top in self.policy.modules else f"<{top}>", node)
            elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
                # `(y := v) for v in ...` binds y in the enclosing (non-comprehension) scope
                for inner in ast.walk(node):
                    if isinstance(inner, ast.NamedExpr) and isinstance(inner.target, ast.Name):
                        bind(inner.target.id, None, inner.target)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    module = sub if sub in self.policy.modules else None
                    bind(alias.asname or alias.name, module, node)
        if isinstance(scope, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            for gen in scope.generators:
                for target in ast.walk(gen.target):
                    if isinstance(target, ast.Name):
                        bind(target.id, None, target)
        for name, seen in kinds.items():
            modules = {m for m in seen if m is not None}
            if modules and len(seen) > 1:
                self.report(
                    Rule.MODULE_AS_VALUE,
                    scope if not isinstance(scope, ast.Module) else None,
                    f"`{name}` names a module and is also assigned; use another variable name",
                )
        return bindings

    def visit_scope(self, node: ast.AST, children: list[ast.AST]) -> None:
        self.scopes.append(_Scope(node, self.collect_bindings(node)))
        try:
            for child in children:
                self.visit(child)
        finally:
            self.scopes.pop()

    # -- scopes ----------------------------------------------------------------------------

    def visit_Module(self, node: ast.Module) -> None:
        self.visit_scope(node, list(node.body))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.decorator_list:
            self.report(Rule.STATEMENT, node, "decorators are not allowed")
        a = node.args
        outer: list[ast.AST] = [*a.defaults, *(d for d in a.kw_defaults if d is not None)]
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is not None and arg.annotation is not None:
                outer.append(arg.annotation)
        if node.returns is not None:
            outer.append(node.returns)
        for child in outer:
            self.visit(child)
        self.visit_scope(node, list(node.body))

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for d in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
            self.visit(d)
        self.visit_scope(node, [node.body])

    def _visit_comprehension(self, node: ast.AST) -> None:
        self.visit_scope(node, list(ast.iter_child_nodes(node)))

    visit_ListComp = _visit_comprehension
    visit_SetComp = _visit_comprehension
    visit_DictComp = _visit_comprehension
    visit_GeneratorExp = _visit_comprehension

    # -- imports ---------------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name not in self.policy.modules or _is_dunder(alias.name):
                self.report(
                    Rule.IMPORT,
                    node,
                    f"import of {alias.name!r} is not allowed "
                    f"(allowed: {self.allowed_modules_text()})",
                )

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            self.report(Rule.IMPORT, node, "relative imports are not allowed")
            return
        if module not in self.policy.modules:
            self.report(
                Rule.IMPORT,
                node,
                f"import from {module!r} is not allowed (allowed: {self.allowed_modules_text()})",
            )
            return
        for alias in node.names:
            if alias.name == "*":
                self.report(
                    Rule.IMPORT, node, f"`from {module} import *` is not allowed; name the imports"
                )
            elif not self.attribute_allowed(module, alias.name):
                why = MODULE_ATTRIBUTE_REASONS.get(alias.name, "not on the allow-list")
                self.report(
                    Rule.IMPORT,
                    node,
                    f"importing {alias.name!r} from {module} is not allowed ({why})",
                )

    # -- names and attributes --------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load) or _is_dunder(node.id):
            return  # stores are bindings; dunders are reported by the identifier pass
        bound, module = self.lookup(node.id)
        if module is not None and module not in self.policy.modules:
            return  # a module that is not allowed: its import is already reported
        if module is not None:
            self.report(
                Rule.MODULE_AS_VALUE,
                node,
                f"module `{node.id}` may only be used as `{node.id}.<function>`",
            )
        elif bound:
            return
        elif node.id in FORBIDDEN_BUILTINS:
            self.report(
                Rule.FORBIDDEN_NAME,
                node,
                f"`{node.id}` is not allowed ({FORBIDDEN_BUILTINS[node.id]})",
            )
        elif node.id not in self.policy.builtins:
            self.report(
                Rule.UNKNOWN_NAME,
                node,
                f"name `{node.id}` is not defined (available: numpy as `np`, `math`, "
                "safe builtins, and names the code defines)",
            )

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        base = self.module_of(node.value)
        if base is not None:
            if attr.startswith("_") or base not in self.policy.modules:
                return  # reported by the identifier pass / at the import
            text = f"{ast.unparse(node.value)}.{attr}"
            if not isinstance(node.ctx, ast.Load):
                self.report(Rule.MODULE_AS_VALUE, node, f"`{text}` cannot be assigned or deleted")
            elif not self.attribute_allowed(base, attr):
                why = MODULE_ATTRIBUTE_REASONS.get(attr, f"not on the allow-list for {base}")
                self.report(Rule.MODULE_ATTRIBUTE, node, f"`{text}` is not allowed ({why})")
            elif f"{base}.{attr}" in self.policy.modules:
                self.report(
                    Rule.MODULE_AS_VALUE,
                    node,
                    f"module `{text}` may only be used as `{text}.<function>`",
                )
            return
        if not attr.startswith("_"):
            if attr in FORBIDDEN_ATTRIBUTES:
                self.report(
                    Rule.FORBIDDEN_ATTRIBUTE,
                    node,
                    f"attribute `.{attr}` is not allowed ({FORBIDDEN_ATTRIBUTES[attr]})",
                )
            elif attr.startswith(FORBIDDEN_ATTRIBUTE_PREFIXES):
                self.report(
                    Rule.FORBIDDEN_ATTRIBUTE,
                    node,
                    f"attribute `.{attr}` is not allowed (interpreter internals)",
                )
        self.visit(node.value)


def _identifier_and_statement_pass(tree: ast.Module, report: _Checker) -> None:
    """Rules that need no scope information: dunders, private attributes, denied nodes."""
    for node in ast.walk(tree):
        denied = _DENIED_NODES.get(type(node))
        if denied is not None:
            report.report(Rule.STATEMENT, node, denied)
        if isinstance(node, ast.ExceptHandler) and node.type is None:
            report.report(
                Rule.STATEMENT, node, "bare `except:` is not allowed; use `except Exception:`"
            )
        names: list[str] = []
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.arg):
            names.append(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.alias):
            names.extend(n for n in (node.name, node.asname) if n)
        elif isinstance(node, ast.keyword) and node.arg:
            names.append(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.append(node.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "__future__":
                continue
            names.extend(node.module.split("."))
        elif isinstance(node, ast.Attribute):
            if _is_dunder(node.attr):
                report.report(Rule.DUNDER, node, f"dunder attribute `.{node.attr}` is not allowed")
            elif node.attr.startswith("_"):
                report.report(
                    Rule.PRIVATE_ATTRIBUTE,
                    node,
                    f"private attribute `.{node.attr}` is not allowed",
                )
            continue
        for name in names:
            if _is_dunder(name):
                report.report(Rule.DUNDER, node, f"dunder name `{name}` is not allowed")


def _module_level_pass(tree: ast.Module, report: _Checker) -> None:
    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, _MODULE_LEVEL_STATEMENTS):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            if i == 0 or isinstance(stmt.value.value, str):
                continue  # docstring or stray string
        if _is_main_guard(stmt):
            msg = "remove the `if __name__ == '__main__':` block (no example usage or tests)"
        else:
            kind = type(stmt).__name__.lower()
            msg = (
                f"a module-level `{kind}` statement is not allowed; the module may only hold "
                "imports, function definitions and constants (no example usage)"
            )
        report.report(Rule.STATEMENT, stmt, msg)


def _signature_pass(
    tree: ast.Module, function_name: str, num_args: int | None, report: _Checker
) -> None:
    defs = [s for s in tree.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]
    matches = [d for d in defs if d.name == function_name]
    if not matches:
        others = ", ".join(f"`{d.name}`" for d in defs) or "none"
        report.report(
            Rule.MISSING_FUNCTION,
            None,
            f"the code must define a top-level function `{function_name}` "
            f"(functions defined: {others})",
        )
        return
    fn = matches[-1]
    if num_args is None:
        return
    a = fn.args
    positional = len(a.posonlyargs) + len(a.args)
    required = positional - len(a.defaults)
    kw_required = [k.arg for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is None]
    fits = required <= num_args and (num_args <= positional or a.vararg is not None)
    if not fits:
        params = ", ".join(x.arg for x in [*a.posonlyargs, *a.args])
        report.report(
            Rule.SIGNATURE,
            fn,
            f"`{function_name}({params})` must accept exactly {num_args} positional "
            f"argument(s); it requires {required} and accepts at most {positional}",
        )
    if kw_required:
        report.report(
            Rule.SIGNATURE,
            fn,
            f"`{function_name}` has required keyword-only arguments {kw_required}; "
            "give them defaults",
        )


def _null_byte_line(source: str) -> int:
    return source[: source.find("\x00")].count("\n") + 1 if "\x00" in source else 0


def _check(
    source: str,
    function_name: str | None,
    num_args: int | None,
    policy: CodePolicy,
) -> tuple[list[PolicyViolation], types.CodeType | None]:
    if len(source) > policy.max_source_chars:
        return [
            PolicyViolation(
                Rule.TOO_LARGE,
                0,
                0,
                f"the code is {len(source)} characters long (at most {policy.max_source_chars})",
            )
        ], None
    try:
        tree = ast.parse(source, filename="<generated>", mode="exec")
    except SyntaxError as exc:
        msg = f"syntax error: {exc.msg}"
        if exc.text:
            msg += f" in `{exc.text.strip()[:80]}`"
        line = exc.lineno or _null_byte_line(source)
        return [PolicyViolation(Rule.SYNTAX, line, (exc.offset or 1) - 1, msg)], None
    except ValueError as exc:  # null bytes, on some Python versions
        msg = f"the code cannot be parsed: {exc}"
        return [PolicyViolation(Rule.SYNTAX, _null_byte_line(source), 0, msg)], None
    except (RecursionError, MemoryError):
        return [
            PolicyViolation(Rule.TOO_LARGE, 0, 0, "the code is too deeply nested to parse")
        ], None

    checker = _Checker(policy)
    n_nodes = sum(1 for _ in ast.walk(tree))
    if n_nodes > policy.max_nodes:
        checker.report(
            Rule.TOO_LARGE,
            None,
            f"the code has {n_nodes} syntax nodes (at most {policy.max_nodes})",
        )
        return checker.violations, None
    try:
        _identifier_and_statement_pass(tree, checker)
        _module_level_pass(tree, checker)
        checker.visit(tree)
        if function_name is not None:
            _signature_pass(tree, function_name, num_args, checker)
    except RecursionError:
        checker.report(Rule.TOO_LARGE, None, "the code is too deeply nested")

    code = None
    if not checker.violations:
        try:
            code = compile(tree, "<generated>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            checker.report(Rule.SYNTAX, None, f"syntax error: {exc.msg} (line {exc.lineno})")
        except (ValueError, RecursionError, MemoryError) as exc:
            checker.report(Rule.TOO_LARGE, None, f"the code cannot be compiled: {exc}")

    # One report per (rule, place, message), in source order.
    unique = {(v.line, v.col, v.rule, v.message): v for v in checker.violations}
    return [unique[k] for k in sorted(unique, key=lambda k: (k[0], k[1]))], code


def check_policy(
    source: str,
    function_name: str | None = None,
    num_args: int | None = None,
    policy: CodePolicy = DEFAULT_POLICY,
) -> list[PolicyViolation]:
    """Check generated code against the policy without running it.

    Args:
        source: The Python source (as returned by :func:`extract_code`).
        function_name: If given, the code must define this function at top level.
        num_args: If given, the function must accept this many positional arguments.
        policy: The policy to check against.

    Returns:
        Every violation found, in source order; an empty list means the code passes.
    """
    return _check(source, function_name, num_args, policy)[0]


def enforce_policy(
    source: str,
    function_name: str | None = None,
    num_args: int | None = None,
    policy: CodePolicy = DEFAULT_POLICY,
) -> types.CodeType:
    """Check generated code and compile it.

    Args:
        source: The Python source.
        function_name: If given, the code must define this function at top level.
        num_args: If given, the function must accept this many positional arguments.
        policy: The policy to check against.

    Returns:
        The compiled module code object (not yet executed).

    Raises:
        PolicyError: If any rule is broken; ``.violations`` lists them all.
    """
    violations, code = _check(source, function_name, num_args, policy)
    if violations or code is None:
        raise PolicyError(violations)
    return code

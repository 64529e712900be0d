"""Pull Python code out of an LLM reply.

Small models wrap code in Markdown fences, add prose around it, show several drafts, get cut
off by ``max_tokens`` before the closing fence, or append an ``if __name__ == "__main__":``
demo. :func:`extract_code` handles those cases and returns only source text; it never runs
or checks the code (that is :mod:`~langreward.codegen.policy`'s job).
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

from langreward.codegen.errors import ExtractionError

_PYTHON_TAGS = frozenset({"python", "py", "python3", "py3", "numpy"})

# An opening fence (``` or ~~~, optionally indented, optionally tagged), the body, and the
# closing fence of the same kind — or the end of the reply when the reply was cut short.
_FENCE = re.compile(
    r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<tag>[\w.+-]*)[^\n]*\n"
    r"(?P<body>.*?)"
    r"(?:^[ \t]*(?P=fence)[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL,
)

_CODE_START = re.compile(r"^(?:def |import |from |@|[A-Za-z_]\w*\s*=)")
_MAX_FALLBACK_LINES = 400
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class _Block:
    tag: str
    body: str


def _defines(source: str, function_name: str) -> bool:
    return (
        re.search(rf"^[ \t]*def[ \t]+{re.escape(function_name)}[ \t]*\(", source, re.M) is not None
    )


def _parses(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _has_function(tree: ast.Module, function_name: str | None) -> bool:
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if function_name is None:
        return bool(defs)
    return any(d.name == function_name for d in defs)


def strip_main_guard(source: str) -> str:
    """Remove top-level ``if __name__ == "__main__":`` blocks (demo code) from ``source``.

    Args:
        source: Python source; returned unchanged if it does not parse.

    Returns:
        The source without those blocks (other lines, comments included, are kept).
    """
    tree = _parses(source)
    if tree is None:
        return source
    lines = source.splitlines(keepends=True)
    drop: set[int] = set()
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Compare)
            and any(
                isinstance(n, ast.Name) and n.id == "__name__"
                for n in [node.test.left, *node.test.comparators]
            )
            and any(
                isinstance(n, ast.Constant) and n.value == "__main__"
                for n in [node.test.left, *node.test.comparators]
            )
        ):
            drop.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    if not drop:
        return source
    return "".join(line for i, line in enumerate(lines) if i not in drop).rstrip() + "\n"


def strip_example_usage(source: str) -> str:
    """Remove top-level statements after the last function definition that are not imports or
    definitions: the example usage small models append (``print(f(x))``, ``results = ...``).

    Constants before the functions are kept; a source that does not parse is returned as is.

    Example:
        >>> strip_example_usage("K = 2\\ndef f(x):\\n    return K * x\\nprint(f(3))\\n")
        'K = 2\\ndef f(x):\\n    return K * x\\n'
    """
    tree = _parses(source)
    if tree is None:
        return source
    defs = [i for i, n in enumerate(tree.body) if isinstance(n, _DEFINITIONS)]
    if not defs:
        return source
    kept = (ast.Import, ast.ImportFrom, *_DEFINITIONS)
    drop: set[int] = set()
    for node in tree.body[defs[-1] + 1 :]:
        if not isinstance(node, kept):
            drop.update(range(node.lineno - 1, node.end_lineno or node.lineno))
    if not drop:
        return source
    lines = source.splitlines(keepends=True)
    return "".join(line for i, line in enumerate(lines) if i not in drop).rstrip() + "\n"


def _fenced_blocks(reply: str) -> list[_Block]:
    blocks = []
    for m in _FENCE.finditer(reply):
        body = textwrap.dedent(m.group("body"))
        if body.strip():
            blocks.append(_Block(m.group("tag").lower(), body))
    return blocks


def _unfenced(reply: str, function_name: str | None) -> str | None:
    """The longest parseable stretch of the reply that defines the function, if any."""
    text = textwrap.dedent(reply)
    tree = _parses(text)
    if tree is not None and _has_function(tree, function_name):
        return text
    lines = text.splitlines(keepends=True)[:_MAX_FALLBACK_LINES]
    starts = [i for i, line in enumerate(lines) if _CODE_START.match(line)]
    for start in starts[:5]:
        for end in range(len(lines), max(start, len(lines) - 100), -1):
            candidate = "".join(lines[start:end])
            tree = _parses(candidate)
            if tree is not None and _has_function(tree, function_name):
                return candidate
    return None


def extract_code(reply: str, function_name: str | None = None) -> str:
    """Extract the Python source from an LLM reply.

    Rules, in order:

    1. Fenced blocks (```` ```python ````, ```` ```py ````, or untagged) are candidates;
       blocks tagged with another language (``json``, ``bash``, …) are ignored. A reply cut
       off before its closing fence still yields its last block.
    2. Among the candidates, the ones that define ``def function_name(`` win; if several do,
       the **last** one is taken (models show a draft first and the corrected version last).
       If none does, the first Python-tagged block (else the first untagged one) is returned,
       so that the policy check can report the missing function.
    3. With no fenced block, the reply itself (or its longest stretch starting at a
       ``def``/``import`` line) is used if it parses as Python and defines a function.
    4. Top-level ``if __name__ == "__main__":`` blocks are removed, and so are statements
       after the last definition that are not imports or definitions (example usage).

    Args:
        reply: The LLM's reply text.
        function_name: The function the code must define, used to pick among blocks.

    Returns:
        The source code (possibly still with syntax errors, for the policy to report).

    Raises:
        ExtractionError: If the reply holds no Python code.

    Example:
        >>> extract_code("Here:\\n```python\\ndef f(x):\\n    return x\\n```\\nDone.", "f")
        'def f(x):\\n    return x\\n'
    """
    if not isinstance(reply, str):
        raise ExtractionError(f"expected the reply as a string, got {type(reply).__name__}")
    blocks = [b for b in _fenced_blocks(reply) if b.tag in _PYTHON_TAGS or b.tag == ""]
    chosen: str | None = None
    if blocks:
        if function_name is not None:
            defining = [b for b in blocks if _defines(b.body, function_name)]
            if defining:
                chosen = defining[-1].body
        if chosen is None:
            tagged = [b for b in blocks if b.tag in _PYTHON_TAGS]
            untagged_code = [b for b in blocks if b.tag == "" and _parses(b.body) is not None]
            pick: _Block | None = next(iter(tagged or untagged_code), None)
            chosen = pick.body if pick is not None else None
    if chosen is None:
        chosen = _unfenced(reply, function_name)
    if chosen is None:
        wanted = f" defining `{function_name}(...)`" if function_name else ""
        raise ExtractionError(
            f"no Python code found in the reply; answer with one ```python fenced block{wanted}"
        )
    return strip_example_usage(strip_main_guard(chosen))

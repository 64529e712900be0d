"""Extracting Python code from LLM replies."""

from __future__ import annotations

import pytest

from langreward.codegen import ExtractionError, Reason, extract_code, strip_main_guard

GOOD = "def reward(obs, action):\n    return obs[:, 0]\n"


def test_single_python_block() -> None:
    reply = f"Here is the function:\n\n```python\n{GOOD}```\n\nIt rewards x."
    assert extract_code(reply, "reward") == GOOD


@pytest.mark.parametrize("tag", ["python", "py", "Python3", ""])
def test_accepted_tags(tag: str) -> None:
    assert extract_code(f"```{tag}\n{GOOD}```", "reward") == GOOD


def test_other_languages_are_ignored() -> None:
    reply = f'```json\n{{"a": 1}}\n```\n```bash\npip install numpy\n```\n```python\n{GOOD}```'
    assert extract_code(reply, "reward") == GOOD


def test_picks_the_block_defining_the_function() -> None:
    reply = (
        "First a helper:\n```python\ndef helper(x):\n    return x\n```\n"
        f"Then the reward:\n```python\n{GOOD}```\n"
        "Usage:\n```python\nr = reward(obs, act)\n```\n"
    )
    assert extract_code(reply, "reward") == GOOD


def test_last_definition_wins() -> None:
    draft = "def reward(obs, action):\n    return obs\n"
    reply = f"Draft:\n```python\n{draft}```\nFixed version:\n```python\n{GOOD}```"
    assert extract_code(reply, "reward") == GOOD


def test_no_block_defines_the_function_returns_first_python_block() -> None:
    reply = "```python\ndef other(x):\n    return x\n```"
    assert "def other" in extract_code(reply, "reward")


def test_truncated_reply_without_closing_fence() -> None:
    reply = f"```python\n{GOOD}"
    assert extract_code(reply, "reward").strip() == GOOD.strip()


def test_indented_fence_and_tilde_fence() -> None:
    indented = (
        "1. Code:\n   ```python\n   def reward(obs, action):\n       return obs[:, 0]\n   ```\n"
    )
    assert extract_code(indented, "reward") == GOOD
    assert extract_code(f"~~~python\n{GOOD}~~~", "reward") == GOOD


def test_unfenced_reply() -> None:
    assert extract_code(GOOD, "reward") == GOOD


def test_unfenced_reply_with_prose_around() -> None:
    reply = f"Sure! Here it is:\nimport numpy as np\n{GOOD}\nThis rewards moving right."
    code = extract_code(reply, "reward")
    assert code.startswith("import numpy as np\ndef reward")
    assert "This rewards" not in code


@pytest.mark.parametrize(
    "reply",
    ["", "I cannot help with that.", "```json\n{}\n```", "hello", "x = 1"],
    ids=["empty", "prose", "json-only", "one-word", "no-function"],
)
def test_no_code_is_a_clear_error(reply: str) -> None:
    with pytest.raises(ExtractionError, match="no Python code") as info:
        extract_code(reply, "reward")
    assert info.value.reason is Reason.NO_CODE


def test_syntax_errors_are_kept_for_the_policy_to_report() -> None:
    reply = "```python\ndef reward(obs, action):\n    return obs[:, 0\n```"
    assert "return obs[:, 0" in extract_code(reply, "reward")


def test_main_guard_is_removed() -> None:
    src = (
        "import numpy as np\n\n"
        f"{GOOD}\n"
        'if __name__ == "__main__":\n'
        "    print(reward(np.ones((2, 2)), None))\n"
    )
    out = strip_main_guard(src)
    assert "__main__" not in out
    assert "def reward" in out
    assert extract_code(f"```python\n{src}```", "reward") == out


def test_non_string_reply() -> None:
    with pytest.raises(ExtractionError):
        extract_code(None, "reward")  # type: ignore[arg-type]


def test_example_usage_after_the_function_is_dropped() -> None:
    """What the 0.5B model appended to an Ant encoder: calls on names that do not exist."""
    reply = (
        "```python\nimport numpy as np\n\nSCALE = 2.0\n\ndef evaluation_func(obs, action):\n"
        "    effort = np.sum(action ** 2, axis=1)[:, None]\n    return [SCALE * effort]\n\n"
        "# Example of how you could use this function\nbatchsize = np.random.randint(1, 10)\n"
        "results = [evaluation_func(obs, a) for obs in observations]\nprint(results)\n```"
    )
    source = extract_code(reply, "evaluation_func")
    assert "observations" not in source and "print" not in source
    assert "SCALE = 2.0" in source and "return [SCALE * effort]" in source

"""Prompts of LaRe's encoder generation: candidates, consolidation, repair.

Small models do best with a fenced code block (not code inside JSON), explicit shapes and
index ranges, and the exact verification error fed back (see DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from langreward.lare.forms import TaskForm

FUNCTION_NAME = "evaluation_func"

SYSTEM = (
    "You are an expert in reinforcement learning reward design who writes small, correct, "
    "vectorised numpy functions."
)


def signature(form: TaskForm) -> str:
    return (
        f"def {FUNCTION_NAME}(obs, action):\n"
        f"    # obs: np.ndarray of shape (batch, {form.obs_dim}); valid columns 0..{form.obs_dim - 1}\n"
        f"    # action: np.ndarray of shape (batch, {form.act_dim}); valid columns "
        f"0..{form.act_dim - 1}\n"
        "    # returns: a list of factors, each np.ndarray of shape (batch, 1)"
    )


def candidate_prompt(form: TaskForm) -> str:
    """Ask for one function that evaluates a (state, action) along several named factors."""
    return f"""{form.describe()}

Write a Python function that evaluates how good each (observation, action) pair is for this
task along several separate factors (for example progress toward the goal, stability or
safety, control effort). Each factor is one number per row.

Rules:
- Use only numpy (already imported as np) and math. No other imports, no file or network access.
- Work on whole batches with vectorised numpy operations; no Python loops over rows.
- Index only existing columns: obs[:, 0] .. obs[:, {form.obs_dim - 1}], action[:, 0] .. action[:, {form.act_dim - 1}].
- Return a Python list of 2 to 6 factors; each factor must have shape (batch, 1), e.g. use
  `x[:, None]` or `.reshape(-1, 1)`. Start each factor's line with a comment naming it.
- The factors must not be constant and must be finite for any input.

Example of the format, for a different task (a cart that should reach position 1):
```python
import numpy as np

def evaluation_func(obs, action):
    # distance to the goal (obs[:, 0] is the position)
    distance = np.abs(1.0 - obs[:, 0])[:, None]
    # control effort
    effort = np.sum(action ** 2, axis=1)[:, None]
    return [distance, effort]
```

Now write it for the task above, with this signature:
```python
import numpy as np

{signature(form)}
```

Reply with the complete function in one ```python code block."""


def consolidation_prompt(form: TaskForm, candidates: Sequence[str]) -> str:
    """Ask the LLM to merge several candidate functions into one (LaRe's self-verification)."""
    blocks = "\n\n".join(
        f"Candidate {i}:\n```python\n{code.strip()}\n```" for i, code in enumerate(candidates, 1)
    )
    return f"""{form.describe()}

Here are {len(candidates)} candidate functions that each evaluate (observation, action) pairs
along several factors:

{blocks}

Merge them into ONE improved function `{FUNCTION_NAME}(obs, action)` that keeps the most useful,
non-redundant factors (2 to 6). Same rules: numpy and math only, vectorised, only valid column
indices, return a list of factors each of shape (batch, 1), finite and not constant.
Reply with the complete function in one ```python code block."""


def repair_prompt(error: str, form: TaskForm) -> str:
    """Feed the exact verification error back (the failed code is the previous turn)."""
    return f"""Your function was run on a batch of real observations of shape (batch, {form.obs_dim})
and actions of shape (batch, {form.act_dim}) and failed verification.

Error: {error}

Fix the function. Keep the signature `{FUNCTION_NAME}(obs, action)`, work on whole batches with
numpy, and return a Python list of factors, each of shape (batch, 1). Reply with the complete
corrected function in one ```python code block."""

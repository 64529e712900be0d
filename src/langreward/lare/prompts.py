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

Signature:
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


def repair_prompt(code: str, error: str, form: TaskForm) -> str:
    """Feed the exact verification error back."""
    return f"""This function was run on a batch of real observations of shape (batch, {form.obs_dim})
and actions of shape (batch, {form.act_dim}) and failed verification:

```python
{code.strip()}
```

Error: {error}

Fix the function. Keep the signature `{FUNCTION_NAME}(obs, action)`; return a list of factors,
each of shape (batch, 1). Reply with the complete corrected function in one ```python code block."""

"""Step 3, data: the supervised fine-tuning examples distilled from the step-2 policies.

For each training goal and a sample of start states from the dataset, the greedy action of the
goal's Q-table is rolled through the abstract MDP (each action leads to the next state the data
showed most often after it) until a state achieves the goal by its labels. The example is the
goal in words and the full start state in words (the agent must do the abstraction itself at
test time) as the prompt, and the first actions of that plan as the completion.

Example:
    >>> action_words([2, 2, 0, 3])
    'forward, forward, left, pick up'
    >>> parse_actions("forward, forward, turn left, jump")
    ([2, 2], 2)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from langreward.teduo.qlearning import QTable
from langreward.teduo.state import StateWords

ACTION_WORDS = ("left", "right", "forward", "pick up", "drop", "toggle", "done")
_ACTIONS = (
    "You act in a grid world. Actions: left, right (turn), forward, pick up, drop, toggle "
    "(open a door)."
)
_REPLY = "Reply with the next actions, comma-separated."
SYSTEMS = {  # by how the state is said (teduo.state.STATE_WORDS)
    "absolute": f"{_ACTIONS} East is +x, south is +y. {_REPLY}",
    "egocentric": f"{_ACTIONS} Places are counted in tiles from you, as you face. {_REPLY}",
}


def action_words(actions: list[int]) -> str:
    return ", ".join(ACTION_WORDS[a] for a in actions)


def parse_actions(reply: str) -> tuple[list[int], int]:
    """The actions named in a reply, up to the first word that is not one; returns them and
    how many comma-separated items were not actions."""
    actions, invalid = [], 0
    for item in (part.strip().lower().rstrip(".") for part in reply.split(",")):
        if not item:
            continue
        if item in ACTION_WORDS and not invalid:
            actions.append(ACTION_WORDS.index(item))
        else:
            invalid += 1
    return actions, invalid


def prompt_messages(
    instruction: str, state_text: str, words: StateWords = "absolute"
) -> list[dict[str, str]]:
    """The agent's prompt (the same for the fine-tuned and the untuned model); ``words`` says
    how ``state_text`` was rendered."""
    return [
        {"role": "system", "content": SYSTEMS[words]},
        {"role": "user", "content": f"Instruction: {instruction}\nState: {state_text}"},
    ]


@dataclass(frozen=True)
class Example:
    goal_id: str
    instruction: str
    state_text: str
    actions: list[int]
    words: StateWords = "absolute"

    def as_record(self) -> dict[str, Any]:
        """A trl prompt/completion record (conversational)."""
        return {
            "prompt": prompt_messages(self.instruction, self.state_text, self.words),
            "completion": [{"role": "assistant", "content": action_words(self.actions)}],
        }


def greedy_plan(
    table: QTable, start: int, goal_rows: np.ndarray, max_steps: int
) -> list[int] | None:
    """The greedy actions from abstract state ``start`` through the likeliest next states
    until a goal state; ``None`` when it does not get there in ``max_steps``."""
    actions: list[int]
    actions, state, seen = [], start, set()
    for _ in range(max_steps):
        if goal_rows[state]:
            return actions
        if not table.known(state) or state in seen:
            return None
        seen.add(state)
        action = table.greedy(state)
        actions.append(action)
        state = int(table.likeliest_next[state, action])
        if state < 0:
            return None
    return actions if goal_rows[state] else None


def plans_for_goal(
    table: QTable,
    rows: np.ndarray,
    goal_state: np.ndarray,
    candidates: np.ndarray,
    count: int | None,
    max_steps: int,
    seed: int,
) -> list[tuple[int, list[int]]]:
    """Up to ``count`` (every one with ``None``) (dataset state index, plan) pairs with
    distinct abstract start states whose greedy plan reaches the goal (a plan of at least one
    action), in a seeded random order: the first ``n`` of a longer list are those ``n``."""
    goal_rows = np.zeros(table.q.shape[0], bool)
    goal_rows[rows[goal_state]] = True
    order = list(candidates)
    random.Random(seed).shuffle(order)
    chosen, starts = [], set()
    for index in order:
        start = int(rows[index])
        if start in starts or goal_rows[start]:
            continue
        starts.add(start)
        plan = greedy_plan(table, start, goal_rows, max_steps)
        if plan:
            chosen.append((int(index), plan))
            if len(chosen) == count:
                break
    return chosen

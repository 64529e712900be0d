"""TEDUO's data side: levels with fixed layouts, goals and their phrasings, the state as arrays
and text, and the unlabelled Minari dataset."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("minigrid")
pytest.importorskip("minari")

from langreward.teduo import (  # noqa: E402
    Goal,
    collect_dataset,
    encode_state,
    goals_in_layout,
    load_dataset,
    make_level,
    phrase,
    reset_layout,
    split_goals,
    state_text,
)
from langreward.teduo.levels import layout_seeds  # noqa: E402

AGENT = 10  # MiniGrid's index of the agent


def without_agent(grid: np.ndarray) -> np.ndarray:
    """The layout: the agent's tile shown as empty floor (MiniGrid encodes empty as 1, 0, 0)."""
    grid = grid.copy()
    grid[grid[:, :, 0] == AGENT] = (1, 0, 0)
    return grid


def test_phrasings_for_training_and_test() -> None:
    goal = Goal("putnext", ("box", "blue"), ("key", "grey"))
    assert phrase(goal) == "put the blue box next to the grey key"
    assert phrase(goal, test=True) == "place the azure crate beside the gray key"
    with pytest.raises(ValueError, match="put-next goal needs a target"):
        Goal("putnext", ("box", "blue"))


def test_test_goals_ask_for_unseen_objects() -> None:
    env = make_level("two-rooms")
    goals = set()
    for layout in layout_seeds(6):
        reset_layout(env, layout, np.random.default_rng(0))
        goals.update(goals_in_layout(env))
    train, test = split_goals(goals, test_share=0.25, seed=0)
    assert train and test and not set(train) & set(test)
    assert not {g.obj for g in train} & {g.obj for g in test}


def test_a_layout_is_fixed_and_the_start_is_random() -> None:
    env = make_level("two-rooms")
    first = (
        encode_state(env) if reset_layout(env, 3, np.random.default_rng(0)) is not None else None
    )
    reset_layout(env, 3, np.random.default_rng(1))
    second = encode_state(env)
    np.testing.assert_array_equal(without_agent(first["grid"]), without_agent(second["grid"]))
    assert (
        np.argwhere(first["grid"][:, :, 0] == AGENT).tolist()
        != np.argwhere(second["grid"][:, :, 0] == AGENT).tolist()
        or first["direction"] != second["direction"]
    )


def test_goto_goal_is_achieved_when_facing_the_object() -> None:
    env = make_level("one-room")
    reset_layout(env, 0, np.random.default_rng(0))
    goal = next(g for g in goals_in_layout(env) if g.kind == "goto")
    obj = next(o for o in env.grid.grid if o is not None and (o.type, o.color) == goal.obj)
    x, y = obj.cur_pos
    instruction = goal.instruction()
    env.instrs = instruction
    instruction.reset_verifier(env)
    assert instruction.verify(0) != "success"
    for direction, (dx, dy) in enumerate([(1, 0), (0, 1), (-1, 0), (0, -1)]):
        if env.grid.get(x - dx, y - dy) is None:
            env.agent_pos, env.agent_dir = np.array([x - dx, y - dy]), direction
            break
    assert instruction.verify(0) == "success"


def test_state_text_names_the_agent_objects_and_walls() -> None:
    env = make_level("two-rooms")
    reset_layout(env, 0, np.random.default_rng(1))
    text = state_text(encode_state(env))
    assert text.startswith("You are on tile (4, 2), facing west, carrying nothing.")
    assert "a closed blue door on tile (5, 4)" in text and "a blue ball on tile (7, 2)" in text
    assert "Interior walls: x=5 from y=1 to y=3." in text


def test_egocentric_text_places_every_object_where_it_is_from_any_heading() -> None:
    import re

    from langreward.teduo.achieved import DIRECTION_VECTORS
    from langreward.teduo.state import egocentric_text

    env = make_level("two-rooms")
    reset_layout(env, 0, np.random.default_rng(1))
    state = encode_state(env)
    x, y = (int(v) for v in env.agent_pos)
    offset = re.compile(r"(?:(\d+) (ahead|behind))?(?: and )?(?:(\d+) to the (left|right))?$")
    for heading in range(4):
        state["direction"] = np.int64(heading)
        ahead = DIRECTION_VECTORS[heading]
        right = (-ahead[1], ahead[0])
        text = egocentric_text(state)
        said = text.split("Objects: ")[1].rstrip(".").split("; ")
        assert len(said) == 5
        for item in said:
            name, where = re.match(r"an? (\w+ \w+(?: door)?) (.*)", item).groups()
            steps, way, side, hand = offset.match(where).groups()
            forward = int(steps or 0) * (1 if way == "ahead" else -1)
            sideways = int(side or 0) * (1 if hand == "right" else -1)
            tile = (x + forward * ahead[0] + sideways * right[0],
                    y + forward * ahead[1] + sideways * right[1])  # fmt: skip
            obj = env.grid.get(*tile)
            assert obj is not None and name.endswith(f"{obj.color} {obj.type}"), (item, tile)
        front = env.grid.get(x + ahead[0], y + ahead[1])
        expected = {None: "nothing", "wall": "a wall"}.get(
            front and front.type, front and f"a {front.color} {front.type}"
        )
        assert f"In front of you: {expected}." in text
    assert "Free tiles ahead: 3, left: 0, right: 1, behind: 0." in egocentric_text(
        {**state, "direction": np.int64(2)}
    )  # facing west from (4, 2): three floor tiles, then the outer wall


def test_egocentric_free_tiles_pass_open_doors_only() -> None:
    from minigrid.core.constants import OBJECT_TO_IDX

    from langreward.teduo.state import egocentric_text

    grid = np.zeros((5, 3, 3), np.uint8)
    grid[:, :, 0] = OBJECT_TO_IDX["wall"]
    grid[1:4, 1, 0] = OBJECT_TO_IDX["empty"]
    grid[1, 1] = (OBJECT_TO_IDX["agent"], 0, 0)
    grid[2, 1] = (OBJECT_TO_IDX["door"], 0, 0)  # open
    state = {"grid": grid, "direction": np.int64(0), "carrying": np.array([5, 0], np.uint8)}
    text = egocentric_text(state)
    assert text.startswith("You carry a red key. In front of you: an open red door.")
    assert "Free tiles ahead: 2, left: 0, right: 0, behind: 0." in text
    grid[2, 1, 2] = 1  # closed
    assert "Free tiles ahead: 0," in egocentric_text(state)


def test_hidden_goals_come_from_the_given_list(tmp_path) -> None:
    env = make_level("two-rooms")
    reset_layout(env, 0, np.random.default_rng(0))
    only = [g for g in goals_in_layout(env) if g.kind == "goto"][:1]
    stats = collect_dataset("two-rooms", tmp_path, steps=100, layouts=2, goals=only)
    assert set(stats.goals) == {"goto"}


def test_collected_dataset_hides_the_goal(tmp_path) -> None:
    done = []
    stats = collect_dataset(
        "two-rooms", tmp_path, steps=300, layouts=2, seed=0, progress=lambda d, t: done.append(d)
    )
    assert stats.steps == 300 and stats.reached > 0 and done[-1] == 300
    dataset = load_dataset(tmp_path)
    assert dataset.total_steps == 300 and dataset.total_episodes == stats.episodes
    training_layouts = []
    env = make_level("two-rooms")
    for layout in layout_seeds(2):
        reset_layout(env, layout, np.random.default_rng(0))
        grid = encode_state(env)["grid"]
        training_layouts.append(without_agent(grid))
    for episode in dataset.iterate_episodes():
        assert not episode.rewards.any() and not episode.terminations.any()
        assert episode.truncations[-1] and not episode.truncations[:-1].any()
        first = without_agent(episode.observations["grid"][0])
        # the first state's layout is a training layout (objects may have moved later)
        assert any(np.array_equal(first, layout) for layout in training_layouts)
        assert state_text({k: v[0] for k, v in episode.observations.items()}).startswith("You are")


def test_random_behaviour_and_bad_arguments(tmp_path) -> None:
    stats = collect_dataset("one-room", tmp_path, steps=50, layouts=1, behaviour="random")
    assert stats.steps == 50
    with pytest.raises(ValueError, match="unknown TEDUO level 'nine-rooms'; known: two-rooms"):
        collect_dataset("nine-rooms", tmp_path, steps=10)
    with pytest.raises(ValueError, match="none of the given goals fits"):
        collect_dataset("one-room", tmp_path, steps=10, goals=[Goal("goto", ("ball", "pink"))])
    with pytest.raises(ValueError, match="behaviour must be"):
        collect_dataset("one-room", tmp_path, steps=10, behaviour="expert")


def test_step_limit_is_fixed_and_no_put_next_goal_starts_achieved() -> None:
    """BabyAI would reset max_steps from each mission; a put-next pair already side by side
    would count as achieved before any drop."""
    from langreward.teduo.achieved import achieved
    from langreward.teduo.levels import LEVELS

    for level in ("two-rooms", "one-room"):
        env = make_level(level)
        for layout in range(8):
            reset_layout(env, layout, np.random.default_rng(layout))
            assert env.max_steps == LEVELS[level].max_steps
            state = encode_state(env)
            for goal in goals_in_layout(env):
                if goal.kind == "putnext":
                    assert not achieved(state, goal), (level, layout, goal)


def test_four_rooms_level_has_four_rooms_and_a_gymnasium_id(tmp_path) -> None:
    import gymnasium as gym

    from langreward.teduo.rooms import room_labels

    env = make_level("four-rooms")
    reset_layout(env, 0, np.random.default_rng(0))
    kinds = encode_state(env)["grid"][:, :, 0]
    barrier = (kinds == 2) | (kinds == 4)  # MiniGrid's wall and door
    assert room_labels(barrier).max() + 1 == 4
    assert gym.make("TEDUO-FourRooms-v0").unwrapped.width == 9
    stats = collect_dataset("four-rooms", tmp_path / "data", steps=400, layouts=2, seed=0)
    assert stats.as_dict()["reached"] > 0  # the bot solves goals across the rooms

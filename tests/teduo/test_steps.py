"""TEDUO steps 1-2: BabyAI's rules on stored states, the abstraction, labels, the proxy and
tabular Q-learning."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("minigrid")
pytest.importorskip("minari")

from langreward.llm import LLMError, make_llm  # noqa: E402
from langreward.teduo import Goal, collect_dataset, encode_state, make_level, reset_layout  # noqa: E402
from langreward.teduo.abstraction import AbstractView, Relevance, ask_relevance  # noqa: E402
from langreward.teduo.achieved import achieved, achieved_batch  # noqa: E402
from langreward.teduo.collect import _bot  # noqa: E402
from langreward.teduo.goals import goals_in_layout  # noqa: E402
from langreward.teduo.labels import LLMLabeller, sample_states  # noqa: E402
from langreward.teduo.proxy import extras_of, train_proxy  # noqa: E402
from langreward.teduo.qlearning import q_learning  # noqa: E402
from langreward.teduo.transitions import Transitions, load_transitions  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Transitions:
    directory = tmp_path_factory.mktemp("teduo-data")
    collect_dataset("two-rooms", directory, steps=3000, layouts=3, seed=0)
    return load_transitions(directory, "two-rooms")


def test_rules_on_stored_states_agree_with_babyais_verifier() -> None:
    """On bot episodes, BabyAI's verifier says success exactly when the stored next state
    achieves the goal by our rules (put-next: the drop that achieves it)."""
    env = make_level("two-rooms")
    rng = np.random.default_rng(0)
    checked = {"goto": 0, "pickup": 0, "open": 0, "putnext": 0}
    for layout in range(6):
        reset_layout(env, layout, rng)
        for goal in goals_in_layout(env)[::3]:
            reset_layout(env, layout, rng)
            env.instrs = goal.instruction()
            env.instrs.reset_verifier(env)
            bot = _bot(env)
            if bot is None:
                continue
            action = None
            for _ in range(60):
                before = achieved(encode_state(env), goal)
                try:
                    action = int(bot.replan(action))
                except Exception:  # noqa: BLE001 - the bot gives up on some goals
                    break
                _, reward, terminated, _, _ = env.step(action)
                after = achieved(encode_state(env), goal)
                if terminated:
                    assert reward > 0 and after, goal
                    checked[goal.kind] += 1
                    break
                if goal.kind in ("goto", "pickup", "open"):
                    assert not after or before, goal  # reached without the verifier noticing
    assert all(checked.values()), checked


def test_batch_rules_match_single_states(data: Transitions) -> None:
    batch = data.batch()
    goal = Goal("goto", tuple(_some_object(data)))  # type: ignore[arg-type]
    fast = achieved_batch(batch, goal)
    slow = [achieved(state, goal) for state in data.states()]
    assert fast.tolist() == slow and fast.any()


def test_abstraction_keeps_what_matters_and_drops_the_rest(data: Transitions) -> None:
    obj = _some_object(data)
    view = AbstractView(Relevance.of_goal(Goal("goto", obj)))
    state = next(s for s in data.states() if any(view.features(s)[4].flat))
    recoloured = {k: np.array(v) for k, v in state.items()}
    grid = recoloured["grid"]
    others = np.argwhere(
        np.isin(grid[:, :, 0], [5, 6, 7]) & view.features(state)[3].astype(bool)
    )  # an obstacle: another key/ball/box
    x, y = others[0]
    grid[x, y, 1] = (grid[x, y, 1] + 1) % 6
    assert view.key(recoloured) == view.key(state)  # an obstacle's colour does not matter
    moved = {k: np.array(v) for k, v in state.items()}
    moved["direction"] = (int(state["direction"]) + 1) % 4
    assert view.key(moved) != view.key(state)
    keys = view.keys(data.batch())
    assert len(set(keys)) < len(keys)  # many stored states share an abstract state
    text = view.text(state)
    assert f"the {obj[1]} {obj[0]}" in text and "In front of you:" in text


def test_other_rooms_are_dropped_when_the_goal_object_is_in_the_agents_room(
    data: Transitions,
) -> None:
    batch = data.batch()
    obj = _some_object(data)
    relevance = Relevance.of_goal(Goal("goto", obj))
    full = AbstractView(relevance).planes_batch(batch)
    dropped = AbstractView(relevance, drop_other_rooms=True).planes_batch(batch)
    # two rooms: x 0-5 and 5-10, the wall (and its door) at x = 5
    agent_x = np.argwhere(full[:, 6])[:, 1]
    object_x = np.array([np.argwhere(p[4])[:, 0].max() if p[4].any() else -1 for p in full])
    left = (agent_x < 5) & (object_x >= 0) & (object_x < 5)
    right = (agent_x > 5) & (object_x > 5)
    across = ((agent_x < 5) & (object_x > 5)) | ((agent_x > 5) & (object_x >= 0) & (object_x < 5))
    assert left.any() and right.any() and across.any()
    assert not dropped[left][:, :, 6:].any() and not dropped[right][:, :, :5].any()
    assert np.array_equal(dropped[left][:, :, :6], full[left][:, :, :6])  # the wall stays
    assert np.array_equal(dropped[right][:, :, 5:], full[right][:, :, 5:])
    assert np.array_equal(dropped[across], full[across])  # the goal is elsewhere: all kept
    view = AbstractView(relevance, drop_other_rooms=True)
    assert len(set(view.keys(batch))) < len(set(AbstractView(relevance).keys(batch)))


def test_llm_abstraction_is_schema_checked_and_repaired() -> None:
    """Scripted LLM (tests only): an invalid first answer is repaired with the error."""
    llm = make_llm(
        "scripted",
        responses=[
            '{"action": "pick up", "goal_object": {"type": "crate", "color": "azure"}}',
            '{"action": "pick up", "goal_object": {"type": "box", "color": "blue"}, '
            '"goal_location": {"type": "box", "color": "blue"}}',
        ],
    )
    relevance = ask_relevance(llm, "take the azure chest", "You are on tile (1, 1).")
    assert relevance == Relevance.of_goal(Goal("pickup", ("box", "blue")))  # location dropped
    assert llm.stats.repairs == 1


def test_llm_labels_do_not_depend_on_option_order(data: Transitions) -> None:
    """A scripted LLM that always answers the first letter labels nothing when both orders
    are averaged, and everything 'yes' when read in one order only."""
    llm = make_llm("scripted", responses=["A"])
    obj = _some_object(data)
    view = AbstractView(Relevance.of_goal(Goal("goto", obj)))
    states = data.states(range(4))
    goal = Goal("goto", obj)
    probs, decisions = LLMLabeller(llm, orders="auto", decision="threshold", threshold=0.6).label(
        goal, "go to it", view, states
    )
    assert probs == [0.5] * 4 and not any(decisions)
    _, biased = LLMLabeller(llm, orders="none", decision="threshold").label(
        goal, "go to it", view, states
    )
    _, flat = LLMLabeller(llm, orders="auto").label(goal, "go to it", view, states)
    assert not any(flat)  # top gap: equal probabilities call nothing achieved
    assert all(biased)


def test_calibrated_labels_fit_each_goals_threshold_on_a_few_labelled_states(
    data: Transitions,
) -> None:
    """A scripted judge says yes when the goal object is in front, answers "A" whatever the
    order (P(yes) 0.5 after averaging) when the agent faces east, and no otherwise: a fixed
    0.5 threshold calls the east-facing states achieved; a threshold fitted on 15 labelled
    states does not."""

    def judge(messages):
        text = messages[-1]["content"]
        yes, no = ("A", "B") if "A) yes" in text else ("B", "A")
        if "In front of you: the goal object" in text:
            return yes
        return "A" if "facing east" in text else no

    obj = _some_object(data)
    goal = Goal("goto", obj)
    view = AbstractView(Relevance.of_goal(goal))
    states = data.states(sample_states(view, data.batch(), 30, seed=0, near_share=1.0))
    truth = [achieved(state, goal) for state in states]
    assert any(truth) and not all(truth)
    llm = make_llm("scripted", responses=judge, cache=False)
    labeller = LLMLabeller(llm, decision="calibrated", calibration_states=15)
    probs, decisions = labeller.label(goal, "go to it", view, states)
    assert 0.5 in probs and len(labeller.given) == 15
    assert decisions == truth
    _, fixed = LLMLabeller(llm, decision="threshold", threshold=0.5).label(
        goal, "go to it", view, states
    )
    assert sum(f and not t for f, t in zip(fixed, truth, strict=True)) > 0


def test_sampling_takes_distinct_views_and_favours_states_near_the_goal(data: Transitions) -> None:
    obj = _some_object(data)
    view = AbstractView(Relevance.of_goal(Goal("goto", obj)))
    batch = data.batch()
    chosen = sample_states(view, batch, 200, seed=0, near_share=0.5)
    keys = view.label_keys(data.batch(chosen))
    assert len(chosen) == 200 and len(set(keys)) == 200
    first: dict[bytes, int] = {}
    for index, key in enumerate(view.label_keys(batch)):
        first.setdefault(key, index)
    near_views = int(view.near(data.batch(list(first.values()))).sum())
    assert int(view.near(data.batch(chosen)).sum()) == min(near_views, 100)
    assert near_views / len(first) < 0.5  # without the preference, fewer would be near


def test_proxy_learns_goto_labels_with_the_target_precision(data: Transitions) -> None:
    obj = _some_object(data)
    goal = Goal("goto", obj)
    view = AbstractView(Relevance.of_goal(goal))
    batch = data.batch()
    truth = achieved_batch(batch, goal)
    chosen = sample_states(view, batch, 600, seed=0)
    planes, extras = view.planes_batch(batch), extras_of(view, batch)
    proxy = train_proxy(planes[chosen], extras[chosen], truth[chosen].astype(int), epochs=150)
    called = proxy.predict(planes, extras)
    precision = truth[called].mean()
    recall = called[truth].mean()
    assert precision >= 0.9 and recall >= 0.5, (precision, recall, proxy.report)


def test_q_learning_solves_a_corridor_and_keeps_unseen_pairs_out() -> None:
    # states 0 -> 1 -> 2 -> 3 (goal) by action 2; action 0 loops in place
    frm = np.array([0, 1, 2, 0, 1])
    act = np.array([2, 2, 2, 0, 0])
    to = np.array([1, 2, 3, 0, 1])
    reward = np.array([False, False, True, False, False])
    table = q_learning(frm, act, to, reward, states=4, actions_count=6)
    assert table.converged and [table.greedy(s) for s in range(3)] == [2, 2, 2]
    assert np.isclose(table.q[0, 2], 0.7**2) and np.isneginf(table.q[0, 1])
    assert not table.known(3) and table.likeliest_next[1, 2] == 2


def test_dqn_learns_the_corridor_offline_and_fills_a_table_like_the_tabular_one(
    tmp_path: Path,
) -> None:
    from langreward.teduo.config import DQNSettings
    from langreward.teduo.dqn import QNetwork, solve_goal_dqn

    # stored states 0..4 in abstract states 0 -> 1 -> 2 -> 3 (goal); 4 is state 0 seen again
    observations = np.eye(5, dtype=np.float32)[[0, 1, 2, 3, 0]]
    rows = np.array([0, 1, 2, 3, 0])
    frm, act, to = (
        np.array([0, 1, 2, 4, 1, 0]),
        np.array([2, 2, 2, 0, 0, 1]),
        np.array([1, 2, 3, 4, 1, 4]),
    )
    achieved = np.array([False, False, False, True, False])
    settings = DQNSettings(gradient_steps=600, batch_size=6, target_update=100, net_arch=[32])
    table, net, report = solve_goal_dqn(
        observations, rows, frm, act, to, achieved, actions_count=6, gamma=0.7,
        settings=settings, seed=0,
    )  # fmt: skip
    assert [table.greedy(s) for s in range(3)] == [2, 2, 2]
    assert abs(table.q[2, 2] - 1.0) < 0.1 and abs(table.q[1, 2] - 0.7) < 0.1
    assert np.isneginf(table.q[0, 3]) and not table.known(3)  # unseen pairs stay out
    assert report["transitions"] == 6 and table.iterations == 600
    assert net.greedy(observations[1]) == 2  # the network decides where the table cannot
    net.save(tmp_path / "net.pt")
    again = QNetwork.load(tmp_path / "net.pt")
    assert np.allclose(again.values(observations), net.values(observations))


def _some_object(data: Transitions) -> tuple[str, str]:
    """A ball/box/key present in the first stored state."""
    from minigrid.core.constants import IDX_TO_COLOR, IDX_TO_OBJECT

    grid = data.grid[0]
    x, y = np.argwhere(np.isin(grid[:, :, 0], [5, 6, 7]))[0]
    return IDX_TO_OBJECT[int(grid[x, y, 0])], IDX_TO_COLOR[int(grid[x, y, 1])]


def test_pipeline_files_are_json(tmp_path: Path) -> None:
    """Sanity: the writer the stages use is atomic and plain JSON."""
    from langreward.teduo.stages.context import write_json as _write

    _write(tmp_path / "a" / "x.json", {"v": np.float32(0.5)})
    assert json.loads((tmp_path / "a" / "x.json").read_text()) == {"v": 0.5}


@pytest.mark.embedded
def test_embedded_model_runs_step_1_on_a_handful_of_states(
    data: Transitions, embedded_backend, tmp_path: Path
) -> None:
    """The real embedded model: one schema-constrained abstraction per goal (a training phrasing
    and a test phrasing with synonyms), then debiased labels for a few states."""
    from langreward.llm import LLM
    from langreward.llm.cache import ResponseCache

    llm = LLM(embedded_backend, ResponseCache(tmp_path / "cache.sqlite"))
    state = data.state(0)
    from langreward.teduo import state_text

    obj = _some_object(data)
    goal = Goal("pickup", obj)
    relevance = ask_relevance(llm, f"pick up the {obj[1]} {obj[0]}", state_text(state))
    assert relevance.goal_object.as_object() == obj  # the 0.5B model names the object
    synonym = ask_relevance(llm, "take the azure chest", state_text(state))
    assert synonym.goal_object.type in ("box", "ball", "key", "door")  # valid by the schema
    view = AbstractView(Relevance.of_goal(goal))
    states = data.states(sample_states(view, data.batch(), 4, seed=0))
    calls = llm.stats.calls
    probs, decisions = LLMLabeller(llm).label(goal, f"pick up the {obj[1]} {obj[0]}", view, states)
    assert len(probs) == 4 and all(0.0 <= p <= 1.0 for p in probs)
    assert len(decisions) == 4
    assert llm.stats.calls - calls == 8  # both option orders per state


def test_llm_agent_plays_its_list_then_asks_again_and_gives_up_after_its_queries() -> None:
    from langreward.teduo.agent import NO_OP, LLMAgent

    state = {"grid": np.zeros((3, 3, 3), np.uint8), "direction": 0, "carrying": np.array([1, 0])}
    agent = LLMAgent(
        make_llm("scripted", responses=["forward, jump"]), max_actions=3, max_queries=2
    )
    actions = [agent(state, None, "go") for _ in range(5)]
    assert actions == [2, 2, NO_OP, NO_OP, NO_OP] and agent.queries == 2
    babble = LLMAgent(make_llm("scripted", responses=["I think so"]), max_actions=3, max_queries=1)
    assert [babble(state, None, "go") for _ in range(4)] == [NO_OP] * 4
    assert babble.stats() == {
        "queries": 1,
        "unusable_replies": 1,
        "failed_queries": 0,
        "episodes_out_of_queries": 1,
    }
    babble.reset()
    babble(state, None, "go")
    assert babble.queries == 2  # a new episode asks again


def test_llm_agent_reads_the_state_in_the_words_it_was_tuned_on(data: Transitions) -> None:
    from langreward.teduo.agent import LLMAgent
    from langreward.teduo.distill import SYSTEMS, Example
    from langreward.teduo.state import egocentric_text

    asked = []

    def reply(messages):
        asked.append(messages)
        return "forward"

    state = data.state(0)
    agent = LLMAgent(make_llm("scripted", responses=reply, cache=False), words="egocentric")
    assert agent(state, None, "go to the red ball") == 2
    example = Example("g", "go to the red ball", egocentric_text(state), [2], "egocentric")
    assert asked[0] == example.as_record()["prompt"]  # what step 3 trained on
    assert asked[0][0]["content"] == SYSTEMS["egocentric"]
    assert "Free tiles ahead" in asked[0][1]["content"] and "tile (" not in asked[0][1]["content"]


def test_llm_agent_asks_once_per_round_for_every_episode_whose_list_ran_out() -> None:
    from langreward.teduo.agent import NO_OP, LLMAgent

    state = {"grid": np.zeros((3, 3, 3), np.uint8), "direction": 0, "carrying": np.array([1, 0])}
    script = {"go left": "left", "go right": "right, right"}
    agent = LLMAgent(make_llm("scripted", responses=script, cache=False), max_actions=4)
    rounds = [agent.act_many([(0, state, None, "go left"), (1, state, None, "go right")])]
    rounds.append(agent.act_many([(0, state, None, "go left"), (1, state, None, "go right")]))
    assert rounds == [[0, 1], [0, 1]]
    assert agent.queries == 3  # slot 0 twice (one action a list), slot 1 once

    def broken(messages):
        raise LLMError("server down")

    failing = LLMAgent(make_llm("scripted", responses=broken, cache=False), max_actions=2)
    assert failing.act_many([(0, state, None, "go"), (1, state, None, "go")]) == [NO_OP, NO_OP]
    assert failing.stats()["failed_queries"] == 2  # contained, counted


def test_episodes_run_side_by_side_give_what_one_by_one_gives() -> None:
    from langreward.teduo.evaluate import evaluate_cell, plan_episodes, run_episodes

    goals = [Goal("goto", ("key", "grey")), Goal("open", ("door", "blue"))]

    def moves(state, goal, text):  # deterministic, so that both ways must agree
        return zlib.crc32(state["grid"].tobytes() + bytes([int(state["direction"])])) % 3

    together = run_episodes(plan_episodes("two-rooms", goals, [0, 1, 2], 4, seed=3), moves)
    alone = [
        run_episodes([e], moves)[0] for e in plan_episodes("two-rooms", goals, [0, 1, 2], 4, 3)
    ]
    assert together == alone and len({r["invalid"] for r in together}) > 1
    refuses = lambda state, goal, text: None  # noqa: E731
    cell = evaluate_cell("two-rooms", refuses, goals, [0, 1, 2], episodes=3, seed=3)
    assert cell == {"episodes": 0, "not_applicable": 3}

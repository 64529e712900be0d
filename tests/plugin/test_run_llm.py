"""The run's LLM: built only when asked for, counted over every session, one transcript."""

from __future__ import annotations

from pathlib import Path

from langreward.plugin import RunLLM


def test_counters_and_transcript_cover_every_session(tmp_path: Path) -> None:
    transcript = tmp_path / "llm_transcript.jsonl"
    first = RunLLM("scripted", cache=False)
    assert not first.used and first.stats()["calls"] == 0  # nothing built yet
    first.get().chat("a")
    first.get().chat("b")
    saved = first.state_dict()
    assert first.export_transcript(transcript) == 2
    first.close()

    second = RunLLM("scripted", cache=False)  # the resumed session
    second.load_state_dict(saved)
    assert second.used and not second.specs  # used earlier; no LLM built in this session
    second.get().chat("c")
    assert second.stats()["calls"] == 3
    assert second.export_transcript(transcript) == 1
    assert len(transcript.read_text().splitlines()) == 3
    second.close()


def test_a_second_spec_gets_its_own_llm_and_the_totals_add_up() -> None:
    llm = RunLLM("scripted", cache=False)
    llm.get().chat("x")
    other = llm.get("scripted:other")
    assert other is not llm.get() and llm.specs == ["scripted", "scripted:other"]
    other.chat("y")
    assert llm.stats()["calls"] == 2
    llm.close()

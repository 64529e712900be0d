from __future__ import annotations

import json

from typer.testing import CliRunner

from langreward.cli.main import app
from langreward.llm import ResponseCache, make_llm

runner = CliRunner()


def test_help_lists_working_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("llm", "cache"):
        assert command in result.output


def test_llm_check_reports_backend_and_speed():
    result = runner.invoke(app, ["llm", "check", "--llm", "scripted"])
    assert result.exit_code == 0, result.output
    assert "scripted" in result.output and "tokens/s" in result.output


def test_llm_chat_one_prompt():
    result = runner.invoke(app, ["llm", "chat", "hello", "--llm", "scripted"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_bad_spec_is_a_clear_error():
    result = runner.invoke(app, ["llm", "check", "--llm", "bogus:x"])
    assert result.exit_code == 2
    assert "unknown LLM spec" in " ".join(result.output.split())


def test_cache_stats_export_import_clear(tmp_path):
    db = tmp_path / "c.sqlite"
    llm = make_llm("scripted", responses=["a", "b"], cache=db)
    llm.chat("one")
    llm.chat("two")
    stats = runner.invoke(app, ["cache", "stats", "--cache", str(db)])
    assert stats.exit_code == 0 and "entries" in stats.output and "2" in stats.output
    out = tmp_path / "t.jsonl"
    exported = runner.invoke(app, ["cache", "export", str(out), "--cache", str(db)])
    assert exported.exit_code == 0 and "exported 2" in exported.output
    assert all("request" in json.loads(line) for line in out.read_text().splitlines())
    other = tmp_path / "d.sqlite"
    imported = runner.invoke(app, ["cache", "import", str(out), "--cache", str(other)])
    assert imported.exit_code == 0 and ResponseCache(other).stats().entries == 2
    cleared = runner.invoke(app, ["cache", "clear", "--yes", "--cache", str(other)])
    assert cleared.exit_code == 0 and ResponseCache(other).stats().entries == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    failed = runner.invoke(app, ["cache", "import", str(bad), "--cache", str(other)])
    assert failed.exit_code == 2 and "not JSON" in " ".join(failed.output.split())


def test_llm_bias_reports_first_option_wins(monkeypatch):
    import langreward.cli.llm_commands as commands

    # a 'model' that always answers the first letter: 100 % first-option wins, chance accuracy
    monkeypatch.setattr(
        commands, "build_llm", lambda spec: make_llm("scripted", responses=["A"], cache=False)
    )
    result = runner.invoke(app, ["llm", "bias", "--llm", "scripted"])
    assert result.exit_code == 0, result.output
    assert "100%" in result.output and "50%" in result.output


def test_llm_bias_on_unreadable_replies_is_one_clear_line():
    result = runner.invoke(app, ["llm", "bias", "--llm", "scripted"])  # answers "ok"
    assert result.exit_code == 2 and "error:" in result.output
    assert "Traceback" not in result.output

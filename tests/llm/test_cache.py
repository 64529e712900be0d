from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from langreward.llm import Completion, CompletionRequest, ResponseCache, make_llm
from langreward.llm.transcript import read_transcript, write_transcript


def _request(i: int) -> CompletionRequest:
    return CompletionRequest.build([{"role": "user", "content": f"question {i}"}])


def test_put_get_and_stats(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    assert cache.get("b:m", _request(1)) is None
    cache.put("b:m", _request(1), Completion("answer", 10, 2, 0.5))
    hit = cache.get("b:m", _request(1))
    assert hit is not None and hit.text == "answer" and hit.cached
    assert cache.get("other:m", _request(1)) is None  # the backend is part of the key
    stats = cache.stats()
    assert (stats.entries, stats.hits, stats.prompt_tokens) == (1, 1, 10)
    assert stats.seconds_saved == 0.5
    assert cache.integrity_ok()


def test_cache_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LANGREWARD_CACHE_DIR", str(tmp_path / "moved"))
    assert ResponseCache().path == tmp_path / "moved" / "llm-cache.sqlite"


def test_hit_latency_under_one_millisecond(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    for i in range(200):
        cache.put("b:m", _request(i), Completion(f"a{i}", 1, 1, 0.1))
    started = time.perf_counter()
    for i in range(200):
        assert cache.get("b:m", _request(i)) is not None
    per_hit = (time.perf_counter() - started) / 200
    assert per_hit < 1e-3, per_hit


WRITE_N = """
import sys
from langreward.llm import Completion, CompletionRequest, ResponseCache
path, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cache = ResponseCache(path)
for i in range(count):
    req = CompletionRequest.build([{"role": "user", "content": f"question {worker * 10_000 + i}"}])
    cache.put("b:m", req, Completion(f"{worker}-{i}", 1, 1, 0.0))
"""


def test_several_processes_write_at_once(tmp_path):
    path = str(tmp_path / "c.sqlite")
    ResponseCache(path)
    workers = [
        subprocess.Popen([sys.executable, "-c", WRITE_N, path, str(w), "150"]) for w in range(4)
    ]
    assert [proc.wait(60) for proc in workers] == [0, 0, 0, 0]
    cache = ResponseCache(path)
    assert cache.stats().entries == 600
    assert cache.integrity_ok()


OPEN_FRESH = """
import sys
from pathlib import Path
from langreward.llm import Completion, CompletionRequest, ResponseCache
import time
folder, worker, start = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
time.sleep(max(0.0, start - time.time()))
for n in range(30):  # all workers open each new file at about the same time
    cache = ResponseCache(folder / f"c{n}.sqlite")
    req = CompletionRequest.build([{"role": "user", "content": f"question {worker}"}])
    cache.put("b:m", req, Completion(str(worker), 1, 1, 0.0))
    cache.close()
"""


def test_several_processes_create_the_same_new_cache(tmp_path):
    # two runs of a sweep starting together once failed with "database is locked"
    start = str(time.time() + 3.0)  # after every worker has imported langreward
    workers = [
        subprocess.Popen([sys.executable, "-c", OPEN_FRESH, str(tmp_path), str(w), start])
        for w in range(6)
    ]
    assert [proc.wait(120) for proc in workers] == [0] * 6
    for n in range(30):
        assert ResponseCache(tmp_path / f"c{n}.sqlite").stats().entries == 6


WRITE_FOREVER = """
import sys
from langreward.llm import Completion, CompletionRequest, ResponseCache
cache = ResponseCache(sys.argv[1])
print("ready", flush=True)
i = 0
while True:
    req = CompletionRequest.build([{"role": "user", "content": f"q{i}" + "x" * 2000}])
    cache.put("b:m", req, Completion("y" * 5000, 1, 1, 0.0))
    i += 1
"""


def test_sigkill_mid_write_leaves_a_sound_database(tmp_path):
    path = tmp_path / "c.sqlite"
    for attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITE_FOREVER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3 + 0.2 * attempt)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count = conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
    assert count > 10
    # every stored row is complete JSON
    for (response,) in conn.execute("SELECT response FROM responses"):
        assert response.endswith("}")


def test_export_import_round_trip(tmp_path):
    source = make_llm("scripted", responses=["r1", "r2"], cache=tmp_path / "a.sqlite")
    source.chat("one")
    source.chat("two")
    out = tmp_path / "export.jsonl"
    write_transcript(out, source.cache.records())
    assert len(list(read_transcript(out))) == 2
    target = ResponseCache(tmp_path / "b.sqlite")
    assert target.import_records(read_transcript(out)) == 2
    again = make_llm("scripted", responses=["unused"], cache=target)
    assert again.chat("two").text == "r2"


def test_clear(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put("b:m", _request(1), Completion("a"))
    assert cache.clear() == 1
    assert cache.stats().entries == 0

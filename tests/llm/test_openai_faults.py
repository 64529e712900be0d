"""Fault tests: a real HTTP server on 127.0.0.1 that fails in chosen ways."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from langreward.llm import (
    BackendError,
    BackendUnavailableError,
    LLMTimeoutError,
    MalformedReplyError,
    RateLimitError,
    ResponseCache,
    make_llm,
)

GOOD_REPLY = {
    "id": "x",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


class FaultyServer:
    """Answers /v1/chat/completions according to ``mode``; counts requests."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests = 0
        self.fail_first = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                self.rfile.read(length)
                outer.requests += 1
                mode = outer.mode
                if outer.fail_first and outer.requests > outer.fail_first:
                    mode = "ok"
                if mode == "hang":
                    time.sleep(5)
                    return
                if mode in ("500", "429"):
                    body = json.dumps({"error": {"message": "nope"}}).encode()
                    self.send_response(int(mode))
                    self.send_header("Retry-After", "0")
                elif mode == "malformed":
                    body = b'{"choices": [ this is not json'
                    self.send_response(200)
                else:
                    body = json.dumps(GOOD_REPLY).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = FaultyServer()
    yield srv
    srv.close()


def _llm(server, tmp_path, **options):
    options.setdefault("max_retries", 2)
    options.setdefault("timeout", 1.0)
    return make_llm(f"openai:m@{server.url}", cache=tmp_path / "c.sqlite", **options)


def test_ok_reply_is_cached(server, tmp_path):
    llm = _llm(server, tmp_path)
    assert llm.chat("hello").text == "hi"
    assert llm.chat("hello").cached
    assert server.requests == 1


@pytest.mark.parametrize(
    ("mode", "error"),
    [("500", BackendError), ("429", RateLimitError), ("malformed", MalformedReplyError)],
)
def test_failures_are_retried_then_typed_and_not_cached(server, tmp_path, mode, error):
    server.mode = mode
    llm = _llm(server, tmp_path)
    with pytest.raises(error):
        llm.chat("hello")
    expected_requests = 1 if mode == "malformed" else 3  # SDK retries 5xx/429 twice
    assert server.requests == expected_requests
    assert ResponseCache(tmp_path / "c.sqlite").stats().entries == 0
    assert llm.stats.errors == 1


def test_transient_500_recovers_after_retry(server, tmp_path):
    server.mode = "500"
    server.fail_first = 1
    llm = _llm(server, tmp_path)
    assert llm.chat("hello").text == "hi"
    assert server.requests == 2


def test_hanging_server_times_out(server, tmp_path):
    server.mode = "hang"
    llm = _llm(server, tmp_path, timeout=0.3, max_retries=1)
    started = time.perf_counter()
    with pytest.raises(LLMTimeoutError):
        llm.chat("hello")
    assert time.perf_counter() - started < 4
    assert ResponseCache(tmp_path / "c.sqlite").stats().entries == 0


def test_unreachable_server(tmp_path):
    llm = make_llm("openai:m@http://127.0.0.1:9/v1", cache=False, max_retries=0, timeout=1.0)
    with pytest.raises(BackendUnavailableError, match="cannot reach"):
        llm.chat("hello")


def test_api_key_never_stored(server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-test-key")
    llm = _llm(server, tmp_path)
    llm.chat("hello")
    llm.export_transcript(tmp_path / "t.jsonl")
    for file in tmp_path.iterdir():
        assert b"sk-secret-test-key" not in file.read_bytes()

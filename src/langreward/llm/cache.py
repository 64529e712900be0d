"""Persistent response cache: SQLite in WAL mode, safe for several processes at once.

Entries are keyed by a hash of (backend identity, request). A write is one short transaction,
so a process killed mid-write leaves the database intact (SQLite's journal rolls it back).
Only successful replies are stored; a failed call leaves no entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langreward.llm.paths import default_cache_path
from langreward.llm.types import Completion, CompletionRequest

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    request_key TEXT NOT NULL,
    backend TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    seconds REAL NOT NULL,
    created REAL NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS responses_request_key ON responses(request_key);
"""


@dataclass
class CacheStats:
    """Totals over the whole cache file."""

    path: str
    entries: int
    hits: int
    prompt_tokens: int
    completion_tokens: int
    seconds_saved: float
    size_bytes: int
    backends: dict[str, int]


def cache_key(backend_identity: str, request: CompletionRequest) -> str:
    return hashlib.sha256(f"{backend_identity}\n{request.key()}".encode()).hexdigest()


_LOCK_WAIT_S = 30.0


def _is_locked(exc: sqlite3.DatabaseError) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def _set_aside(path: Path) -> Path:
    """Move an unreadable database (and its WAL files) out of the way; returns the new name."""
    target = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            source.replace(Path(f"{target}{suffix}"))
    return target


def _while_locked(action: Callable[[], object]) -> None:
    """Run ``action``, retrying for up to 30 s while SQLite says the database is locked."""
    deadline = time.monotonic() + _LOCK_WAIT_S
    delay = 0.01
    while True:
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(2 * delay, 0.5)


class ResponseCache:
    """A SQLite-backed map from (backend identity, request) to the backend's reply.

    Args:
        path: database file; ``None`` uses ``$LANGREWARD_CACHE_DIR/llm-cache.sqlite`` or the
            user cache directory.

    Example:
        >>> cache = ResponseCache(tmp_path / "c.sqlite")  # doctest: +SKIP
        >>> cache.get("scripted:v1", request)  # None on a miss  # doctest: +SKIP
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.set_aside: Path | None = None  # where an unreadable file was moved, if one was
        self.errors = 0  # reads and writes that failed on a damaged file (misses, unstored)
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            if _is_locked(exc):
                raise
            self.close()
            self.set_aside = _set_aside(self.path)
            logger.warning(
                "the LLM cache %s could not be read (%s): moved it to %s and started a fresh "
                "one; nothing else was touched",
                self.path,
                exc,
                self.set_aside,
            )
            self._open()

    def _open(self) -> None:
        conn = self._connect()
        _while_locked(lambda: conn.executescript(_SCHEMA))
        conn.execute("SELECT COUNT(*) FROM responses WHERE key = ''").fetchone()

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=_LOCK_WAIT_S, isolation_level=None)
            # switching a new file to WAL can fail at once, without waiting, while another
            # process opens it too (two runs of a sweep starting together)
            _while_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get(self, backend_identity: str, request: CompletionRequest) -> Completion | None:
        """The stored reply for this request, or ``None`` (also when the file is damaged:
        counted in :attr:`errors`). Counts a hit."""
        key = cache_key(backend_identity, request)
        try:
            conn = self._connect()
            row = conn.execute("SELECT response FROM responses WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE responses SET hits = hits + 1 WHERE key = ?", (key,))
            return Completion.from_dict(json.loads(row[0]), cached=True)
        except (sqlite3.DatabaseError, ValueError, KeyError) as exc:
            self._damaged("read", exc)
            return None

    def put(self, backend_identity: str, request: CompletionRequest, reply: Completion) -> None:
        """Store a successful reply (one atomic transaction; on a damaged file it is not
        stored, and counted in :attr:`errors`)."""
        try:
            self._insert(backend_identity, request, reply)
        except sqlite3.DatabaseError as exc:
            self._damaged("write", exc)

    def _damaged(self, what: str, exc: Exception) -> None:
        if isinstance(exc, sqlite3.DatabaseError) and _is_locked(exc):
            raise exc
        self.errors += 1
        if self.errors == 1:
            logger.warning(
                "the LLM cache %s failed a %s (%s); carrying on without it for that call "
                "(`langreward cache stats` shows the file)",
                self.path,
                what,
                exc,
            )

    def _insert(self, backend_identity: str, request: CompletionRequest, reply: Completion) -> None:
        self._connect().execute(
            "INSERT OR REPLACE INTO responses (key, request_key, backend, request, response,"
            " prompt_tokens, completion_tokens, seconds, created) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                cache_key(backend_identity, request),
                request.key(),
                backend_identity,
                json.dumps(request.to_dict(), ensure_ascii=False),
                json.dumps(reply.to_dict(), ensure_ascii=False),
                reply.prompt_tokens,
                reply.completion_tokens,
                reply.seconds,
                time.time(),
            ),
        )

    def stats(self) -> CacheStats:
        conn = self._connect()
        entries, hits, prompt, completion, saved = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(hits),0), COALESCE(SUM(prompt_tokens),0),"
            " COALESCE(SUM(completion_tokens),0), COALESCE(SUM(seconds*hits),0) FROM responses"
        ).fetchone()
        backends = dict(
            conn.execute("SELECT backend, COUNT(*) FROM responses GROUP BY backend").fetchall()
        )
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return CacheStats(str(self.path), entries, hits, prompt, completion, saved, size, backends)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every entry as a transcript record (see :mod:`langreward.llm.transcript`)."""
        rows = self._connect().execute(
            "SELECT backend, request, response FROM responses ORDER BY created"
        )
        for backend, request, response in rows:
            yield {
                "backend": backend,
                "request": json.loads(request),
                "response": json.loads(response),
            }

    def import_records(self, records: Iterable[dict[str, Any]]) -> int:
        """Add transcript records to the cache; returns how many were added."""
        count = 0
        for record in records:
            request = CompletionRequest.from_dict(record["request"])
            self.put(record["backend"], request, Completion.from_dict(record["response"]))
            count += 1
        return count

    def clear(self) -> int:
        """Delete every entry; returns how many were deleted."""
        conn = self._connect()
        deleted = conn.execute("DELETE FROM responses").rowcount
        conn.execute("VACUUM")
        return deleted

    def integrity_ok(self) -> bool:
        return self._connect().execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

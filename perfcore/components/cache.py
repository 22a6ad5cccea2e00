"""LLMCache: an LRU response cache for LLM calls, with TTL, semantic lookup and persistence.

Exact lookups are O(1) (an ``OrderedDict`` under one lock). With ``semantic`` on, a
miss falls back to :class:`~perfcore.components.semantic.SemanticIndex`: the prompt is
embedded outside the lock and compared with the stored prompts that carry its numbers
(one product while they are few, an HNSW graph once they are many).

Persistence is JSON lines (a header line, then one entry per line, oldest first),
written atomically, so a crash while saving leaves the old file or the new one.
Expiry times are stored as ``clock()`` values, so the clock must be wall-clock-like
(``time.time``, the default) for a saved cache to mean anything in another process.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import secrets
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfcore._atomic import atomic_open, remove_stale_temps
from perfcore.components.semantic import SemanticIndex, SemanticSettings
from perfcore.components.semantic_store import load_index, save_index
from perfcore.errors import ConfigError

__all__ = ["CacheFileWarning", "CacheStats", "LLMCache"]

SCHEMA = "perfcore.llmcache/1"
_log = logging.getLogger(__name__)


class CacheFileWarning(UserWarning):
    """A saved cache file could not be read; the cache started empty."""


@dataclass(frozen=True)
class CacheStats:
    """A consistent snapshot of the cache's counters."""

    exact_hits: int
    semantic_hits: int
    misses: int
    evictions: int
    expirations: int
    entries: int
    bytes: int

    @property
    def hits(self) -> int:
        """Lookups answered from the cache, exactly or semantically."""
        return self.exact_hits + self.semantic_hits

    @property
    def lookups(self) -> int:
        """Every ``get``: each is exactly one exact hit, semantic hit or miss."""
        return self.hits + self.misses

    @property
    def hit_rate(self) -> float:
        """Hits over lookups (0.0 before the first lookup)."""
        return self.hits / self.lookups if self.lookups else 0.0

    @property
    def backend_calls_saved(self) -> int:
        """Backend calls the cache answered instead (one per hit)."""
        return self.hits


@dataclass(slots=True)
class _Entry:
    response: str
    expires_at: float | None
    nbytes: int


class LLMCache:
    """Thread-safe LRU cache of prompt -> response, with optional near-duplicate lookup."""

    def __init__(
        self,
        max_entries: int = 1024,
        *,
        max_bytes: int | None = None,
        ttl_s: float | None = None,
        semantic: bool | SemanticSettings = False,
        path: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_entries < 1:
            raise ConfigError(f"max_entries must be >= 1, got {max_entries}")
        if max_bytes is not None and max_bytes < 1:
            raise ConfigError(f"max_bytes must be >= 1, got {max_bytes}")
        if ttl_s is not None and ttl_s <= 0:
            raise ConfigError(f"ttl_s must be > 0, got {ttl_s}")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self.path = Path(path) if path is not None else None
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._counts = dict.fromkeys(
            ("exact_hits", "semantic_hits", "misses", "evictions", "expirations"), 0
        )
        self._index: SemanticIndex | None = None
        if semantic:
            settings = semantic if isinstance(semantic, SemanticSettings) else None
            self._index = SemanticIndex(settings)
        if self.path is not None:
            _check_cache_path(self.path)
            remove_stale_temps(self.path.parent)
            if self.path.exists():
                self._load(self.path)

    # -- lookups -----------------------------------------------------------------

    def get(self, prompt: str) -> str | None:
        """The cached response for ``prompt`` (or a near-duplicate of it), else None."""
        with self._lock:
            entry = self._live(prompt)
            if entry is not None:
                self._entries.move_to_end(prompt)
                self._counts["exact_hits"] += 1
                return entry.response
            if self._index is None:
                self._counts["misses"] += 1
                return None
        vector = self._index.embed([prompt])[0]
        with self._lock:
            found = self._index.nearest(prompt, vector)
            entry = self._live(found[0]) if found is not None else None
            if found is None or entry is None:
                self._counts["misses"] += 1
                return None
            self._entries.move_to_end(found[0])
            self._counts["semantic_hits"] += 1
            return entry.response

    def put(self, prompt: str, response: str, *, ttl_s: float | None = None) -> bool:
        """Store ``response`` for ``prompt``; False when it alone exceeds ``max_bytes``."""
        nbytes = len(prompt.encode()) + len(response.encode())
        if self.max_bytes is not None and nbytes > self.max_bytes:
            return False
        ttl = ttl_s if ttl_s is not None else self.ttl_s
        vector = self._index.embed([prompt])[0] if self._index is not None else None
        with self._lock:
            expires = self._clock() + ttl if ttl is not None else None
            self._insert(prompt, _Entry(response, expires, nbytes))
            if vector is not None and self._index is not None and prompt in self._entries:
                self._index.add(prompt, vector)
        return True

    def wrap(self, call: Callable[[str], str]) -> Callable[[str], str]:
        """``call`` with this cache in front: a hit skips the backend, a miss stores its answer."""

        @functools.wraps(call)
        def cached_call(prompt: str) -> str:
            response = self.get(prompt)
            if response is None:
                response = call(prompt)
                self.put(prompt, response)
            return response

        return cached_call

    # -- maintenance -------------------------------------------------------------

    def expire(self) -> int:
        """Drop every expired entry now; returns how many were dropped."""
        with self._lock:
            now = self._clock()
            dead = [k for k, e in self._entries.items() if _expired(e, now)]
            for key in dead:
                self._remove(key)
            self._counts["expirations"] += len(dead)
            return len(dead)

    def clear(self) -> None:
        """Forget every entry (counters are kept)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            if self._index is not None:
                self._index.clear()

    def stats(self) -> CacheStats:
        """A snapshot of the counters, taken under the lock."""
        with self._lock:
            return CacheStats(entries=len(self._entries), bytes=self._bytes, **self._counts)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, prompt: object) -> bool:
        with self._lock:
            return isinstance(prompt, str) and self._live(prompt, count=False) is not None

    # -- persistence -------------------------------------------------------------

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the live entries as JSON lines, atomically; returns the path written."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ConfigError("LLMCache.save needs a path (none was given at construction)")
        _check_cache_path(target)
        header: dict[str, Any] = {"schema": SCHEMA}
        with self._lock:
            now = self._clock()
            rows = [(k, e) for k, e in self._entries.items() if not _expired(e, now)]
            # The index is written first; the cache file then names it (semantic_store).
            token = secrets.token_hex(8)
            if self._index is not None and save_index(
                self._index, [k for k, _ in rows], target, token
            ):
                header["index"] = token
        header["entries"] = len(rows)
        with atomic_open(target, "w") as handle:
            handle.write(json.dumps(header) + "\n")
            handle.writelines(_dump_row(key, entry) for key, entry in rows)
        return target

    def _load(self, path: Path) -> None:
        try:
            token = _read_token(path)
            rows = list(_read_rows(path))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            aside = _quarantine(path)
            kept = f"kept it as {aside}" if aside else "another process moved it aside"
            message = f"cache file {path} is unreadable ({exc}); starting empty, {kept}"
            _log.warning(message)
            warnings.warn(message, CacheFileWarning, stacklevel=3)
            return
        now = self._clock()
        live = [(p, r, x) for p, r, x in rows if x is None or x > now]
        with self._lock:
            self._counts["expirations"] += len(rows) - len(live)
            for prompt, response, expires in live:
                size = len(prompt.encode()) + len(response.encode())
                self._insert(prompt, _Entry(response, expires, size))
            if self._index is not None and self._entries:
                keys = list(self._entries)
                saved = [prompt for prompt, _, _ in rows]
                # The saved index when it is this file's; else rebuilt from the prompts.
                if not load_index(self._index, saved, keys, path, token):
                    self._index.add_many(keys, self._index.embed(keys))

    # -- internals (lock held) ---------------------------------------------------

    def _live(self, prompt: str, *, count: bool = True) -> _Entry | None:
        entry = self._entries.get(prompt)
        if entry is not None and _expired(entry, self._clock()):
            if count:
                self._remove(prompt)
                self._counts["expirations"] += 1
            return None
        return entry

    def _insert(self, prompt: str, entry: _Entry) -> None:
        if prompt in self._entries:
            self._remove(prompt)
        self._entries[prompt] = entry
        self._bytes += entry.nbytes
        while len(self._entries) > self.max_entries or (
            self.max_bytes is not None and self._bytes > self.max_bytes
        ):
            self._remove(next(iter(self._entries)))
            self._counts["evictions"] += 1

    def _remove(self, prompt: str) -> None:
        entry = self._entries.pop(prompt)
        self._bytes -= entry.nbytes
        if self._index is not None:
            self._index.remove(prompt)


def _check_cache_path(path: Path) -> None:
    # Only a regular file is ever read or renamed aside: a directory (or a device)
    # at the cache path is the user's, and moving it away would lose it.
    if path.exists() and not path.is_file():
        raise ConfigError(f"cache path {path} exists and is not a regular file")


def _quarantine(path: Path) -> Path | None:
    """Rename an unreadable cache file aside under a name no other quarantine takes.

    None when another process moved it first.
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    while True:
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{secrets.token_hex(4)}")
        try:
            # link() refuses an existing name, so an earlier quarantined copy is never replaced.
            os.link(path, aside)
        except FileExistsError:
            continue
        except FileNotFoundError:
            return None
        except OSError:
            if aside.exists():
                continue
            os.replace(path, aside)  # a file system without hard links
            return aside
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return aside


def _expired(entry: _Entry, now: float) -> bool:
    return entry.expires_at is not None and entry.expires_at <= now


def _read_token(path: Path) -> str | None:
    """The token of the index saved with the file (its header's "index"), if any."""
    with path.open(encoding="utf-8") as handle:
        header: Any = json.loads(handle.readline() or "null")
    token = header.get("index") if isinstance(header, dict) else None
    return token if isinstance(token, str) else None


def _dump_row(prompt: str, entry: _Entry) -> str:
    row = {"prompt": prompt, "response": entry.response, "expires_at": entry.expires_at}
    return json.dumps(row, ensure_ascii=False) + "\n"


def _read_rows(path: Path) -> Iterator[tuple[str, str, float | None]]:
    """Parse and validate a saved cache; raises ValueError on anything unexpected."""
    with path.open(encoding="utf-8") as handle:
        header: Any = json.loads(handle.readline() or "null")
        if not isinstance(header, dict) or header.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} file")
        if not set(header) <= {"schema", "entries", "index"}:
            raise ValueError(f"unexpected header keys {sorted(header)}")
        rows = [json.loads(line) for line in handle]
    if len(rows) != header["entries"]:
        raise ValueError(f"header promises {header['entries']} entries, file has {len(rows)}")
    for row in rows:
        if set(row) != {"prompt", "response", "expires_at"}:
            raise ValueError(f"unexpected keys {sorted(row)}")
        expires = row["expires_at"]
        if not isinstance(row["prompt"], str) or not isinstance(row["response"], str):
            raise ValueError("prompt and response must be strings")
        if expires is not None and not isinstance(expires, int | float):
            raise ValueError("expires_at must be a number or null")
        yield row["prompt"], row["response"], None if expires is None else float(expires)

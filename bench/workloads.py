"""Deterministic workloads shared by the pytest-benchmark and ASV suites.

Everything here is a pure function of its arguments and a seed, so two runs (or
two commits) measure exactly the same work.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from perfcore.load.openloop import OpenLoopConfig, OpenLoopReport, run_open_loop
from perfcore.load.orchestrate import _bodies
from perfcore.retraining.stream import Batch

_TOPICS = (
    "invoice",
    "contract",
    "support ticket",
    "release note",
    "incident report",
    "design review",
    "sales call",
    "survey answer",
    "bug report",
    "meeting",
)
_ASKS = (
    "Summarise",
    "Classify the sentiment of",
    "Extract the action items from",
    "Translate to French",
    "List the risks in",
    "Write a title for",
)


def prompts(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct prompts of realistic length (about 80-120 characters)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        ask = _ASKS[int(rng.integers(len(_ASKS)))]
        topic = _TOPICS[int(rng.integers(len(_TOPICS)))]
        out.append(
            f"{ask} the {topic} number {i} filed by team {int(rng.integers(1, 60))}, "
            f"keeping the answer short and factual."
        )
    return out


_SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ren",
    "tu",
    "sa",
    "vel",
    "no",
    "dri",
    "pa",
    "zen",
    "qua",
    "bo",
    "li",
    "fer",
    "go",
    "ha",
    "jun",
    "ox",
    "wy",
)


def named_prompts(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct prompts without a number: each names its own made-up document.

    The number guard groups prompts by the numbers they carry, so :func:`prompts`
    (each with its own number) never needs more than a tiny exact scan; these all
    fall in one group, the case the approximate graph exists for.
    """
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        name = "".join(_SYLLABLES[(i // 20**k) % 20] for k in range(5))
        ask = _ASKS[int(rng.integers(len(_ASKS)))]
        topic = _TOPICS[int(rng.integers(len(_TOPICS)))]
        out.append(f"{ask} the {topic} called {name}, keeping the answer short and factual.")
    return out


def edited(prompt: str) -> str:
    """The same question with a small edit: still a semantic hit, no longer the same text."""
    return reworded(prompt.replace("keeping the answer", "keep the answer"))


def reworded(prompt: str) -> str:
    """The same question, typed differently: case, punctuation and spacing changed."""
    return "  " + prompt.upper().replace(",", " ;").rstrip(".") + " ?"


def repeated_prompt_stream(
    requests: int, distinct: int, *, seed: int = 0, zipf_s: float = 1.1, reworded_share: float = 0.3
) -> list[str]:
    """A request stream: Zipf-popular questions, a share of them reworded."""
    rng = np.random.default_rng(seed)
    pool = prompts(distinct, seed)
    weights = 1.0 / np.arange(1, distinct + 1) ** zipf_s
    picks = rng.choice(distinct, size=requests, p=weights / weights.sum())
    flips = rng.random(requests) < reworded_share
    return [reworded(pool[i]) if f else pool[i] for i, f in zip(picks, flips, strict=True)]


def sleep_validator(seconds: float) -> Callable[[object], bool]:
    """A validator that waits ``seconds`` (I/O-bound: a remote check, a database query)."""

    def check(_value: object) -> bool:
        time.sleep(seconds)
        return True

    check.__name__ = f"sleep_{seconds:g}s"
    return check


CPU_LOOPS = 500_000


def cpu_validator(value: int) -> bool:
    """A CPU-bound validator (pure Python, holds the GIL): a checksum over ``CPU_LOOPS`` ints."""
    total = 0
    for i in range(CPU_LOOPS):
        total = (total * 31 + (i ^ value)) % 1_000_003
    return total >= 0


def cpu_validators_4(value: int) -> bool:
    """Four :func:`cpu_validator` calls in one: a pool's share of 8 on 2 workers, sent at once."""
    results = [cpu_validator(value) for _ in range(4)]  # all four run, whatever they return
    return all(results)


def small_files(directory: Path, count: int = 2_000, seed: int = 0) -> list[Path]:
    """``count`` small text files (0.5-4 KiB of CSV-like lines) under ``directory``."""
    rng = np.random.default_rng(seed)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        rows = int(rng.integers(16, 128))
        text = "".join(f"{i},{j},{rng.random():.6f},label{j % 7}\n" for j in range(rows))
        path = folder / f"record-{i:05d}.csv"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def upper_transform(data: bytes) -> bytes:
    """The batch transform: a cheap byte-level rewrite, so the benchmark measures I/O."""
    return data.upper()


def busy_validator(loops: int) -> Callable[[object], bool]:
    """An in-process CPU-bound check (schema, statistics) of about ``loops`` steps."""

    def check(_value: object) -> bool:
        total = 0
        for i in range(loops):
            total = (total * 31 + i) % 1_000_003
        return total >= 0

    check.__name__ = f"busy_{loops}"
    return check


def mixed_validators() -> list[Callable[[object], bool]]:
    """A model-validation suite: 4 remote checks (30 ms waits) and 4 computations.

    Each computation takes about as long as a wait (30 ms on the reference machine),
    so half the serial time is waiting and half is computing.
    """
    return [sleep_validator(0.03) for _ in range(4)] + [busy_validator(650_000) for _ in range(4)]


def stream_events(batches: list[Batch]) -> list[tuple[int, int, list[float]]]:
    """The events of ``batches`` as Python scalars and lists, as a JSON reader gives them."""
    out: list[tuple[int, int, list[float]]] = []
    for b in batches:
        if b.features is None:
            raise ValueError("the stream was generated without features")
        out += [
            (int(p), int(y), [float(v) for v in x])
            for p, y, x in zip(b.predictions, b.labels, b.features, strict=True)
        ]
    return out


SERVING_BODIES = _bodies(16, 0)  # single rows for the synthetic model's 16 features


def serving_load(url: str, rate: float | None, seconds: float) -> OpenLoopReport:
    """Single-row requests at ``rate`` per second (None: closed loop) for ``seconds``.

    Closed loops use 32 connections, open loops 64: the settings of the serving
    benchmark and of ``studies/limits_study.py``, which share this function.
    """
    return run_open_loop(
        OpenLoopConfig(
            url=url,
            bodies=SERVING_BODIES,
            rate=rate,
            duration_s=seconds,
            connections=32 if rate is None else 64,
        )
    )


# Large semantic caches, built once and kept on disk (git-ignored ``artifacts/``), keyed
# by everything that shapes them: a 1M-entry build takes tens of minutes on 2 cores.
SCALE_STORE = Path(__file__).resolve().parents[1] / "artifacts" / "semantic-scale"
SCALE_SEED = 3


@dataclass(frozen=True)
class ScaleCache:
    """A saved semantic cache at scale: its file, prompts, queries and how long a rebuild took."""

    path: Path
    stored: list[str]
    queries: list[str]
    rebuild_s: float
    built_now: bool


def scale_cache(kind: str, entries: int, n_queries: int = 200) -> ScaleCache:
    """The saved cache of ``entries`` prompts of ``kind`` ("numbered" or "named"), with index.

    Built (plain fill, save, a timed load that embeds and builds the graph, a save that
    writes the index beside the file) only when the store has no copy for these settings.
    """
    import hashlib
    import json
    from dataclasses import asdict

    from perfcore.components.cache import SCHEMA, LLMCache
    from perfcore.components.semantic import SemanticSettings
    from perfcore.components.semantic_store import SCHEMA as INDEX_SCHEMA

    shape = [kind, entries, SCALE_SEED, asdict(SemanticSettings()), SCHEMA, INDEX_SCHEMA]
    key = hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:12]
    folder = SCALE_STORE / f"{kind}-{entries}-{key}"
    path, timings = folder / "cache.jsonl", folder / "timings.json"
    stored = (prompts if kind == "numbered" else named_prompts)(entries, seed=SCALE_SEED)
    built_now = not timings.exists()
    if built_now:
        folder.mkdir(parents=True, exist_ok=True)
        plain = LLMCache(max_entries=2 * entries)
        for prompt in stored:
            plain.put(prompt, f"response to {prompt}")
        plain.save(path)
        del plain
        start = time.perf_counter()
        rebuilt = LLMCache(max_entries=2 * entries, semantic=True, path=path)
        took = time.perf_counter() - start  # the load: every prompt embedded, graphs built
        rebuilt.save()  # now with the index beside it
        del rebuilt
        timings.write_text(json.dumps({"rebuild_s": took, "loadavg": os.getloadavg()}))
    picked = stored[:: max(1, entries // n_queries)][:n_queries]
    queries = [reworded(p) for p in picked[::2]] + [edited(p) for p in picked[1::2]]
    rebuild_s = float(json.loads(timings.read_text())["rebuild_s"])
    return ScaleCache(path, stored, queries, rebuild_s, built_now)

"""Property-based fuzzing of every command that reads files (issues 15.4 and 14.4).

Each test feeds one command mutated real files -- pytest-benchmark JSON (with raw data and
a saved summary-only run, written by pytest-benchmark 5.1), an asv 0.6 result file with
its benchmarks.json, Locust CSV (with history) and ``--json`` output (tests/fixtures/locust),
perfcore's own results and noise files (cut from reports/baselines), the claims file
(reports/claims.toml) and a training audit log -- plus random JSON and nesting deeper
than the parser's recursion limit. The property (fuzz_harness.run): no traceback, never
exit 3, exit 1 only as the command's own verdict, exit 2 with one error line and
nothing written. ``PERFCORE_FUZZ_EXAMPLES`` sets the examples per command (default 100).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzz_harness import FUZZ, files_under, report_tally, run, seed, workdir
from fuzz_mutations import mutated_csv, mutated_json, mutated_toml
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.slow  # ~1-2 s a command per 10 examples on a shared 2-core machine

FORMATS = ("perfcore", "pb_raw", "pb_saved", "asv", "locust_json", "locust_csv")
_JSON_SEED = {
    "perfcore": "perfcore_results.json",
    "pb_raw": "pytest_benchmark_raw.json",
    "pb_saved": "pytest_benchmark_saved.json",
    "locust_json": "run.json",
}


def write_results(data: st.DataObject, folder: Path, kind: str, *, mutate: bool = True) -> Path:
    """A results file (or asv tree) of ``kind`` under ``folder``, mutated unless told not."""
    folder.mkdir(parents=True, exist_ok=True)

    def json_bytes(name: str) -> bytes:
        return mutated_json(data, seed(name)) if mutate else seed(name)

    if kind in _JSON_SEED:
        path = folder / f"{kind}.json"
        path.write_bytes(json_bytes(_JSON_SEED[kind]))
        return path
    if kind == "asv":
        machine = folder / "results" / "box"
        machine.mkdir(parents=True)
        (machine / "machine.json").write_text('{"machine": "box", "version": 1}')
        mutate_units = mutate and data.draw(st.integers(0, 3)) == 0
        (folder / "results" / "benchmarks.json").write_bytes(
            mutated_json(data, seed("asv_benchmarks.json"))
            if mutate_units
            else seed("asv_benchmarks.json")
        )
        (machine / "abcdef12-virtualenv-py3.11.json").write_bytes(json_bytes("asv_result.json"))
        return folder / "results"
    stats, history = seed("run_stats.csv"), seed("run_stats_history.csv")
    path = folder / "run_stats.csv"
    path.write_bytes(mutated_csv(data, stats) if mutate else stats)
    if data.draw(st.booleans()):
        (folder / "run_stats_history.csv").write_bytes(
            mutated_csv(data, history) if mutate else history
        )
    return path


@pytest.fixture
def tally_of(request: pytest.FixtureRequest) -> Iterator[None]:
    """Writes the command's counts to PERFCORE_FUZZ_REPORT after the test."""
    yield
    report_tally(
        request.node.callspec.params["command"]
        if hasattr(request.node, "callspec")
        else request.node.name.removeprefix("test_fuzz_")
    )


def test_fuzz_compare(tally_of: None) -> None:
    """compare: a clean seed against a mutated file of the same format."""

    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(FORMATS))
        with workdir() as tmp:
            base = write_results(data, tmp / "base", kind, mutate=False)
            current = write_results(data, tmp / "cur", kind)
            fmt = data.draw(st.sampled_from(["table", "json", "markdown"]))
            run("compare", ["compare", "--format", fmt, str(base), str(current)])

    check()


def test_fuzz_gate(tally_of: None) -> None:
    """gate: a mutated file against itself (never a regression), or a mutated noise file."""

    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        with workdir() as tmp:
            noise: list[str] = []
            if data.draw(st.integers(0, 3)) == 0:
                path = write_results(data, tmp / "r", "perfcore", mutate=False)
                (tmp / "noise.json").write_bytes(mutated_json(data, seed("noise.json")))
                noise = ["--noise", str(tmp / "noise.json")]
            else:
                path = write_results(data, tmp / "r", data.draw(st.sampled_from(FORMATS)))
            run("gate", ["gate", "--baseline", str(path), "--current", str(path), *noise])

    check()


def test_fuzz_report(tally_of: None) -> None:
    """report --exit-code: a mutated file against itself; nothing written on exit 2."""

    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        with workdir() as tmp:
            path = write_results(data, tmp / "r", data.draw(st.sampled_from(FORMATS)))
            claims = tmp / "claims.toml"
            claims.write_bytes(seed("claims.toml"))
            out = tmp / "out"
            run(
                "report",
                [
                    "report",
                    "--baseline",
                    str(path),
                    "--current",
                    str(path),
                    "--out",
                    str(out),
                    "--claims",
                    str(claims),
                    "--history",
                    str(tmp / "h"),
                    "--exit-code",
                ],
                written=lambda: files_under(out),
            )

    check()


def test_fuzz_baseline_save(tally_of: None) -> None:
    """baseline save: a mutated results file, or a good one over a mutated stored baseline."""

    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        with workdir() as tmp:
            store = tmp / "store"
            stored = data.draw(st.integers(0, 3)) == 0
            if stored:  # the store's current baseline is the corrupt one (it gets archived)
                path = write_results(data, tmp / "r", "perfcore", mutate=False)
                (store / "64a545c22dbb").mkdir(parents=True)
                (store / "64a545c22dbb" / "baseline.json").write_bytes(
                    mutated_json(data, seed("perfcore_results.json"))
                )
            else:
                path = write_results(data, tmp / "r", "perfcore")
            before = files_under(store)
            run(
                "baseline_save",
                ["baseline", "save", str(path), "--baselines-dir", str(store)],
                written=lambda: [p for p in files_under(store) if p not in before],
            )

    check()


def test_fuzz_history(tally_of: None) -> None:
    """history add of a mutated file; show and changes over a history holding one."""

    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        with workdir() as tmp:
            root = tmp / "h"
            action = data.draw(st.sampled_from(["add", "show", "changes"]))
            if action == "add":
                path = write_results(data, tmp / "r", data.draw(st.sampled_from(FORMATS)))
                run(
                    "history",
                    ["history", "add", str(path), "--history-dir", str(root)],
                    written=lambda: files_under(root),
                )
                return
            folder = root / "64a545c22dbb"
            folder.mkdir(parents=True)
            shutil.copy(
                write_results(data, tmp / "r", "perfcore", mutate=False),
                folder / "20260101T000000Z-nocommit.json",
            )
            (folder / "20260102T000000Z-nocommit.json").write_bytes(
                mutated_json(data, seed("perfcore_results.json"))
            )
            extra = ["--permutations", "19"] if action == "changes" else []
            run(
                "history",
                [
                    "history",
                    action,
                    "--machine",
                    "64a545c22dbb",
                    "--history-dir",
                    str(root),
                    *extra,
                ],
            )

    check()


def test_fuzz_claims(tally_of: None) -> None:
    """claims: a mutated claims file, or mutated results to judge the claims against."""

    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        with workdir() as tmp:
            claims = tmp / "claims.toml"
            if data.draw(st.booleans()):
                claims.write_bytes(mutated_toml(data, seed("claims.toml")))
                path = write_results(data, tmp / "r", "perfcore", mutate=False)
            else:
                claims.write_bytes(seed("claims.toml"))
                path = write_results(data, tmp / "r", data.draw(st.sampled_from(FORMATS)))
            run("claims", ["claims", "--claims-file", str(claims), "--results", str(path)])

    check()


def test_fuzz_slo(tally_of: None) -> None:
    """slo: mutated Locust CSV or JSON, or perfcore results; exit 1 only when one is missed."""

    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        with workdir() as tmp:
            kind = data.draw(st.sampled_from(["locust_csv", "locust_json", "perfcore"]))
            path = write_results(data, tmp / "r", kind)
            run(
                "slo",
                [
                    "slo",
                    str(path),
                    "--slo",
                    "p99<20ms",
                    "--slo",
                    "error_rate<50%",
                    "--slo",
                    "throughput>1/s",
                ],
                verdict="objective(s) missed",
            )

    check()


def test_fuzz_calibrate(tally_of: None) -> None:
    """calibrate --from: a mutated run beside a clean one; no noise file on exit 2."""

    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        with workdir() as tmp:
            kind = data.draw(st.sampled_from(["perfcore", "pb_raw", "pb_saved", "asv"]))
            clean = write_results(data, tmp / "a", kind, mutate=False)
            mutated = write_results(data, tmp / "b", kind)
            store = tmp / "store"
            run(
                "calibrate",
                ["calibrate", "--from", str(clean), str(mutated), "--baselines-dir", str(store)],
                written=lambda: files_under(store),
            )

    check()


def test_fuzz_audit_verify(tally_of: None) -> None:
    """audit verify: a mutated log or root sidecar; exit 1 only as TAMPERED."""

    @FUZZ
    @given(st.data())
    def check(data: st.DataObject) -> None:
        with workdir() as tmp:
            log, root = tmp / "audit.jsonl", tmp / "audit.jsonl.root.json"
            log.write_bytes(seed("audit.jsonl"))
            root.write_bytes(seed("audit.jsonl.root.json"))
            if data.draw(st.booleans()):
                root.write_bytes(mutated_json(data, root.read_bytes()))
            else:
                lines = log.read_bytes().splitlines(keepends=True)
                i = data.draw(st.integers(0, len(lines) - 1))
                lines[i] = mutated_json(data, lines[i].strip()) + b"\n"
                log.write_bytes(b"".join(lines))
            run("audit_verify", ["audit", "verify", str(log)], verdict="TAMPERED")

    check()

"""Record the suite's coverage map: each benchmark run once under coverage, per node id."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from perfcore.errors import ServiceError
from perfcore.runner.selection import MODULE, CoverageMap, functions_of, suite_digest

__all__ = ["record_map"]


def _functions_by_line(path: Path) -> dict[str, tuple[int, int, str]] | None:
    try:
        return functions_of(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None


def _innermost(spans: dict[str, tuple[int, int, str]], line: int) -> str:
    best, width = MODULE, -1
    for name, (first, last, _) in spans.items():
        if name != MODULE and first <= line <= last and (width < 0 or last - first < width):
            best, width = name, last - first
    return best


def record_map(root: Path, bench_dir: str = "bench", *, timeout_s: float = 900) -> CoverageMap:
    """Run ``bench_dir`` once per benchmark (timing off) under coverage; map node -> functions."""
    import coverage

    with tempfile.TemporaryDirectory() as tmp:
        data_file = Path(tmp) / ".coverage"
        argv = [
            sys.executable,
            "-m",
            "coverage",
            "run",
            f"--data-file={data_file}",
            f"--source={root}",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "perfcore.runner._coverage_plugin",
            bench_dir,
            "--benchmark-disable",
            "-o",
            "addopts=",
        ]
        proc = subprocess.run(
            argv, cwd=root, capture_output=True, text=True, check=False, timeout=timeout_s
        )
        if proc.returncode not in (0, 5):
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:]
            raise ServiceError(f"recording the coverage map failed: {tail}")
        data = coverage.CoverageData(basename=str(data_file))
        data.read()
        benchmarks: dict[str, dict[str, set[str]]] = {}
        for measured in data.measured_files():
            path = Path(measured)
            try:
                rel = path.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                continue
            spans = _functions_by_line(path)
            if spans is None:
                continue
            for line, contexts in (data.contexts_by_lineno(measured) or {}).items():
                for ctx in contexts:
                    if ctx:
                        benchmarks.setdefault(ctx, {}).setdefault(rel, set()).add(
                            _innermost(spans, line)
                        )
    frozen = {
        node: {f: frozenset(fs) for f, fs in files.items()} for node, files in benchmarks.items()
    }
    return CoverageMap(suite=suite_digest(root, bench_dir), benchmarks=frozen)

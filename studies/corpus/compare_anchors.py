"""perfcore's verdicts beside pytest-benchmark's and asv's own rules on real saved runs.

For each pair of consecutive runs of one project and machine (and asv environment) listed
in ``manifest.toml`` (the last ``--last`` runs of each series), this runs:

* ``perfcore compare BASE CUR --format json --exit-code`` (the gate's exit status and
  every verdict); where it refuses two machines, again with ``--allow-cross-machine``
  so that the verdicts can still be set beside the anchors;
* pytest-benchmark files: its ``--benchmark-compare-fail=median:5%`` rule, through the
  plugin's own ``parse_compare_fail`` (the ``pytest-benchmark compare`` command has no
  ``--fail`` option and always exits 0; its exit status is recorded too);
* asv files: ``asv compare --factor 1.1`` through ``Compare.print_table`` over a
  temporary results folder (the project's ``benchmarks.json``, the machine's
  ``machine.json`` and the two runs), its ``+`` rows being its regressions.

and writes one Markdown table row per pair, then every disagreement (a benchmark one side
calls a regression and the other does not) with its explanation category. It also reads
every file of the manifest with ``perfcore.results.readers.read_any`` and counts clean
refusals and tracebacks (anything not a ``PerfcoreError``).

usage: python studies/corpus/compare_anchors.py CORPUS_DIR [--last N] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfcore.errors import PerfcoreError
from perfcore.results._tool_readers import pytest_benchmark_id
from perfcore.results.readers import read_any

HERE = Path(__file__).resolve().parent
PERFCORE = [sys.executable, "-m", "perfcore"]


@dataclass
class Pair:
    """One pair of consecutive runs and what each rule said about it."""

    project: str
    series: str
    base: Path
    curr: Path
    exit_code: int = 0
    reason: str = ""
    cross_machine: bool = False
    verdicts: dict[str, str] = field(default_factory=dict)
    info: dict[str, dict[str, Any]] = field(default_factory=dict)
    anchor: str = ""
    anchor_regressed: set[str] = field(default_factory=set)
    anchor_marks: dict[str, str] = field(default_factory=dict)
    anchor_note: str = ""


def load_manifest(path: Path) -> list[dict[str, Any]]:
    """The manifest's file entries."""
    entries: list[dict[str, Any]] = tomllib.loads(path.read_text())["file"]
    return entries


def _norm(name: str) -> str:
    return name.replace(" ", "").replace("'", "").replace('"', "")


def run_perfcore(pair: Pair) -> None:
    """The gate's exit status, its reason and every verdict (again across machines if refused)."""
    cmd = [*PERFCORE, "compare", str(pair.base), str(pair.curr), "--format", "json", "--exit-code"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    pair.exit_code = proc.returncode
    pair.reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    if proc.returncode == 2 and "--allow-cross-machine" in proc.stderr:
        pair.cross_machine = True
        proc = subprocess.run(
            [*cmd, "--allow-cross-machine"], capture_output=True, text=True, check=False
        )
    if not proc.stdout.strip():
        return
    for c in json.loads(proc.stdout)["comparisons"]:
        pair.verdicts[_norm(c["id"])] = c["verdict"]
        pair.info[_norm(c["id"])] = c


def run_pytest_benchmark(pair: Pair) -> None:
    """pytest-benchmark's ``median:5%`` rule over the benchmarks of both runs."""
    from pytest_benchmark.utils import parse_compare_fail

    check = parse_compare_fail("median:5%")  # type: ignore[no-untyped-call]
    sides = []
    for path in (pair.base, pair.curr):
        doc = json.loads(path.read_text())
        sides.append({_pb_key(b): b for b in doc.get("benchmarks", [])})
    base, curr = sides
    pair.anchor = "pytest-benchmark median:5%"
    for key in base.keys() & curr.keys():
        try:
            failed = check.fails(curr[key]["stats"], base[key]["stats"])
        except (KeyError, TypeError, ZeroDivisionError) as exc:
            pair.anchor_marks[key] = f"error {type(exc).__name__}"
            continue
        if failed:
            pair.anchor_regressed.add(key)
    cli = str(Path(sys.executable).with_name("pytest-benchmark"))
    proc = subprocess.run(
        [cli, "compare", str(pair.base), str(pair.curr)], capture_output=True, check=False
    )
    pair.anchor_note = f"`pytest-benchmark compare` exit {proc.returncode}"


def _pb_key(bench: dict[str, Any]) -> str:
    name = str(bench.get("name", ""))
    return _norm(pytest_benchmark_id(str(bench.get("fullname") or name), name))


def run_asv(pair: Pair, benchmarks_json: Path, machine_json: Path) -> None:
    """``asv compare --factor 1.1`` of the two runs, from a temporary results folder."""
    from asv.commands.compare import Compare
    from asv.config import Config

    pair.anchor = "asv compare 1.1"
    base_doc, curr_doc = (json.loads(p.read_text()) for p in (pair.base, pair.curr))
    machine = str(json.loads(machine_json.read_text()).get("machine", "m"))
    h1, h2 = str(base_doc.get("commit_hash")), str(curr_doc.get("commit_hash"))
    if h1 == h2:
        pair.anchor_note = "same commit: asv compare cannot tell the runs apart"
        return
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results"
        (results / machine).mkdir(parents=True)
        shutil.copy(benchmarks_json, results / "benchmarks.json")
        shutil.copy(machine_json, results / machine / "machine.json")
        shutil.copy(pair.base, results / machine / pair.base.name)
        shutil.copy(pair.curr, results / machine / pair.curr.name)
        conf = Config()
        conf.results_dir = str(results)
        envs = sorted({str(d.get("env_name", "")) for d in (base_doc, curr_doc)} - {""})
        out = io.StringIO()
        try:
            _asv_update(results / machine, pair)
            with contextlib.redirect_stdout(out):
                Compare.print_table(
                    conf, h1, h2, factor=1.1, split=False, machine=machine,
                    env_names=envs or None, use_stats=True,
                )  # fmt: skip
        except Exception as exc:  # asv's own failure is a finding here
            pair.anchor_note = f"asv compare failed: {type(exc).__name__}: {exc}"[:160]
            return
    _parse_asv_table(out.getvalue(), pair)


def _asv_update(folder: Path, pair: Pair) -> None:
    """As ``asv update`` does: asv compare refuses results in the old (version 1) format."""
    from asv.machine import Machine
    from asv.results import Results

    Machine.update(str(folder / "machine.json"))
    for path in (folder / pair.base.name, folder / pair.curr.name):
        if json.loads(path.read_text()).get("version") != 2:
            Results.update(str(path))
            pair.anchor_note = "format 1: converted with asv's own `Results.update`"


def _parse_asv_table(text: str, pair: Pair) -> None:
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or cells[0] not in {"+", "-", "x", "!", "*", ""}:
            continue
        name = cells[-1].split(" [")[0]
        pair.anchor_marks[_norm(name)] = cells[0] or " "
        if cells[0] == "+":
            pair.anchor_regressed.add(_norm(name))


def explain(pair: Pair, key: str) -> str:  # noqa: PLR0911 -- one return per category
    """Why perfcore and the anchor disagree about ``key`` (the category)."""
    info = pair.info.get(key, {})
    verdict = pair.verdicts.get(key, "absent")
    basis = str(info.get("basis") or "")
    if key in pair.anchor_regressed:
        if verdict == "incomparable":
            return "benchmark version changed: perfcore does not compare (asv marks x, not +)"
        if verdict == "absent":
            return "perfcore has no such result (skipped value or failed on one side)"
        if pair.exit_code == 2 and not pair.cross_machine:
            reason = pair.reason.removeprefix("perfcore: error: ").split(":")[0]
            return f"perfcore refused the pair (exit 2): {reason[:60]}"
        if verdict == "noisy" and re.search(r"summary (1/|\d+/1 )", basis):
            return "one measurement on a side (asv repeat 1, interval +-inf): undecided"
        if verdict == "noisy" and basis.startswith("summary"):
            return "summary-only files: perfcore's between-run prior leaves the slowdown undecided"
        if verdict in ("noisy", "unchanged"):
            return "anchor has no between-run noise model: a change inside perfcore's interval"
        if verdict == "disturbed":
            return "perfcore: the run was disturbed by other processes"
        return f"perfcore verdict {verdict}"
    mark = pair.anchor_marks.get(key)
    if mark is None:
        return "anchor did not compare it (missing on one side for the anchor)"
    ratio = info.get("ratio")
    if pair.anchor.startswith("asv") and ratio is not None and float(ratio) < 1.1:
        return "asv's factor 1.1 is above perfcore's 5% threshold"
    if mark == "x":
        return "asv: version changed, perfcore compared"
    if pair.anchor.startswith("asv") and mark == " ":
        return "asv: its 99% intervals overlap (few repeats), so not significant to asv"
    return f"anchor mark {mark!r}: significance rule differs"


def judge_pairs(entries: list[dict[str, Any]], corpus: Path, last: int) -> list[Pair]:
    """Every consecutive pair of the last ``last`` runs of each series, judged by every rule."""
    support: dict[tuple[str, str], Path] = {}
    series: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        if e["role"] == "run":
            series[(e["project"], e["tool"], e["series"])].append(e)
        else:
            folder = str(Path(e["path"]).parent if e["role"] == "machine" else e["path"])
            support[(e["role"], folder)] = corpus / e["local"]
    pairs = []
    for (project, tool, name), found in sorted(series.items()):
        runs = sorted(found, key=lambda e: e["order"])[-last:]
        for b, c in itertools.pairwise(runs):
            pair = Pair(project, name, corpus / b["local"], corpus / c["local"])
            run_perfcore(pair)
            if tool == "pytest-benchmark":
                run_pytest_benchmark(pair)
            else:
                folder = str(Path(b["path"]).parent)
                bench = support[("benchmarks", str(Path(folder).parent / "benchmarks.json"))]
                run_asv(pair, bench, support[("machine", folder)])
            pairs.append(pair)
    return pairs


def check_readers(entries: list[dict[str, Any]], corpus: Path) -> tuple[Counter[str], list[str]]:
    """Read every run file and every series folder: ok, refused (PerfcoreError) or crashed."""
    counts: Counter[str] = Counter()
    crashes: list[str] = []
    targets = {corpus / e["local"] for e in entries if e["role"] == "run"}
    targets |= {(corpus / e["local"]).parent for e in entries if e["role"] == "run"}
    for target in sorted(targets):
        try:
            read_any(target)
            counts["read"] += 1
        except PerfcoreError:
            counts["refused (exit 2, one line)"] += 1
        except Exception:  # a traceback is what this check counts
            counts["TRACEBACK"] += 1
            crashes.append(f"{target}: {traceback.format_exc().splitlines()[-1]}")
    return counts, crashes


def _short(path: Path) -> str:
    return path.name if len(path.name) <= 28 else path.name[:25] + "..."


def pair_row(pair: Pair) -> tuple[str, list[str]]:
    """The pair's table row and its disagreement lines."""
    counts = Counter(pair.verdicts.values())
    ours = {k for k, v in pair.verdicts.items() if v == "regressed" and pair.exit_code != 2}
    if pair.cross_machine:
        ours = {k for k, v in pair.verdicts.items() if v == "regressed"}
    both = ours & pair.anchor_regressed
    raw = {k for k, v in pair.verdicts.items() if v == "regressed"} & pair.anchor_regressed
    differ = sorted((ours | pair.anchor_regressed) - both)
    other = sum(n for v, n in counts.items() if v not in ("regressed", "improved"))
    gate = f"{pair.exit_code}" + (" (two machines)" if pair.cross_machine else "")
    row = (
        f"| {pair.project} | {pair.series} | {_short(pair.base)} → {_short(pair.curr)} "
        f"| {len(pair.verdicts)} | {counts['regressed']}/{counts['improved']}/{other} | {gate} "
        f"| {pair.anchor}: {len(pair.anchor_regressed)} | {len(both)} ({len(raw)}) | {len(differ)} "
        f"| {pair.anchor_note} |"
    )
    lines = []
    for key in differ:
        info = pair.info.get(key, {})
        ratio = info.get("ratio")
        shown = f"{float(ratio):.2f}x" if ratio is not None else "-"
        side = "anchor only" if key in pair.anchor_regressed else "perfcore only"
        lines.append(
            f"| {pair.project} | {_short(pair.curr)} | `{key[:60]}` | {side} "
            f"| {pair.verdicts.get(key, 'absent')} {shown} | {explain(pair, key)} |"
        )
    return row, lines


def render(pairs: list[Pair], readers: tuple[Counter[str], list[str]]) -> str:
    """The Markdown report: per-pair table, disagreements, categories, reader check."""
    out = [
        "| project | series | baseline → current | benchmarks | perfcore regressed/improved/other"
        " | gate exit | anchor regressions | both (before a refusal) | disagree | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    disagreements: list[str] = []
    for pair in pairs:
        row, lines = pair_row(pair)
        out.append(row)
        disagreements += lines
    categories = Counter(line.rsplit("|", 2)[-2].strip() for line in disagreements)
    out += ["", "Disagreements by category:", ""]
    out += [f"- {n} x {cat}" for cat, n in categories.most_common()]
    out += [
        "",
        "| project | current | benchmark | who | perfcore | category |",
        "|---|---|---|---|---|---|",
    ]
    out += disagreements
    counts, crashes = readers
    out += [
        "",
        "Readers over the corpus: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
    ]
    out += [f"- {c}" for c in crashes]
    return "\n".join(out) + "\n"


def materialise(entries: list[dict[str, Any]], corpus: Path, mirrors: Path) -> None:
    """Write each missing file from ``mirrors/<owner>+<name>/repo`` (git show COMMIT:PATH)."""
    for e in entries:
        dest = corpus / e["local"]
        if dest.exists():
            continue
        repo = mirrors / e["repo"].replace("/", "+") / "repo"
        blob = subprocess.run(
            ["git", "-C", str(repo), "show", f"{e['commit']}:{e['path']}"],
            capture_output=True,
            check=True,
        ).stdout
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(blob)


def main(argv: list[str] | None = None) -> int:
    """Judge every pair, check the readers, print (or write) the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--manifest", type=Path, default=HERE / "manifest.toml")
    parser.add_argument("--mirrors", type=Path, help="git mirrors to materialise files from")
    parser.add_argument("--last", type=int, default=8, help="runs per series to pair up")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    entries = load_manifest(args.manifest)
    if args.mirrors:
        materialise(entries, args.corpus, args.mirrors)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    import warnings

    warnings.simplefilter("ignore")
    report = render(
        judge_pairs(entries, args.corpus, args.last), check_readers(entries, args.corpus)
    )
    if args.out:
        args.out.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

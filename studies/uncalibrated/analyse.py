"""False alarms and power of one-run-against-one-run gates, uncalibrated, beside the anchors.

Reads the saved runs that ``run_study.sh`` wrote (pytest-benchmark's storage layout) and
judges every ordered pair of runs ``(i, j)``, ``i < j``: no-change pairs from the
unchanged storage folder, slowed pairs with the baseline from the unchanged folder and
the current from the slowed one. Per benchmark it counts alarms by:

* perfcore's judge, uncalibrated (no noise file), on raw samples and on the same runs
  with their samples stripped (pytest-benchmark's default storage keeps only the summary);
  an alarm is a regressed result of a gate that exits 1 (a refusal, exit 2, raises none
  and is counted apart);
* the verdict rule alone (``compare_suites``, no busy-machine or machine-shift refusal) on
  raw samples, with and without the fast-end check (:mod:`perfcore.analysis.vetoes`);
* pytest-benchmark's own ``--benchmark-compare-fail=median:5%`` rule, through its
  ``parse_compare_fail`` (the tool's code, not a re-implementation);
* asv's rule: ``asv compare``'s ``_is_result_better`` with factor 1.1 and asv's own
  statistics over the raw samples (``asv_runner.statistics.compute_stats``).

usage: python studies/uncalibrated/analyse.py AA_DIR [SLOWED_DIR ...] [--json OUT]
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from perfcore.analysis.judge import JudgeSettings, judge
from perfcore.analysis.verdict_rule import DEFAULT_BETWEEN_RUN_SD, compare_suites
from perfcore.results.readers import read_any

Rule = Callable[[dict[str, Any], dict[str, Any]], bool]


def _runs(folder: Path) -> list[Path]:
    return sorted(folder.rglob("[0-9][0-9][0-9][0-9]_*.json"))


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for bench in out["benchmarks"]:
        bench["stats"].pop("data", None)
    return out


REFUSED: Counter[str] = Counter()


def _perfcore_alarms(base: Path, curr: Path, rule: str = "") -> set[str]:
    """Ids of a failing gate (exit 1) judging ``curr`` against ``base``; refusals counted."""
    suite, decision = judge(read_any(base), read_any(curr), JudgeSettings())
    if decision.exit_code == 2:
        REFUSED[rule] += 1
    if decision.exit_code != 1:
        return set()
    return {c.id.split("[")[-1].rstrip("]") for c in suite.comparisons if c.verdict == "regressed"}


def _rule_alarms(base: Path, curr: Path, *, fast_end: bool) -> set[str]:
    """Ids the verdict rule alone calls regressed (no busy-machine or machine-shift refusal).

    ``fast_end=False``: the rule as it was before the fast-end check, by giving every
    result the same default SD as a calibration (which leaves the check out).
    """
    b, c = read_any(base), read_any(curr)
    sd = {} if fast_end else {r.id: DEFAULT_BETWEEN_RUN_SD for r in b.results}
    suite = compare_suites(b, c, between_run_sd=sd)
    return {x.id.split("[")[-1].rstrip("]") for x in suite.comparisons if x.verdict == "regressed"}


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["name"].split("[")[-1].rstrip("]"): b for b in doc["benchmarks"]}


def _pb_median5(base: dict[str, Any], curr: dict[str, Any]) -> set[str]:
    from pytest_benchmark.utils import parse_compare_fail

    # pytest-benchmark leaves parse_compare_fail unannotated.
    check = parse_compare_fail("median:5%")  # type: ignore[no-untyped-call]
    b, c = _by_name(base), _by_name(curr)
    return {n for n in b.keys() & c.keys() if check.fails(c[n]["stats"], b[n]["stats"])}


def _asv_rule(base: dict[str, Any], curr: dict[str, Any]) -> set[str]:
    from asv.commands.compare import _is_result_better
    from asv_runner.statistics import compute_stats

    out = set()
    b, c = _by_name(base), _by_name(curr)
    for n in b.keys() & c.keys():
        sb, sc = b[n]["stats"]["data"], c[n]["stats"]["data"]
        rb, stb = compute_stats(sb, 1)
        rc, stc = compute_stats(sc, 1)
        if _is_result_better(rb, rc, (stb, sb), (stc, sc), 1.1):
            out.add(n)
    return out


def _pairs(aa: list[Path], slowed: list[Path] | None) -> Iterator[tuple[Path, Path]]:
    if slowed is None:
        yield from itertools.combinations(aa, 2)
    else:
        yield from ((a, s) for a in aa for s in slowed)


def _tally(aa: list[Path], slowed: list[Path] | None, tmp: Path) -> dict[str, Any]:
    counts: dict[str, Counter[str]] = {
        k: Counter()
        for k in (
            "perfcore_samples",
            "perfcore_summary",
            "rule_samples",
            "rule_samples_no_fast_end",
            "pb_median5",
            "asv_1.1",
        )
    }
    n_pairs = 0
    names: set[str] = set()
    for base, curr in _pairs(aa, slowed):
        bdoc, cdoc = (json.loads(p.read_text()) for p in (base, curr))
        names |= _by_name(bdoc).keys()
        n_pairs += 1
        counts["perfcore_samples"].update(_perfcore_alarms(base, curr, "perfcore_samples"))
        counts["rule_samples"].update(_rule_alarms(base, curr, fast_end=True))
        counts["rule_samples_no_fast_end"].update(_rule_alarms(base, curr, fast_end=False))
        sb, sc = tmp / "b.json", tmp / "c.json"
        sb.write_text(json.dumps(_strip(bdoc)))
        sc.write_text(json.dumps(_strip(cdoc)))
        counts["perfcore_summary"].update(_perfcore_alarms(sb, sc, "perfcore_summary"))
        counts["pb_median5"].update(_pb_median5(bdoc, cdoc))
        counts["asv_1.1"].update(_asv_rule(bdoc, cdoc))
    refused = dict(REFUSED)
    REFUSED.clear()
    return {
        "pairs": n_pairs,
        "benchmarks": sorted(names),
        "refused_pairs": refused,
        "rate": {rule: {n: c[n] / n_pairs for n in sorted(names)} for rule, c in counts.items()},
        "overall": {rule: sum(c.values()) / (n_pairs * len(names)) for rule, c in counts.items()},
    }


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper-Pearson) ``level`` interval of a rate of ``k`` in ``n``."""
    from scipy.stats import beta

    tail = (1 - level) / 2
    low = 0.0 if k == 0 else float(beta.ppf(tail, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - tail, k + 1, n - k))
    return low, high


def _print_table(kind: str, t: dict[str, Any]) -> None:
    n, m = t["pairs"], len(t["benchmarks"])
    print(f"{kind}: {n} pairs x {m} benchmarks")
    for rule, rate in t["overall"].items():
        worst = max(t["rate"][rule].values())
        lo, hi = clopper_pearson(round(rate * n * m), n * m)
        wlo, whi = clopper_pearson(round(worst * n), n)
        refused = t["refused_pairs"].get(rule, 0) / n
        print(
            f"  {rule:18s} rate {rate:6.1%} [{lo:.1%}, {hi:.1%}]"
            f"  worst benchmark {worst:6.1%} [{wlo:.1%}, {whi:.1%}]"
            + (f"  refused (exit 2) {refused:6.1%} of pairs" if rule.startswith("perfcore") else "")
        )


def main(argv: list[str] | None = None) -> int:
    """Print (and optionally write) the alarm rates of every rule."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("aa", type=Path)
    parser.add_argument("slowed", type=Path, nargs="*")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    aa = _runs(args.aa)
    with tempfile.TemporaryDirectory() as tmp:
        table = {"no_change": _tally(aa, None, Path(tmp))}
        for folder in args.slowed:
            table[f"slowed {folder.name}"] = _tally(aa, _runs(folder), Path(tmp))
    for kind, t in table.items():
        _print_table(kind, t)
    if args.json:
        args.json.write_text(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

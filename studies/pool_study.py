"""Where the process pool loses against the ideal speedup: ``python -m studies.pool_study``.

For ``docs/performance.md`` (issue 21). Serial and the 2-worker pool run the same 8
CPU-bound validators (``bench/workloads.py``'s ``cpu_validator``) in turns, ``--rounds``
pairs, order alternating. Each call's time comes from the report (serially: the call
itself; in the pool: from the call's start in its worker to its answer in this
process, so it includes the result's transport). The pool's speedup then splits into
two factors whose product it is, up to rounding:

    speedup = workers * (serial call / pool call) * (busy share of the pool's wall time)

* ``per_call``: how much slower one call runs while the other worker computes too.
  The pool's own overhead is in here only as result transport; the rest is the
  machine (two vCPUs shared with other tenants, cache and memory contention).
* ``busy``: the share of ``workers * wall`` during which a worker had a call: what
  start-up of the run, sending the input, dispatch gaps and the tail cost.

Bounded: ``2 * rounds`` runs of 8 calls (about 0.3 s each on a quiet core).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from workloads import cpu_validator

from perfcore.components.validator import ParallelValidator, ValidationReport

CALLS = 8


def _timed(validator: ParallelValidator) -> tuple[float, ValidationReport]:
    start = time.perf_counter()
    report = validator.run(7)
    return time.perf_counter() - start, report


def _pair(serial: ParallelValidator, pool: ParallelValidator, flip: bool) -> dict[str, float]:
    first, second = (pool, serial) if flip else (serial, pool)
    got = {id(first): _timed(first), id(second): _timed(second)}
    (t_serial, r_serial), (t_pool, r_pool) = got[id(serial)], got[id(pool)]
    serial_call = statistics.mean(r.elapsed_s for r in r_serial.results)
    pool_call = statistics.mean(r.elapsed_s for r in r_pool.results)
    busy = sum(r.elapsed_s for r in r_pool.results) / (pool.max_workers * t_pool)
    return {
        "speedup": t_serial / t_pool,
        "per_call": serial_call / pool_call,
        "busy": busy,
        "serial_call_ms": 1000 * serial_call,
        "pool_call_ms": 1000 * pool_call,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    if not 1 <= args.rounds <= 100:
        ap.error("--rounds must lie in 1..100")
    load_before = os.getloadavg()
    checks = [cpu_validator] * CALLS
    with (
        ParallelValidator(checks, mode="serial") as serial,
        ParallelValidator(checks, mode="processes", max_workers=2) as pool,
    ):
        pool.run(1)  # workers started and warm before any timing
        rows = [_pair(serial, pool, flip=i % 2 == 1) for i in range(args.rounds)]
    medians = {key: round(statistics.median(r[key] for r in rows), 3) for key in rows[0]}
    out = {
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "rounds": [{k: round(v, 3) for k, v in r.items()} for r in rows],
        "median": medians,
        "ideal": 2,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

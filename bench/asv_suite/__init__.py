"""perfcore's ASV suite: time_* for phases and components, peakmem_* for training, track_* ratios.

Run it with ``nox -s asv`` (this interpreter) or over commit history in
virtualenv mode (see docs/benchmarks.md).
"""

import os

# One thread per BLAS/OpenMP pool, set before a benchmark module loads a library that
# reads it (the pytest suite's reason, bench/conftest.py).
for _name in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ.setdefault(_name, "1")

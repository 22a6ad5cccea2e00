"""perfcore's ASV suite: time_* for phases and components, peakmem_* for training, track_* ratios.

Run it with ``nox -s asv`` (this interpreter) or over commit history in
virtualenv mode (see the README, section "Benchmarks").
"""

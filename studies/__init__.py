"""Studies: scripts that measure perfcore itself and write the figures docs/ quotes.

One module per study, each run from the repository root as ``python -m studies.NAME``:

* :mod:`studies.gate_study` -- false alarms and power of the gate against pytest-benchmark's
  and asv's rules, on no-change runs (docs/gate.md) (its rules in :mod:`studies.gate_rules`,
  its runs and draws in :mod:`studies.gate_runs`, its trials in :mod:`studies.gate_trials`,
  its tables in :mod:`studies.gate_tables`);
* :mod:`studies.load_study` -- serving and load figures: wrk vs perfcore vs Locust, open
  loop, batching, a stall (docs/serving-and-load.md; ``nox -s load-study``);
* :mod:`studies.report_render_study` -- report build and render time at scale (docs/reports.md);
* :mod:`studies.retraining_study` -- the retraining controller's delay, false-trigger rate,
  latency and memory (docs/retraining.md);
* :mod:`studies.probe_stores` -- the stores' crash and tamper probes (docs/stores.md) (shared
  helpers in :mod:`studies.probe_common`, persistence faults in :mod:`studies.probe_persistence`);
* ``studies/uncalibrated/`` -- one-run-against-one-run gates without calibration.

Studies use perfcore's public options only: what a study varies is passed to the library as
an argument, never patched into it. They are not part of the installed package.
"""

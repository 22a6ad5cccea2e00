"""A/B testing of two trees on one machine: which benchmarks to run, and (later) the rounds."""

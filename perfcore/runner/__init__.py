"""Runs the benchmark suite: once, in passes, in A/B rounds; and the main job."""

"""Judging stored results: both sides read and checked, and how to judge them.

Used by ``compare``, ``gate --baseline/--current`` and ``report``. Reading is
``results/``'s and estimating noise from saved runs is ``analysis/``'s; putting the
two together (a baseline and the noise to judge it with) sits above both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from perfcore.analysis.judge import JudgeSettings
from perfcore.config import Settings
from perfcore.results.model import ResultSet

__all__ = ["read_baseline", "read_checked", "stored_judging", "with_noise_file"]


def stored_judging(
    settings: Settings, baseline: Path, noise: Path | None, **options: Any
) -> JudgeSettings:
    """How to judge against a stored baseline: ``settings``' numbers, the calibrated noise
    (``noise``, else ``noise.json`` beside the baseline when present) and ``options``."""
    from perfcore.analysis.judge import JudgeSettings
    from perfcore.results.readers import noise_file_for

    judging = JudgeSettings.from_settings(settings, **options)
    source = noise if noise is not None else noise_file_for(baseline)
    if noise is None and not source.is_file():
        return judging
    return with_noise_file(judging, source)


def with_noise_file(judging: JudgeSettings, path: Path) -> JudgeSettings:
    """``judging`` with the calibrated between-run noise of the noise file at ``path``."""
    from perfcore.results.noise_store import load_noise

    model = load_noise(path)
    return judging.with_noise(model.between_run_sd(), model.between_run_df(), str(path))


def read_checked(
    settings: Settings,
    baseline: Path,
    current: Path,
    noise: Path | None,
    *,
    allow_cross_machine: bool,
    **options: Any,
) -> tuple[ResultSet, ResultSet, JudgeSettings]:
    """Both sides read and checked usable (exit 2 otherwise), and how to judge them.

    A result the current file's reader had to skip is refused rather than reported
    missing; results of two machines are refused unless ``allow_cross_machine``.
    """
    from perfcore.results.readers import read_noting_skips
    from perfcore.results.usable import check_judgeable, check_not_lost, check_same_machine

    curr, skipped = read_noting_skips(current)
    base, judging = read_baseline(settings, baseline, current, noise, **options)
    check_judgeable(base, f"baseline {baseline}")
    check_judgeable(curr, f"current {current}")
    check_not_lost(base, skipped, f"current {current}")
    check_same_machine(base, curr, allow=allow_cross_machine)
    return base, curr, judging


def read_baseline(
    settings: Settings, baseline: Path, current: Path, noise: Path | None, **options: Any
) -> tuple[ResultSet, JudgeSettings]:
    """The baseline at ``baseline`` and how to judge against it.

    A pytest-benchmark storage folder (``.benchmarks/`` or one machine's folder in it)
    gives its latest saved run other than ``current`` as the baseline, and, with three
    or more saved runs and no noise file, their spread as the between-run noise.
    """
    from perfcore.analysis.noise import between_run_from_medians
    from perfcore.results import pb_storage
    from perfcore.results.readers import read_any

    judging = stored_judging(settings, baseline, noise, **options)
    if not (baseline.is_dir() and pb_storage.is_storage(baseline)):
        return read_any(baseline), judging
    saved = pb_storage.read_saved_runs(baseline, read_any, exclude=current)
    if judging.noise_source is None and len(saved.runs) >= 3:
        sd, df = between_run_from_medians(pb_storage.run_medians(saved.runs))
        judging = judging.with_noise(sd, df, f"{len(saved.runs)} saved runs in {saved.folder}")
    return saved.baseline, judging

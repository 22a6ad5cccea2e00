"""Verdicts and suite comparisons of perfcore.analysis.compare."""

from __future__ import annotations

import numpy as np
import pytest
from builders import result, run_info

from perfcore.analysis.compare import compare_suites, confirm_regressions, decide_gate
from perfcore.config import Settings
from perfcore.errors import InputError
from perfcore.results.model import Result, ResultSet

RUN = run_info("m")


def _result(rid: str, samples: np.ndarray, better: str = "lower", rounds: int = 0) -> Result:
    extra = {"rounds": [i * rounds // len(samples) for i in range(len(samples))]} if rounds else {}
    return result(rid, samples, better=better, **extra)


def _set(*results: Result) -> ResultSet:
    return ResultSet(run=RUN, results=results)


def _noise(rng: np.random.Generator, n: int = 400, scale: float = 1.0, sd: float = 0.05):
    return scale * np.exp(rng.normal(0, sd, n))


def _verdict(base: Result, curr: Result, **kwargs: object) -> str:
    suite = compare_suites(_set(base), _set(curr), **kwargs)  # type: ignore[arg-type]
    return suite.comparisons[0].verdict


QUIET = {"x": 0.002}


def test_known_slowdown_is_regressed() -> None:
    """A 20% slowdown with well-known noise is judged regressed, ratio near 1.2."""
    rng = np.random.default_rng(1)
    curr = _set(_result("x", _noise(rng, scale=1.2)))
    suite = compare_suites(_set(_result("x", _noise(rng))), curr, between_run_sd=QUIET)
    (c,) = suite.comparisons
    assert c.verdict == "regressed"
    assert c.ci_low is not None
    assert c.ci_high is not None
    assert c.ci_low < 1.2 < c.ci_high
    assert suite.regressions() == (c,)


def test_speedup_is_improved() -> None:
    """A 20% speedup is improved, not regressed."""
    rng = np.random.default_rng(2)
    assert (
        _verdict(
            _result("x", _noise(rng)), _result("x", _noise(rng, scale=0.8)), between_run_sd=QUIET
        )
        == "improved"
    )


def test_higher_is_better_flips_direction() -> None:
    """For a throughput, a 20% drop is a regression."""
    rng = np.random.default_rng(3)
    base = _result("x", _noise(rng, scale=100.0), better="higher")
    curr = _result("x", _noise(rng, scale=80.0), better="higher")
    assert _verdict(base, curr, between_run_sd=QUIET) == "regressed"


def test_significant_change_inside_threshold_is_unchanged() -> None:
    """A real 2% change with a 5% threshold is unchanged, however significant."""
    rng = np.random.default_rng(4)
    base, curr = _noise(rng, 4000, sd=0.01), _noise(rng, 4000, scale=1.02, sd=0.01)
    suite = compare_suites(_set(_result("x", base)), _set(_result("x", curr)), between_run_sd=QUIET)
    (c,) = suite.comparisons
    assert c.p_adjusted is not None
    assert c.p_adjusted < 0.01
    assert c.verdict == "unchanged"


def test_large_change_hidden_in_noise_is_noisy() -> None:
    """A 10% shift under 30% between-run noise cannot be decided: noisy."""
    rng = np.random.default_rng(5)
    assert (
        _verdict(
            _result("x", _noise(rng)),
            _result("x", _noise(rng, scale=1.1)),
            between_run_sd={"x": 0.3},
        )
        == "noisy"
    )


def test_default_between_run_noise_keeps_small_shift_undecided() -> None:
    """Without calibration or rounds, a 7% within-run-significant shift is noisy, not regressed."""
    rng = np.random.default_rng(6)
    assert (
        _verdict(_result("x", _noise(rng, 2000)), _result("x", _noise(rng, 2000, 1.07))) == "noisy"
    )


def test_new_and_missing() -> None:
    """Results on one side only are new or missing, with no ratio."""
    rng = np.random.default_rng(7)
    suite = compare_suites(
        _set(_result("a", _noise(rng)), _result("gone", _noise(rng))),
        _set(_result("a", _noise(rng)), _result("fresh", _noise(rng))),
    )
    verdicts = {c.id: c.verdict for c in suite.comparisons}
    assert verdicts["gone"] == "missing"
    assert verdicts["fresh"] == "new"
    assert suite.counts()["new"] == 1
    assert all(c.ratio is None for c in suite.comparisons if c.id != "a")


def test_rounds_make_the_run_the_unit() -> None:
    """With rounds, drift between rounds keeps an 8% shift undecided that raw samples would flag."""
    rng = np.random.default_rng(8)
    drift = np.repeat(rng.normal(0, 0.05, 5), 400)
    base = _result("x", _noise(rng, 2000, sd=0.02) * np.exp(drift), rounds=5)
    drift = np.repeat(rng.normal(0, 0.05, 5), 400)
    curr = _result("x", _noise(rng, 2000, 1.08, sd=0.02) * np.exp(drift), rounds=5)
    (c,) = compare_suites(_set(base), _set(curr)).comparisons
    assert c.basis.startswith("rounds 5/5")
    assert c.verdict == "noisy"
    naive = compare_suites(
        _set(Result("x", "s", "lower", base.samples)),
        _set(Result("x", "s", "lower", curr.samples)),
        between_run_sd={"x": 0.0},  # calibrated: the uncalibrated fast-end check stays out
    ).comparisons[0]
    assert naive.verdict == "regressed"


def test_rounds_find_a_real_slowdown() -> None:
    """Interleaved rounds with modest drift find a 20% slowdown."""
    rng = np.random.default_rng(9)
    base = _result("x", _noise(rng, 600) * np.exp(np.repeat(rng.normal(0, 0.02, 6), 100)), rounds=6)
    curr = _result(
        "x", _noise(rng, 600, 1.2) * np.exp(np.repeat(rng.normal(0, 0.02, 6), 100)), rounds=6
    )
    assert _verdict(base, curr) == "regressed"


def test_no_change_rarely_flagged() -> None:
    """Over 200 no-change benchmarks with drift at the calibrated level, none is flagged."""
    rng = np.random.default_rng(10)
    base = [_result(f"b{i}", _noise(rng, 200, np.exp(rng.normal(0, 0.03)))) for i in range(200)]
    curr = [_result(f"b{i}", _noise(rng, 200, np.exp(rng.normal(0, 0.03)))) for i in range(200)]
    suite = compare_suites(
        _set(*base), _set(*curr), between_run_sd={f"b{i}": 0.035 for i in range(200)}
    )
    counts = suite.counts()
    assert counts["regressed"] + counts["improved"] <= 2


def test_per_benchmark_threshold_override() -> None:
    """A benchmark with a 30% threshold is not regressed by a 20% slowdown."""
    rng = np.random.default_rng(11)
    settings = Settings(thresholds={"x*": 0.3})
    c = compare_suites(
        _set(_result("x", _noise(rng))),
        _set(_result("x", _noise(rng, scale=1.2))),
        settings=settings,
        between_run_sd=QUIET,
    ).comparisons[0]
    assert c.threshold == 0.3
    assert c.verdict == "unchanged"


def test_holm_applies_across_suite() -> None:
    """Adjusted p-values are never below raw ones, and grow with the suite size."""
    rng = np.random.default_rng(12)
    base = [_result(f"b{i}", _noise(rng)) for i in range(20)]
    curr = [_result(f"b{i}", _noise(rng)) for i in range(20)]
    suite = compare_suites(_set(*base), _set(*curr))
    assert all((c.p_adjusted or 0) >= (c.p_value or 0) for c in suite.comparisons)


def test_deterministic() -> None:
    """Equal inputs give equal comparisons (no hidden randomness)."""
    rng = np.random.default_rng(13)
    b, c = _set(_result("x", _noise(rng))), _set(_result("x", _noise(rng)))
    assert compare_suites(b, c) == compare_suites(b, c)


def test_unit_mismatch_is_input_error() -> None:
    """One id measured in different units on the two sides is refused."""
    b = _set(Result("x", "s", "lower", (1.0, 2.0)))
    c = _set(Result("x", "bytes", "lower", (1.0, 2.0)))
    with pytest.raises(InputError, match="x"):
        compare_suites(b, c)


def test_zero_samples_not_on_log_scale() -> None:
    """Zero-valued samples (an error rate of 0) are judged without a log: unchanged when equal."""
    b = _set(Result("e", "ratio", "lower", (0.0, 0.0)))
    assert compare_suites(b, b).comparisons[0].verdict == "unchanged"


def test_decide_gate_exit_codes() -> None:
    """Gate: 0 pass, 1 regression, 1 missing unless allowed, 2 when nothing compared."""
    rng = np.random.default_rng(14)
    same = _noise(rng)
    ok = compare_suites(_set(_result("x", same)), _set(_result("x", same)))
    assert decide_gate(ok, allow_missing=False).exit_code == 0
    bad = compare_suites(
        _set(_result("x", _noise(rng))),
        _set(_result("x", _noise(rng, scale=1.5))),
        between_run_sd=QUIET,
    )
    decision = decide_gate(bad, allow_missing=False)
    assert (decision.passed, decision.exit_code) == (False, 1)
    assert "x regressed" in decision.reasons[0]
    missing = compare_suites(_set(_result("x", same), _result("y", same)), _set(_result("x", same)))
    assert decide_gate(missing, allow_missing=False).exit_code == 1
    assert decide_gate(missing, allow_missing=True).exit_code == 0
    nothing = compare_suites(_set(_result("x", same)), _set(_result("y", same)))
    assert decide_gate(nothing, allow_missing=True).exit_code == 2


def test_three_samples_a_side_can_still_flag_a_large_slowdown() -> None:
    """With 3 samples a side (U can never reach a Holm level) a 50% slowdown is still found."""
    rng = np.random.default_rng(21)
    base = _result("x", _noise(rng, n=3, sd=0.01))
    curr = _result("x", _noise(rng, n=3, scale=1.5, sd=0.01))
    assert _verdict(base, curr, between_run_sd={"x": 0.02}) == "regressed"


def test_calibration_degrees_of_freedom_widen_the_interval() -> None:
    """An SD learnt from 4 runs (3 df) gives a wider interval than the same SD taken as known."""
    rng = np.random.default_rng(22)
    base, curr = _result("x", _noise(rng)), _result("x", _noise(rng, scale=1.03))
    known = compare_suites(_set(base), _set(curr), between_run_sd={"x": 0.02}).comparisons[0]
    learnt = compare_suites(
        _set(base), _set(curr), between_run_sd={"x": 0.02}, between_run_df={"x": 3.0}
    ).comparisons[0]
    assert learnt.ci_low is not None
    assert known.ci_low is not None
    assert learnt.ci_high is not None
    assert known.ci_high is not None
    assert learnt.ci_high - learnt.ci_low > 1.5 * (known.ci_high - known.ci_low)


def test_baseline_of_several_runs_narrows_the_interval() -> None:
    """A baseline merged from 8 runs carries 1/8 of a run's drift against a single current run."""
    rng = np.random.default_rng(23)
    single = _result("x", _noise(rng, sd=0.01))
    merged = _result(
        "x",
        np.concatenate(
            [_noise(rng, n=50, scale=float(np.exp(d)), sd=0.01) for d in rng.normal(0, 0.03, 8)]
        ),
        rounds=8,
    )
    curr = _result("x", _noise(rng, sd=0.01))
    sd = {"x": 0.03}
    one = compare_suites(_set(single), _set(curr), between_run_sd=sd).comparisons[0]
    eight = compare_suites(_set(merged), _set(curr), between_run_sd=sd).comparisons[0]
    assert one.ci_low is not None
    assert one.ci_high is not None
    assert eight.ci_low is not None
    assert eight.ci_high is not None
    width_one, width_eight = one.ci_high / one.ci_low, eight.ci_high / eight.ci_low
    assert np.log(width_eight) < 0.8 * np.log(width_one)


def test_few_samples_against_a_merged_baseline_can_be_flagged() -> None:
    """3 samples a run, a 15-run baseline, 47 results: a 10% drop of one is still found."""
    values = (0.866, 0.8556, 0.8604)
    rounds = {"rounds": [i // 3 for i in range(45)]}
    base = [
        Result(id=f"r{k}", unit="ratio", better="higher", samples=values * 15, extra=rounds)
        for k in range(47)
    ]
    curr = [
        Result(
            id=f"r{k}",
            unit="ratio",
            better="higher",
            samples=tuple(v / (1.1 if k == 0 else 1.0) for v in values),
        )
        for k in range(47)
    ]
    sd = {f"r{k}": 0.005 for k in range(47)}
    suite = compare_suites(_set(*base), _set(*curr), between_run_sd=sd)
    assert [c.id for c in suite.regressions()] == ["r0"]


def _passes(rng: np.random.Generator, scale: float, passes: int, sd: float = 0.03) -> Result:
    """One run of ``passes`` passes: each pass's level moves by ``sd`` (log), 10 rounds each."""
    levels = np.exp(rng.normal(0, sd, passes))
    return _result(
        "x", np.concatenate([_noise(rng, 10, scale * lv, sd=0.01) for lv in levels]), rounds=passes
    )


def test_passes_with_calibrated_noise_borrow_its_degrees_of_freedom() -> None:
    """Three passes a side judged alone have Welch's few df; with a calibrated SD (19 df)
    the moderated sides have more, so the interval is narrower and a 15% slowdown is found."""
    rng = np.random.default_rng(31)
    base, curr = _passes(rng, 1.0, 9), _passes(rng, 1.15, 3)
    alone = compare_suites(_set(base), _set(curr)).comparisons[0]
    calibrated = compare_suites(
        _set(base), _set(curr), between_run_sd={"x": 0.03}, between_run_df={"x": 19.0}
    ).comparisons[0]
    assert None not in (alone.ci_low, alone.ci_high, calibrated.ci_low, calibrated.ci_high)
    assert calibrated.ci_high / calibrated.ci_low < alone.ci_high / alone.ci_low  # type: ignore[operator]
    assert calibrated.verdict == "regressed"


def test_passes_with_calibrated_noise_rarely_flag_no_change() -> None:
    """200 no-change benchmarks of 3 passes against 9, calibrated SD at the true level:
    at most a couple flagged (the family-wise rate is 1%)."""
    rng = np.random.default_rng(32)
    base = [replace_id(_passes(rng, 1.0, 9), f"b{i}") for i in range(200)]
    curr = [replace_id(_passes(rng, 1.0, 3), f"b{i}") for i in range(200)]
    ids = [f"b{i}" for i in range(200)]
    suite = compare_suites(
        _set(*base),
        _set(*curr),
        between_run_sd=dict.fromkeys(ids, 0.03),
        between_run_df=dict.fromkeys(ids, 19.0),
    )
    counts = suite.counts()
    assert counts["regressed"] + counts["improved"] <= 2


def replace_id(result: Result, rid: str) -> Result:
    """``result`` under another id."""
    from dataclasses import replace

    return replace(result, id=rid)


def _drifting_rounds(
    rng: np.random.Generator, ratio: float, rounds: int = 6, per: int = 10
) -> tuple[Result, Result]:
    """Interleaved rounds whose machine drifts 15% between rounds, both sides alike."""
    drift = np.repeat(rng.normal(0, 0.15, rounds), per)
    base = np.exp(drift + rng.normal(0, 0.01, rounds * per))
    curr = ratio * np.exp(drift + rng.normal(0, 0.01, rounds * per))
    return _result("x", base, rounds=rounds), _result("x", curr, rounds=rounds)


def test_paired_rounds_see_through_shared_drift() -> None:
    """A 12% slowdown under 15% drift: regressed when paired, noisy when rounds are unpaired."""
    rng = np.random.default_rng(4)
    base, curr = _drifting_rounds(rng, 1.12)
    paired = compare_suites(_set(base), _set(curr), paired=True)
    (c,) = paired.comparisons
    assert c.verdict == "regressed"
    assert c.basis.startswith("paired rounds 6")
    assert c.ci_low is not None
    assert c.ci_high is not None
    assert c.ci_low < 1.12 < c.ci_high
    assert _verdict(base, curr) == "noisy"


def test_paired_prior_is_used_and_named() -> None:
    """A learnt prior with many df (Student t at 105 df, not 5) narrows the interval."""
    true_var = 2 * (1.2533 * 0.01 / np.sqrt(10)) ** 2  # of a difference of round medians
    widths = []
    for seed in range(20):
        base, curr = _drifting_rounds(np.random.default_rng(seed), 1.0)
        plain = compare_suites(_set(base), _set(curr), paired=True).comparisons[0]
        learnt = compare_suites(
            _set(base), _set(curr), paired=True, paired_prior={"x": (true_var, 100.0)}
        ).comparisons[0]
        assert "learnt" in learnt.basis
        assert learnt.verdict == "unchanged"
        assert None not in (learnt.ci_low, learnt.ci_high, plain.ci_low, plain.ci_high)
        widths.append(
            np.log(learnt.ci_high / learnt.ci_low)  # type: ignore[operator]
            / np.log(plain.ci_high / plain.ci_low)
        )  # type: ignore[operator]
    assert np.median(widths) < 0.8


def test_confirm_regressions_decides_on_both_runs() -> None:
    """A slowdown the re-run repeats stays regressed on both runs together; one the
    re-run does not repeat is not regressed; results not re-run keep their verdict."""
    from perfcore.results.readers import merge_runs

    rng = np.random.default_rng(12)
    base = _set(_result("a", _noise(rng)), _result("b", _noise(rng)), _result("c", _noise(rng)))
    curr = _set(
        _result("a", _noise(rng, scale=1.3)),
        _result("b", _noise(rng, scale=1.3)),
        _result("c", _noise(rng, scale=1.3)),
    )
    sd = {"a": 0.002, "b": 0.002, "c": 0.002}
    first = compare_suites(base, curr, between_run_sd=sd)
    assert [c.verdict for c in first.comparisons] == ["regressed"] * 3
    again = _set(_result("a", _noise(rng, scale=1.3)), _result("b", _noise(rng)))
    both = merge_runs([curr.only({"a", "b"}), again])
    recheck = compare_suites(base.only({"a", "b"}), both, between_run_sd=sd, family_size=3)
    alone = compare_suites(base.only({"a", "b"}), again, between_run_sd=sd, family_size=3)
    out = confirm_regressions(first, recheck, alone).by_id()
    assert out["a"].verdict == "regressed"
    assert "first run and re-run together" in out["a"].basis
    assert out["b"].verdict != "regressed"
    assert out["c"].verdict == "regressed"  # not re-run: the first verdict stands


def test_a_regression_the_rerun_alone_does_not_repeat_is_noisy() -> None:
    """Even where both runs together are significant, a re-run that alone is not slower
    than the threshold leaves the result noisy, not regressed."""
    rng = np.random.default_rng(13)
    base = _set(_result("b", _noise(rng)))
    first = compare_suites(
        base, _set(_result("b", _noise(rng, scale=1.3))), between_run_sd={"b": 0.002}
    )
    alone = compare_suites(base, _set(_result("b", _noise(rng))), between_run_sd={"b": 0.002})
    (out,) = confirm_regressions(first, first, alone).comparisons
    assert out.verdict == "noisy"
    assert "not confirmed" in out.basis


def test_family_size_keeps_the_suite_level_for_a_subset() -> None:
    """Judging one result as one of 47 multiplies its Holm-adjusted p by 47."""
    rng = np.random.default_rng(14)
    base, curr = _set(_result("x", _noise(rng))), _set(_result("x", _noise(rng, scale=1.02)))
    alone = compare_suites(base, curr).comparisons[0]
    of47 = compare_suites(base, curr, family_size=47).comparisons[0]
    assert alone.p_adjusted is not None
    assert of47.p_adjusted is not None
    assert of47.p_adjusted == pytest.approx(min(1.0, 47 * alone.p_adjusted))


def test_screen_picks_what_looks_slower_at_a_loose_level() -> None:
    """The screen takes every regression and anything slower than its threshold at an
    unadjusted p below 5%, never a speed-up."""
    from perfcore.analysis.compare import screen_regressions

    rng = np.random.default_rng(15)
    ids = [f"b{i}" for i in range(40)]
    base = _set(*(_result(i, _noise(rng)) for i in ids))
    scale = {"b0": 1.3, "b1": 1.08, "b2": 0.7}
    curr = _set(*(_result(i, _noise(rng, scale=scale.get(i, 1.0))) for i in ids))
    suite = compare_suites(base, curr, between_run_sd=dict.fromkeys(ids, 0.02))
    picked = screen_regressions(suite)
    assert "b0" in picked
    assert "b1" in picked
    assert "b2" not in picked
    assert suite.by_id()["b1"].verdict != "regressed"


def _suite_scaled(rng: np.random.Generator, scales: dict[str, float], n: int = 30):
    ids = [f"t{i}" for i in range(n)]
    base = _set(*(_result(i, _noise(rng, sd=0.01)) for i in ids))
    curr = _set(*(_result(i, _noise(rng, scale=scales.get(i, 1.0), sd=0.01)) for i in ids))
    return compare_suites(base, curr, between_run_sd=dict.fromkeys(ids, 0.01))


def test_machine_shift_is_refused_not_failed() -> None:
    """Every timed result 9% slower together is the machine: with the guard the stored
    gate refuses (2) and says why; without it, it fails (1) on every benchmark."""
    from perfcore.analysis.compare import suite_shift

    rng = np.random.default_rng(40)
    suite = _suite_scaled(rng, {f"t{i}": 1.09 for i in range(30)})
    shift = suite_shift(suite)
    assert shift is not None
    assert shift.shift == pytest.approx(0.09, abs=0.01)
    assert (shift.slower, shift.timed) == (30, 30)
    guarded = decide_gate(suite, allow_missing=False, shift_guard=True)
    assert guarded.exit_code == 2
    assert "machine's speed changed" in guarded.reasons[0]
    assert decide_gate(suite, allow_missing=False).exit_code == 1


def test_one_regression_is_not_a_machine_shift() -> None:
    """A single 30% slowdown among 30 timed results moves the median by nothing: it fails."""
    rng = np.random.default_rng(41)
    suite = _suite_scaled(rng, {"t3": 1.3})
    decision = decide_gate(suite, allow_missing=False, shift_guard=True)
    assert decision.exit_code == 1
    assert "t3 regressed" in decision.reasons[0]


def test_a_shift_the_calibrated_noise_holds_is_judged_not_refused() -> None:
    """The same 9% common shift on a machine calibrated with 6% between runs (it moves
    that much anyway) is inside every interval: judged, not refused."""
    rng = np.random.default_rng(42)
    ids = [f"t{i}" for i in range(30)]
    base = _set(*(_result(i, _noise(rng, sd=0.01)) for i in ids))
    curr = _set(*(_result(i, _noise(rng, scale=1.09, sd=0.01)) for i in ids))
    suite = compare_suites(base, curr, between_run_sd=dict.fromkeys(ids, 0.06))
    assert decide_gate(suite, allow_missing=False, shift_guard=True).exit_code == 0


def test_a_rerun_slower_only_within_its_noise_does_not_confirm() -> None:
    """A re-run 7% slower where a run moves 3% (p well above 5%) does not pass the
    screen, so the first run's regression is not confirmed by it."""
    rng = np.random.default_rng(43)
    base = _set(_result("b", _noise(rng, sd=0.005)))
    sd = {"b": 0.03}
    first = compare_suites(
        base, _set(_result("b", _noise(rng, scale=1.3, sd=0.005))), between_run_sd=sd
    )
    alone = compare_suites(
        base, _set(_result("b", _noise(rng, scale=1.07, sd=0.005))), between_run_sd=sd
    )
    (rerun,) = alone.comparisons
    assert rerun.ratio is not None
    assert rerun.ratio > 1.05
    assert rerun.p_value is not None
    assert rerun.p_value > 0.05
    (out,) = confirm_regressions(first, first, alone).comparisons
    assert out.verdict == "noisy"


def test_mann_whitney_can_be_left_out() -> None:
    """mann_whitney=False lets the location test decide where U alone would veto it."""

    def run(low: int, high: int) -> ResultSet:
        samples = [1.0 + 1e-4 * i for i in range(low)] + [2.0 + 1e-4 * i for i in range(high)]
        return _set(result("a", samples))

    base, curr = run(10, 11), run(11, 10)  # the median jumps, the ranks barely move
    sd = {"a": 1e-4}  # calibrated: the uncalibrated fast-end check stays out
    with_u = compare_suites(base, curr, between_run_sd=sd).by_id()["a"]
    alone = compare_suites(base, curr, between_run_sd=sd, mann_whitney=False).by_id()["a"]
    assert with_u.verdict == "noisy"
    assert alone.verdict == "improved"

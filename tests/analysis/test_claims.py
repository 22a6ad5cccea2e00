"""The claims ledger: confirmed, refuted or not measured, always with the number."""

import pytest
from builders import result

from perfcore.analysis.claims import convert_unit, judge_claim, judge_claims
from perfcore.results.claims_file import Claim
from perfcore.results.model import Result


def _result(rid: str, samples: tuple[float, ...], unit: str = "ratio") -> Result:
    return result(rid, samples, unit=unit, better="higher")


CACHE = Claim(
    "cache-reduction", "cache cuts calls by 70-90%", "cache.reduction", "ratio", min=0.70, max=0.90
)


def test_value_inside_range_is_confirmed() -> None:
    """A median inside [min, max] confirms the claim and reports the median."""
    verdict = judge_claim(CACHE, _result("cache.reduction", (0.79, 0.80, 0.95)))
    assert verdict.status == "confirmed"
    assert verdict.measured == pytest.approx(0.80)


@pytest.mark.parametrize("value", [0.69, 0.91])
def test_value_outside_range_is_refuted(value: float) -> None:
    """A median below min or above max refutes the claim, keeping the number."""
    verdict = judge_claim(CACHE, _result("cache.reduction", (value,)))
    assert verdict.status == "refuted"
    assert verdict.measured == pytest.approx(value)


def test_min_only_claim_reads_at_least() -> None:
    """A claim with only min is an at-least claim: any larger value confirms it."""
    claim = Claim("rps", "5000 predictions/s", "load.local.throughput", "req/s", min=5000)
    assert judge_claim(claim, _result("x", (9e9,), "req/s")).status == "confirmed"
    assert judge_claim(claim, _result("x", (4999,), "req/s")).status == "refuted"
    assert claim.range_text == "at least 5000 req/s"


def test_units_are_converted() -> None:
    """A result in seconds is judged against a claim in milliseconds."""
    claim = Claim("decide", "decision within 100 ms", "gate.decide", "ms", max=100)
    verdict = judge_claim(claim, _result("gate.decide", (0.05,), "s"))
    assert verdict.status == "confirmed"
    assert verdict.measured == pytest.approx(50.0)


def test_missing_or_unconvertible_result_is_not_measured() -> None:
    """No result, or a unit that cannot convert, is 'not measured' with no number."""
    ledger = judge_claims([CACHE], {})
    assert ledger[0].status == "not measured"
    assert ledger[0].measured is None
    wrong_unit = judge_claim(CACHE, _result("cache.reduction", (0.8,), "s"))
    assert wrong_unit.status == "not measured"


def test_convert_unit_refuses_across_dimensions() -> None:
    """Time never converts into bytes; percent converts into a fraction."""
    assert convert_unit(1.0, "s", "bytes") is None
    assert convert_unit(50.0, "%", "ratio") == pytest.approx(0.5)

"""Cost estimates come from the lookup table by model type and size bucket."""

from __future__ import annotations

import pytest

from perfcore.errors import InputError
from perfcore.retraining import estimate_cost


def test_cost_doubles_with_each_doubling_of_rows() -> None:
    """One bucket per power of two: 2,048 rows cost twice 1,024 rows."""
    small, large = estimate_cost("logistic", 1024), estimate_cost("logistic", 2048)
    assert large.dollars == pytest.approx(2 * small.dollars)
    assert large.seconds == pytest.approx(2 * small.seconds)
    assert estimate_cost("logistic", 1500) == large


def test_heavier_models_cost_more() -> None:
    """The transformer costs more to retrain than the logistic model on the same rows."""
    assert (
        estimate_cost("simple_transformer", 10_000).dollars
        > estimate_cost("logistic", 10_000).dollars
    )


@pytest.mark.parametrize(
    ("model", "rows"), [("xgboost", 100), ("logistic", 0), ("logistic", 2**31)]
)
def test_unknown_entries_are_input_errors(model: str, rows: int) -> None:
    """A model type or size outside the table is refused, not guessed."""
    with pytest.raises(InputError):
        estimate_cost(model, rows)

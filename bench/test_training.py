"""Each training phase of each model type, timed alone.

Every phase gets its inputs from the phases before it, built once per model type
outside the timing; ``benchmark.pedantic`` with a setup collects garbage before
each round, so only the phase itself is timed. Result ids are
``training.<model type>.<phase>``, the layout the report's phase breakdown reads.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from benchutil import Profile, collected

from perfcore.training import (
    MODEL_TYPES,
    Prepared,
    TrainingConfig,
    fit,
    load_data,
    preprocess,
    validate,
)
from perfcore.training.data import Dataset
from perfcore.training.pipeline import warm_imports

PHASES = ("data_loading", "preprocessing", "training", "validation")
# Full-mode rounds per phase: fitting is 50-450 ms, the other phases 1-60 ms.
ROUNDS = {"data_loading": 20, "preprocessing": 20, "training": 10, "validation": 20}


@dataclass(frozen=True)
class Inputs:
    """What each phase needs, produced once by the phases before it."""

    config: TrainingConfig
    dataset: Dataset
    prepared: Prepared
    model: Any


@pytest.fixture(scope="module", params=MODEL_TYPES)
def inputs(request: pytest.FixtureRequest) -> Inputs:
    """One model type's config and the outputs of its phases, built once."""
    warm_imports()
    config = TrainingConfig(model_type=request.param)
    dataset = load_data(config)
    prepared = preprocess(dataset, config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit(prepared, config)
    return Inputs(config, dataset, prepared, model)


def _phase_call(phase: str, given: Inputs) -> Callable[[], Any]:
    calls: dict[str, Callable[[], Any]] = {
        "data_loading": lambda: load_data(given.config),
        "preprocessing": lambda: preprocess(given.dataset, given.config),
        "training": lambda: fit(given.prepared, given.config),
        "validation": lambda: validate(given.model, given.prepared),
    }
    return calls[phase]


@pytest.mark.parametrize("phase", PHASES)
def test_phase(benchmark: Any, profile: Profile, inputs: Inputs, phase: str) -> None:
    """Time of one training phase for one model type."""
    call = _phase_call(phase, inputs)
    benchmark.extra_info["perfcore_id"] = f"training.{inputs.config.model_type}.{phase}"
    benchmark.extra_info["model_type"] = inputs.config.model_type
    benchmark.extra_info["phase"] = phase
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        benchmark.pedantic(
            call,
            setup=collected(),
            rounds=profile.rounds(ROUNDS[phase], 3),
            warmup_rounds=profile.warmup(2),
        )

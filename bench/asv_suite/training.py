"""ASV: each training phase per model type (time_*) and a whole run's peak memory (peakmem_*)."""

from __future__ import annotations

import warnings
from typing import Any

from perfcore.training import MODEL_TYPES, TrainingConfig, fit, load_data, preprocess, validate
from perfcore.training.pipeline import warm_imports


class TrainingPhases:
    """The four phases, each timed alone, for every model type."""

    params = (list(MODEL_TYPES),)
    param_names = ("model_type",)
    timeout = 120

    def setup(self, model_type: str) -> None:
        warnings.simplefilter("ignore")
        warm_imports()
        self.config = TrainingConfig(model_type=model_type)
        self.dataset = load_data(self.config)
        self.prepared = preprocess(self.dataset, self.config)
        self.model = fit(self.prepared, self.config)

    def time_data_loading(self, model_type: str) -> None:
        load_data(self.config)

    def time_preprocessing(self, model_type: str) -> None:
        preprocess(self.dataset, self.config)

    def time_training(self, model_type: str) -> None:
        fit(self.prepared, self.config)

    def time_validation(self, model_type: str) -> None:
        validate(self.model, self.prepared)


class TrainingMemory:
    """Peak memory of the four phases run end to end, per model type."""

    params = (list(MODEL_TYPES),)
    param_names = ("model_type",)
    timeout = 120

    def setup(self, model_type: str) -> None:
        warnings.simplefilter("ignore")
        warm_imports()

    def peakmem_train(self, model_type: str) -> Any:
        config = TrainingConfig(model_type=model_type)
        prepared = preprocess(load_data(config), config)
        return validate(fit(prepared, config), prepared)

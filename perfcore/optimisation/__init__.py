"""Model optimisation: precision variants, alerting, capacity search and tuning, profiles.

Public API::

    make_variant(predictor, precision) -> Predictor      float64/float32/float16/int8
    check_variant / require_variant / measure_variants   the promotion gate per variant
    AlertManager, ThresholdRule, RateOfChangeRule, ZScoreRule, AlertPolicy
    LogChannel, WebhookChannel, CommandChannel
    find_capacity, SLO, STRATEGIES, StepResult           the bracketing capacity search
    tune, TuneLimits, TuneResult, LoadTarget             the configuration walk
    resolve_profiles, recommend_profile, ServerSettings  server profiles

Nothing here runs load or starts servers for the search: perfcore.load.tune wires
the open-loop generator and the server processes to :func:`tune`.
"""

from perfcore.optimisation.alertmanager import AlertManager
from perfcore.optimisation.alerts import (
    AlertPolicy,
    Notification,
    RateOfChangeRule,
    ThresholdRule,
    ZScoreRule,
)
from perfcore.optimisation.capacity import SLO, STRATEGIES, Capacity, StepResult, find_capacity
from perfcore.optimisation.channels import (
    CommandChannel,
    DeliveryError,
    LogChannel,
    WebhookChannel,
)
from perfcore.optimisation.precision import PRECISIONS, make_variant, model_bytes
from perfcore.optimisation.profiles import (
    BUILTIN_PROFILES,
    Profile,
    ServerSettings,
    recommend_profile,
    resolve_profiles,
)
from perfcore.optimisation.tuning import LoadTarget, TuneLimits, TuneResult, tune
from perfcore.optimisation.variants import (
    VariantRefusedError,
    VariantTolerance,
    check_variant,
    measure_variants,
    require_variant,
)

__all__ = [
    "BUILTIN_PROFILES",
    "PRECISIONS",
    "SLO",
    "STRATEGIES",
    "AlertManager",
    "AlertPolicy",
    "Capacity",
    "CommandChannel",
    "DeliveryError",
    "LoadTarget",
    "LogChannel",
    "Notification",
    "Profile",
    "RateOfChangeRule",
    "ServerSettings",
    "StepResult",
    "ThresholdRule",
    "TuneLimits",
    "TuneResult",
    "VariantRefusedError",
    "VariantTolerance",
    "WebhookChannel",
    "ZScoreRule",
    "check_variant",
    "find_capacity",
    "make_variant",
    "measure_variants",
    "model_bytes",
    "recommend_profile",
    "require_variant",
    "resolve_profiles",
    "tune",
]

"""perfcore.optimisation's public face is pinned: every name in __all__ imports."""

import perfcore.optimisation as optimisation

EXPECTED = {
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
}


def test_all_is_pinned_and_importable() -> None:
    """__all__ lists exactly the expected names and each one exists."""
    assert set(optimisation.__all__) == EXPECTED
    assert all(hasattr(optimisation, name) for name in optimisation.__all__)

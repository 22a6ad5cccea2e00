"""perfcore.instrument."""

"""perfcore.analysis."""

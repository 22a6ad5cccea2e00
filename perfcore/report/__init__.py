"""perfcore.report."""

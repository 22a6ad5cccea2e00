"""perfcore.components."""

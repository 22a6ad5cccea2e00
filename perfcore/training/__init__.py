"""perfcore.training."""

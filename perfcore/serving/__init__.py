"""perfcore.serving."""

"""perfcore.load."""

"""Shared test set-up: the builders of results and runs live in tests/builders.py.

pytest puts this folder on ``sys.path`` (rootdir conftest, no ``__init__.py``), so every
test module imports them as ``from builders import result, result_set``.
"""

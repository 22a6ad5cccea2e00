"""Request bodies to feature matrices, refusing anything malformed with a 4xx and a reason.

Accepted bodies (JSON objects): ``{"features": [x1, ..., xn]}`` for one row, or
``{"instances": [[...], ...]}`` for a batch. Values must be JSON numbers (not
booleans, not strings) and finite; ``NaN`` and ``Infinity``, which Python's json
module accepts, are refused. Bodies are parsed with orjson (several times faster on the
hot path); whatever orjson refuses is parsed again by the standard module, so what is
accepted, and every error message, are the standard module's.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

__all__ = ["BadRequestError", "ParsedRows", "parse_rows"]


class BadRequestError(Exception):
    """The client sent something the server refuses; carries the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ParsedRows:
    """A validated (rows, n_features) float64 matrix, and whether the request was one row.

    A single row that orjson parsed (so known finite) is kept as the parsed list in
    ``row`` and becomes a matrix only if someone asks for ``rows``: a model with a
    plain-float path for one row never needs the array (a few microseconds a request).
    """

    __slots__ = ("_rows", "row", "single")

    def __init__(
        self,
        rows: NDArray[np.float64] | None,
        single: bool,
        row: list[float] | None = None,
    ) -> None:
        if rows is None and row is None:
            raise ValueError("ParsedRows needs rows or a row")
        self._rows = rows
        self.row = row
        self.single = single

    @property
    def rows(self) -> NDArray[np.float64]:
        """The rows as a float64 matrix (built on first use for a kept single row)."""
        if self._rows is None:
            self._rows = np.array([self.row], dtype=np.float64)
        return self._rows


_NUMBER_TYPES = frozenset((float, int))


def _row_ok(row: Any, n_features: int) -> bool:
    # Exact types refuse bool (a subclass of int) and strings that numpy would coerce;
    # one set test over map(type) is about half the time of a generator over the row.
    return type(row) is list and len(row) == n_features and _NUMBER_TYPES.issuperset(map(type, row))


def _reject_non_finite(matrix: NDArray[np.float64]) -> None:
    if not np.isfinite(matrix).all():
        raise BadRequestError(422, "features must be finite numbers (no NaN or Infinity)")


def _as_matrix(rows: list[Any], finite: bool) -> NDArray[np.float64]:
    try:
        matrix = np.array(rows, dtype=np.float64)
    except (OverflowError, ValueError, TypeError):
        raise BadRequestError(422, "features must be numbers representable as float64") from None
    if not finite:
        _reject_non_finite(matrix)
    return matrix


def _decode(body: bytes) -> tuple[Any, bool]:
    """The parsed body, and whether its numbers are known finite float64s.

    orjson refuses NaN, Infinity and any number that overflows a double, so what it
    parses needs no finiteness check; the standard parser accepts them all.
    """
    if not body:
        raise BadRequestError(400, "empty body: send a JSON object with 'features' or 'instances'")
    try:
        return orjson.loads(body), True
    except orjson.JSONDecodeError:
        pass  # the standard parser decides: NaN, huge integers, deep nesting, real errors
    try:
        return json.loads(body), False
    except (ValueError, RecursionError):
        raise BadRequestError(400, "body is not valid UTF-8 JSON") from None


def parse_rows(body: bytes, n_features: int, max_batch: int) -> ParsedRows:
    """Validate a request body; raise :class:`BadRequestError` with a one-line reason."""
    data, finite = _decode(body)
    if type(data) is not dict:
        raise BadRequestError(400, "body must be a JSON object with 'features' or 'instances'")
    if "features" in data and len(data) == 1:
        row = data["features"]
        if not _row_ok(row, n_features):
            raise BadRequestError(422, f"'features' must be a list of {n_features} numbers")
        if finite:  # orjson's numbers are finite and fit a double: the list can stand
            return ParsedRows(rows=None, single=True, row=row)
        return ParsedRows(rows=_as_matrix([row], finite), single=True)
    if "instances" in data and len(data) == 1:
        rows = data["instances"]
        if type(rows) is not list or not rows:
            raise BadRequestError(422, "'instances' must be a non-empty list of rows")
        if len(rows) > max_batch:
            raise BadRequestError(
                413, f"batch of {len(rows)} rows exceeds the maximum of {max_batch}"
            )
        for i, row in enumerate(rows):
            if not _row_ok(row, n_features):
                raise BadRequestError(422, f"instances[{i}] must be a list of {n_features} numbers")
        return ParsedRows(rows=_as_matrix(rows, finite), single=False)
    raise BadRequestError(422, "body must have exactly one key: 'features' or 'instances'")

"""Request bodies are refused with a 4xx status and a reason, never an exception."""

import pytest

from perfcore.serving.validation import BadRequestError, parse_rows


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 400),
        (b"{not json", 400),
        (b"\xff\xfe", 400),
        (b"[1, 2]", 400),
        (b"[" * 100_000, 400),
        (b'{"features": [1, 2]}', 422),
        (b'{"features": [1, 2, "3"]}', 422),
        (b'{"features": [1, 2, true]}', 422),
        (b'{"features": [1, 2, NaN]}', 422),
        (b'{"features": [1, 2, Infinity]}', 422),
        (b'{"features": [1, 2, 1e999]}', 422),
        (b'{"features": [1, 2, ' + b"9" * 400 + b"]}", 422),
        (b'{"features": [1, 2, 3], "x": 1}', 422),
        (b'{"instances": []}', 422),
        (b'{"instances": [[1, 2, 3], [1, 2]]}', 422),
        (b'{"instances": [[1, 2, 3], [1, 2, 3], [1, 2, 3]]}', 413),
    ],
)
def test_bad_bodies_get_a_status_and_reason(body: bytes, status: int) -> None:
    """Each malformed body maps to its 4xx status with a message."""
    with pytest.raises(BadRequestError) as info:
        parse_rows(body, n_features=3, max_batch=2)
    assert info.value.status == status
    assert info.value.message


def test_single_row_and_batch_parse() -> None:
    """Good bodies give a float matrix and say whether they were one row."""
    one = parse_rows(b'{"features": [1, 2.5, -3]}', n_features=3, max_batch=4)
    assert one.single
    assert one.rows.shape == (1, 3)
    many = parse_rows(b'{"instances": [[1, 2, 3], [4, 5, 6]]}', n_features=3, max_batch=4)
    assert not many.single
    assert many.rows.tolist() == [[1, 2, 3], [4, 5, 6]]


def test_single_orjson_row_is_kept_as_a_list_until_asked() -> None:
    """A finite single row stays the parsed list; its matrix is built only on demand."""
    one = parse_rows(b'{"features": [1, 2.5, -3]}', n_features=3, max_batch=4)
    assert one.row == [1, 2.5, -3]
    assert one.rows.tolist() == [[1.0, 2.5, -3.0]]

"""How much one request may carry: API Gateway allows 10 MB, a patient row is ~300 bytes."""

from __future__ import annotations

from chalicelib.errors import PayloadTooLarge, TooManyRows

MAX_BODY_BYTES = 1024 * 1024
MAX_ROWS = 1000


def check_body_size(body: bytes) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")


def check_row_count(count: int) -> None:
    if count > MAX_ROWS:
        raise TooManyRows(f"a request may hold at most {MAX_ROWS} rows; it holds {count}")

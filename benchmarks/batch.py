"""`python -m benchmarks.batch`: rows per second, 1,000 single-row requests against batches.

Both go through the whole local stack (`python -m devserver`: API -> boto3 -> stand-in), pinned to
CPU 1, from one client on CPU 0 over one keep-alive connection, with the same 1,000 WDBC rows.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from benchmarks.local_stack import _free_port, _serving, devserver_command
from chalicelib.features import FEATURE_NAMES
from training.data import load_wdbc

ROWS = 1000


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch", description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions (median)")
    options = parser.parse_args(argv)
    features = load_wdbc().features
    rows = [",".join(repr(float(v)) for v in features[i % len(features)]) for i in range(ROWS)]
    single_rate, json_rate, csv_rate = measure_rates(rows, options.repeats, options.repeats * 4)
    print(f"{ROWS} WDBC rows through the local stack (API and stand-in on CPU 1, client on CPU 0)")
    print(f"{'how':<44} {'rows/s':>9} {'vs singles':>11}")
    print(f"{'1,000 single-row requests (one connection)':<44} {single_rate:>9.0f} {1.0:>10.1f}x")
    print(
        f"{'one 1,000-row JSON batch (instances)':<44} {json_rate:>9.0f} "
        f"{json_rate / single_rate:>10.1f}x"
    )
    print(
        f"{'one 1,000-row text/csv batch with header':<44} {csv_rate:>9.0f} "
        f"{csv_rate / single_rate:>10.1f}x"
    )
    aim = min(json_rate, csv_rate) / single_rate
    print(f"aim: batch >= 50x singles -> {'met' if aim >= 50 else 'NOT met'} ({aim:.1f}x)")
    return 0


class BatchRates(NamedTuple):
    singles: float  # rows/s as one request per row
    json_batch: float  # rows/s as one {"instances": [...]} request
    csv_batch: float  # rows/s as one text/csv request with a header


def measure_rates(rows: list[str], single_repeats: int, batch_repeats: int) -> BatchRates:
    """Medians over repeats, the stack pinned to CPU 1 and this client to CPU 0."""
    single_bodies = [json.dumps({"data": row}).encode() for row in rows]
    json_batch = json.dumps({"instances": [{"data": row} for row in rows]}).encode()
    csv_batch = "\n".join([",".join(FEATURE_NAMES), *rows]).encode()
    port = _free_port()
    everywhere = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {0})
    try:
        with _serving(devserver_command(port), port):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            post = _poster(connection)
            post(single_bodies[0], "application/json")  # the app builds its boto3 client once
            singles = [
                _timed(lambda: [post(body, "application/json") for body in single_bodies])
                for _ in range(single_repeats)
            ]
            json_batches = [
                _timed(lambda: post(json_batch, "application/json")) for _ in range(batch_repeats)
            ]
            csv_batches = [
                _timed(lambda: post(csv_batch, "text/csv")) for _ in range(batch_repeats)
            ]
            connection.close()
    finally:
        os.sched_setaffinity(0, everywhere)
    return BatchRates(
        *(
            len(rows) / statistics.median(timings)
            for timings in (singles, json_batches, csv_batches)
        )
    )


def _poster(connection: http.client.HTTPConnection) -> Callable[[bytes, str], None]:
    def post(body: bytes, content_type: str) -> None:
        connection.request(
            "POST",
            "/predictbreastcancer",
            body=body,
            headers={"Content-Type": content_type, "Accept": "application/json"},
        )
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"the stack answered {response.status}")

    return post


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())

"""`python -m benchmarks.load` (`make load`): bounded load on 127.0.0.1, counting errors.

wrk (1 thread, pinned to CPU 0) drives the local stack (`python -m devserver`: API -> boto3 ->
stand-in) and the stand-in alone (both pinned to CPU 1) for a fixed duration at a fixed number of
keep-alive connections each: 30 s at 8 and at 32 by default. Every non-2xx answer, refused or
reset connection and wrk timeout (2 s) is an error; the aim is none.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence

from benchmarks.local_stack import (
    API_TARGET,
    MODEL,
    PROJECT_DIR,
    STANDIN_TARGET,
    Target,
    _free_port,
    _serving,
    _standin_command,
    _warm_up,
    devserver_command,
)
from benchmarks.wrk import WrkResult, run_wrk


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--seconds", type=int, default=30, help="duration of each run")
    parser.add_argument(
        "--connections", type=int, nargs="+", default=[8, 32], help="one run at each count"
    )
    options = parser.parse_args(argv)
    if not MODEL.exists():
        subprocess.run([sys.executable, "-m", "training", "train"], check=True, cwd=PROJECT_DIR)

    results: list[tuple[str, int, WrkResult]] = []

    def drive(label: str, port: int, target: Target) -> None:
        _warm_up(port, target)
        url = f"http://127.0.0.1:{port}{target.path}"
        for connections in options.connections:
            result = run_wrk(
                url, target.body, target.headers, seconds=options.seconds, connections=connections
            )
            results.append((label, connections, result))

    port = _free_port()
    devserver = devserver_command(port)
    with _serving(devserver, port):
        drive("local stack (API -> boto3 -> stand-in)", port, API_TARGET)
    port = _free_port()
    with _serving(_standin_command(port), port):
        drive("stand-in alone", port, STANDIN_TARGET)

    print(format_report(results, options.seconds))
    return 0 if all(result.errors == 0 for _, _, result in results) else 1


def format_report(results: list[tuple[str, int, WrkResult]], seconds: int) -> str:
    lines = [
        f"wrk -t1, {seconds} s per run, 127.0.0.1 only; wrk on CPU 0, servers on CPU 1",
        "",
        f"{'target':<40} {'conns':>5} {'requests':>9} {'req/s':>8} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'errors':>6}",
    ]
    for label, connections, result in results:
        lines.append(
            f"{label:<40} {connections:>5} {result.requests:>9d} "
            f"{result.requests_per_second:>8.0f} {result.p50_ms:>7.2f} {result.p99_ms:>7.2f} "
            f"{result.errors:>6d}"
        )
    errors = sum(result.errors for _, _, result in results)
    lines += ["", f"errors in all: {errors} (aim: 0) -> {'met' if errors == 0 else 'NOT met'}"]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

"""`python -m benchmarks.local_stack`: the local stack and the stand-in against their floors.

Bounded load with wrk (1 thread, 8 keep-alive connections, pinned to CPU 0) at servers pinned to
CPU 1, on 127.0.0.1 only. Each scenario runs several times; medians are printed, then ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from benchmarks.wrk import WrkResult, run_wrk

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODEL = PROJECT_DIR / "models" / "wdbc-local" / "model.json"
ENDPOINT_NAME = "wdbc-local"
CHALICE_LOCAL_STANDIN_PORT = (
    8080  # what the `local` stage's AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME says
)
ROW = (
    "13.49,22.3,86.91,561.0,0.08752,0.07698,0.04751,0.03384,0.1809,0.05718,0.2338,1.353,1.735,"
    "20.2,0.004455,0.01382,0.02095,0.01184,0.01641,0.001956,15.15,31.82,99.0,698.8,0.1162,"
    "0.1711,0.2282,0.1282,0.2871,0.06917"
)
API_BODY = json.dumps({"data": ROW})
JSON_HEADERS = {"Content-Type": "application/json"}
CSV_HEADERS = {"Content-Type": "text/csv", "Accept": "application/json"}
SERVER_CPU = "1"


_LOCAL_AWS_DEFAULTS = {
    "AWS_ACCESS_KEY_ID": "benchmark",
    "AWS_SECRET_ACCESS_KEY": "benchmark",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


class Target(NamedTuple):
    path: str
    body: str
    headers: dict[str, str]


STANDIN_TARGET = Target(f"/endpoints/{ENDPOINT_NAME}/invocations", ROW, CSV_HEADERS)
API_TARGET = Target("/predictbreastcancer", API_BODY, JSON_HEADERS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.local_stack", description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="duration of one wrk run")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (median)")
    options = parser.parse_args(argv)
    for variable, value in _LOCAL_AWS_DEFAULTS.items():
        os.environ.setdefault(variable, value)  # boto3 signs even requests to the stand-in
    if not MODEL.exists():
        subprocess.run([sys.executable, "-m", "training", "train"], check=True, cwd=PROJECT_DIR)

    def measure(port: int, target: Target, connections: int) -> WrkResult:
        url = f"http://127.0.0.1:{port}{target.path}"
        _warm_up(port, target)
        runs = [
            run_wrk(
                url, target.body, target.headers, seconds=options.seconds, connections=connections
            )
            for _ in range(options.runs)
        ]
        return _median(runs)

    results: dict[str, WrkResult] = {}
    port = _free_port()
    with _serving([sys.executable, "-m", "benchmarks.constant_server", "--port", str(port)], port):
        results["floor"] = measure(port, STANDIN_TARGET, 8)
    port = _free_port()
    with _serving(_standin_command(port), port):
        results["standin"] = measure(port, STANDIN_TARGET, 8)
        boto3_cpu_us = _boto3_cpu_per_call(port)
    port = _free_port()
    with _serving(devserver_command(port), port):
        results["stack"] = measure(port, API_TARGET, 8)
        results["stack_1"] = measure(port, API_TARGET, 1)
    port = _free_port()
    chalice_local = [
        str(Path(sys.executable).with_name("chalice")),
        "local",
        "--stage",
        "local",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-autoreload",
    ]
    standin_for_chalice = _standin_command(CHALICE_LOCAL_STANDIN_PORT)
    with _serving(standin_for_chalice, CHALICE_LOCAL_STANDIN_PORT), _serving(chalice_local, port):
        results["chalice_local"] = measure(port, API_TARGET, 8)
        results["chalice_local_1"] = measure(port, API_TARGET, 1)

    print(format_report(results, boto3_cpu_us, options.seconds, options.runs))
    return 0


LABELS = {
    "floor": "bare stdlib server, constant answer, TCP_NODELAY",
    "standin": "stand-in alone (CSV row -> score)",
    "stack": "local stack: make run (API -> boto3 -> stand-in)",
    "chalice_local": "chalice local as shipped (same app, same stand-in)",
    "stack_1": "local stack, 1 connection",
    "chalice_local_1": "chalice local as shipped, 1 connection",
}


def format_report(
    results: dict[str, WrkResult], boto3_cpu_us: float, seconds: int, runs: int
) -> str:
    lines = [
        f"wrk -t1, {seconds} s per run, median of {runs} runs; wrk on CPU 0, servers on CPU 1",
        "",
        f"{'scenario':<52} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}",
    ]
    for key, label in LABELS.items():
        result = results[key]
        connections = 1 if key.endswith("_1") else 8
        lines.append(
            f"{label:<52} {connections:>5} {result.requests_per_second:>8.0f} "
            f"{result.p50_ms:>7.2f} {result.p99_ms:>7.2f} {result.errors:>6d}"
        )
    standin_ratio = results["standin"].requests_per_second / results["floor"].requests_per_second
    stack, alone = results["stack"], results["stack_1"]
    stack_ratio = stack.requests_per_second / results["chalice_local"].requests_per_second
    errors = sum(results[key].errors for key in ("stack", "stack_1"))
    aims = [
        ("stand-in / floor req/s", f"{standin_ratio:.2f}", ">= 0.70", standin_ratio >= 0.70),
        ("stack / chalice local req/s", f"{stack_ratio:.1f}x", ">= 10x", stack_ratio >= 10),
        ("stack p50, 8 connections", f"{stack.p50_ms:.2f} ms", "< 3 ms", stack.p50_ms < 3),
        ("stack p99, 8 connections", f"{stack.p99_ms:.2f} ms", "< 10 ms", stack.p99_ms < 10),
        ("stack p50, 1 connection", f"{alone.p50_ms:.2f} ms", "< 3 ms", alone.p50_ms < 3),
        ("stack p99, 1 connection", f"{alone.p99_ms:.2f} ms", "< 10 ms", alone.p99_ms < 10),
        ("stack errors", str(errors), "0", errors == 0),
    ]
    lines += ["", f"{'aim':<30} {'measured':>10} {'target':>9}  met"]
    lines += [
        f"{name:<30} {value:>10} {target:>9}  {'yes' if met else 'NO'}"
        for name, value, target, met in aims
    ]
    ceiling = 1e6 / boto3_cpu_us
    lines += [
        "",
        f"boto3 invoke_endpoint alone costs {boto3_cpu_us:.0f} us of CPU per call (in-process, "
        f"same stand-in): one core can make at most {ceiling:.0f} calls/s before any API work.",
    ]
    return "\n".join(lines)


def _boto3_cpu_per_call(port: int, calls: int = 500) -> float:
    """CPU time of the API's own boto3 call, measured in this process, pinned like the API."""
    from chalicelib.endpoint import create_runtime_client, encode_csv

    os.sched_setaffinity(0, {int(SERVER_CPU)})
    try:
        client = create_runtime_client(endpoint_url=f"http://127.0.0.1:{port}")
        body = encode_csv([tuple(float(value) for value in ROW.split(","))])

        def call() -> None:
            client.invoke_endpoint(
                EndpointName=ENDPOINT_NAME,
                ContentType="text/csv",
                Accept="application/json",
                Body=body,
            )["Body"].read()

        for _ in range(50):
            call()
        started = time.process_time()
        for _ in range(calls):
            call()
        return (time.process_time() - started) / calls * 1e6
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


def _median(runs: list[WrkResult]) -> WrkResult:
    return WrkResult(
        requests=int(statistics.median(run.requests for run in runs)),
        requests_per_second=statistics.median(run.requests_per_second for run in runs),
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
        errors=sum(run.errors for run in runs),
    )


def devserver_command(port: int) -> list[str]:
    """The README's run command on `port`, its stand-in on a free port of its own."""
    return [sys.executable, "-m", "devserver", "--port", str(port), "--standin-port", "0"]


def _standin_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "standin",
        "--model",
        str(MODEL),
        "--endpoint-name",
        ENDPOINT_NAME,
        "--port",
        str(port),
    ]


@contextmanager
def _serving(command: list[str], port: int) -> Iterator[None]:
    environment = {**_LOCAL_AWS_DEFAULTS, **os.environ}
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        raise RuntimeError(f"port {port} is already in use: stop what listens there first")
    process = subprocess.Popen(
        ["taskset", "-c", SERVER_CPU, *command],
        cwd=PROJECT_DIR,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdin is not None:
            process.stdin.close()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {seconds} s")


def _warm_up(port: int, target: Target) -> None:
    """One request first: the app builds its boto3 client on the first call."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", target.path, body=target.body, headers=target.headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"warm-up request to port {port} answered {response.status}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    sys.exit(main())

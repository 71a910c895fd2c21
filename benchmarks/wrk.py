"""Drive wrk (Debian's package) at a URL on 127.0.0.1 and read its report."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class WrkResult(NamedTuple):
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


class WrkNotInstalled(RuntimeError):
    pass


_UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([0-9.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def parse_report(report: str) -> WrkResult:
    """wrk --latency output -> numbers; a report missing a figure is an error, not a zero."""
    percentiles = {
        int(match[1]): float(match[2]) * _UNIT_TO_MS[match[3]]
        for match in _PERCENTILE.finditer(report)
    }
    requests, rate = _REQUESTS.search(report), _RATE.search(report)
    if requests is None or rate is None or set(percentiles) != {50, 99}:
        raise ValueError("not a wrk --latency report")
    non_2xx = _NON_2XX.search(report)
    socket_errors = _SOCKET_ERRORS.search(report)
    errors = int(non_2xx[1]) if non_2xx else 0
    if socket_errors:
        errors += sum(int(count) for count in socket_errors.groups())
    return WrkResult(int(requests[1]), float(rate[1]), percentiles[50], percentiles[99], errors)


def lua_script(method: str, body: str, headers: dict[str, str]) -> str:
    lines = [f"wrk.method = {_lua_string(method)}", f"wrk.body = {_lua_string(body)}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(
    url: str,
    body: str,
    headers: dict[str, str],
    *,
    seconds: int,
    connections: int = 8,
    cpu: int | None = 0,
) -> WrkResult:
    """One bounded run: 1 thread, keep-alive connections, a fixed duration, loopback only."""
    if urlsplit(url).hostname not in LOOPBACK_HOSTS:
        raise ValueError("load is only ever sent to this machine's loopback address")
    wrk = shutil.which("wrk")
    if wrk is None:
        raise WrkNotInstalled("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "request.lua"
        script.write_text(lua_script("POST", body, headers))
        command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        report = subprocess.run(
            [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
        ).stdout
    return parse_report(report)

from __future__ import annotations

import pytest

from benchmarks.wrk import WrkResult, lua_script, parse_report, run_wrk

pytestmark = pytest.mark.integration


REPORT = """Running 5s test @ http://127.0.0.1:8000/predictbreastcancer
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.23ms  310.00us   9.87ms   90.00%
    Req/Sec     6.50k   200.00     7.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    1.10ms
     90%    1.50ms
     99%    2.31ms
  32345 requests in 5.00s, 6.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   6469.00
Transfer/sec:      1.20MB
"""


def test_a_latency_report_is_read_with_units_and_errors() -> None:
    assert parse_report(REPORT) == WrkResult(
        requests=32345, requests_per_second=6469.0, p50_ms=0.812, p99_ms=2.31, errors=7
    )


def test_seconds_are_converted_and_a_clean_run_has_no_errors() -> None:
    clean = "\n".join(
        line for line in REPORT.splitlines() if "errors" not in line and "Non-2xx" not in line
    ).replace("2.31ms", "1.50s")
    result = parse_report(clean)
    assert (result.p99_ms, result.errors) == (1500.0, 0)


def test_a_report_without_percentiles_is_refused() -> None:
    with pytest.raises(ValueError, match="not a wrk --latency report"):
        parse_report(REPORT.replace("     99%    2.31ms\n", ""))


def test_lua_strings_are_quoted() -> None:
    script = lua_script("POST", '{"data": "1,2"}', {"Content-Type": "application/json"})
    assert 'wrk.body = "{\\"data\\": \\"1,2\\"}"' in script
    assert 'wrk.headers["Content-Type"] = "application/json"' in script


@pytest.mark.parametrize("url", ["http://10.0.0.1:80/", "http://example.com/"])
def test_load_only_goes_to_loopback(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        run_wrk(url, "", {}, seconds=1)

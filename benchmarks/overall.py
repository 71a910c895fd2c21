"""`python -m benchmarks.overall` (`make bench-overall`): the whole picture, in one run, as ratios.

Each figure is the median of several runs (the import times: the fastest of several fresh
interpreters), next to its floor measured in the same run:
  * the Lambda zip from `chalice package`, against the 96 KiB budget;
  * `import app` against `import boto3, chalice` alone, each in a fresh interpreter started in
    the unzipped package, with bytecode cached and without: Lambda's task directory is
    read-only and the zip holds no `.pyc`, so a cold start compiles app.py, chalicelib/ and
    Chalice's own runtime (boto3 comes precompiled with the runtime);
  * one request through the Lambda entry point (`app.app(event, context)`, an API Gateway proxy
    event, the real ModelEndpoint with boto3's client answering from memory) in every request
    form, for 1 and for 1,000 rows, against `json.loads` + `json.dumps` of the same body; and a
    bare Chalice route and float() of 30,000 values, for their shares;
  * the local stack (`python -m devserver`: the API in front of the stand-in) with wrk: the
    median latency at 1 connection against the median boto3 call to the stand-in alone (which
    every stack request makes), and requests per second at 8 connections against the boto3
    ceiling (how many `invoke_endpoint` calls one process makes against the stand-in per
    second); the stand-in's own rate at 8 connections against the stack's; errors, which must
    be 0; and rows per second in one 1,000-row CSV batch against single-row requests.
Servers run on CPU 1, wrk and the boto3 loop on CPU 0; load only ever goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from chalicelib.contract import load_contract
from deploy.package_check import MAX_ZIP_BYTES

ENVIRONMENT = {
    "ENDPOINT_NAME": "wdbc-bench",
    "MODEL": "wdbc",
    "AWS_ACCESS_KEY_ID": "benchmark",
    "AWS_SECRET_ACCESS_KEY": "benchmark",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
ROWS = 1000
PROJECT_DIR = Path(__file__).resolve().parent.parent
SERVER_CPU, LOAD_CPU = 1, 0
LOCAL_ENDPOINT = "wdbc-local"  # the local stage's, which `python -m devserver` serves
LOCAL_MODEL = PROJECT_DIR / "models" / "wdbc"


class Figure(NamedTuple):
    what: str
    measured: str
    floor: str
    ratio: str
    aim: str = ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overall", description=__doc__)
    parser.add_argument("--imports", type=int, default=15, help="fresh interpreters per import")
    parser.add_argument("--repeats", type=int, default=7, help="timed repetitions (median)")
    parser.add_argument("--seconds", type=int, default=10, help="duration of one wrk run")
    options = parser.parse_args(argv)
    for key, value in ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    rows = wdbc_rows(ROWS)

    with tempfile.TemporaryDirectory() as folder:
        package = build_package(Path(folder))
        figures = [zip_figure(package / "deployment.zip")]
        figures += import_figures(options.imports, package / "unzipped")
    from benchmarks.cost import cost_figures

    with quiet_access_log():
        figures += in_process_figures(rows, options.repeats)
        figures += cost_figures(repeats=options.repeats)
    figures += local_stack_figures(rows, options.seconds)
    heading = f"repeats {options.repeats}, imports {options.imports}, wrk {options.seconds} s a run"
    print(format_report(figures, f"benchmarks.overall: {heading}"))
    return 0


def wdbc_rows(count: int) -> list[str]:
    from training.data import load_wdbc

    features = load_wdbc().features
    return [",".join(repr(float(v)) for v in features[i % len(features)]) for i in range(count)]


# --- The zip ---------------------------------------------------------------------------------


def build_package(folder: Path) -> Path:
    """`chalice package --stage dev` into `folder/package`, its zip also unzipped there."""
    chalice = str(Path(sys.executable).with_name("chalice"))
    output = folder / "package"
    subprocess.run(
        [chalice, "package", "--stage", "dev", str(output)],
        cwd=PROJECT_DIR,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        check=True,
        capture_output=True,
    )
    with zipfile.ZipFile(output / "deployment.zip") as archive:
        archive.extractall(output / "unzipped")
    return output


def zip_figure(zip_path: Path) -> Figure:
    size = zip_path.stat().st_size
    return Figure(
        "Lambda zip (chalice package --stage dev)",
        f"{size / 1024:.1f} KiB",
        f"{MAX_ZIP_BYTES / 1024:.0f} KiB budget",
        f"{size / MAX_ZIP_BYTES:.2f}",
        f"<= 1.00 {'met' if size <= MAX_ZIP_BYTES else 'NOT met'}",
    )


# --- Import time -----------------------------------------------------------------------------

_IMPORT_PROBE = (
    "import time; started = time.perf_counter(); import {modules}; "
    "print(time.perf_counter() - started)"
)


def import_figures(runs: int, package_dir: Path) -> list[Figure]:
    """Both imports in fresh interpreters in the unzipped package (its `chalice`, as on
    Lambda), interleaved so that drift hits both alike: with bytecode cached (warmed once),
    and compiled from source as a Lambda cold start compiles the zip's modules."""
    with tempfile.TemporaryDirectory() as cache:
        cached = {"PYTHONPYCACHEPREFIX": cache, "PYTHONDONTWRITEBYTECODE": ""}  # empty: off
        for modules in ("app", "boto3, chalice"):
            _import_seconds(modules, package_dir, cached)  # writes the bytecode
        cached["PYTHONDONTWRITEBYTECODE"] = "1"
        compiled = {"PYTHONDONTWRITEBYTECODE": "1"}
        timings: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(runs):
            for how, environment in (("cached", cached), ("compiled", compiled)):
                for modules in ("app", "boto3, chalice"):
                    seconds = _import_seconds(modules, package_dir, environment)
                    timings.setdefault((how, modules), []).append(seconds)

    def fastest(how: str, modules: str, whole: bool = False) -> float:
        # Other work on the machine only ever adds time: the fastest run is the import's own.
        return min(pair[whole] for pair in timings[how, modules])

    ratio = fastest("cached", "app") / fastest("cached", "boto3, chalice")
    return [
        Figure(
            f"import app, in-process (fastest of {runs})",
            f"{fastest('cached', 'app') * 1000:.0f} ms",
            f"{fastest('cached', 'boto3, chalice') * 1000:.0f} ms boto3+chalice",
            f"{ratio:.2f}",
            f"<= 1.10 {'met' if ratio <= 1.10 else 'NOT met'}",
        ),
        Figure(
            f"python -c 'import app', whole process (fastest of {runs})",
            f"{fastest('cached', 'app', whole=True) * 1000:.0f} ms",
            f"{fastest('cached', 'boto3, chalice', whole=True) * 1000:.0f} ms boto3+chalice",
            f"{fastest('cached', 'app', True) / fastest('cached', 'boto3, chalice', True):.2f}",
        ),
        Figure(
            f"import app, compiled at start as on Lambda (fastest of {runs})",
            f"{fastest('compiled', 'app') * 1000:.0f} ms",
            f"{fastest('compiled', 'boto3, chalice') * 1000:.0f} ms boto3+chalice",
            f"{fastest('compiled', 'app') / fastest('compiled', 'boto3, chalice'):.2f}",
        ),
    ]


def _import_seconds(
    modules: str, package_dir: Path, environment: dict[str, str]
) -> tuple[float, float]:
    """(the import alone, as the child measures it; the whole child process, start to exit)."""
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE.format(modules=modules)],
        cwd=package_dir,  # first on `sys.path`, as Lambda's task directory
        env={**os.environ, **ENVIRONMENT, **environment},
        capture_output=True,
        text=True,
        check=True,
    )
    whole = time.perf_counter() - started
    return float(child.stdout.strip().splitlines()[-1]), whole


# --- In-process, through the Lambda entry point ----------------------------------------------


class CannedRuntime:
    """boto3's `sagemaker-runtime` client, minus the network: the same answer bytes per row count.

    Behind the real ModelEndpoint, so that the rows' CSV for the endpoint is written as on
    Lambda; boto3's own signing and parsing are not ours and not counted.
    """

    def __init__(self) -> None:
        self._answers: dict[int, bytes] = {}

    def invoke_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        count = kwargs["Body"].count(b"\n") + 1
        body = self._answers.get(count)
        if body is None:
            item = {"score": 0.25, "predicted_label": 0}
            body = json.dumps({"predictions": [item] * count}).encode()
            self._answers[count] = body
        return {
            "Body": io.BytesIO(body),
            "ContentType": "application/json",
            "InvokedProductionVariant": "variant-1",
        }


def lambda_context() -> Any:
    """What the Lambda runtime hands the handler, as `chalice local` makes it; Chalice reads the
    request id from it."""
    from chalice.local import LambdaContext

    return LambdaContext("wdbc-predictor-dev", memory_size=256, max_runtime_ms=27_000)


def proxy_event(body: str, content_type: str, path: str = "/predictbreastcancer") -> dict[str, Any]:
    """The API Gateway proxy event of a POST, as Chalice's own local gateway builds it."""
    from chalice.local import LambdaEventConverter, RouteMatcher

    headers = {"Accept": "application/json", "Content-Type": content_type}
    event = LambdaEventConverter(RouteMatcher([path])).create_lambda_event(
        "POST", path, headers, body.encode()
    )
    return dict(event)


def _numbers(row: str) -> list[float]:
    return [float(value) for value in row.split(",")]


def _named(row: str) -> dict[str, float]:
    FEATURE_NAMES = load_contract("wdbc").feature_names

    return dict(zip(FEATURE_NAMES, _numbers(row), strict=True))


def _split(rows: list[str]) -> dict[str, Any]:
    FEATURE_NAMES = load_contract("wdbc").feature_names

    return {"dataframe_split": {"columns": list(FEATURE_NAMES), "data": list(map(_numbers, rows))}}


def _oip(rows: list[str]) -> dict[str, Any]:
    flat = [value for row in rows for value in _numbers(row)]
    tensor = {"name": "features", "shape": [len(rows), 30], "datatype": "FP64", "data": flat}
    return {"id": "bench-1", "inputs": [tensor]}


PREDICT, INFER = "/predictbreastcancer", "/v2/models/wdbc/infer"
JSON, CSV = "application/json", "text/csv"
# The JSON request forms, each as the document of its rows: single-row forms of the first row.
SINGLE_ROW_FORMS: dict[str, Callable[[str], Any]] = {
    '{"data": "<csv>"}': lambda row: {"data": row},
    '{"data": [numbers]}': lambda row: {"data": _numbers(row)},
    '{"features": {named}}': lambda row: {"features": _named(row)},
    '{"features": [numbers]}': lambda row: {"features": _numbers(row)},
}
BATCH_FORMS: dict[str, Callable[[list[str]], Any]] = {
    '{"instances": [{"data": "<csv>"}]}': lambda rows: {"instances": [{"data": r} for r in rows]},
    '{"instances": ["<csv>"]}': lambda rows: {"instances": rows},
    '{"instances": [[numbers]]}': lambda rows: {"instances": list(map(_numbers, rows))},
    '{"instances": [{"features": {named}}]}': lambda rows: {
        "instances": [{"features": _named(r)} for r in rows]
    },
    '{"dataframe_split": ...}': _split,
    '{"dataframe_records": [...]}': lambda rows: {"dataframe_records": list(map(_named, rows))},
}


class Case(NamedTuple):
    name: str
    rows: int
    event: dict[str, Any]
    floor_body: str  # JSON for the floor: the body itself, or the CSV lines as JSON strings


def request_cases(rows: list[str]) -> list[Case]:
    cases = []
    for name, single in SINGLE_ROW_FORMS.items():
        body = json.dumps(single(rows[0]))
        cases.append(Case(name, 1, proxy_event(body, JSON), body))
    for count in (1, len(rows)):
        some = rows[:count]
        for name, batch in BATCH_FORMS.items():
            body = json.dumps(batch(some))
            cases.append(Case(name, count, proxy_event(body, JSON), body))
        # json.loads reads no CSV: its floor is the same lines as a JSON array of strings.
        floor = json.dumps({"instances": some})
        cases.append(Case("text/csv", count, proxy_event("\n".join(some) + "\n", CSV), floor))
        body = json.dumps(_oip(some))
        cases.append(
            Case("OIP v2 infer, FP64 [N, 30]", count, proxy_event(body, JSON, INFER), body)
        )
    return cases


def in_process_figures(rows: list[str], repeats: int) -> list[Figure]:
    """Every request form through the Lambda entry point, each against its own body's floor.

    The aims are the issue's: at most 10x the floor for one row, 5x for 1,000 rows.
    """
    from chalicelib.application import create_app
    from chalicelib.endpoint import ModelEndpoint
    from chalicelib.settings import Settings

    runtime = CannedRuntime()
    app = create_app(Settings("wdbc-bench", "wdbc"), ModelEndpoint("wdbc-bench", lambda: runtime))
    figures = [_framework_figure(rows, repeats)]
    for case in request_cases(rows):
        calls, aim = (1000, 10.0) if case.rows == 1 else (20, 5.0)
        app_us, floor_us = _through_app_and_floor(app, case.event, case.floor_body, calls, repeats)
        ratio = app_us / floor_us
        figures.append(
            Figure(
                f"app.app, {case.name}, {case.rows:,} row{'s' if case.rows > 1 else ''}",
                f"{app_us:,.0f} us",
                f"{floor_us:,.1f} us json.loads+dumps",
                f"{ratio:.1f}",
                f"<= {aim:.0f} {'met' if ratio <= aim else 'NOT met'}",
            )
        )
    figures.append(_float_figure(rows, repeats))
    return figures


@contextlib.contextmanager
def quiet_access_log() -> Iterator[None]:
    """The access line is still built and written, to a buffer rather than the terminal."""
    from chalicelib import access_log

    access_log.configure()
    ours = [handler for handler in access_log.logger.handlers if getattr(handler, "_access_log", 0)]
    streams = [handler.setStream(io.StringIO()) for handler in ours]  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for handler, stream in zip(ours, streams, strict=True):
            handler.setStream(stream)  # type: ignore[attr-defined]


def _float_figure(rows: list[str], repeats: int) -> Figure:
    """What a text form cannot avoid: float() of each of its values, against the same floor."""
    text = ",".join(rows)
    body = json.dumps({"instances": rows})

    def parse() -> None:
        list(map(float, text.split(",")))

    def floor() -> None:
        json.dumps(json.loads(body))

    parse_us, floor_us = _per_call_us(parse, 20, repeats), _per_call_us(floor, 20, repeats)
    return Figure(
        f"float() of the {len(rows) * 30:,} values of {len(rows):,} CSV rows",
        f"{parse_us:,.0f} us",
        f"{floor_us:,.1f} us json.loads+dumps",
        f"{parse_us / floor_us:.1f}",
        "(text forms' own floor)",
    )


def _through_app_and_floor(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    event: dict[str, Any],
    body: str,
    calls: int,
    repeats: int,
) -> tuple[float, float]:
    context = lambda_context()
    answer = handler(event, context)
    if answer["statusCode"] != 200:
        raise RuntimeError(f"the app answered {answer['statusCode']}: {answer['body'][:200]}")

    def through_app() -> None:
        handler(event, context)

    def floor() -> None:
        json.dumps(json.loads(body))

    # Interleaved, one repeat of each at a time, so that drift on a shared machine hits both.
    pairs = [
        (_per_call_us(through_app, calls, 1), _per_call_us(floor, calls, 1)) for _ in range(repeats)
    ]
    return statistics.median(a for a, _ in pairs), statistics.median(f for _, f in pairs)


def _framework_figure(rows: list[str], repeats: int) -> Figure:
    """What Chalice alone costs: a route of its own answering a constant, no middleware."""
    from chalice.app import Chalice, Response

    bare = Chalice(app_name="bench-bare")

    @bare.route(PREDICT, methods=["POST"], content_types=[JSON, CSV])
    def constant() -> Response:
        return Response(body="{}", status_code=200, headers={"Content-Type": JSON})

    body = json.dumps({"data": rows[0]})
    app_us, floor_us = _through_app_and_floor(bare, proxy_event(body, JSON), body, 2000, repeats)
    return Figure(
        "Chalice alone, a route answering a constant, 1 row",
        f"{app_us:,.0f} us",
        f"{floor_us:,.1f} us json.loads+dumps",
        f"{app_us / floor_us:.1f}",
        "(the framework's share)",
    )


def _per_call_us(action: Callable[[], None], calls: int, repeats: int) -> float:
    for _ in range(max(1, calls // 10)):
        action()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            action()
        timings.append((time.perf_counter() - started) / calls)
    return statistics.median(timings) * 1e6


# --- The local stack over HTTP (wrk) ------------------------------------------------------


class Wrk(NamedTuple):
    requests_per_second: float
    p50_ms: float
    errors: int


def local_stack_figures(rows: list[str], seconds: int) -> list[Figure]:
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        raise SystemExit("benchmarks.overall: needs wrk and taskset (make wrk installs wrk)")
    single = json.dumps({"data": rows[0]})
    with _local_stack() as (api, standin):
        _post(api, "/predictbreastcancer", single, "application/json")  # the app's client, built
        one = _wrk(api, "/predictbreastcancer", single, "application/json", seconds, 1)
        eight = _wrk(api, "/predictbreastcancer", single, "application/json", seconds, 8)
        endpoint = f"/endpoints/{LOCAL_ENDPOINT}/invocations"
        alone = _wrk(standin, endpoint, rows[0], "text/csv", seconds, 8)
        ceiling, call_p50_ms = _boto3_calls(standin, rows[0], seconds)
        batch = "\n".join(rows) + "\n"
        batch_seconds = min(_post(api, "/predictbreastcancer", batch, "text/csv") for _ in range(5))
    errors = one.errors + eight.errors + alone.errors
    share = eight.requests_per_second / ceiling
    standin_ratio = alone.requests_per_second / eight.requests_per_second
    batch_ratio = len(rows) / batch_seconds / one.requests_per_second
    return [
        Figure(
            f"local stack, wrk 1 conn, p50 ({seconds} s)",
            f"{one.p50_ms:.2f} ms",
            f"{call_p50_ms:.2f} ms a boto3 call, p50",
            f"{one.p50_ms / call_p50_ms:.2f}",
            f"<= 1.2 ms {'met' if one.p50_ms <= 1.2 else 'NOT met'}",
        ),
        Figure(
            f"local stack, wrk 8 conns ({seconds} s)",
            f"{eight.requests_per_second:,.0f} req/s",
            f"{ceiling:,.0f} boto3 calls/s, 1 process",
            f"{share:.2f}",
            f">= 0.46 {'met' if share >= 0.46 else 'NOT met'} (802 of 1,760 before)",
        ),
        Figure(
            f"stand-in, wrk 8 conns ({seconds} s)",
            f"{alone.requests_per_second:,.0f} req/s",
            f"{eight.requests_per_second:,.0f} req/s local stack",
            f"{standin_ratio:.1f}",
            f">= 5 {'met' if standin_ratio >= 5 else 'NOT met'}",
        ),
        Figure(
            f"one {len(rows):,}-row text/csv batch, local stack",
            f"{len(rows) / batch_seconds:,.0f} rows/s",
            f"{one.requests_per_second:,.0f} rows/s singles, 1 conn",
            f"{batch_ratio:.1f}",
        ),
        Figure(
            "errors, every wrk run", f"{errors}", "", "", f"0 {'met' if errors == 0 else 'NOT met'}"
        ),
    ]


@contextlib.contextmanager
def _local_stack() -> Iterator[tuple[int, int]]:
    """`python -m devserver` on free ports, on SERVER_CPU: (API port, stand-in port)."""
    command = ["taskset", "-c", str(SERVER_CPU), sys.executable, "-m", "devserver"]
    command += ["--port", "0", "--standin-port", "0"]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    environment.pop("ENDPOINT_NAME", None)  # the local stage names its endpoint
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=environment, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    try:
        ports = []
        for line in process.stdout:
            if line.startswith(("devserver: standin: serving", "devserver: API on")):
                ports.append(int(re.findall(r"127\.0\.0\.1:([0-9]+)", line)[0]))
            if len(ports) == 2:
                break
        # The access log goes on being written; read it away so the pipe never fills.
        threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
        yield ports[1], ports[0]
    finally:
        process.terminate()
        process.wait(30)


def _drain(lines: Iterator[str]) -> None:
    for _ in lines:
        pass


def _post(port: int, path: str, body: str, content_type: str) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", path, body=body.encode(), headers={"Content-Type": content_type})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")
    return time.perf_counter() - started


def _wrk(port: int, path: str, body: str, content_type: str, seconds: int, connections: int) -> Wrk:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(f"wrk.method = 'POST'\nwrk.body = {json.dumps(body)}\n")
        script.write(f"wrk.headers['Content-Type'] = '{content_type}'\n")
        script.flush()
        report = subprocess.run(
            ["taskset", "-c", str(LOAD_CPU), "wrk", "--latency", "-t1", f"-c{connections}",
             f"-d{seconds}s", "-s", script.name, f"http://127.0.0.1:{port}{path}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    rate = float(re.findall(r"Requests/sec:\s+([0-9.]+)", report)[0])
    value, unit = re.findall(r"^\s+50%\s+([0-9.]+)(us|ms|s)$", report, re.MULTILINE)[0]
    p50 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    counts = re.findall(r"(?:Non-2xx or 3xx responses|connect|read|write|timeout):? (\d+)", report)
    return Wrk(rate, p50, sum(map(int, counts)))


def _boto3_calls(port: int, row: str, seconds: int) -> tuple[float, float]:
    """The ceiling: one process, on LOAD_CPU, calling invoke_endpoint in a loop; its calls per
    second and the median call in ms, the part of every stack request no server can remove."""
    import boto3

    os.sched_setaffinity(0, {LOAD_CPU})
    client = boto3.client("sagemaker-runtime", endpoint_url=f"http://127.0.0.1:{port}")
    durations: list[float] = []
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        call_started = time.perf_counter()
        client.invoke_endpoint(EndpointName=LOCAL_ENDPOINT, Body=row, ContentType="text/csv")[
            "Body"
        ].read()
        durations.append(time.perf_counter() - call_started)
    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    return len(durations) / elapsed, statistics.median(durations) * 1000


def format_report(figures: list[Figure], heading: str) -> str:
    lines = [
        f"{heading}; {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; medians, ratios "
        "to the floor measured in the same run",
        "",
        f"{'figure':<64} {'measured':>14} {'floor':>34} {'ratio':>6}  aim",
    ]
    lines += [f"{f.what:<64} {f.measured:>14} {f.floor:>34} {f.ratio:>6}  {f.aim}" for f in figures]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

"""`python -m benchmarks.cost`: the slowest hostile body of each form against a valid one.

A form is what one parser reads: the API's JSON and CSV on `/predictbreastcancer`, OIP's JSON,
and the stand-in's CSV, JSON and JSON Lines. Its valid body is 1,000 rows (the most a request
may hold) whose values are written with as many digits as bring it to the size, 1 MiB (the
largest the API takes); each hostile body is as near that size as it can be built, shaped to
be read as slowly as the form allows: a name repeated, keys by the thousand, nesting, a value
or a line of the whole size. The API is called through the Lambda entry point (the real
ModelEndpoint, boto3's client answering from memory), the stand-in through `invoke`. Each cost
is the median of `repeats` calls; the figure is the worst hostile body's over the valid one's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from benchmarks.overall import (
    INFER,
    LOCAL_MODEL,
    PREDICT,
    CannedRuntime,
    Figure,
    format_report,
    lambda_context,
    proxy_event,
    quiet_access_log,
)
from chalicelib.contract import load_contract
from chalicelib.errors import MAX_BODY_BYTES, MAX_ROWS

WDBC = load_contract("wdbc")
FEATURE_NAMES, FEATURE_COUNT = WDBC.feature_names, WDBC.feature_count

AIM = 3.0
Build = Callable[[int], bytes]  # a body of at most that many bytes, as near to it as it gets
Read = Callable[[bytes], object]  # a body read as its server reads it; any answer will do


class Form(NamedTuple):
    name: str
    content_type: str
    path: str | None  # the API's route; None: the stand-in's container
    valid: Build
    hostile: dict[str, Build]


def filled(build: Callable[[int], str]) -> Build:
    """build(n) grows by the same number of bytes with each n: the largest n within the size."""

    def body(size: int) -> bytes:  # from 1: 0 decimals drop the point too
        base, step = len(build(1)), len(build(2)) - len(build(1))
        return build(max(1, 1 + (size - base) // step)).encode()

    return body


def repeated(opening: str, unit: str, closing: str) -> Build:
    """`opening`, `unit` as often as fits, `closing`; an `@` in `unit` is a name of its own each
    time, with digits: each is looked at, where a name of letters alone could be quoted back."""
    return filled(
        lambda n: opening + "".join(unit.replace("@", f"n{i:06}") for i in range(n)) + closing
    )


def rows(digits: int, item: str, separator: str) -> str:
    """MAX_ROWS rows, each `item` around its values written with `digits` decimals."""
    return separator.join(
        item.format(
            ",".join(f"{(row * 31 + column) % 997 / 10:.{digits}f}" for column in range(30))
        )
        for row in range(MAX_ROWS)
    )


ONES = ",".join(["1"] * FEATURE_COUNT)
AFTER_FIRST = ONES[1:]  # `,1,1,...`: 29 more values
NAMED = ", ".join(f'"{name}": 1' for name in FEATURE_NAMES)
CSV_ROWS = filled(lambda n: rows(n, "{}\n", ""))
CSV_HOSTILE = {  # both CSV readers'
    "a long value ending in a letter": repeated("", "1", "x" + AFTER_FIRST + "\n"),
    "a line of commas": repeated("", ",", "\n"),
    "short lines filling it": repeated("", "1\n", ""),
}
TENSOR = '{"name": "t", "shape": [1, 30], "datatype": "FP64", "data": [' + ONES + "]}"

FORMS = (
    Form(
        "API application/json",
        "application/json",
        PREDICT,
        filled(lambda n: '{"instances": [' + rows(n, "[{}]", ", ") + "]}"),
        {
            "dataframe_split columns repeating a name": repeated(
                '{"dataframe_split": {"columns": [', '"area_se", ', f'"x"], "data": [[{ONES}]]}}}}'
            ),
            "unknown keys": repeated('{"data": "' + ONES + '"', ', "@": 0', "}"),
            "unknown feature names": repeated('{"features": {', '"@": 1, ', NAMED + "}}"),
            "nesting": repeated('{"data": ', "[", "}"),
            "a long number": repeated('{"data": [1.', "1", AFTER_FIRST + "]}"),
            "a long CSV value": repeated('{"data": "', "1", "x" + AFTER_FIRST + '"}'),
            "empty instances filling it": repeated('{"instances": [', "[], ", "[]]}"),
        },
    ),
    Form(
        "API text/csv",
        "text/csv",
        PREDICT,
        CSV_ROWS,
        {
            "a header repeating a name": repeated("", "area_se,", "x\n" + ONES + "\n"),
            "a header of unknown names": repeated("", "@,", "x\n" + ONES + "\n"),
            **CSV_HOSTILE,
        },
    ),
    Form(
        "API OIP application/json",
        "application/json",
        INFER,
        filled(
            lambda n: (
                '{"id": "b", "inputs": [{"name": "t", "shape": [1000, 30], '
                '"datatype": "FP64", "data": [' + rows(n, "[{}]", ", ") + "]}]}"
            )
        ),
        {
            "a long id of digits": repeated('{"id": "', "1", '-x", "inputs": [' + TENSOR + "]}"),
            "outputs repeated": repeated(
                '{"inputs": [' + TENSOR + '], "outputs": [',
                '{"name": "predicted_label"}, ',
                '{"name": "probability_malignant"}]}',
            ),
            "unknown keys": repeated('{"inputs": [' + TENSOR + "]", ', "@": 0', "}"),
            "nesting": repeated(
                '{"inputs": [{"name": "t", "shape": [1, 30], "datatype": "FP64", "data": ',
                "[",
                "}]}",
            ),
        },
    ),
    Form("stand-in text/csv", "text/csv", None, CSV_ROWS, CSV_HOSTILE),
    Form(
        "stand-in application/json",
        "application/json",
        None,
        filled(lambda n: '{"instances": [' + rows(n, '{{"features": [{}]}}', ", ") + "]}"),
        {
            "nesting": repeated('{"instances": ', "[", "}"),
            "unknown keys": repeated(
                '{"instances": [{"features": [' + ONES + "]}]", ', "@": 0', "}"
            ),
            "a long number": repeated('{"instances": [{"features": [1.', "1", AFTER_FIRST + "]}]}"),
        },
    ),
    Form(
        "stand-in application/jsonlines",
        "application/jsonlines",
        None,
        filled(lambda n: rows(n, '{{"features": [{}]}}', "\n")),
        {
            "nesting": repeated("", "[", ""),
            "a long line of keys": repeated('{"features": [' + ONES + "]", ', "@": 0', "}"),
            "short lines filling it": repeated("", "{}\n", ""),
        },
    ),
)


def cost_figures(size: int = MAX_BODY_BYTES, repeats: int = 5, every: bool = False) -> list[Figure]:
    """The worst hostile body of each form (`every`: each hostile body) against the valid one."""
    figures = []
    for form in FORMS:
        read = reader(form)
        valid = median_seconds(read, form.valid(size), repeats)
        costs = {
            name: median_seconds(read, build(size), repeats) for name, build in form.hostile.items()
        }
        shown = costs if every else dict([max(costs.items(), key=lambda item: item[1])])
        for name, seconds in shown.items():
            ratio = seconds / valid
            figures.append(
                Figure(
                    f"{form.name}: {name}",
                    f"{seconds * 1000:,.1f} ms",
                    f"{valid * 1000:,.1f} ms valid, {size / 1024:,.0f} KiB",
                    f"{ratio:.2f}",
                    f"<= {AIM:.0f} {'met' if ratio <= AIM else 'NOT met'}",
                )
            )
    return figures


def reader(form: Form) -> Read:
    if form.path is None:
        from standin.inference import ContainerError
        from standin.model import load_model

        container = load_model(LOCAL_MODEL)

        def read_in_standin(body: bytes) -> object:
            try:
                return container.invoke(body, form.content_type, "application/json")
            except ContainerError as error:
                return error

        return read_in_standin
    from chalicelib.application import create_app
    from chalicelib.endpoint import ModelEndpoint
    from chalicelib.settings import Settings

    runtime, context = CannedRuntime(), lambda_context()
    app = create_app(Settings("wdbc-bench", "wdbc"), ModelEndpoint("wdbc-bench", lambda: runtime))
    path, content_type = form.path, form.content_type

    def read_in_api(body: bytes) -> object:
        return app(proxy_event(body.decode(), content_type, path), context)

    return read_in_api


def median_seconds(read: Read, body: bytes, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        read(body)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cost", description=__doc__)
    parser.add_argument("--kib", type=int, default=MAX_BODY_BYTES // 1024, help="body size")
    parser.add_argument("--repeats", type=int, default=5, help="calls per body (median)")
    options = parser.parse_args(argv)
    with quiet_access_log():
        figures = cost_figures(options.kib * 1024, options.repeats, every=True)
    print(format_report(figures, f"benchmarks.cost: repeats {options.repeats}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

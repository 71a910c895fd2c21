"""The dev server's gateway app on a real server: a stop while the Lambda still runs a request."""

from __future__ import annotations

import http.client
import json
import threading
import time
from unittest.mock import Mock

import pytest
from chalice.local import LocalGateway

from devserver.gateway import GatewayApp
from standin.serving import Server
from tests.support.log_capture import Records, all_records


@pytest.mark.parametrize("path", ["/predictbreastcancer", "/v2/models/wdbc/infer"])
def test_a_stop_answers_the_request_the_lambda_still_runs(path: str) -> None:
    release = threading.Event()
    gateway = Mock(spec=LocalGateway)
    gateway.handle_request.side_effect = lambda *_: release.wait(60) and {}  # a slow Lambda
    server = Server(GatewayApp(gateway, frozenset({path})), "127.0.0.1", 0)
    server.start()
    answers: list[tuple[int, dict[str, str], bytes]] = []

    def post() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.request("POST", path, body=b"{}", headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        answers.append((response.status, dict(response.getheaders()), response.read()))
        connection.close()

    client = threading.Thread(target=post)
    with all_records() as records:
        client.start()
        try:
            while not gateway.handle_request.called:
                time.sleep(0.01)
            server.stop()
            client.join(30)
        finally:
            release.set()
    [(status, headers, body)] = answers
    rid, document = headers["x-request-id"], json.loads(body)
    assert status == 503
    if path.startswith("/v2/"):  # OIP's shape: the message alone
        assert document == {"error": "the server is shutting down; send the request again later"}
    else:
        assert (document["error"]["code"], document["error"]["request_id"]) == (
            "shutting_down",
            rid,
        )
    assert_logged_once(records, rid, 503, "shutting_down")


def assert_logged_once(records: Records, rid: str, status: int, code: str) -> None:
    [line] = records.holding(rid)
    logged = json.loads(line.split(" ", 2)[2])
    assert (logged["status"], logged["error_code"]) == (status, code)

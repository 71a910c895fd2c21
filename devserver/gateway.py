"""The Chalice app behind Chalice's own local gateway (`chalice.local.LocalGateway`), as ASGI.

The gateway routes and translates to and from the API Gateway event exactly as `chalice local`
does, so a local answer is the Lambda's. Requests run one at a time on one worker thread, as one
Lambda container runs them: the app's `current_request` is a plain attribute, not per thread.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chalice.cli.factory import CLIFactory
from chalice.local import ForbiddenError, LocalGateway, LocalGatewayException

from standin import serving
from standin.serving import Receive, Scope, Send

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit; the app's own is smaller
FORBIDDEN = "Missing Authentication Token"  # API Gateway's answer on a path it does not route


class GatewayApp:
    def __init__(self, gateway: LocalGateway) -> None:
        self.gateway = gateway
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambda")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await serving.read_body(scope, receive, API_GATEWAY_MAX_BODY)
        except serving.ClientGone:
            return
        except serving.RequestRefused as refusal:
            await serving.refuse(send, refusal)
            return
        target = scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        loop = asyncio.get_running_loop()
        status, answer_headers, answer = await loop.run_in_executor(
            self.worker, self.handle, scope["method"], target, headers, body or None
        )
        await serving.respond(send, status, answer, answer_headers)

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        try:
            response = self.gateway.handle_request(method, target, headers, body)
        except LocalGatewayException as error:
            # API Gateway's own words, never Chalice's local echo of an Authorization header.
            forbidden = isinstance(error, ForbiddenError)
            document = json.dumps({"message": FORBIDDEN if forbidden else "Error"}).encode()
            return error.CODE, [(b"content-type", b"application/json")], document
        answer = response["body"] or b""
        if response.get("isBase64Encoded"):
            answer = base64.b64decode(answer)
        elif isinstance(answer, str):
            answer = answer.encode("utf-8")
        fields: list[tuple[bytes, bytes]] = []
        for name, value in {**response["headers"], **response["multiValueHeaders"]}.items():
            for one in value if isinstance(value, list) else [value]:
                fields.append((name.lower().encode("latin-1"), str(one).encode("latin-1")))
        if not any(name == b"content-type" for name, _ in fields):
            fields.append((b"content-type", b"application/json"))
        return response["statusCode"], fields, answer


def build_app(project_dir: Path, stage: str, overrides: Mapping[str, str]) -> GatewayApp:
    """The stage's app, with its environment plus the overrides, as `chalice local` sets it."""
    factory = CLIFactory(str(project_dir), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = factory.load_chalice_app({**config.environment_variables, **overrides})
    return GatewayApp(LocalGateway(app, config))


def stage_environment(project_dir: Path, stage: str) -> dict[str, str]:
    factory = CLIFactory(str(project_dir))
    return dict(factory.create_config_obj(chalice_stage_name=stage).environment_variables)


def local_credentials() -> dict[str, str]:
    """boto3 signs every request, even to the stand-in: harmless values where none are set."""
    given = {"AWS_ACCESS_KEY_ID", "AWS_PROFILE"} & set(os.environ)
    defaults = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    if not given:
        defaults |= dict.fromkeys(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "local-stand-in")
    return {key: value for key, value in defaults.items() if key not in os.environ}

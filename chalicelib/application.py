"""The Chalice app for one stage, built from its settings, its model's contract and its endpoint.

`app.py` calls `create_app` once with the stage's environment; a test calls it with the settings,
contract and endpoint twin it needs, so no test swaps a module global.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

from chalice.app import Chalice

from chalicelib import access_log, content_types, cors, oip, web
from chalicelib.contract import Contract, load_contract
from chalicelib.discovery import Discovery
from chalicelib.endpoint import ModelEndpoint, OnceClient, create_runtime_client
from chalicelib.model_card import load_model_card
from chalicelib.payload import ACCEPTED_CONTENT_TYPES
from chalicelib.replies import Reply
from chalicelib.service import ApiRequest, Endpoint, PredictionService
from chalicelib.settings import Settings


class Route(NamedTuple):
    """One operation of the API: what Chalice routes, API Gateway guards and the spec lists."""

    name: str  # the view's name, the spec's operationId
    path: str
    method: str
    # A route that takes a body is handed the request; one that does not answers from what it has.
    answer: Callable[[ApiRequest], Reply] | Callable[[], Reply]
    api_key_required: bool = False
    content_types: tuple[str, ...] = ()  # the bodies a POST takes


def route_table(
    contract: Contract, predictions: PredictionService, discovery: Discovery
) -> list[Route]:
    """Every route of the API, once. Patient data (the body-taking routes) needs API Gateway's
    key (`x-api-key`); `chalice local` does not check it. The rest answer without a key."""
    infer_path = f"{oip.model_path(contract)}/infer"
    body_taking = [
        Route("predict", contract.route, "POST", predictions.predict, True, ACCEPTED_CONTENT_TYPES),
        Route("oipInfer", infer_path, "POST", predictions.infer, True, (content_types.JSON,)),
    ]
    return [
        *body_taking,
        Route("oipReady", f"{oip.PREFIX}/health/ready", "GET", discovery.oip_ready),
        Route("oipModelMetadata", oip.model_path(contract), "GET", discovery.oip_model_metadata),
        Route("health", "/health", "GET", discovery.health),
        Route("model", "/model", "GET", discovery.model),
        Route("openapiSpec", "/openapi.json", "GET", discovery.spec),
        # The demo page: no patient data in it, so no key; its script sends the key typed into
        # it, where a key is checked (Settings.api_keys_checked).
        Route("demoPage", "/", "GET", discovery.page),
    ]


def create_app(
    settings: Settings, endpoint: Endpoint | None = None, contract: Contract | None = None
) -> Chalice:
    """The API for `contract` (by default the stage's MODEL) in front of `endpoint` (by default
    the stage's SageMaker endpoint through boto3, whose client is built on its first use)."""
    access_log.configure()
    if contract is None:
        contract = load_contract(settings.model)
    if endpoint is None:
        client = OnceClient(create_runtime_client)
        endpoint = ModelEndpoint(settings.endpoint_name, client, contract.answer.accept)
    predictions = PredictionService(endpoint, contract)
    card = (
        load_model_card(settings.model_card, contract.feature_names)
        if settings.model_card
        else None
    )
    app = Chalice(app_name=f"{contract.name}-api")
    discovery = Discovery(settings, contract, predictions.oip, card, app.routes)
    # Outermost, so that every answer (errors too) carries the same CORS headers.
    app.register_middleware(cors.CorsMiddleware(settings.cors), "http")
    app.register_middleware(functools.partial(web.answer_and_log, routes=app.routes), "http")
    for route in route_table(contract, predictions, discovery):
        _register(app, route)
    return app


def _register(app: Chalice, route: Route) -> None:
    if route.content_types:
        handle: Callable[[ApiRequest], Reply] = route.answer  # type: ignore[assignment]

        def view() -> web.ReplyResponse:
            return web.respond(app.current_request, handle)

        def preflight() -> web.ReplyResponse:
            # Browsers send preflights without the key, so the OPTIONS routes stay keyless.
            return web.ReplyResponse(cors.options_reply(app.routes[route.path]))

        app.route(route.path, methods=["OPTIONS"], name=f"{route.name}Preflight")(preflight)
    else:
        answer: Callable[[], Reply] = route.answer  # type: ignore[assignment]

        def view() -> web.ReplyResponse:
            return web.ReplyResponse(answer())

    app.route(
        route.path,
        methods=[route.method],
        name=route.name,
        api_key_required=route.api_key_required,
        content_types=list(route.content_types or (content_types.JSON,)),
    )(view)

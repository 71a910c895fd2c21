"""The Chalice app for one stage, built from its settings, its model's contract and its endpoint.

`app.py` calls `create_app` once with the stage's environment; a test calls it with the settings,
contract and endpoint twin it needs, so no test swaps a module global.
"""

from __future__ import annotations

import functools

from chalice.app import Chalice

from chalicelib import access_log, content_types, cors, oip, web
from chalicelib.contract import Contract, load_contract
from chalicelib.discovery import Discovery
from chalicelib.endpoint import ModelEndpoint, OnceClient, create_runtime_client
from chalicelib.model_card import load_model_card
from chalicelib.payload import ACCEPTED_CONTENT_TYPES
from chalicelib.service import Endpoint, PredictionService
from chalicelib.settings import Settings


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
    discovery = Discovery(settings.endpoint_name, contract, predictions.oip, card)
    predict_path = contract.route
    infer_path = f"{oip.model_path(contract)}/infer"

    app = Chalice(app_name=f"{contract.name}-api")
    # Outermost, so that every answer (errors too) carries the same CORS headers.
    app.register_middleware(cors.CorsMiddleware(settings.cors), "http")
    app.register_middleware(functools.partial(web.answer_and_log, routes=app.routes), "http")

    # Patient data: API Gateway wants the stage's API key (`x-api-key`); `chalice local` does not.
    @app.route(
        predict_path,
        methods=["POST"],
        content_types=list(ACCEPTED_CONTENT_TYPES),
        api_key_required=True,
    )
    def predict() -> web.ReplyResponse:
        return web.respond(app.current_request, predictions.predict)

    # Browsers send preflights without the key, so the OPTIONS routes stay keyless.
    @app.route(predict_path, methods=["OPTIONS"])
    def predict_options() -> web.ReplyResponse:
        return web.ReplyResponse(cors.options_reply(app.routes[predict_path]))

    @app.route(
        infer_path, methods=["POST"], content_types=[content_types.JSON], api_key_required=True
    )
    def oip_infer() -> web.ReplyResponse:
        return web.respond(app.current_request, predictions.infer)

    @app.route(infer_path, methods=["OPTIONS"])
    def oip_infer_options() -> web.ReplyResponse:
        return web.ReplyResponse(cors.options_reply(app.routes[infer_path]))

    @app.route(f"{oip.PREFIX}/health/ready", methods=["GET"])
    def oip_ready() -> web.ReplyResponse:
        return web.ReplyResponse(discovery.oip_ready())

    @app.route(oip.model_path(contract), methods=["GET"])
    def oip_model_metadata() -> web.ReplyResponse:
        return web.ReplyResponse(discovery.oip_model_metadata())

    @app.route("/health", methods=["GET"])
    def health() -> web.ReplyResponse:
        return web.ReplyResponse(discovery.health())

    @app.route("/model", methods=["GET"])
    def model() -> web.ReplyResponse:
        return web.ReplyResponse(discovery.model())

    @app.route("/openapi.json", methods=["GET"])
    def openapi_spec() -> web.ReplyResponse:
        return web.ReplyResponse(discovery.spec())

    # The demo page: no patient data in it, so no key; its script sends the key typed into it.
    # Rendered on its first request, not at start-up: few cold starts are for the page.
    @app.route("/", methods=["GET"])
    def index() -> web.ReplyResponse:
        from chalicelib.pages import demo_page

        return web.ReplyResponse(demo_page(contract).reply())

    return app

"""The Chalice app for one stage, built from its settings and its endpoint.

`app.py` calls `create_app` once with the stage's environment; a test calls it with the settings
and the endpoint twin it needs, so no test swaps a module global.
"""

from __future__ import annotations

from chalice.app import Chalice

from chalicelib import access_log, content_types, cors, oip, web
from chalicelib.discovery import Discovery
from chalicelib.endpoint import ModelEndpoint, OnceClient, create_runtime_client
from chalicelib.model_card import load_model_card
from chalicelib.payload import ACCEPTED_CONTENT_TYPES
from chalicelib.service import Endpoint, PredictionService
from chalicelib.settings import Settings

APP_NAME = "wdbc-predictor"
PREDICT = "/predictbreastcancer"
# The Open Inference Protocol v2 (KServe, Triton, MLServer).
OIP_INFER = f"{oip.PREFIX}/models/{oip.MODEL_NAME}/infer"


def create_app(settings: Settings, endpoint: Endpoint | None = None) -> Chalice:
    """The API in front of `endpoint`; by default the stage's SageMaker endpoint through boto3,
    whose client is built on the first request that needs it."""
    access_log.configure()
    if endpoint is None:
        endpoint = ModelEndpoint(settings.endpoint_name, OnceClient(create_runtime_client))
    predictions = PredictionService(endpoint)
    card = load_model_card(settings.model_card) if settings.model_card else None
    discovery = Discovery(settings.endpoint_name, card)

    app = Chalice(app_name=APP_NAME)
    # Outermost, so that every answer (errors too) carries the same CORS headers.
    app.register_middleware(cors.CorsMiddleware(settings.cors), "http")
    app.register_middleware(web.answer_and_log, "http")

    # Patient data: API Gateway wants the stage's API key (`x-api-key`); `chalice local` does not.
    @app.route(
        PREDICT, methods=["POST"], content_types=list(ACCEPTED_CONTENT_TYPES), api_key_required=True
    )
    def predict_breast_cancer() -> web.ReplyResponse:
        return web.respond(app.current_request, predictions.predict)

    # Browsers send preflights without the key, so the OPTIONS routes stay keyless.
    @app.route(PREDICT, methods=["OPTIONS"])
    def predict_breast_cancer_options() -> web.ReplyResponse:
        return web.ReplyResponse(cors.options_reply(app.routes[PREDICT]))

    @app.route(
        OIP_INFER, methods=["POST"], content_types=[content_types.JSON], api_key_required=True
    )
    def oip_infer() -> web.ReplyResponse:
        return web.respond(app.current_request, predictions.infer)

    @app.route(OIP_INFER, methods=["OPTIONS"])
    def oip_infer_options() -> web.ReplyResponse:
        return web.ReplyResponse(cors.options_reply(app.routes[OIP_INFER]))

    @app.route(f"{oip.PREFIX}/health/ready", methods=["GET"])
    def oip_ready() -> web.ReplyResponse:
        return web.ReplyResponse(discovery.oip_ready())

    @app.route(f"{oip.PREFIX}/models/{oip.MODEL_NAME}", methods=["GET"])
    def oip_model_metadata() -> web.ReplyResponse:
        return web.ReplyResponse(discovery.oip_model_metadata())

    @app.route("/health", methods=["GET"])
    def health() -> web.ReplyResponse:
        return web.ReplyResponse(discovery.health())

    @app.route("/model", methods=["GET"])
    def model() -> web.ReplyResponse:
        return web.ReplyResponse(discovery.model(web.request_id(app.current_request)))

    @app.route("/openapi.json", methods=["GET"])
    def openapi_spec() -> web.ReplyResponse:
        return web.ReplyResponse(discovery.spec())

    # The demo page: no patient data in it, so no key; its script sends the key typed into it.
    # Rendered on its first request, not at start-up: few cold starts are for the page.
    @app.route("/", methods=["GET"])
    def index() -> web.ReplyResponse:
        from chalicelib.pages import demo_page

        return web.ReplyResponse(demo_page().reply())

    return app

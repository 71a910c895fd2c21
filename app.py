"""The WDBC breast-cancer prediction API: routes only; chalicelib does the work."""

from __future__ import annotations

import os

from chalice.app import Chalice

from chalicelib import access_log, content_types, cors, oip, web
from chalicelib.discovery import Discovery
from chalicelib.endpoint import ModelEndpoint, OnceClient, create_runtime_client
from chalicelib.model_card import load_model_card
from chalicelib.payload import ACCEPTED_CONTENT_TYPES
from chalicelib.service import PredictionService
from chalicelib.settings import Settings

app = Chalice(app_name="wdbc-predictor")
access_log.configure()

# Read once at start-up: a missing ENDPOINT_NAME stops the function here, with the key named.
settings = Settings.from_environ(os.environ)
predictions = PredictionService(
    ModelEndpoint(settings.endpoint_name, OnceClient(create_runtime_client))
)
discovery = Discovery(
    settings.endpoint_name, load_model_card(settings.model_card) if settings.model_card else None
)

# Outermost, so that every answer (errors too) carries the same CORS headers.
cross_origin = cors.CorsMiddleware(cors.CorsPolicy.from_environ(os.environ))
app.register_middleware(cross_origin, "http")
app.register_middleware(web.answer_and_log, "http")


# Patient data: API Gateway wants the stage's API key (`x-api-key`); `chalice local` does not.
@app.route(
    "/predictbreastcancer",
    methods=["POST"],
    content_types=list(ACCEPTED_CONTENT_TYPES),
    api_key_required=True,
)
def predict_breast_cancer() -> web.ReplyResponse:
    return web.respond(app.current_request, predictions.predict)


# Browsers send preflights without the key, so this route must stay keyless.
@app.route("/predictbreastcancer", methods=["OPTIONS"])
def predict_breast_cancer_options() -> web.ReplyResponse:
    return web.ReplyResponse(cors.options_reply(app.routes["/predictbreastcancer"]))


# The Open Inference Protocol v2 (KServe, Triton, MLServer): patient data, so the key again.
OIP_INFER = f"{oip.PREFIX}/models/{oip.MODEL_NAME}/infer"


@app.route(
    OIP_INFER,
    methods=["POST"],
    content_types=[content_types.JSON],
    api_key_required=True,
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

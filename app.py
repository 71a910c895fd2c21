"""The WDBC breast-cancer prediction API: routes only; chalicelib does the work."""

from __future__ import annotations

import os

from chalice.app import Chalice

from chalicelib import access_log, web
from chalicelib.endpoint import ModelEndpoint, OnceClient, create_runtime_client
from chalicelib.service import PredictionService
from chalicelib.settings import Settings

app = Chalice(app_name="wdbc-predictor")
access_log.configure()

# Read once at start-up: a missing ENDPOINT_NAME stops the function here, with the key named.
settings = Settings.from_environ(os.environ)
predictions = PredictionService(
    ModelEndpoint(settings.endpoint_name, OnceClient(create_runtime_client))
)

app.register_middleware(web.answer_and_log, "http")


@app.route("/predictbreastcancer", methods=["POST"])
def predict_breast_cancer() -> web.ReplyResponse:
    return web.respond(app.current_request, predictions.predict)

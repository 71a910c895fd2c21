"""The read-only routes: health, the model and its card, the OpenAPI document, OIP's readiness
and metadata, the demo page. None of them touches the endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib import content_types, oip
from chalicelib.contract import Contract
from chalicelib.replies import Reply
from chalicelib.settings import Settings


class Discovery:
    """Answers built once: at start-up, or (the OpenAPI document, the page) on their first
    request, which few cold starts are for."""

    def __init__(
        self,
        settings: Settings,
        contract: Contract,
        openinference: oip.OpenInference,
        model_card: Mapping[str, Any] | None,
        routes: Mapping[str, Mapping[str, Any]],
    ) -> None:
        version = model_card.get("version") if model_card else None
        # The app's routes (Chalice's app.routes, filled as they are registered), for the spec.
        self._contract, self._version, self._routes = contract, version, routes
        self._keys_checked = settings.api_keys_checked
        self._spec_body: str | None = None
        self._page: Reply | None = None
        self._health_body = json.dumps(
            {"status": "ok", "endpoint": settings.endpoint_name, "model_version": version}
        )
        # The contract as written, with the card of the deployed version where there is one.
        self._model_body = json.dumps({**contract.document, "version": version, "card": model_card})
        self._oip_metadata_body = json.dumps(openinference.model_metadata(version))

    def health(self) -> Reply:
        return Reply(200, self._health_body, content_types.JSON)

    def model(self) -> Reply:
        return Reply(200, self._model_body, content_types.JSON)

    def spec(self) -> Reply:
        if self._spec_body is None:
            from chalicelib.openapi import openapi_document

            document = openapi_document(self._contract, self._routes, self._version)
            self._spec_body = json.dumps(document)
        return Reply(200, self._spec_body, content_types.JSON)

    def oip_ready(self) -> Reply:
        # Ready as /health is up: the API answers; the endpoint is asked only by an inference.
        return Reply(200, oip.READY_BODY, content_types.JSON)

    def oip_model_metadata(self) -> Reply:
        return Reply(200, self._oip_metadata_body, content_types.JSON)

    def page(self) -> Reply:
        if self._page is None:
            from chalicelib.pages import WebPage

            self._page = WebPage(self._contract, self._keys_checked).reply()
        return self._page

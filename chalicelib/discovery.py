"""The read-only routes: health, the model and its card, the spec, OIP's readiness and metadata.

None of them touches the endpoint.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chalicelib import content_types, oip
from chalicelib.contract import Contract
from chalicelib.replies import Reply

SPEC_FILE = Path(__file__).resolve().parent / "openapi.json"


class Discovery:
    """Answers built once (at start-up, the spec on its first request): a lookup per request."""

    def __init__(
        self,
        endpoint_name: str,
        contract: Contract,
        openinference: oip.OpenInference,
        model_card: Mapping[str, Any] | None,
    ) -> None:
        self._contract = contract
        version = model_card.get("version") if model_card else None
        self._health_body = json.dumps(
            {"status": "ok", "endpoint": endpoint_name, "model_version": version}
        )
        # The contract as written, with the card of the deployed version where there is one.
        self._model_body = json.dumps({**contract.document, "version": version, "card": model_card})
        self._oip_metadata_body = json.dumps(openinference.model_metadata(version))

    def health(self) -> Reply:
        return Reply(200, self._health_body, content_types.JSON)

    def model(self) -> Reply:
        return Reply(200, self._model_body, content_types.JSON)

    def spec(self) -> Reply:
        return Reply(200, _spec_text(), content_types.JSON)

    def oip_ready(self) -> Reply:
        # Ready as /health is up: the API answers; the endpoint is asked only by an inference.
        return Reply(200, oip.READY_BODY, content_types.JSON)

    def oip_model_metadata(self) -> Reply:
        return Reply(200, self._oip_metadata_body, content_types.JSON)

    def page(self) -> Reply:
        # Rendered on its first request, not at start-up: few cold starts are for the page.
        from chalicelib.pages import demo_page

        return demo_page(self._contract).reply()


@functools.cache
def _spec_text() -> str:
    # Read on its first request, not at start-up (96 KB): few cold starts are for the spec.
    return SPEC_FILE.read_text(encoding="utf-8")

"""Settings read from the environment once, at start-up; a bad setting names its key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from chalicelib.cors import CorsPolicy
from chalicelib.errors import ConfigurationError

ENDPOINT_NAME = "ENDPOINT_NAME"
MODEL = "MODEL"
MODEL_CARD = "MODEL_CARD"
# Whether a key is checked in front of the app: by API Gateway on a deployed stage (the default);
# `false` where nothing checks one (the dev server), so the page asks for none.
API_KEYS_CHECKED = "API_KEYS_CHECKED"
_BOOLEANS = {"true": True, "false": False}

# SageMaker's own rule for endpoint names (CreateEndpoint's EndpointName pattern).
_ENDPOINT_NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


class Settings(NamedTuple):
    endpoint_name: str
    model: str  # the contract in chalicelib/contracts/ the stage serves
    model_card: str | None = None  # a file in chalicelib/model_cards/; None: no card in /model
    cors: CorsPolicy = CorsPolicy()  # no origin allowed
    api_keys_checked: bool = True

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        endpoint_name = environ.get(ENDPOINT_NAME, "").strip()
        if not endpoint_name:
            raise ConfigurationError(
                f"{ENDPOINT_NAME} is not set: name the SageMaker endpoint in the stage's "
                "environment_variables in .chalice/config.json (or export it)"
            )
        if not _ENDPOINT_NAME_PATTERN.fullmatch(endpoint_name):
            raise ConfigurationError(
                f"{ENDPOINT_NAME} is not a valid SageMaker endpoint name "
                "(1-63 letters, digits and hyphens, starting with a letter or digit)"
            )
        model = environ.get(MODEL, "").strip()
        if not model:
            raise ConfigurationError(
                f"{MODEL} is not set: name the model's contract (chalicelib/contracts/<name>.json) "
                "in the environment_variables of .chalice/config.json (or export it)"
            )
        model_card = environ.get(MODEL_CARD, "").strip() or None
        keys_checked = _BOOLEANS.get(environ.get(API_KEYS_CHECKED, "true").strip().lower())
        if keys_checked is None:
            raise ConfigurationError(f"{API_KEYS_CHECKED} must be true or false")
        return cls(
            endpoint_name=endpoint_name,
            model=model,
            model_card=model_card,
            cors=CorsPolicy.from_environ(environ),
            api_keys_checked=keys_checked,
        )

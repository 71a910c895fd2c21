"""The WDBC breast-cancer prediction API that Chalice deploys: one app, built for the stage.

The routes are in `chalicelib/application.py`. The settings are read once, at start-up: a missing
ENDPOINT_NAME or a bad CORS_ALLOWED_ORIGINS stops the function here, with the key named.
"""

from __future__ import annotations

import os

from chalicelib.application import create_app
from chalicelib.settings import Settings

app = create_app(Settings.from_environ(os.environ))

from __future__ import annotations

import pytest

from chalicelib.errors import ConfigurationError
from chalicelib.settings import Settings


def test_the_endpoint_name_comes_from_the_environment() -> None:
    settings = Settings.from_environ({"ENDPOINT_NAME": "wdbc-prod", "MODEL": "wdbc"})
    assert (settings.endpoint_name, settings.model) == ("wdbc-prod", "wdbc")


@pytest.mark.parametrize(
    ("environ", "message_part"),
    [
        ({}, "ENDPOINT_NAME is not set"),
        ({"ENDPOINT_NAME": "  "}, "ENDPOINT_NAME is not set"),
        ({"ENDPOINT_NAME": "no_underscores"}, "ENDPOINT_NAME is not a valid"),
        ({"ENDPOINT_NAME": "-leading-hyphen"}, "ENDPOINT_NAME is not a valid"),
        ({"ENDPOINT_NAME": "a" * 64}, "ENDPOINT_NAME is not a valid"),
        ({"ENDPOINT_NAME": "e"}, "MODEL is not set"),
        ({"ENDPOINT_NAME": "e", "MODEL": " "}, "MODEL is not set"),
    ],
)
def test_a_bad_setting_names_its_key(environ: dict[str, str], message_part: str) -> None:
    with pytest.raises(ConfigurationError, match=message_part):
        Settings.from_environ(environ)


@pytest.mark.parametrize(
    ("value", "checked"), [(None, True), ("true", True), ("False", False), (" false ", False)]
)
def test_whether_a_key_is_checked_is_a_setting_on_by_default(
    value: str | None, checked: bool
) -> None:
    environ = {"ENDPOINT_NAME": "e", "MODEL": "wdbc"}
    if value is not None:
        environ["API_KEYS_CHECKED"] = value
    assert Settings.from_environ(environ).api_keys_checked is checked
    with pytest.raises(ConfigurationError, match="API_KEYS_CHECKED must be true or false"):
        Settings.from_environ({**environ, "API_KEYS_CHECKED": "no"})

"""Test-wide environment: never real AWS, always the same endpoint name; shared fixtures."""

from __future__ import annotations

import os

# Before anything imports app.py or builds a boto3 client: a fixed endpoint name, harmless
# credentials, no shared config files and no instance metadata lookups.
for _variable in (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
):
    os.environ.pop(_variable, None)
os.environ.update(
    {
        "ENDPOINT_NAME": "wdbc-test",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)

"""The registry flow under moto, printed: ``python -m demos.sagemaker_registry``.

Trains twice (Linear Learner's final metrics as moto's jobs carry them in the tests), approves
v1, rejects v2, deploys the approved one (the committed model answering for its endpoint on
127.0.0.1) and prints `registry list` and `status`. Needs the SDK and moto: `make training-tools`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from deploy.cli import cli as deploy_cli
from tests.support.sagemaker_flow import (
    BUCKET,
    LINEAR_LEARNER_METRICS,
    REGION,
    ROLE,
    standin_endpoint,
)
from tests.support.sagemaker_twin import (
    add_registry_deletes,
    add_update_endpoint,
    emit_final_metrics,
)
from training.cli import cli


def main() -> None:
    with pytest.MonkeyPatch.context() as patch, mock_aws(), tempfile.TemporaryDirectory() as out:
        patch.setenv("SAGEMAKER_VALIDATE_ROLE", "false")
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "testing")
        add_update_endpoint(patch)
        add_registry_deletes(patch)
        emit_final_metrics(patch, LINEAR_LEARNER_METRICS)
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        steps = [
            *(
                ["train", "--target", "sagemaker", "--role", ROLE, "--bucket", BUCKET,
                 "--output", str(Path(out) / run)]
                for run in ("one", "two")
            ),
            ["registry", "approve", "v1", "--reason", "test recall 0.95 reviewed", "--by", "ana"],
            ["registry", "reject", "v2", "--reason", "same data, no gain", "--by", "ana"],
            ["endpoint", "host", "--approved", "latest", "--endpoint", "wdbc-dev", "--serverless",
             "--poll-seconds", "0"],
            ["registry", "list"],
            ["status"],
        ]  # fmt: skip
        # The deployment checks the contract's examples against the endpoint, and moto's has no
        # model: the committed one answers for it on 127.0.0.1, as in the deployment's tests.
        with standin_endpoint(patch):
            run(steps)


def run(steps: list[list[str]]) -> None:
    for arguments in steps:
        deploying = arguments[0] in ("endpoint", "status")
        command = deploy_cli if deploying else cli
        result = CliRunner().invoke(command, [*arguments, "--region", REGION])
        if arguments in (["registry", "list"], ["status"]):
            tool = "deploy" if deploying else "training"
            print(f"$ python -m {tool} {' '.join(arguments)}\n{result.output}")
        if result.exit_code != 0:
            raise SystemExit(result.output)


if __name__ == "__main__":
    main()

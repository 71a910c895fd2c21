"""The SageMaker training job, built with the sagemaker SDK v3's ModelTrainer.

Linear Learner is a built-in algorithm: no training script, only its image for the region, its
hyperparameters and three CSV channels. The SDK is imported here alone, and only when a
SageMaker job is built, so ``make run`` and the local target never need its gigabyte.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.features import FEATURE_COUNT
from training.channels import CSV
from training.naming import BASE_JOB_NAME
from training.options import SageMakerTrainingSettings
from training.threshold import ACCURACY_RULE, ThresholdRule

ALGORITHM = "linear-learner"
# Linear Learner's names for our two threshold rules.
SELECTION_CRITERIA = {
    ACCURACY_RULE: "accuracy",
    "target-recall": "precision_at_target_recall",
}
SELECTION_CRITERION = "binary_classifier_model_selection_criteria"
# 341 training rows: the default mini-batch of 1,000 would be one batch per epoch.
MINI_BATCH_SIZE = 100

# The SDK's telemetry sends a GET to an AWS bucket for each train() call; a tool that handles
# health data asks before it phones home, so it is switched off (SageMaker's own config key).
SDK_CONFIG: dict[str, Any] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}


def hyperparameters(rule: ThresholdRule) -> dict[str, str]:
    values = {
        "predictor_type": "binary_classifier",
        "feature_dim": str(FEATURE_COUNT),
        "normalize_data": "true",
        "mini_batch_size": str(MINI_BATCH_SIZE),
        SELECTION_CRITERION: SELECTION_CRITERIA[rule.name],
    }
    if rule.name != ACCURACY_RULE:
        values["target_recall"] = repr(rule.target_recall)
    return values


def image_uri(region: str) -> str:
    from sagemaker.core import image_uris

    return str(image_uris.retrieve(ALGORITHM, region=region))


def build_trainer(
    boto_session: Any,
    settings: SageMakerTrainingSettings,
    rule: ThresholdRule,
    tags: list[dict[str, str]],
) -> Any:
    """A ModelTrainer for Linear Learner; building it validates the role unless
    ``SAGEMAKER_VALIDATE_ROLE=false`` (which the SDK reads)."""
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.core.training.configs import (
        Compute,
        OutputDataConfig,
        StoppingCondition,
        Tag,
    )
    from sagemaker.train.model_trainer import ModelTrainer

    return ModelTrainer(
        sagemaker_session=Session(boto_session=boto_session, sagemaker_config=SDK_CONFIG),
        role=settings.role_arn,
        base_job_name=BASE_JOB_NAME,
        training_image=image_uri(boto_session.region_name),
        compute=Compute(
            instance_type=settings.instance_type,
            instance_count=1,
            volume_kms_key_id=settings.kms_key_id,
        ),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=settings.max_runtime_seconds),
        output_data_config=OutputDataConfig(
            s3_output_path=f"s3://{settings.bucket}/{settings.prefix.strip('/')}/output",
            kms_key_id=settings.kms_key_id,
        ),
        hyperparameters=hyperparameters(rule),
        tags=[Tag(key=tag["Key"], value=tag["Value"]) for tag in tags],
    )


def input_data(channel_uris: Mapping[str, str]) -> list[Any]:
    from sagemaker.core.training.configs import InputData

    return [
        InputData(channel_name=channel, data_source=uri, content_type=CSV)
        for channel, uri in channel_uris.items()
    ]


def start_training_job(trainer: Any, channel_uris: Mapping[str, str]) -> str:
    """Submit the job without the SDK's own wait; returns the job's name."""
    trainer.train(input_data_config=input_data(channel_uris), wait=False, logs=False)
    # The SDK keeps the job it created here; v3 has no public accessor for it.
    return str(trainer._latest_training_job.training_job_name)

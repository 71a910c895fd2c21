"""The SageMaker training job: Linear Learner, a built-in algorithm, through the sagemaker SDK
v3's ModelTrainer, on three CSV channels (label first, no header); it chooses its threshold on
``validation`` and reports ``test:*`` metrics. The SDK is imported only when a job is built:
``make run`` never needs its gigabyte."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlparse

import numpy as np

from chalicelib.features import FEATURE_COUNT
from training import aws
from training.data import DEFAULT_SEED, MALIGNANT, SplitPart, WdbcSplit, load_wdbc, split_wdbc
from training.threshold import ACCURACY_RULE, ThresholdRule

MODEL_NAME = "wdbc-linear-learner"
CSV = "text/csv"
SELECTION_CRITERION = "binary_classifier_model_selection_criteria"
SELECTION_CRITERIA = {ACCURACY_RULE: "accuracy", "target-recall": "precision_at_target_recall"}
# 341 training rows: the default mini-batch of 1,000 would be one batch per epoch.
MINI_BATCH_SIZE = 100
# The SDK's telemetry sends a GET to an AWS bucket for each train() call; a tool that handles
# health data asks before it phones home, so it is switched off (SageMaker's own config key).
SDK_CONFIG: dict[str, Any] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}
# Linear Learner's binary-classifier metric names, by the names ClassificationMetrics uses.
_OUR_NAMES = {
    "binary_classification_accuracy": "accuracy",
    "recall": "malignant_recall",
    "precision": "malignant_precision",
    "roc_auc_score": "roc_auc",
    "binary_f_beta": "f_beta",
    "objective_loss": "objective_loss",
    "binary_classification_cross_entropy": "cross_entropy",
}
_COUNTED = ("accuracy", "malignant_recall", "malignant_precision", "roc_auc")


@dataclass(frozen=True)
class SageMakerTrainingSettings:
    """Where and how the SageMaker training job runs."""

    role_arn: str
    bucket: str
    prefix: str = "wdbc"
    region: str | None = None  # None: boto3's own resolution (AWS_REGION, config file)
    instance_type: str = "ml.m5.large"
    kms_key_id: str | None = None  # encrypts the channels, the model output and the report
    seed: int = DEFAULT_SEED
    rule: ThresholdRule = field(default_factory=ThresholdRule)
    max_runtime_seconds: int = 3600
    wait_timeout_seconds: float = 3600.0
    poll_seconds: float = 30.0

    def key(self, *parts: str) -> str:
        return "/".join([self.prefix.strip("/"), *parts])

    def encryption(self) -> dict[str, str]:
        if self.kms_key_id is None:
            return {}
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}


@dataclass(frozen=True)
class TrainedJob:
    """A completed job: describe_training_job's answer and the split it was trained on."""

    description: Mapping[str, Any]
    split: WdbcSplit

    @property
    def name(self) -> str:
        return str(self.description["TrainingJobName"])

    @property
    def container(self) -> dict[str, str]:
        """The inference container: Linear Learner serves with its training image."""
        return {
            "Image": self.description["AlgorithmSpecification"]["TrainingImage"],
            "ModelDataUrl": self.description["ModelArtifacts"]["S3ModelArtifacts"],
        }

    def rates(self) -> dict[str, dict[str, float]]:
        return linear_learner_metrics(self.description.get("FinalMetricDataList", []))

    def metrics(self) -> dict[str, dict[str, Any]]:
        """The test and validation rates with the confusion counts they imply, where they do."""
        counted = {}
        for part, rates in self.rates().items():
            labels = self.split.parts[part].labels
            malignant = int(np.count_nonzero(labels == MALIGNANT))
            if metrics := metrics_with_counts(rates, malignant, len(labels) - malignant):
                counted[part] = metrics
        return counted


def hyperparameters(rule: ThresholdRule) -> dict[str, str]:
    recall = {} if rule.name == ACCURACY_RULE else {"target_recall": repr(rule.target_recall)}
    return {
        "predictor_type": "binary_classifier",
        "feature_dim": str(FEATURE_COUNT),
        "normalize_data": "true",
        "mini_batch_size": str(MINI_BATCH_SIZE),
        SELECTION_CRITERION: SELECTION_CRITERIA[rule.name],
        **recall,
    }


def image_uri(region: str) -> str:
    from sagemaker.core import image_uris

    return str(image_uris.retrieve("linear-learner", region=region))


def linear_learner_csv(part: SplitPart) -> bytes:
    """One line per row: label (1 = malignant), then the 30 features in WDBC order."""
    lines = [
        ",".join([str(int(label)), *map(repr, features.tolist())])
        for label, features in zip(part.labels, part.features, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


def run_training_job(
    clients: aws.AwsClients,
    settings: SageMakerTrainingSettings,
    echo: aws.Echo,
    policy: aws.WaitPolicy | None,
) -> TrainedJob:
    """Upload the split, start the job without the SDK's own wait, then wait for it with a line
    per change of status. Building the ModelTrainer validates the role unless
    ``SAGEMAKER_VALIDATE_ROLE=false`` (which the SDK reads)."""
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.core.training.configs import (
        Compute,
        InputData,
        OutputDataConfig,
        StoppingCondition,
        Tag,
    )
    from sagemaker.train.model_trainer import ModelTrainer

    split = split_wdbc(load_wdbc(), settings.seed)
    channels = []
    for name, part in split.parts.items():
        key = settings.key("data", f"seed-{split.seed}", name, "")
        clients.s3.put_object(Bucket=settings.bucket, Key=f"{key}{name}.csv", ContentType=CSV,
                              Body=linear_learner_csv(part), **settings.encryption())  # fmt: skip
        uri = f"s3://{settings.bucket}/{key}"
        echo(f"uploaded channel {name} ({CSV}, label first, no header) to {uri}")
        channels.append(InputData(channel_name=name, data_source=uri, content_type=CSV))
    tags = aws.project_tags({aws.SEED_TAG_KEY: str(settings.seed)})
    trainer = ModelTrainer(
        sagemaker_session=Session(boto_session=clients.session, sagemaker_config=SDK_CONFIG),
        role=settings.role_arn,
        base_job_name=aws.BASE_JOB_NAME,
        training_image=image_uri(clients.session.region_name),
        compute=Compute(
            instance_type=settings.instance_type,
            instance_count=1,
            volume_kms_key_id=settings.kms_key_id,
        ),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=settings.max_runtime_seconds),
        output_data_config=OutputDataConfig(
            s3_output_path=f"s3://{settings.bucket}/{settings.key('output')}",
            kms_key_id=settings.kms_key_id,
        ),
        hyperparameters=hyperparameters(settings.rule),
        tags=[Tag(key=tag["Key"], value=tag["Value"]) for tag in tags],
    )
    trainer.train(input_data_config=channels, wait=False, logs=False)
    # ModelTrainer's one public view of the job it started: ``output_data``, documented as
    # ``{s3_output_path}/{training_job_name}/output/output.tar.gz``.
    job_name = PurePosixPath(urlparse(trainer.output_data).path).parts[-3]
    description = aws.wait_for(
        clients.sagemaker,
        aws.TRAINING_JOB,
        f"training job {job_name}",
        policy or aws.WaitPolicy(settings.wait_timeout_seconds, settings.poll_seconds),
        echo,
        TrainingJobName=job_name,
    )
    return TrainedJob(description, split)


def linear_learner_metrics(
    final_metrics: Iterable[Mapping[str, Any]],
) -> dict[str, dict[str, float]]:
    """``[{"MetricName": "test:recall", "Value": 0.9}]`` -> ``{"test": {"malignant_recall": 0.9}}``;
    other parts (``train:progress``) and names we do not know are left out."""
    by_part: dict[str, dict[str, float]] = {}
    for item in final_metrics:
        part, _, name = str(item.get("MetricName", "")).partition(":")
        ours, value = _OUR_NAMES.get(name), item.get("Value")
        if part in ("test", "validation") and ours and isinstance(value, (int, float)):
            by_part.setdefault(part, {})[ours] = float(value)
    return by_part


def metrics_with_counts(
    rates: Mapping[str, float], malignant_rows: int, benign_rows: int
) -> dict[str, Any] | None:
    """Linear Learner's rates as the card's metrics, with the confusion counts they imply.

    The part's class counts are known from the split, so recall gives the true positives and
    precision the false positives; the accuracy must then agree, or the rates are not of these
    rows and None is returned rather than invented counts.
    """
    if not all(name in rates for name in _COUNTED):
        return None
    rows = malignant_rows + benign_rows
    tp = round(rates["malignant_recall"] * malignant_rows)
    precision = rates["malignant_precision"]
    fp = round(tp / precision - tp) if precision else 0
    fn, tn = malignant_rows - tp, benign_rows - fp
    if tn < 0 or abs((tp + tn) / rows - rates["accuracy"]) > 0.5 / rows:
        return None
    return {
        **{name: rates[name] for name in _COUNTED},
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "rows": rows,
        "malignant_rows": malignant_rows,
        "benign_rows": benign_rows,
    }

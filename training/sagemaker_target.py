"""The ``sagemaker`` target: Linear Learner on a SageMaker training job, the same split, the
same files out (a model record and metrics.json), and a report from the job's own metrics."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3

from training.channels import CSV, upload_channels
from training.data import load_wdbc, split_wdbc
from training.errors import TrainingError
from training.job_metrics import linear_learner_metrics
from training.linear_learner import SELECTION_CRITERION, build_trainer, start_training_job
from training.naming import SEED_TAG_KEY, model_version, project_tags
from training.options import SageMakerTrainingSettings, TrainingOptions
from training.outcome import TrainingOutcome
from training.waiting import Echo, WaitPolicy, training_job_watch, wait_for

DEFAULT_SAGEMAKER_OUTPUT_DIR = Path("artifacts/sagemaker")
JOB_FILE_NAME = "training-job.json"
METRICS_FILE_NAME = "metrics.json"
MODEL_NAME = "wdbc-linear-learner"


def run_sagemaker(
    options: TrainingOptions,
    echo: Echo,
    boto_session: Any = None,
    policy: WaitPolicy | None = None,
) -> TrainingOutcome:
    settings = _require_settings(options)
    session = boto_session or boto3.session.Session(region_name=settings.region)
    policy = policy or WaitPolicy(settings.wait_timeout_seconds, settings.poll_seconds)
    split = split_wdbc(load_wdbc(), options.seed)
    channel_uris = upload_channels(
        session.client("s3"), split, settings.bucket, settings.prefix, settings.kms_key_id
    )
    for channel, uri in channel_uris.items():
        echo(f"uploaded channel {channel} ({CSV}, label first, no header) to {uri}")
    trainer = build_trainer(
        session, settings, options.rule, project_tags({SEED_TAG_KEY: str(options.seed)})
    )
    job_name = start_training_job(trainer, channel_uris)
    sagemaker = session.client("sagemaker")
    description = wait_for(
        lambda: sagemaker.describe_training_job(TrainingJobName=job_name),
        training_job_watch(job_name),
        policy,
        echo,
    )
    model_data_url = description["ModelArtifacts"]["S3ModelArtifacts"]
    version = model_version(model_data_url)
    metrics = linear_learner_metrics(description.get("FinalMetricDataList", []))
    record = {
        "training_job": job_name,
        "training_job_arn": description["TrainingJobArn"],
        "model_data_url": model_data_url,
        "image": description["AlgorithmSpecification"]["TrainingImage"],
        "hyperparameters": description.get("HyperParameters", {}),
        "model": {"name": MODEL_NAME, "version": version},
    }
    metrics_document = {
        "model": {"name": MODEL_NAME, "version": version},
        "metrics": metrics,
        "split": {
            "seed": split.seed,
            **{f"{name}_rows": part.row_indices.tolist() for name, part in split.parts.items()},
        },
    }
    written = (
        _write_json(record, options.output_dir / JOB_FILE_NAME),
        _write_json(metrics_document, options.output_dir / METRICS_FILE_NAME),
    )
    return TrainingOutcome(
        model_name=MODEL_NAME,
        model_version=version,
        seed=options.seed,
        split_sizes={name: len(part.labels) for name, part in split.parts.items()},
        chosen_settings={},
        threshold_rule=f"Linear Learner, {SELECTION_CRITERION}="
        f"{description.get('HyperParameters', {}).get(SELECTION_CRITERION, '?')} on validation",
        test_metrics=None,
        reported_metrics=metrics.get("test", {}),
        written_files=written,
    )


def _require_settings(options: TrainingOptions) -> SageMakerTrainingSettings:
    if options.sagemaker is None:
        raise TrainingError("--target sagemaker needs --role and --bucket")
    return options.sagemaker


def _write_json(document: Mapping[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path

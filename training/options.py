"""What the ``train`` command asks of a target, whichever target trains the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from training.data import DEFAULT_SEED
from training.threshold import ThresholdRule

DEFAULT_TRAINING_INSTANCE = "ml.m5.large"
DEFAULT_PREFIX = "wdbc"


@dataclass(frozen=True)
class SageMakerTrainingSettings:
    """Where and how the SageMaker training job runs; unused by the local target."""

    role_arn: str
    bucket: str
    prefix: str = DEFAULT_PREFIX
    region: str | None = None  # None: boto3's own resolution (AWS_REGION, config file)
    instance_type: str = DEFAULT_TRAINING_INSTANCE
    kms_key_id: str | None = None  # encrypts the uploaded channels and the model output
    max_runtime_seconds: int = 3600
    wait_timeout_seconds: float = 3600.0
    poll_seconds: float = 30.0


@dataclass(frozen=True)
class TrainingOptions:
    output_dir: Path
    seed: int = DEFAULT_SEED
    rule: ThresholdRule = field(default_factory=ThresholdRule)
    sagemaker: SageMakerTrainingSettings | None = None

"""The split as Linear Learner's CSV training format, uploaded to S3 as three channels.

Linear Learner reads ``text/csv`` with the label in the first column and no header row; it uses
``validation`` to choose its threshold and reports ``test:*`` metrics on ``test``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training.data import SplitPart, WdbcSplit

CSV = "text/csv"
CHANNELS = ("train", "validation", "test")


def linear_learner_csv(part: SplitPart) -> bytes:
    """One line per row: label (1 = malignant), then the 30 features in WDBC order."""
    lines = [
        ",".join([str(int(label)), *(repr(float(value)) for value in features)])
        for label, features in zip(part.labels, part.features, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


def channel_prefix(bucket: str, prefix: str, seed: int, channel: str) -> str:
    return f"s3://{bucket}/{_key_prefix(prefix, seed, channel)}"


def upload_channels(
    s3_client: Any,
    split: WdbcSplit,
    bucket: str,
    prefix: str,
    kms_key_id: str | None = None,
) -> Mapping[str, str]:
    """Write each part to ``s3://bucket/prefix/data/seed-<seed>/<channel>/``; returns the URIs."""
    encryption: dict[str, str] = (
        {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
    )
    uris = {}
    for channel in CHANNELS:
        key_prefix = _key_prefix(prefix, split.seed, channel)
        s3_client.put_object(
            Bucket=bucket,
            Key=f"{key_prefix}{channel}.csv",
            Body=linear_learner_csv(split.parts[channel]),
            ContentType=CSV,
            **encryption,
        )
        uris[channel] = f"s3://{bucket}/{key_prefix}"
    return uris


def _key_prefix(prefix: str, seed: int, channel: str) -> str:
    return f"{prefix.strip('/')}/data/seed-{seed}/{channel}/"

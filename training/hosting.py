"""How a model is hosted: real-time instances (optionally autoscaled) or serverless inference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_INSTANCE_TYPE = "ml.m5.large"
DEFAULT_MEMORY_MB = 2048
DEFAULT_MAX_CONCURRENCY = 5
SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)


@dataclass(frozen=True)
class InstanceHosting:
    instance_type: str = DEFAULT_INSTANCE_TYPE
    instance_count: int = 1

    def __post_init__(self) -> None:
        if self.instance_count < 1:
            raise ValueError("instance count must be at least 1")

    def variant_settings(self) -> dict[str, Any]:
        return {"InstanceType": self.instance_type, "InitialInstanceCount": self.instance_count}

    def describe(self) -> str:
        return f"{self.instance_count} x {self.instance_type}"


@dataclass(frozen=True)
class ServerlessHosting:
    memory_mb: int = DEFAULT_MEMORY_MB
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY

    def __post_init__(self) -> None:
        if self.memory_mb not in SERVERLESS_MEMORY_SIZES:
            raise ValueError(f"serverless memory must be one of {SERVERLESS_MEMORY_SIZES} MB")
        if not 1 <= self.max_concurrency <= 200:
            raise ValueError("serverless max concurrency must be between 1 and 200")

    def variant_settings(self) -> dict[str, Any]:
        return {
            "ServerlessConfig": {
                "MemorySizeInMB": self.memory_mb,
                "MaxConcurrency": self.max_concurrency,
            }
        }

    def describe(self) -> str:
        return f"serverless, {self.memory_mb} MB, at most {self.max_concurrency} at once"


Hosting = InstanceHosting | ServerlessHosting

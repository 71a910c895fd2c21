"""Bounded waits on SageMaker, with a line per status change instead of silence.

A training job takes minutes, an endpoint five to ten; the user sees each change of status with
the time elapsed, and a failure names SageMaker's own FailureReason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from training.errors import WaitFailed, WaitTimedOut

Echo = Callable[[str], None]


@dataclass(frozen=True)
class WaitPolicy:
    timeout_seconds: float
    poll_seconds: float = 15.0
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


@dataclass(frozen=True)
class StatusWatch:
    """Where the status is in a describe_* answer, and which values end the wait."""

    what: str  # "training job wdbc-...", "endpoint wdbc-dev"
    status_key: str
    succeeded: frozenset[str]
    failed: frozenset[str]
    detail_key: str | None = None  # e.g. a training job's SecondaryStatus


def training_job_watch(name: str) -> StatusWatch:
    return StatusWatch(
        what=f"training job {name}",
        status_key="TrainingJobStatus",
        succeeded=frozenset({"Completed"}),
        failed=frozenset({"Failed", "Stopped", "Stopping"}),
        detail_key="SecondaryStatus",
    )


def endpoint_watch(name: str) -> StatusWatch:
    return StatusWatch(
        what=f"endpoint {name}",
        status_key="EndpointStatus",
        succeeded=frozenset({"InService"}),
        failed=frozenset({"Failed", "OutOfService", "RollingBack", "Deleting"}),
    )


def wait_for(
    describe: Callable[[], Mapping[str, Any]],
    watch: StatusWatch,
    policy: WaitPolicy,
    echo: Echo,
) -> Mapping[str, Any]:
    """Poll ``describe`` until a final status; returns the last answer or raises.

    Raises WaitFailed with the FailureReason, or WaitTimedOut with the last status seen.
    """
    started = policy.clock()
    shown = None
    while True:
        description = describe()
        elapsed = policy.clock() - started
        status = str(description.get(watch.status_key, "unknown"))
        detail = description.get(watch.detail_key) if watch.detail_key else None
        current = f"{status} ({detail})" if detail and detail != status else status
        if current != shown:
            echo(f"{watch.what}: {current} after {_duration(elapsed)}")
            shown = current
        if status in watch.succeeded:
            return description
        if status in watch.failed:
            reason = description.get("FailureReason") or "SageMaker gave no FailureReason"
            raise WaitFailed(f"{watch.what} is {status}: {reason}")
        if elapsed >= policy.timeout_seconds:
            raise WaitTimedOut(
                f"{watch.what} is still {status} after {_duration(elapsed)}; the wait is bounded "
                f"at {_duration(policy.timeout_seconds)} (it may still finish: see `status`)"
            )
        policy.sleep(min(policy.poll_seconds, policy.timeout_seconds - elapsed))


def _duration(seconds: float) -> str:
    minutes, remainder = divmod(int(seconds), 60)
    return f"{minutes}m{remainder:02d}s" if minutes else f"{remainder}s"

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from training.errors import WaitFailed, WaitTimedOut
from training.waiting import WaitPolicy, endpoint_watch, training_job_watch, wait_for


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def scripted(answers: list[Mapping[str, Any]]) -> Any:
    remaining = list(answers)

    def describe() -> Mapping[str, Any]:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return describe


def policy(time: FakeTime, timeout: float = 600, poll: float = 30) -> WaitPolicy:
    return WaitPolicy(timeout, poll, clock=time.clock, sleep=time.sleep)


def test_a_line_per_status_change_with_the_time_elapsed() -> None:
    time, lines = FakeTime(), []
    answers = [
        {"TrainingJobStatus": "InProgress", "SecondaryStatus": "Starting"},
        {"TrainingJobStatus": "InProgress", "SecondaryStatus": "Starting"},
        {"TrainingJobStatus": "InProgress", "SecondaryStatus": "Training"},
        {"TrainingJobStatus": "Completed", "SecondaryStatus": "Completed", "Done": True},
    ]
    final = wait_for(scripted(answers), training_job_watch("job-1"), policy(time), lines.append)
    assert final["Done"] is True
    assert lines == [
        "training job job-1: InProgress (Starting) after 0s",
        "training job job-1: InProgress (Training) after 1m00s",
        "training job job-1: Completed after 1m30s",
    ]
    assert time.sleeps == [30, 30, 30]


def test_a_failure_names_sagemakers_reason() -> None:
    time = FakeTime()
    answers = [
        {"EndpointStatus": "Creating"},
        {"EndpointStatus": "Failed", "FailureReason": "Image does not exist"},
    ]
    with pytest.raises(WaitFailed, match="endpoint wdbc-dev is Failed: Image does not exist"):
        wait_for(scripted(answers), endpoint_watch("wdbc-dev"), policy(time), lambda _: None)


def test_a_failure_without_a_reason_says_so() -> None:
    with pytest.raises(WaitFailed, match="no FailureReason"):
        wait_for(
            scripted([{"TrainingJobStatus": "Stopped"}]),
            training_job_watch("job-2"),
            policy(FakeTime()),
            lambda _: None,
        )


def test_the_wait_is_bounded_and_says_what_it_last_saw() -> None:
    time, lines = FakeTime(), []
    with pytest.raises(WaitTimedOut, match=r"endpoint wdbc-dev is still Creating after 1m40s"):
        wait_for(
            scripted([{"EndpointStatus": "Creating"}]),
            endpoint_watch("wdbc-dev"),
            policy(time, timeout=100, poll=30),
            lines.append,
        )
    # The last sleep is cut to the time left, never past the bound.
    assert time.sleeps == [30, 30, 30, 10]
    assert lines == ["endpoint wdbc-dev: Creating after 0s"]

"""The committed cross-validation figures are what the full nested cross-validation gives
(minutes: tests/unit/test_training_cross_validation.py runs the procedure on fewer folds)."""

from __future__ import annotations

import json

import pytest

from chalicelib.contract import load_contract
from tests.support.local_stack import LOCAL_MODEL
from training.local import LocalTrainingResult
from training.procedure import NESTED_FOLDS, NESTED_REPEATS, repeated_nested_cv
from training.threshold import ThresholdRule

WDBC = load_contract("wdbc")


def test_the_committed_figures_are_what_the_full_cross_validation_gives(
    trained: LocalTrainingResult,
) -> None:
    committed = json.loads(LOCAL_MODEL.with_name("metrics.json").read_text(encoding="utf-8"))
    recorded = committed["metrics"]["repeated_nested_cv"]
    fresh = repeated_nested_cv(trained.split, WDBC, ThresholdRule())
    assert (fresh["repeats"], fresh["folds"]) == (NESTED_REPEATS, NESTED_FOLDS) == (10, 5)
    assert fresh.keys() == recorded.keys()
    summaries = {key for key, value in fresh.items() if isinstance(value, dict) and "mean" in value}
    for metric in summaries:
        # Counts of rows make all but the thresholds; those are fits' scores, to 1e-9.
        assert fresh[metric] == pytest.approx(recorded[metric], rel=1e-9), metric
    rest = fresh.keys() - summaries
    assert {key: fresh[key] for key in rest} == {key: recorded[key] for key in rest}

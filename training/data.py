"""The WDBC data set as this project sees it: our feature names, 1 = malignant, a fixed split.

scikit-learn ships WDBC, so training needs no download. Its conventions differ from ours in two
ways, both checked loudly here rather than trusted: feature names are spelled "mean radius"
rather than ``radius_mean``, and its target codes 0 = malignant, the opposite of the walk-through.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from chalicelib.features import FEATURE_NAMES
from training import DatasetError, TrainingError

DEFAULT_SEED = 42

MALIGNANT = 1
BENIGN = 0

# The published WDBC counts: a relabelling mistake or a different data file changes them.
EXPECTED_MALIGNANT_ROWS = 212
EXPECTED_BENIGN_ROWS = 357

VALIDATION_FRACTION = 0.2
TEST_FRACTION = 0.2

_SKLEARN_STATISTIC_PREFIXES = {"mean ": "mean", "worst ": "worst"}
_SKLEARN_STATISTIC_SUFFIXES = {" error": "se"}

Features = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]
RowIndices = npt.NDArray[np.int64]
Probabilities = npt.NDArray[np.float64]


class WdbcData(NamedTuple):
    features: Features
    labels: Labels


class SplitPart(NamedTuple):
    """One part of the split; ``row_indices`` are positions in the full data set, ascending."""

    features: Features
    labels: Labels
    row_indices: RowIndices


class WdbcSplit(NamedTuple):
    train: SplitPart
    validation: SplitPart
    test: SplitPart
    seed: int

    @property
    def parts(self) -> dict[str, SplitPart]:
        return {"train": self.train, "validation": self.validation, "test": self.test}

    @property
    def sizes(self) -> dict[str, int]:
        return {name: len(part.labels) for name, part in self.parts.items()}

    def development(self) -> SplitPart:
        """The train and validation rows together, in row order: what cross-validation uses."""
        rows = np.concatenate([self.train.row_indices, self.validation.row_indices])
        order = np.argsort(rows)
        return SplitPart(
            features=np.concatenate([self.train.features, self.validation.features])[order],
            labels=np.concatenate([self.train.labels, self.validation.labels])[order],
            row_indices=rows[order],
        )

    def record(self) -> dict[str, Any]:
        """The split by row index, as metrics.json keeps it: positions in scikit-learn's copy of
        WDBC, not patient data, so later tools can score exactly the held-out rows."""
        return {
            "seed": self.seed,
            **{f"{name}_rows": part.row_indices.tolist() for name, part in self.parts.items()},
        }


def our_feature_name(sklearn_name: str) -> str:
    """``"mean radius"`` -> ``radius_mean``, ``"radius error"`` -> ``radius_se``, and so on."""
    for prefix, statistic in _SKLEARN_STATISTIC_PREFIXES.items():
        if sklearn_name.startswith(prefix):
            return _join(sklearn_name.removeprefix(prefix), statistic)
    for suffix, statistic in _SKLEARN_STATISTIC_SUFFIXES.items():
        if sklearn_name.endswith(suffix):
            return _join(sklearn_name.removesuffix(suffix), statistic)
    raise DatasetError(f"unrecognised scikit-learn feature name {sklearn_name!r}")


def load_wdbc() -> WdbcData:
    """All 569 rows, columns in ``FEATURE_NAMES`` order, labels 1 = malignant."""
    return wdbc_from_sklearn(load_breast_cancer())


def wdbc_from_sklearn(bunch: Any) -> WdbcData:
    """Check scikit-learn's copy against our conventions and convert it; raises DatasetError."""
    mapped_names = tuple(our_feature_name(str(name)) for name in bunch.feature_names)
    if mapped_names != FEATURE_NAMES:
        raise DatasetError("scikit-learn's WDBC columns do not map onto FEATURE_NAMES in order")
    if [str(name) for name in bunch.target_names] != ["malignant", "benign"]:
        raise DatasetError("scikit-learn's WDBC target no longer codes 0 = malignant")
    labels = (1 - np.asarray(bunch.target, dtype=np.int64)).astype(np.int64)
    malignant_rows = int(np.count_nonzero(labels == MALIGNANT))
    benign_rows = int(np.count_nonzero(labels == BENIGN))
    if (malignant_rows, benign_rows) != (EXPECTED_MALIGNANT_ROWS, EXPECTED_BENIGN_ROWS):
        raise DatasetError(
            f"expected {EXPECTED_MALIGNANT_ROWS} malignant and {EXPECTED_BENIGN_ROWS} benign rows,"
            f" found {malignant_rows} and {benign_rows}"
        )
    return WdbcData(features=np.asarray(bunch.data, dtype=np.float64), labels=labels)


def split_wdbc(data: WdbcData, seed: int = DEFAULT_SEED) -> WdbcSplit:
    """Stratified 60/20/20 train/validation/test split; the same seed always gives the same rows."""
    all_rows = np.arange(len(data.labels), dtype=np.int64)
    rest_rows, test_rows = train_test_split(
        all_rows, test_size=TEST_FRACTION, stratify=data.labels, random_state=seed
    )
    # The validation part is a fraction of what is left after the test part is set aside.
    validation_share_of_rest = VALIDATION_FRACTION / (1.0 - TEST_FRACTION)
    train_rows, validation_rows = train_test_split(
        rest_rows,
        test_size=validation_share_of_rest,
        stratify=data.labels[rest_rows],
        random_state=seed,
    )
    return WdbcSplit(
        train=_part(data, train_rows),
        validation=_part(data, validation_rows),
        test=_part(data, test_rows),
        seed=seed,
    )


def held_out_rows(metrics_file: Path) -> tuple[SplitPart, int]:
    """The test rows a training run recorded, checked against the split its seed reproduces."""
    try:
        record = json.loads(metrics_file.read_text(encoding="utf-8"))["split"]
        seed = int(record["seed"])
        recorded = [int(row) for row in record["test_rows"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TrainingError(
            f"{metrics_file} holds no split record (split.seed, split.test_rows): "
            f"{type(error).__name__}"
        ) from None
    test = split_wdbc(load_wdbc(), seed).test
    if test.row_indices.tolist() != recorded:
        raise TrainingError(
            f"{metrics_file} records other test rows than seed {seed} gives: not this data set"
        )
    return test, seed


def take(part: SplitPart, positions: npt.NDArray[np.int64]) -> SplitPart:
    """The rows at these positions of ``part``, in row order."""
    ordered = np.sort(positions)
    return SplitPart(part.features[ordered], part.labels[ordered], part.row_indices[ordered])


def _part(data: WdbcData, rows: RowIndices) -> SplitPart:
    return take(
        SplitPart(data.features, data.labels, np.arange(len(data.labels), dtype=np.int64)), rows
    )


def _join(measurement: str, statistic: str) -> str:
    return f"{measurement.replace(' ', '_')}_{statistic}"

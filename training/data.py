"""The WDBC data set as this project sees it: our feature names, 1 = malignant, a fixed split.

scikit-learn ships WDBC, so training needs no download. Its conventions differ from ours in two
ways, both checked loudly here rather than trusted: it spells "mean radius" for ``radius_mean``,
and its target codes 0 = malignant, the opposite of the walk-through.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from chalicelib.features import FEATURE_NAMES
from training import DatasetError, TrainingError

DEFAULT_SEED = 42
MALIGNANT, BENIGN = 1, 0
# The published WDBC counts: a relabelling mistake or a different data file changes them.
EXPECTED_MALIGNANT_ROWS, EXPECTED_BENIGN_ROWS = 212, 357
VALIDATION_FRACTION = TEST_FRACTION = 0.2
# The rates every part's metrics hold, with malignant as the positive class.
SUMMARISED = ("accuracy", "malignant_recall", "malignant_precision", "roc_auc")
# Cross-validation's misses as a count: the missed share of the data set's malignant rows.
MISSES = f"misses_per_{EXPECTED_MALIGNANT_ROWS}_malignant"
_SKLEARN_NAME = re.compile(r"^(?:(mean|worst) (.+)|(.+) (error))$")

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

    def ranges(self) -> dict[str, tuple[float, float]]:
        """Each feature's range on these rows, as the model cards show it."""
        low, high = self.features.min(axis=0).tolist(), self.features.max(axis=0).tolist()
        return dict(zip(FEATURE_NAMES, zip(low, high, strict=True), strict=True))


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
        rows = {f"{name}_rows": part.row_indices.tolist() for name, part in self.parts.items()}
        return {"seed": self.seed, **rows}


def our_feature_name(sklearn_name: str) -> str:
    """``"mean radius"`` -> ``radius_mean``, ``"radius error"`` -> ``radius_se``, and so on."""
    match = _SKLEARN_NAME.match(sklearn_name)
    if match is None:
        raise DatasetError(f"unrecognised scikit-learn feature name {sklearn_name!r}")
    statistic, measurement = (match[1], match[2]) if match[1] else ("se", match[3])
    return f"{measurement.replace(' ', '_')}_{statistic}"


def load_wdbc() -> WdbcData:
    """All 569 rows, columns in ``FEATURE_NAMES`` order, labels 1 = malignant."""
    return wdbc_from_sklearn(load_breast_cancer())


def wdbc_from_sklearn(bunch: Any) -> WdbcData:
    """Check scikit-learn's copy against our conventions and convert it; raises DatasetError."""
    if tuple(our_feature_name(str(name)) for name in bunch.feature_names) != FEATURE_NAMES:
        raise DatasetError("scikit-learn's WDBC columns do not map onto FEATURE_NAMES in order")
    if [str(name) for name in bunch.target_names] != ["malignant", "benign"]:
        raise DatasetError("scikit-learn's WDBC target no longer codes 0 = malignant")
    labels = (1 - np.asarray(bunch.target, dtype=np.int64)).astype(np.int64)
    malignant = int(np.count_nonzero(labels == MALIGNANT))
    if (malignant, len(labels) - malignant) != (EXPECTED_MALIGNANT_ROWS, EXPECTED_BENIGN_ROWS):
        raise DatasetError(
            f"expected {EXPECTED_MALIGNANT_ROWS} malignant and {EXPECTED_BENIGN_ROWS} benign rows,"
            f" found {malignant} and {len(labels) - malignant}"
        )
    return WdbcData(features=np.asarray(bunch.data, dtype=np.float64), labels=labels)


def split_wdbc(data: WdbcData, seed: int = DEFAULT_SEED) -> WdbcSplit:
    """Stratified 60/20/20 train/validation/test split; the same seed always gives the same rows."""
    everything = SplitPart(data.features, data.labels, np.arange(len(data.labels), dtype=np.int64))
    rest, test = train_test_split(
        everything.row_indices, test_size=TEST_FRACTION, stratify=data.labels, random_state=seed
    )
    # The validation part is a fraction of what is left after the test part is set aside.
    train, validation = train_test_split(
        rest,
        test_size=VALIDATION_FRACTION / (1.0 - TEST_FRACTION),
        stratify=data.labels[rest],
        random_state=seed,
    )
    return WdbcSplit(
        take(everything, train), take(everything, validation), take(everything, test), seed
    )


def held_out_rows(metrics_file: Path) -> tuple[SplitPart, int]:
    """The test rows a training run recorded, checked against the split its seed reproduces."""
    try:
        record = json.loads(metrics_file.read_text(encoding="utf-8"))["split"]
        seed, recorded = int(record["seed"]), [int(row) for row in record["test_rows"]]
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


def part_metrics(rates: Mapping[str, float], tn: int, fp: int, fn: int, tp: int) -> dict[str, Any]:
    """A part's metrics as model.json, metrics.json and the cards keep them: the rates, the
    confusion counts and the rows of each class."""
    return {
        **{name: rates[name] for name in SUMMARISED},
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "rows": tn + fp + fn + tp,
        "malignant_rows": tp + fn,
        "benign_rows": tn + fp,
    }

"""The shipped examples' data as scikit-learn ships it, checked against each model's contract, and
a fixed split.

scikit-learn ships WDBC, wine and diabetes, so training needs no download. Where its conventions
differ from a contract's they are checked loudly rather than trusted: it spells "mean radius" for
``radius_mean`` and codes WDBC's 0 = malignant, the opposite of the walk-through; it names a wine
column ``od280/od315_of_diluted_wines``, which no JSON key or form field of ours may hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from sklearn import datasets
from sklearn.model_selection import train_test_split

from chalicelib.contract import BINARY, Contract, read_contract
from training import DatasetError, TrainingError

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_DIR / "models"
DEFAULT_MODEL, DEFAULT_SEED = "wdbc", 42
# A binary model's label for its contract's positive class; the other class is 0.
POSITIVE = 1
# The published WDBC counts: a relabelling mistake or a different data file changes them.
EXPECTED_MALIGNANT_ROWS, EXPECTED_BENIGN_ROWS = 212, 357
VALIDATION_FRACTION = TEST_FRACTION = 0.2
_SKLEARN_WDBC_NAME = re.compile(r"^(?:(mean|worst) (.+)|(.+) (error))$")

Features = npt.NDArray[np.float64]
Labels = npt.NDArray[Any]  # class labels 0 .. K-1, or a regression's values (SageMaker's "label")
RowIndices = npt.NDArray[np.int64]


class Data(NamedTuple):
    features: Features
    labels: Labels
    names: tuple[str, ...]  # the columns, as this project names them


class DataSet(NamedTuple):
    """A data set scikit-learn ships, and what a model card says about it."""

    title: str  # how its rows are named: "WDBC row 20"
    load: Callable[[], Data]
    about: str
    intended_use: str
    limits: str  # what the data cannot tell
    risk: tuple[str, str] = ("Low", "Public, non-personal data.")  # SageMaker's rating, and why


class SplitPart(NamedTuple):
    """One part of the split; ``row_indices`` are positions in the full data set, ascending."""

    features: Features
    labels: Labels
    row_indices: RowIndices

    def ranges(self) -> list[tuple[float, float]]:
        """Each feature's range on these rows, in column order: the contract's training_range."""
        low, high = self.features.min(axis=0).tolist(), self.features.max(axis=0).tolist()
        return list(zip(low, high, strict=True))


class Split(NamedTuple):
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
        the data, not the data, so later tools can score exactly the held-out rows."""
        rows = {f"{name}_rows": part.row_indices.tolist() for name, part in self.parts.items()}
        return {"seed": self.seed, **rows}


def our_feature_name(sklearn_name: str) -> str:
    """``"mean radius"`` -> ``radius_mean``, ``"radius error"`` -> ``radius_se``, and so on."""
    match = _SKLEARN_WDBC_NAME.match(sklearn_name)
    if match is None:
        raise DatasetError(f"unrecognised scikit-learn feature name {sklearn_name!r}")
    statistic, measurement = (match[1], match[2]) if match[1] else ("se", match[3])
    return f"{measurement.replace(' ', '_')}_{statistic}"


def load_wdbc() -> Data:
    """All 569 rows, labels 1 = malignant."""
    return wdbc_from_sklearn(datasets.load_breast_cancer())


def wdbc_from_sklearn(bunch: Any) -> Data:
    """Check scikit-learn's copy against our conventions and convert it; raises DatasetError."""
    if [str(name) for name in bunch.target_names] != ["malignant", "benign"]:
        raise DatasetError("scikit-learn's WDBC target no longer codes 0 = malignant")
    labels = (1 - np.asarray(bunch.target, dtype=np.int64)).astype(np.int64)
    malignant = int(np.count_nonzero(labels == 1))
    if (malignant, len(labels) - malignant) != (EXPECTED_MALIGNANT_ROWS, EXPECTED_BENIGN_ROWS):
        raise DatasetError(
            f"expected {EXPECTED_MALIGNANT_ROWS} malignant and {EXPECTED_BENIGN_ROWS} benign rows,"
            f" found {malignant} and {len(labels) - malignant}"
        )
    names = tuple(our_feature_name(str(name)) for name in bunch.feature_names)
    return Data(np.asarray(bunch.data, dtype=np.float64), labels, names)


def _load_wine() -> Data:
    bunch = datasets.load_wine()
    names = tuple(str(name).replace("/", "_") for name in bunch.feature_names)
    return Data(np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, np.int64), names)


def _load_diabetes() -> Data:
    # Unscaled: each value in its own unit (age in years), as a request would send it.
    bunch = datasets.load_diabetes(scaled=False)
    names = tuple(map(str, bunch.feature_names))
    return Data(np.asarray(bunch.data, np.float64), np.asarray(bunch.target, np.float64), names)


_NOT_A_DIAGNOSIS = "Not a diagnostic device: no clinical decision may rest on it."
WDBC = DataSet(
    "WDBC",
    load_wdbc,
    "The Wisconsin Diagnostic Breast Cancer data set (569 fine-needle aspirates, 212 malignant, "
    "357 benign; 30 features per image), as scikit-learn ships it. Label 1 = malignant.",
    f"Research and teaching on the Wisconsin Diagnostic Breast Cancer data set. {_NOT_A_DIAGNOSIS}",
    "Trained on 569 fine-needle-aspirate images from one clinic (1995); values outside the "
    "training ranges below are extrapolation",
    ("High", "Health data; a missed malignancy is the costly error."),
)
DATASETS = {
    "wdbc": WDBC,
    "wdbc-xgboost": WDBC,
    "wine": DataSet(
        "wine",
        _load_wine,
        "The UCI wine recognition data set (178 wines of three cultivars grown in one region "
        "of Italy, 59, 71 and 48 of each; 13 chemical measurements per wine), as scikit-learn "
        "ships it. Labels 0, 1, 2 = scikit-learn's class_0, class_1, class_2.",
        "Research and teaching on the wine recognition data set.",
        "Trained on 178 wines of three cultivars from one region (Forina et al.); a wine of any "
        "other cultivar is still given one of the three, and values outside the training ranges "
        "below are extrapolation",
    ),
    "diabetes": DataSet(
        "diabetes",
        _load_diabetes,
        "The diabetes data set of Efron et al. (2004): 442 patients, 10 baseline measurements "
        "each (age, sex, body mass index, blood pressure, six blood serum measurements) and a "
        "quantitative measure of disease progression one year after baseline, as scikit-learn "
        "ships it, unscaled.",
        f"Research and teaching on the diabetes data set of Efron et al. {_NOT_A_DIAGNOSIS}",
        "Trained on 442 patients of one study; the progression measure's scale is the study's "
        "own, and values outside the training ranges below are extrapolation",
        ("High", "Health data; a prediction is no prognosis."),
    ),
}


def contract_file(model: str) -> Path:
    return MODELS_DIR / model / "contract.json"


def dataset_of(model: str) -> DataSet:
    if model not in DATASETS:
        raise TrainingError(
            f"no data set for model {model!r}: training knows {', '.join(DATASETS)} "
            "(training/data.py, DATASETS)"
        )
    return DATASETS[model]


def load_data(contract: Contract) -> Data:
    """The model's data set, its columns checked against the contract's features and its labels
    against the contract's classes; raises DatasetError."""
    data = dataset_of(contract.name).load()
    if data.names != contract.feature_names:
        raise DatasetError(
            f"scikit-learn's columns are not contract {contract.name}'s features in order"
        )
    labels = [int(label) for label in np.unique(data.labels)] if contract.is_classifier else []
    if contract.is_classifier and labels != [c.label for c in contract.classes]:
        raise DatasetError(f"the data's labels {labels} are not contract {contract.name}'s")
    if contract.task == BINARY and contract.classes[contract.positive_index].label != POSITIVE:
        raise DatasetError(f"contract {contract.name}'s positive class must have label {POSITIVE}")
    return data


def split_data(data: Data, seed: int = DEFAULT_SEED, stratified: bool = True) -> Split:
    """60/20/20 train/validation/test, stratified by class for a classifier; the same seed always
    gives the same rows."""
    everything = SplitPart(data.features, data.labels, np.arange(len(data.labels), dtype=np.int64))

    def strata(rows: RowIndices) -> Labels | None:
        return data.labels[rows] if stratified else None

    rest, test = train_test_split(
        everything.row_indices,
        test_size=TEST_FRACTION,
        stratify=strata(everything.row_indices),
        random_state=seed,
    )
    # The validation part is a fraction of what is left after the test part is set aside.
    train, validation = train_test_split(
        rest,
        test_size=VALIDATION_FRACTION / (1.0 - TEST_FRACTION),
        stratify=strata(rest),
        random_state=seed,
    )
    return Split(
        take(everything, train), take(everything, validation), take(everything, test), seed
    )


def contract_split(contract: Contract, seed: int) -> Split:
    return split_data(load_data(contract), seed, stratified=contract.is_classifier)


def held_out_rows(metrics_file: Path) -> tuple[Contract, SplitPart, int]:
    """The contract and test rows a training run recorded, checked against the split its seed
    reproduces."""
    try:
        document = json.loads(metrics_file.read_text(encoding="utf-8"))
        record, model = document["split"], str(document["model"]["contract"])
        seed, recorded = int(record["seed"]), [int(row) for row in record["test_rows"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TrainingError(
            f"{metrics_file} holds no split record (model.contract, split.seed, split.test_rows): "
            f"{type(error).__name__}"
        ) from None
    contract = read_contract(contract_file(model))
    test = contract_split(contract, seed).test
    if test.row_indices.tolist() != recorded:
        raise TrainingError(
            f"{metrics_file} records other test rows than seed {seed} gives: not this data set"
        )
    return contract, test, seed


def take(part: SplitPart, positions: npt.NDArray[np.int64]) -> SplitPart:
    """The rows at these positions of ``part``, in row order."""
    ordered = np.sort(positions)
    return SplitPart(part.features[ordered], part.labels[ordered], part.row_indices[ordered])

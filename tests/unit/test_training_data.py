from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer

from chalicelib.contract import load_contract
from tests.support.contracts import MULTICLASS_DOCUMENT, contract
from tests.support.rows import FEATURE_COUNT, FEATURE_NAMES, WDBC
from training import DatasetError, TrainingError
from training.data import (
    DATASETS,
    DEFAULT_SEED,
    Data,
    Split,
    contract_split,
    load_data,
    load_wdbc,
    our_feature_name,
    split_data,
    wdbc_from_sklearn,
)

WDBC_ROWS = 569
MALIGNANT, BENIGN = 1, 0


@pytest.fixture(scope="module")
def wdbc() -> Data:
    return load_wdbc()


@pytest.fixture(scope="module")
def default_split(wdbc: Data) -> Split:
    return split_data(wdbc, DEFAULT_SEED)


@pytest.mark.parametrize(
    ("sklearn_name", "expected"),
    [
        ("mean radius", "radius_mean"),
        ("radius error", "radius_se"),
        ("worst concave points", "concave_points_worst"),
        ("mean fractal dimension", "fractal_dimension_mean"),
    ],
)
def test_sklearn_names_map_by_rule(sklearn_name: str, expected: str) -> None:
    assert our_feature_name(sklearn_name) == expected


def test_every_sklearn_name_maps_onto_feature_names_in_order() -> None:
    sklearn_names = load_breast_cancer().feature_names
    assert tuple(our_feature_name(str(name)) for name in sklearn_names) == FEATURE_NAMES


def test_an_unrecognised_name_fails_loudly() -> None:
    with pytest.raises(DatasetError, match="unrecognised"):
        our_feature_name("median radius")


def sklearn_wdbc(**changes: object) -> SimpleNamespace:
    bunch = load_breast_cancer()
    fields = {
        "data": bunch.data,
        "target": bunch.target,
        "feature_names": bunch.feature_names,
        "target_names": bunch.target_names,
    }
    return SimpleNamespace(**{**fields, **changes})


def test_columns_out_of_order_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    names = load_breast_cancer().feature_names
    swapped = wdbc_from_sklearn(sklearn_wdbc(feature_names=[names[1], names[0], *names[2:]]))
    monkeypatch.setitem(DATASETS, "wdbc", DATASETS["wdbc"]._replace(load=lambda: swapped))
    with pytest.raises(DatasetError, match="not contract wdbc's features in order"):
        load_data(WDBC)


@pytest.mark.parametrize("name", list(DATASETS))
def test_each_example_loads_as_its_contract_says(name: str) -> None:
    shipped = load_contract(name)
    data = load_data(shipped)
    assert data.names == shipped.feature_names
    assert data.features.shape == (len(data.labels), shipped.feature_count)
    if shipped.is_classifier:
        assert sorted(set(data.labels.tolist())) == [c.label for c in shipped.classes]
    else:
        assert data.labels.dtype == np.float64


def test_the_scikit_learn_copies_have_their_documented_shapes() -> None:
    wine = load_data(load_contract("wine"))
    assert np.bincount(wine.labels).tolist() == [59, 71, 48]
    assert wine.names[11] == "od280_od315_of_diluted_wines"  # scikit-learn's has a slash
    diabetes = load_data(load_contract("diabetes"))
    assert diabetes.features.shape == (442, 10)
    assert set(diabetes.features[:, 1].tolist()) == {1.0, 2.0}  # unscaled: sex is coded 1 or 2
    assert diabetes.features[:, 0].min() >= 18  # unscaled: age in years


def test_a_contract_whose_classes_the_data_lacks_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    toy = contract(MULTICLASS_DOCUMENT, name="wine")
    with pytest.raises(DatasetError, match="not contract wine's features"):
        load_data(toy)
    wine = load_contract("wine")
    classes = [*MULTICLASS_DOCUMENT["classes"], {"code": "c3", "name": "x", "label": 3}]
    four = contract(MULTICLASS_DOCUMENT, name="wine", features=wine.document["features"],
                    classes=classes, examples=wine.document["examples"])  # fmt: skip
    with pytest.raises(DatasetError, match=r"labels \[0, 1, 2\] are not contract wine's"):
        load_data(four)


def test_a_model_without_a_data_set_is_named() -> None:
    with pytest.raises(TrainingError, match="no data set for model 'toy-multiclass'"):
        load_data(contract(MULTICLASS_DOCUMENT))


def test_a_regression_split_is_not_stratified() -> None:
    split = contract_split(load_contract("diabetes"), DEFAULT_SEED)
    assert split.sizes == {"train": 264, "validation": 89, "test": 89}


def test_a_flipped_target_coding_fails_loudly() -> None:
    with pytest.raises(DatasetError, match="0 = malignant"):
        wdbc_from_sklearn(sklearn_wdbc(target_names=np.array(["benign", "malignant"])))


def test_wrong_label_counts_fail_loudly() -> None:
    with pytest.raises(DatasetError, match="expected 212 malignant and 357 benign rows"):
        wdbc_from_sklearn(sklearn_wdbc(target=1 - load_breast_cancer().target))


def test_wdbc_has_every_row_and_feature(wdbc: Data) -> None:
    assert wdbc.features.shape == (WDBC_ROWS, FEATURE_COUNT)
    assert wdbc.features.dtype == np.float64


def test_labels_count_212_malignant_and_357_benign(wdbc: Data) -> None:
    assert int(np.count_nonzero(wdbc.labels == MALIGNANT)) == 212
    assert int(np.count_nonzero(wdbc.labels == BENIGN)) == 357


def test_labels_invert_sklearns_coding(wdbc: Data) -> None:
    # scikit-learn codes 0 = malignant; we code 1 = malignant, as the walk-through does.
    sklearn_target = load_breast_cancer().target
    assert np.array_equal(wdbc.labels, 1 - sklearn_target)


def test_split_is_60_20_20(default_split: Split) -> None:
    sizes = {name: len(part.labels) for name, part in default_split.parts.items()}
    assert sizes == {"train": 341, "validation": 114, "test": 114}


def test_split_is_stratified(default_split: Split) -> None:
    overall_malignant_share = 212 / WDBC_ROWS
    for part in default_split.parts.values():
        expected_malignant = overall_malignant_share * len(part.labels)
        assert abs(int(np.count_nonzero(part.labels == MALIGNANT)) - expected_malignant) <= 1


def test_split_parts_hold_the_rows_their_indices_name(wdbc: Data, default_split: Split) -> None:
    for part in default_split.parts.values():
        assert np.array_equal(part.features, wdbc.features[part.row_indices])
        assert np.array_equal(part.labels, wdbc.labels[part.row_indices])


def test_same_seed_gives_the_same_split(wdbc: Data, default_split: Split) -> None:
    again = split_data(wdbc, DEFAULT_SEED)
    for first, second in zip(default_split.parts.values(), again.parts.values(), strict=True):
        assert np.array_equal(first.row_indices, second.row_indices)


def test_another_seed_gives_another_split(wdbc: Data, default_split: Split) -> None:
    other = split_data(wdbc, DEFAULT_SEED + 1)
    assert not np.array_equal(other.test.row_indices, default_split.test.row_indices)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_split_is_disjoint_and_covers_every_row(wdbc: Data, seed: int) -> None:
    split = split_data(wdbc, seed)
    indices = [part.row_indices for part in split.parts.values()]
    combined = np.concatenate(indices)
    assert len(combined) == WDBC_ROWS
    assert np.array_equal(np.sort(combined), np.arange(WDBC_ROWS))
    assert all(np.array_equal(part, np.sort(part)) for part in indices)
    assert split.seed == seed

"""Feature names as callers spell them: WDBC's in scikit-learn's and Kaggle's published spellings,
and the nearest name for one the contract lacks, through the app Chalice runs.

The oracles are the publishers' own: scikit-learn's `load_breast_cancer().feature_names`, and the
header of Kaggle's WDBC file (uciml/breast-cancer-wisconsin-data, data.csv) written out below.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client
from sklearn import datasets

from chalicelib.application import create_app
from chalicelib.contract import ContractError, load_contract, parse_contract
from chalicelib.names import FeatureNames
from chalicelib.settings import Settings
from tests.support.apps import MakeClient
from tests.support.contracts import BINARY_DOCUMENT, FEATURES, document
from tests.support.endpoint_twins import AnsweringEndpoint, LinearLearnerTwin
from tests.support.rows import EXAMPLE_ROW, EXAMPLE_VALUES, FEATURE_NAMES, WDBC

SCIKIT_LEARN_NAMES = [str(name) for name in datasets.load_breast_cancer().feature_names]
KAGGLE_HEADER = (
    '"id","diagnosis","radius_mean","texture_mean","perimeter_mean","area_mean",'
    '"smoothness_mean","compactness_mean","concavity_mean","concave points_mean",'
    '"symmetry_mean","fractal_dimension_mean","radius_se","texture_se","perimeter_se",'
    '"area_se","smoothness_se","compactness_se","concavity_se","concave points_se",'
    '"symmetry_se","fractal_dimension_se","radius_worst","texture_worst","perimeter_worst",'
    '"area_worst","smoothness_worst","compactness_worst","concavity_worst",'
    '"concave points_worst","symmetry_worst","fractal_dimension_worst",'
)
KAGGLE_ROW = f"842302,M,{EXAMPLE_ROW},"


@pytest.fixture
def client(make_client: MakeClient) -> Client:
    return make_client(AnsweringEndpoint(0.25, 0))


def post(client: Client, body: Any, content_type: str = "application/json") -> tuple[int, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    answer = client.http.post(
        "/predictbreastcancer", headers={"Content-Type": content_type}, body=text
    )
    return answer.status_code, json.loads(answer.body)


def error_message(client: Client, body: Any, content_type: str = "application/json") -> str:
    status, document = post(client, body, content_type)
    assert status == 400, document
    return str(document["error"]["message"])


@pytest.mark.parametrize("model", ["wdbc", "wdbc-xgboost"])
def test_wdbcs_examples_know_kaggles_spelling(model: str) -> None:
    kaggle = [name.strip('"') for name in KAGGLE_HEADER.split(",")[2:-1]]
    for feature, published in zip(load_contract(model).features, kaggle, strict=True):
        assert published in {feature.name, *feature.aliases}, feature.name


@pytest.mark.parametrize(
    ("model", "load"),
    [
        ("wdbc", datasets.load_breast_cancer),
        ("wdbc-xgboost", datasets.load_breast_cancer),
        ("wine", datasets.load_wine),
        ("diabetes", datasets.load_diabetes),
    ],
)
def test_every_shipped_example_knows_scikit_learns_names(model: str, load: Any) -> None:
    contract = load_contract(model)
    for feature, published in zip(contract.features, load().feature_names, strict=True):
        assert published in {feature.name, *feature.aliases}, feature.name


def test_a_header_in_scikit_learns_names_is_read_for_wine() -> None:
    wine = load_contract("wine")
    twin = LinearLearnerTwin({"score": [0.1, 0.2, 0.7], "predicted_label": 2})
    header = ",".join(datasets.load_wine().feature_names)  # od280/od315_of_diluted_wines
    row = ",".join(map(repr, wine.examples[0].values))
    with Client(create_app(Settings("wine-twin", "wine"), twin, wine)) as client:
        answer = client.http.post(
            wine.route, headers={"Content-Type": "text/csv"}, body=f"{header}\n{row}\n"
        )
    assert answer.status_code == 200, answer.body
    assert twin.calls == [[wine.examples[0].values]]


@pytest.mark.parametrize(
    "names",
    [
        SCIKIT_LEARN_NAMES,
        [name.replace("concave_points", "concave points") for name in FEATURE_NAMES],
    ],
    ids=["scikit-learn", "kaggle"],
)
def test_a_row_named_as_published_is_the_same_row(
    names: list[str], make_client: MakeClient
) -> None:
    endpoint = AnsweringEndpoint(0.25, 0)
    client = make_client(endpoint)
    named = dict(zip(names, EXAMPLE_VALUES, strict=True))
    reordered = dict(reversed(named.items()))
    header = ",".join(name.upper() for name in reversed(names))
    csv_row = ",".join(map(repr, reversed(EXAMPLE_VALUES)))
    bodies = [
        ({"features": named}, "application/json"),
        ({"dataframe_records": [reordered]}, "application/json"),
        (
            {"dataframe_split": {"columns": names, "data": [list(EXAMPLE_VALUES)]}},
            "application/json",
        ),
        (f"{header}\n{csv_row}\n", "text/csv"),
    ]
    for body, content_type in bodies:
        assert post(client, body, content_type)[0] == 200, body
    assert endpoint.calls == [[EXAMPLE_VALUES]] * len(bodies)


def test_kaggles_file_as_published_is_refused_with_what_to_do(client: Client) -> None:
    message = error_message(client, f"{KAGGLE_HEADER}\n{KAGGLE_ROW}\n", "text/csv")
    assert message == (
        "the header must name the 30 features once each: unknown name(s) 'id', 'diagnosis' and "
        "1 more ('diagnosis' is what the model predicts; an empty name is a trailing comma); "
        "send the features' columns only"
    )
    # Done as it says, the same file is read, in Kaggle's spelling.
    features_only = ",".join(KAGGLE_HEADER.split(",")[2:-1])
    assert post(client, f"{features_only}\n{EXAMPLE_ROW}\n", "text/csv")[0] == 200


@pytest.mark.parametrize(
    ("sent", "suggested"),
    [
        ("concave_point_mean", "concave_points_mean"),  # a letter short
        ("Radius_Mean", "radius_mean"),  # JSON keys are exact: CSV headers match any case
        ("mean Radius", "radius_mean"),  # scikit-learn's name, in another case
        ("radius_worts", "radius_worst"),
    ],
)
def test_an_unknown_name_gets_the_nearest_name(sent: str, suggested: str, client: Client) -> None:
    named = dict(zip(FEATURE_NAMES, EXAMPLE_VALUES, strict=True))
    named[sent] = named.pop(suggested)
    message = error_message(client, {"features": named})
    assert message.endswith(f"(did you mean {suggested!r}?)")
    header = ",".join(sent if name == suggested else name for name in FEATURE_NAMES)
    status, answer = post(client, f"{header}\n{EXAMPLE_ROW}\n", "text/csv")
    if sent.lower() in (suggested, *WDBC.features[FEATURE_NAMES.index(suggested)].aliases):
        assert status == 200  # a header's names match in any case
    else:
        assert f"(did you mean {suggested!r}?)" in answer["error"]["message"]


@pytest.mark.parametrize("sent", ["radius_mean1", "mean radius 13.49", "radius mean"])
def test_a_name_that_may_not_be_echoed_still_gets_a_suggestion(sent: str, client: Client) -> None:
    named = dict(zip(FEATURE_NAMES, EXAMPLE_VALUES, strict=True))
    named[sent] = named.pop("radius_mean")
    message = error_message(client, {"features": named})
    assert message == "features has 1 unknown name(s) (did you mean 'radius_mean'?)"
    assert sent not in message


def test_the_target_is_named_as_what_the_model_predicts(client: Client) -> None:
    named = {**dict(zip(FEATURE_NAMES, EXAMPLE_VALUES, strict=True)), "diagnosis": "M"}
    message = error_message(client, {"features": named})
    assert message == (
        "features has unknown name(s) 'diagnosis' ('diagnosis' is what the model predicts)"
    )


def test_a_feature_named_twice_by_its_name_and_an_alias_is_refused(client: Client) -> None:
    named = {**dict(zip(FEATURE_NAMES, EXAMPLE_VALUES, strict=True)), "mean radius": 1.0}
    message = error_message(client, {"features": named})
    assert message == "features names radius_mean twice, by its name and an alias"
    header = ",".join([*FEATURE_NAMES[1:], "radius_mean", "Mean Radius"])
    message = error_message(client, f"{header}\n{EXAMPLE_ROW},1\n", "text/csv")
    assert "repeated radius_mean" in message


def test_a_name_longer_than_any_feature_is_not_compared() -> None:
    naming = FeatureNames(WDBC)
    assert naming.nearest("radius_mean" + "x" * 54) is None  # 65 characters
    assert naming.nearest("radius_mean" + "x" * 5) == "radius_mean"
    assert naming.unknown(["x" * 100_000]) == "1 unknown name(s)"


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        ("colour", r"features\[2\]\.aliases must be an array of names"),
        ([" colour"], r"features\[2\]\.aliases must be an array of names"),
        (["hue, colour"], r"features\[2\]\.aliases must be an array of names"),
        (['"colour"'], r"features\[2\]\.aliases must be an array of names"),
        (["MALIC_ACID"], r"features\[2\]\.aliases repeats an earlier name or alias"),
        (["colour", "Colour"], r"features\[2\]\.aliases repeats an earlier name or alias"),
    ],
)
def test_a_bad_alias_is_refused_naming_its_key(aliases: Any, message: str) -> None:
    features = [*FEATURES[:2], {**FEATURES[2], "aliases": aliases}]
    with pytest.raises(ContractError, match=message):
        parse_contract(document(BINARY_DOCUMENT, features=features), "bad.json")

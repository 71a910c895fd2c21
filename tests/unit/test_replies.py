"""The answers' text: written by hand for speed, so checked against json.dumps of the same data."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.model_answer import Prediction
from chalicelib.replies import ModelIdentity
from tests.support.rows import predictions_reply

WORDS = {0: ("B", "benign"), 1: ("M", "malignant")}
MODEL = ModelIdentity("wdbc-test", "v-1")

predictions = st.lists(
    st.builds(Prediction, st.sampled_from([0, 1]), st.floats(min_value=0.0, max_value=1.0)),
    min_size=1,
    max_size=20,
)


def _item(prediction: Prediction) -> dict[str, object]:
    letter, word = WORDS[prediction.outcome]
    return {
        "prediction": letter,
        "diagnosis": word,
        "probability_malignant": prediction.probability,
    }


@settings(deadline=None)  # a loaded CI machine is no reason to fail
@given(predictions)
def test_a_batch_answer_is_exactly_what_json_dumps_writes(items: list[Prediction]) -> None:
    reply = predictions_reply(items, MODEL, "application/json", single=False)
    expected = {"predictions": [_item(p) for p in items], "model": MODEL._asdict()}
    assert reply.body == json.dumps(expected)


@settings(deadline=None)  # a loaded CI machine is no reason to fail
@given(predictions.map(lambda items: items[:1]))
def test_a_single_answer_is_exactly_what_json_dumps_writes(items: list[Prediction]) -> None:
    reply = predictions_reply(items, MODEL, "application/json", single=True)
    assert reply.body == json.dumps({**_item(items[0]), "model": MODEL._asdict()})


@settings(deadline=None)  # a loaded CI machine is no reason to fail
@given(predictions)
def test_json_lines_are_json_dumps_of_each_item(items: list[Prediction]) -> None:
    reply = predictions_reply(items, MODEL, "application/jsonlines", single=False)
    assert reply.body == "".join(json.dumps(_item(p)) + "\n" for p in items)

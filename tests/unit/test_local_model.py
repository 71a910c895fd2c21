"""The committed local model: data in the repository, its card made from it, training reproduces it.

Reproducibility is checked within stated tolerances, never bit for bit: another CPU or BLAS may
round the last digits of a fit differently. The fit is driven to the optimum itself
(Newton-Cholesky, tolerance 1e-12), so a refit lands at the same point whatever rounds it: the
rows in another order agree to 5e-14 in the weights, another solver (newton-cg) to 6e-12; lbfgs at
tol 1e-10 stops 1.5e-5 away, at its default 6e-2. The tolerances below leave two orders of margin.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import pytest

from chalicelib.model_card import CARDS_DIR
from devserver.__main__ import PROJECT_DIR, check_card_matches_model, main
from standin.model import LinearScorer, ModelFileError
from tests.support.local_stack import LOCAL_MODEL
from tests.support.rows import WDBC
from training.artifact import ModelArtifact, save_artifact
from training.data import load_wdbc
from training.local import LocalTrainingResult, read_model_folder
from training.model_card import card_document

PARAMETER_TOLERANCE = 1e-9  # relative, for every mean, scale, weight, the intercept and threshold
PROBABILITY_TOLERANCE = 1e-9  # absolute, for every row's probability of malignancy


def test_the_committed_card_is_made_from_the_committed_model(local_model: ModelArtifact) -> None:
    committed_card = json.loads((CARDS_DIR / "wdbc.json").read_text(encoding="utf-8"))
    contract, record = read_model_folder(LOCAL_MODEL.parent)
    assert committed_card == json.loads(json.dumps(card_document(contract, record)))
    assert committed_card["version"] == local_model.version


def test_training_reproduces_the_committed_model_within_tolerance(
    trained: LocalTrainingResult, local_model: ModelArtifact
) -> None:
    retrained = trained.artifact
    for key in ("means", "scales", "weights"):
        assert getattr(retrained, key) == pytest.approx(
            getattr(local_model, key), rel=PARAMETER_TOLERANCE
        ), key
    assert retrained.intercept == pytest.approx(local_model.intercept, rel=PARAMETER_TOLERANCE)
    assert retrained.threshold == pytest.approx(local_model.threshold, rel=PARAMETER_TOLERANCE)

    rows = load_wdbc().features.tolist()
    assert len(rows) == 569
    committed = LinearScorer(local_model).predict(rows)
    fresh = LinearScorer(retrained).predict(rows)
    assert [p.predicted_label for p in fresh] == [p.predicted_label for p in committed]
    worst = max(abs(a.score - b.score) for a, b in zip(fresh, committed, strict=True))
    assert worst <= PROBABILITY_TOLERANCE


def test_the_versions_that_decide_the_weights_are_pinned_and_recorded(
    local_model: ModelArtifact,
) -> None:
    requirements = (PROJECT_DIR / "requirements-dev.txt").read_text(encoding="utf-8")
    pinned = dict(re.findall(r"^([a-z-]+)==(\S+)$", requirements, flags=re.MULTILINE))
    recorded = read_model_folder(LOCAL_MODEL.parent)[1]["training"]["versions"]
    assert set(recorded) == {"scikit-learn", "scipy", "numpy"}
    assert recorded == {name: pinned[name] for name in recorded}


def test_no_wdbc_row_sits_on_the_committed_threshold(local_model: ModelArtifact) -> None:
    # A row whose label flips with the last bits of its score would differ between machines.
    scores = [p.score for p in LinearScorer(local_model).predict(load_wdbc().features.tolist())]
    closest = min(abs(score - local_model.threshold) for score in scores)
    assert closest > 1e-6 * local_model.threshold


def test_the_dev_server_refuses_a_card_of_another_version(
    local_model: ModelArtifact,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert local_model.threshold is not None
    other = replace(local_model, threshold=math.nextafter(local_model.threshold, 1.0))
    save_artifact(other, tmp_path / "wdbc" / "model.json")
    monkeypatch.setattr("devserver.__main__.MODELS_DIR", tmp_path)
    assert main(["--port", "0", "--standin-port", "0"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("devserver: the model card wdbc.json describes version ")
    assert local_model.version in line
    assert other.version in line
    assert "make train" in line


def test_the_dev_server_names_a_missing_model_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--model", "none", "--port", "0"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("devserver: no model contract at ")
    assert line.endswith("chalicelib/contracts/none.json")


def test_the_committed_model_passes_the_dev_servers_check() -> None:
    check_card_matches_model(LOCAL_MODEL.parent, "wdbc.json", WDBC)
    check_card_matches_model(LOCAL_MODEL.parent, None, WDBC)  # no card: nothing to match
    with pytest.raises(ModelFileError):
        check_card_matches_model(LOCAL_MODEL.with_name("absent.json"), "wdbc.json", WDBC)

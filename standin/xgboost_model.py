"""An XGBoost model served as SageMaker's XGBoost container serves it, scored by xgboost itself.

Imported only to serve an `xgboost-model.json`: `make run` for a linear model never needs xgboost.
What the container does (aws/sagemaker-xgboost-container, src/sagemaker_xgboost_container/):
- Loading, algorithm_mode/serve_utils.py `get_loaded_booster`: `booster = xgb.Booster();
  booster.load_model(full_model_path)`, then `booster.set_param("nthread", 1)`. It loads the first
  file of its model folder (training names it `xgboost-model`, constants/xgb_constants.py); this
  folder holds others beside it, so the stand-in names it `xgboost-model.json`.
- Scoring, serve_utils.py `predict`: `booster.predict(dtest, validate_features=False)` on the
  rows read by encoder.py `csv_to_dmatrix` (`np.array(...).astype(float)`, then `xgb.DMatrix`).
- Answering, algorithm_mode/serve.py `invocations`: `preds_list = preds.tolist()`; for
  `application/json`, serve_utils.py `encode_predictions_as_json(preds_list)`, i.e.
  `json.dumps({"predictions": [{"score": pred} for pred in preds_list]})`; otherwise
  `encoders.encode(preds_list, accept)` (sagemaker-containers `_encoders.py`): for `text/csv`,
  `array_to_csv`, a csv.writer with lineterminator "\\n" over the rows of `np.array(preds_list)`
  (a 1-D array reshaped to one column): one value a line (binary:logistic's probability of
  class 1, a reg:* value), or one line of K class probabilities (multi:softprob). The answer
  never depends on the objective: it is whatever `booster.predict` gives.
- Accept, serve.py `_parse_accept`: none or `*/*` means `text/csv`; else the header's first
  media type must be one of SUPPORTED_ACCEPTS, or 406. `_encoders_map` encodes only text/csv,
  JSON and NPY, so application/jsonlines and application/x-recordio-protobuf end in an uncaught
  `UnsupportedFormatError`: a 500 (unless SAGEMAKER_INFERENCE_OUTPUT selects its "selectable
  inference" keys, which the stand-in does not play). Flask's `Response(mimetype=accept)` names
  a CSV answer `text/csv; charset=utf-8`.
Where the stand-in differs, it refuses what our API never sends: CSV only (the container also
reads libsvm, and recordio-protobuf), no empty field as a missing value, every row exactly as
wide as the model (the container scores a narrower one), and 400 naming the row for a CSV the
container answers 415 for, or 204 for an empty body.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import xgboost

from standin.inference import CSV, JSON, ContainerError, body_text, csv_rows, media_type
from standin.model import ModelFileError

SUPPORTED_ACCEPTS = (JSON, "application/jsonlines", "application/x-recordio-protobuf", CSV)


class XGBoostContainer:
    def __init__(self, path: Path) -> None:
        try:
            content = path.read_bytes()
            self._booster = xgboost.Booster()
            self._booster.load_model(bytearray(content))
        except FileNotFoundError:
            raise ModelFileError(f"no model artifact at {path}") from None
        except (OSError, xgboost.core.XGBoostError) as error:
            message = f"cannot read {path} as an XGBoost model: {type(error).__name__}"
            raise ModelFileError(message) from None
        self._booster.set_param("nthread", "1")
        self.feature_count = self._booster.num_features()
        self.version = hashlib.sha256(content).hexdigest()[:12]

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None
    ) -> tuple[bytes, str]:
        if media_type(content_type) != CSV:
            raise ContainerError(415, f"content type must be {CSV}")
        rows = csv_rows(body_text(body), self.feature_count)
        matrix = xgboost.DMatrix(np.array(rows, dtype=float))
        predictions = self._booster.predict(matrix, validate_features=False).tolist()
        answer_type = media_type(accept) or CSV  # serve.py reads the header as one media type
        if answer_type == "*/*":
            answer_type = CSV
        if answer_type not in SUPPORTED_ACCEPTS:
            raise ContainerError(406, f"accept must be one of {', '.join(SUPPORTED_ACCEPTS)}")
        if answer_type == JSON:
            return json.dumps({"predictions": [{"score": p} for p in predictions]}).encode(), JSON
        if answer_type == CSV:  # Flask's Response(mimetype="text/csv") adds the charset
            lines = (",".join(map(str, p)) if isinstance(p, list) else str(p) for p in predictions)
            return "".join(f"{line}\n" for line in lines).encode(), f"{CSV}; charset=utf-8"
        raise ContainerError(500, f"the container has no encoder for {answer_type}")

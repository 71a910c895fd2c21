"""The prediction use cases: body, content type and Accept in, a Reply out, never raising."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

from chalicelib import content_types
from chalicelib.access_log import log_unexpected
from chalicelib.contract import Contract
from chalicelib.errors import ApiError, InternalError, InvalidModelAnswer
from chalicelib.model_answer import AnswerReader, EndpointAnswer, Prediction
from chalicelib.negotiation import choose_media_type
from chalicelib.oip import OpenInference
from chalicelib.oip import error_reply as oip_error_reply
from chalicelib.payload import PayloadReader
from chalicelib.replies import ModelIdentity, PredictionWriter, Reply, error_reply
from chalicelib.rows import RowReader

SINGLE_ROW_MEDIA_TYPES = (
    content_types.JSON,
    content_types.PLAIN_TEXT,
    content_types.CSV,
    content_types.JSON_LINES,
)
BATCH_MEDIA_TYPES = (content_types.JSON, content_types.CSV, content_types.JSON_LINES)


class ApiRequest(NamedTuple):
    """What a route hands the service: the body, the headers that say how to read and answer
    it, and the request id."""

    body: bytes
    content_type: str | None = None
    accept: str | None = None
    content_encoding: str | None = None
    request_id: str = ""


class Endpoint(Protocol):
    name: str

    def invoke(self, rows: Sequence[Sequence[float]]) -> EndpointAnswer: ...


class PredictionService:
    """One contract's model behind one endpoint: every request form in, every answer type out."""

    def __init__(self, endpoint: Endpoint, contract: Contract) -> None:
        self._endpoint = endpoint
        self.contract = contract
        rows = RowReader(contract)
        self.ranges = rows.ranges  # which rows the model extrapolates for
        self.payloads = PayloadReader(rows)
        self.answers = AnswerReader(contract)
        self.writer = PredictionWriter(contract, self.ranges)
        self.oip = OpenInference(contract, rows)

    def predict(self, request: ApiRequest) -> Reply:
        """The model's route: any JSON or CSV form in; JSON, CSV, JSON Lines, plain text out."""
        return self._answer(request, self._predict, error_reply)

    def infer(self, request: ApiRequest) -> Reply:
        """`POST /v2/models/<model>/infer`: the Open Inference Protocol, in its own shapes."""
        return self._answer(request, self._infer, oip_error_reply)

    def _predict(self, request: ApiRequest) -> Reply:
        # Refuse an Accept nothing can satisfy before reading the body.
        choose_media_type(request.accept, SINGLE_ROW_MEDIA_TYPES)
        content_types.check_identity_encoding(request.content_encoding)
        payload = self.payloads.parse(request.body, request.content_type)
        offered = SINGLE_ROW_MEDIA_TYPES if payload.single else BATCH_MEDIA_TYPES
        media_type = choose_media_type(request.accept, offered)
        warnings = self.ranges.outside(payload.rows)
        predictions, model = self._score(payload.rows)
        return self.writer.reply(predictions, model, media_type, payload.single, warnings)

    def _infer(self, request: ApiRequest) -> Reply:
        choose_media_type(request.accept, (content_types.JSON,))
        content_types.check_identity_encoding(request.content_encoding)
        infer = self.oip.parse_infer_request(request.body, request.content_type)
        warnings = self.ranges.header(self.ranges.outside(infer.rows))
        predictions, model = self._score(infer.rows)
        return self.oip.infer_reply(infer, predictions, model, warnings)

    @staticmethod
    def _answer(
        request: ApiRequest,
        handle: Callable[[ApiRequest], Reply],
        refuse: Callable[[ApiError, str, int], Reply],
    ) -> Reply:
        """Never raising: an ApiError in its route's shape; anything else, a generic 500."""
        try:
            return handle(request)
        except ApiError as error:
            return refuse(error, request.request_id, error.rows)
        except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback leaves
            log_unexpected(error, request.request_id)
            return refuse(InternalError("an internal error occurred"), request.request_id, 0)

    def check_examples(self) -> None:
        """The contract's example rows through the endpoint, read as the contract says; raises
        the ApiError of the first thing that does not (a deployment's check, not a request's).

        Where the endpoint names the label and the probability both, each label must be the
        one the contract's threshold gives: else the contract does not describe this model.
        """
        contract = self.contract
        predictions, _ = self._score([example.values for example in contract.examples])
        located = contract.answer.label_attribute or contract.answer.label_index is not None
        if contract.threshold is None or not located:
            return
        positive = contract.positive_index
        for number, (outcome, probability) in enumerate(predictions, start=1):
            expected = positive if probability >= contract.threshold else 1 - positive  # type: ignore[operator]
            if outcome != expected:
                raise InvalidModelAnswer(
                    f"the endpoint's label for example {number} is not the one the contract's "
                    f"threshold {contract.threshold:g} gives its probability"
                )

    def _score(self, rows: Sequence[Sequence[float]]) -> tuple[list[Prediction], ModelIdentity]:
        # One invocation whatever the row count: the containers score every CSV line.
        try:
            answer = self._endpoint.invoke(rows)
            predictions = self.answers.read(answer, expected_rows=len(rows))
        except ApiError as error:
            error.rows = len(rows)  # for the access log: how many rows the failure cost
            raise
        return predictions, ModelIdentity(name=self._endpoint.name, version=answer.variant)

"""The model container's `POST /invocations` contract as one pure function.

Decode by Content-Type (415), choose the answer by Accept (406), decode (400), predict, encode.
"""

from __future__ import annotations

import functools
from http import HTTPStatus

from standin.decoders import decoder_for
from standin.encoders import encoder_for
from standin.errors import ContainerError
from standin.model import LinearScorer
from standin.replies import Headers, Reply, message_reply

PING_REPLY = Reply(HTTPStatus.OK)


def invoke(
    scorer: LinearScorer, body: bytes, content_type: str | None, accept: str | None
) -> Reply:
    try:
        decoder = decoder_for(content_type)
        response_type, encoder = encoder_for(accept)
        predictions = scorer.predict(decoder(body))
    except ContainerError as error:
        return message_reply(error.status, str(error))
    return Reply(HTTPStatus.OK, encoder(predictions), _content_type(response_type))


@functools.cache  # keyed by the few media types the encoders produce, not by request input
def _content_type(media_type: str) -> Headers:
    return (("Content-Type", media_type),)

"""Failures the stand-in answers, each a small class carrying the HTTP status it answers with.

Messages never quote the request body: the body is health data.
"""

from __future__ import annotations

from http import HTTPStatus


class StandinError(Exception):
    """A failure reported to the caller as a JSON `{"message": ...}` answer."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR


class ContainerError(StandinError):
    """A failure the model container answers itself; SageMaker wraps it in a ModelError (424)."""


class InvalidRequestBody(ContainerError):
    status = HTTPStatus.BAD_REQUEST


class UnsupportedContentType(ContainerError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class NotAcceptable(ContainerError):
    status = HTTPStatus.NOT_ACCEPTABLE


class FramingError(StandinError):
    """The HTTP request itself cannot be read, or is not one this server speaks.

    The connection closes after the answer: where the next request would start is unknown.
    """

    status = HTTPStatus.BAD_REQUEST


class LengthRequired(FramingError):
    status = HTTPStatus.LENGTH_REQUIRED


class PayloadTooLarge(FramingError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class RequestLineTooLong(FramingError):
    status = HTTPStatus.REQUEST_URI_TOO_LONG


class HeaderFieldsTooLarge(FramingError):
    status = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE


class ExpectationFailed(FramingError):
    status = HTTPStatus.EXPECTATION_FAILED


class MethodNotImplemented(FramingError):
    status = HTTPStatus.NOT_IMPLEMENTED


class HttpVersionNotSupported(FramingError):
    status = HTTPStatus.HTTP_VERSION_NOT_SUPPORTED


class ConfigError(ValueError):
    """A start-up setting is invalid; the message names the setting."""

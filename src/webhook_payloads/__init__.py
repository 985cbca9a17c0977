"""Verify and parse provider webhooks into typed, immutable Pydantic events.

One call does it::

    from webhook_payloads import parse

    event = parse("payscore", request.body, request.headers, secret=settings.PAYSCORE_SECRET)

``parse`` checks the provider's signature over the raw bytes, then validates the body into
one event class of the provider's discriminated union, or raises one
:class:`WebhookError` subclass. Provider modules (``webhook_payloads.payscore``, ...) hold
the event classes and typed per-provider helpers; they are imported on first use.
"""

from ._base import EventModel, UnknownEvent, WebhookEvent
from ._headers import Headers
from ._parse import DEFAULT_MAX_BODY_SIZE, Body, parse
from ._registry import Provider
from ._schema import json_schema
from ._signing import Secret, Secrets
from ._version import __version__
from .exceptions import (
    BodyTooLargeError,
    ConfigurationError,
    ErrorDetail,
    MalformedPayloadError,
    PayloadError,
    PayloadValidationError,
    SignatureError,
    UnknownEventError,
    UnknownProviderError,
    WebhookError,
)

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "Body",
    "BodyTooLargeError",
    "ConfigurationError",
    "ErrorDetail",
    "EventModel",
    "Headers",
    "MalformedPayloadError",
    "PayloadError",
    "PayloadValidationError",
    "Provider",
    "Secret",
    "Secrets",
    "SignatureError",
    "UnknownEvent",
    "UnknownEventError",
    "UnknownProviderError",
    "WebhookError",
    "WebhookEvent",
    "__version__",
    "json_schema",
    "parse",
]

"""Verify and parse provider webhooks into typed, immutable Pydantic events.

Configure a provider once, then parse each request::

    from webhook_payloads import Webhook

    PAYSCORE = Webhook("payscore", secret=settings.PAYSCORE_SECRET)  # at start-up
    event = PAYSCORE.parse(request.body, request.headers)            # per request

or do both in one call: ``parse("payscore", request.body, request.headers, secret=...)``.
Either checks the provider's signature over the raw bytes, then validates the body into
one event class of the provider's discriminated union, or raises one
:class:`WebhookError` subclass. :func:`to_json` and :func:`from_json` carry an event, its
provider included, through a task queue or a database. Provider modules
(``webhook_payloads.payscore``, ...) hold the event classes and the signing helpers; they
are imported on first use.
"""

from importlib import import_module as _import_module
from typing import TYPE_CHECKING, Final

from ._parse import parse
from ._registry import Provider
from ._types import DEFAULT_MAX_BODY_SIZE, Body, Headers, Secret, Secrets
from ._version import __version__
from ._webhook import Webhook
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
    UnsupportedContentTypeError,
    WebhookError,
)

if TYPE_CHECKING:
    from ._base import EventModel, UnknownEvent, WebhookEvent
    from ._json import from_json, to_json
    from ._schema import json_schema

# These names cost as much as importing Pydantic's model machinery (the model base classes
# are Pydantic models; json_schema needs Pydantic's JSON Schema generator; to_json and
# from_json take and give events), so they load on first access. A provider's first parse()
# loads the models too.
_LAZY: Final = {
    "EventModel": "._base",
    "UnknownEvent": "._base",
    "WebhookEvent": "._base",
    "from_json": "._json",
    "json_schema": "._schema",
    "to_json": "._json",
}


def __getattr__(name: str) -> object:
    """Load the names in ``_LAZY`` on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: object = getattr(_import_module(module, __name__), name)
    # Cache it, so later lookups are plain attribute reads; every thread stores the same.
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the lazily loaded ones included."""
    return sorted(set(globals()) | _LAZY.keys())


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
    "UnsupportedContentTypeError",
    "Webhook",
    "WebhookError",
    "WebhookEvent",
    "__version__",
    "from_json",
    "json_schema",
    "parse",
    "to_json",
]

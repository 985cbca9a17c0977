"""FastAPI's OpenAPI document for webhook routes: request body, signature header, refusals.

Every dependency :func:`~webhook_payloads.integrations.starlette.webhook_event` makes is
registered here with its provider. :func:`document_webhooks` finds the registered dependencies
among each route's dependencies when FastAPI builds the document, and adds to that route's
operation what FastAPI cannot see: the body the dependency reads as raw bytes (the provider's
JSON Schema, its ``$defs`` moved under ``#/components/schemas``), the signature header, and the
answers the dependency gives.

FastAPI itself never learns of the body: a body parameter would make FastAPI read and parse the
whole body before the dependency checks its length and signature.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast
from weakref import WeakSet

from .._registry import ProviderSpec, get_spec
from .._samples import sample_body, sample_names
from .._schema import json_schema
from .._signing import HexHeaderScheme
from ._receiver import KEPT_TEXT, NOT_KEPT

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.dependencies.models import Dependant
    from starlette.routing import BaseRoute

__all__ = ["document_webhooks", "register"]

JsonObject = dict[str, Any]

_DEFS_PREFIX: Final = "#/$defs/"
_COMPONENTS_PREFIX: Final = "#/components/schemas/"


@dataclass(frozen=True)
class _Webhook:
    """What a registered dependency receives, and what it can answer besides its refusals.

    Attributes:
        provider: The provider id.
        callback_params: The ``callbackUrl`` query parameters (Mastercard with a key).
        accepted: Why the route may answer 202 instead of running the endpoint (``on_invalid``
            kept the delivery; an inbox stored it), or ``None`` when it never does.
    """

    provider: str
    callback_params: tuple[str, ...] = ()
    accepted: str | None = None


# The attribute that marks a dependency made by webhook_event.
_MARK: Final = "__webhook_payloads_openapi__"
_DOCUMENTED_APPS: Final[WeakSet[FastAPI]] = WeakSet()


def register(
    dependency: Callable[..., object],
    provider: str,
    *,
    callback_params: tuple[str, str] | None = None,
    accepted: str | None = None,
) -> None:
    """Remember that ``dependency`` receives ``provider``'s webhooks, for :func:`document_webhooks`.

    Args:
        dependency: The function a route names in ``Depends(...)``.
        provider: The provider id.
        callback_params: For Mastercard with a callback key: the names of the query parameters
            that carry the reference and its token.
        accepted: When the dependency may answer 202 without running the endpoint, the
            sentence that says why (``on_invalid``, an inbox); the 202 is then documented.
    """
    vars(dependency)[_MARK] = _Webhook(
        get_spec(provider).provider.value, callback_params or (), accepted
    )


def document_webhooks(app: FastAPI) -> None:
    """Show each webhook route's body, signature header and refusals in ``app``'s OpenAPI.

    Call it once, anywhere after ``app = FastAPI()``: routes added later are included, since
    the routes are read each time FastAPI builds the document. A route is a webhook route when
    one of its dependencies (declared on the route, its router or the app) was made by
    ``webhook_event``. Its POST operation (the dependency answers 405 to other methods) gets,
    where the route does not declare them itself:

    - ``requestBody``: the provider's :func:`~webhook_payloads.json_schema`, its definitions
      under ``#/components/schemas`` as ``<provider>.<Model>`` (with ``_2``, ``_3`` ... added
      if a name is taken), the top level as ``<provider>.WebhookEvent``, and the provider's
      documented example of each event type;
    - the signature header as a required header parameter (``Verification-Signature`` for
      Payscore, ``X-Finicity-Signature`` for Mastercard Connect; AndDone signs inside the body
      and Mastercard report webhooks are unsigned);
    - the 400, 401 (for signed providers), 413 and 500 answers, with their ``detail`` texts,
      and 202 where the dependency keeps deliveries (``on_invalid``).

    The body is documented only: the dependency still reads and verifies the raw bytes.
    Calling this again for the same app does nothing.

    Args:
        app: The FastAPI application. An ``app.openapi`` you replaced earlier is kept and
            its document extended.
    """
    if app in _DOCUMENTED_APPS:
        return
    _DOCUMENTED_APPS.add(app)
    generate = app.openapi
    # FastAPI keeps its document and rebuilds it when routes change: extend each new one once.
    extended: list[JsonObject] = []

    def openapi() -> JsonObject:
        document = generate()
        if not extended or extended[0] is not document:
            _add_webhooks(document, app.routes)
            extended[:] = [document]
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented extension point


def _add_webhooks(document: JsonObject, routes: Sequence[BaseRoute]) -> None:
    """Add the webhook routes among ``routes`` to the OpenAPI ``document``, in place."""
    # Here, not at the top: plain Starlette apps import this module without FastAPI.
    from fastapi.routing import APIRoute  # noqa: PLC0415

    schemas: JsonObject = document.setdefault("components", {}).setdefault("schemas", {})
    body_refs: dict[str, str] = {}  # provider -> its hoisted body schema, shared by its routes
    for route in _routes_in_app(routes):
        if not isinstance(getattr(route, "original_route", route), APIRoute):
            continue
        # The dependency answers 405 to any other method: only POST takes a webhook.
        if not route.include_in_schema or "POST" not in route.methods:
            continue
        operation = document.get("paths", {}).get(route.path_format, {}).get("post")
        if operation is None:  # left out by an openapi() of the app's own
            continue
        for webhook in dict.fromkeys(_webhooks_of(route.dependant)):
            if webhook.provider not in body_refs:
                body_refs[webhook.provider] = _hoist(webhook.provider, schemas)
            _document(operation, webhook, body_refs[webhook.provider])


def _routes_in_app(routes: Sequence[BaseRoute]) -> Iterable[Any]:
    """The app's routes with the path and dependencies each has there, as FastAPI sees them."""
    try:
        # FastAPI 0.140 and later keep an included router whole; this walks its routes.
        from fastapi.routing import iter_route_contexts  # noqa: PLC0415
    except ImportError:  # pragma: no cover - earlier releases copy them into app.routes
        return routes
    return iter_route_contexts(routes)


def _webhooks_of(dependant: Dependant) -> Iterator[_Webhook]:
    for dependency in dependant.dependencies:
        webhook = getattr(dependency.call, _MARK, None)
        if isinstance(webhook, _Webhook):
            yield webhook
        yield from _webhooks_of(dependency)


def _hoist(provider: str, schemas: JsonObject) -> str:
    """Put ``provider``'s JSON Schema under ``schemas``; return the reference to its top level."""
    schema = json_schema(provider)
    del schema["$schema"]  # the document's dialect is OpenAPI's, a superset of this one
    definitions: JsonObject = schema.pop("$defs", {})
    refs = {
        _DEFS_PREFIX + name: _COMPONENTS_PREFIX + _reserve(f"{provider}.{name}", schemas)
        for name in definitions
    }
    top = _reserve(f"{provider}.WebhookEvent", schemas)
    for name, definition in definitions.items():
        schemas[refs[_DEFS_PREFIX + name].removeprefix(_COMPONENTS_PREFIX)] = _rewrite(
            definition, refs
        )
    schemas[top] = _rewrite(schema, refs)
    return _COMPONENTS_PREFIX + top


def _reserve(name: str, schemas: JsonObject) -> str:
    """``name``, or ``name_2``, ``name_3`` ... if taken; kept free until it is filled in."""
    free, number = name, 1
    while free in schemas:
        number += 1
        free = f"{name}_{number}"
    schemas[free] = {}
    return free


def _rewrite(node: Any, refs: Mapping[str, str]) -> Any:
    """A copy of the schema ``node`` with its references (and the discriminator's) moved."""
    if isinstance(node, list):
        return [_rewrite(item, refs) for item in node]  # pyright: ignore[reportUnknownVariableType]
    if not isinstance(node, dict):
        return node
    copy = {key: _rewrite(value, refs) for key, value in cast("JsonObject", node).items()}
    ref = copy.get("$ref")
    if isinstance(ref, str):
        copy["$ref"] = refs[ref]
    discriminator: JsonObject | None = copy.get("discriminator")
    if discriminator is not None and "mapping" in discriminator:
        mapping: Mapping[str, str] = discriminator["mapping"]
        discriminator["mapping"] = {value: refs[target] for value, target in mapping.items()}
    return copy


def _document(operation: JsonObject, webhook: _Webhook, body_ref: str) -> None:
    spec = get_spec(webhook.provider)
    operation.setdefault(
        "requestBody",
        {
            "description": (
                f"A {webhook.provider} webhook, read as raw bytes and verified before it is "
                "parsed; the event type is the "
                f"{spec.discriminator!r} property."
            ),
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": body_ref}, "examples": _examples(spec)}
            },
        },
    )
    declared = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
    added = [p for p in _parameters(webhook) if (p["in"], p["name"]) not in declared]
    if added:
        operation["parameters"] = [*operation.get("parameters", []), *added]
    responses: JsonObject = operation.setdefault("responses", {})
    signed = spec.verifier is not None or bool(webhook.callback_params)
    for status, (description, detail) in _ANSWERS.items():
        if signed or status != _UNAUTHORIZED:
            responses.setdefault(str(status), _refusal(description, detail))
    if webhook.accepted is not None:
        responses.setdefault(str(_ACCEPTED), _refusal(webhook.accepted, KEPT_TEXT))
        # The keeper's own failure is a 500 too, with its own detail.
        server_error = responses[str(_SERVER_ERROR)]
        detail = server_error.get("content", {}).get("application/json", {}).get("schema", {})
        if detail.get("properties", {}).get("detail", {}).get("const") == _MISCONFIGURED:
            detail["properties"]["detail"] = {"type": "string", "enum": [_MISCONFIGURED, NOT_KEPT]}
            server_error["description"] += " Or the delivery could not be kept (on_invalid raised)."


def _examples(spec: ProviderSpec) -> JsonObject:
    """The provider's documented example of each event type, by event type."""
    provider = spec.provider.value
    return {
        event_type: {
            "summary": f"{event_type}: {provider}'s documented example",
            "value": json.loads(sample_body(provider, event_type)),
        }
        for event_type in sample_names(provider)
    }


def _parameters(webhook: _Webhook) -> Iterator[JsonObject]:
    verifier = get_spec(webhook.provider).verifier
    if isinstance(verifier, HexHeaderScheme):
        yield {
            "name": verifier.header,
            "in": "header",
            "required": True,
            "description": (
                "The hex HMAC-SHA256 of the raw body under the shared secret (64 hex "
                "characters); 401 when missing or wrong."
            ),
            "schema": {"type": "string"},
        }
    what = ("The reference given to callback_url().", "Its token from callback_url().")
    for name, description in zip(webhook.callback_params, what, strict=False):
        yield {
            "name": name,
            "in": "query",
            "required": True,
            "description": f"{description} Checked before the body is read; 401 when wrong.",
            "schema": {"type": "string"},
        }


_ACCEPTED: Final = 202
_UNAUTHORIZED: Final = 401
_SERVER_ERROR: Final = 500
_MISCONFIGURED: Final = "webhook receiver misconfigured"
# Each answer's description, and the detail the receiver sends with it.
_ANSWERS: Final[Mapping[int, tuple[str, str]]] = {
    400: (
        "The body is not JSON, fails validation, or has an event type the route does not take.",
        "invalid webhook payload",
    ),
    401: (
        "The signature (or callbackUrl token) is missing, malformed or wrong.",
        "invalid webhook signature",
    ),
    413: ("The body is larger than the route's max_body_size.", "webhook body too large"),
    500: (
        "The receiver is misconfigured (such as no secret for a provider that signs); "
        "the details are in the log.",
        _MISCONFIGURED,
    ),
}


def _refusal(description: str, detail: str) -> JsonObject:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"detail": {"type": "string", "const": detail}},
                    "required": ["detail"],
                }
            }
        },
    }

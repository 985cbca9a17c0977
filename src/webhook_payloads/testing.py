"""Valid, signed webhook requests for your tests, for every provider and event type.

Each request starts from the provider's documented example of the event (the samples shipped
with the package), changes the fields you name, and is signed the way the provider signs::

    from webhook_payloads.testing import build_request

    body, headers = build_request("payscore", "REPORT_READY", secret="s3cr3t", report_type="asset")
    response = client.post("/hooks/payscore", data=body, headers=headers)

Whatever :func:`build_request` returns passes ``parse()`` with the same secret. Fields are named
by their snake_case attribute names, never by wire names; nested fields are reached with a
dict (``value={"applicant_email": "a@example.com"}``) or with ``__`` between the names
(``value__applicant_email="a@example.com"``), and list items by index (``items__0__label``).
Pass :data:`OMIT` to remove a field the example has.

This module imports no web framework and no test runner; the fixtures live in
``webhook_payloads.pytest_plugin``.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, Final, TypeVar, Union, cast, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from ._base import WebhookEvent
from ._parse import parse
from ._registry import Provider, ProviderSpec, get_spec, registered_providers
from ._samples import example_body, is_documented
from ._signing import as_bytes, normalize_secrets
from ._types import Body, Secret
from .exceptions import ConfigurationError, PayloadError

__all__ = [
    "OMIT",
    "RequestBuilder",
    "build_event",
    "build_request",
    "event_types",
    "has_documented_example",
    "is_signed",
    "providers",
    "raw_request",
]

EventT = TypeVar("EventT", bound=WebhookEvent)

_JSON_HEADERS: Final = {"Content-Type": "application/json"}


class _Omit(Enum):
    OMIT = "OMIT"

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Final = _Omit.OMIT
"""Pass as a field's value to :func:`build_request` to leave the field out of the body."""

# A path into the JSON body: wire names of object members and indexes of list items.
_Path = tuple[str | int, ...]


def providers() -> list[str]:
    """Every provider id ``parse()`` accepts, in registry order (handy for parametrizing)."""
    return [provider.value for provider in registered_providers()]


def event_types(provider: str | Provider) -> list[str]:
    """Every event type the library knows for ``provider``, in the order of its union.

    Raises:
        UnknownProviderError: ``provider`` is not a known id.

    Example:
        >>> from webhook_payloads.testing import event_types
        >>> event_types("payscore")
        ['VERIFICATION_STARTED', 'VERIFICATION_COMPLETED', 'REPORT_READY']
    """
    return list(get_spec(provider).event_classes)


def has_documented_example(provider: str | Provider, event_type: str) -> bool:
    """Whether the provider publishes an example of ``event_type``, which the kit builds on.

    When it does not, :func:`build_request` builds on a minimal valid body made from the
    event's model: the required fields only, text fields holding their own name in capitals.

    Raises:
        UnknownProviderError: ``provider`` is not a known id.
        ConfigurationError: ``provider`` has no such event type.

    Example:
        >>> from webhook_payloads.testing import has_documented_example
        >>> has_documented_example("mastercard_connect", "added")
        True
        >>> has_documented_example("mastercard_connect", "discovered")
        False
    """
    spec = get_spec(provider)
    example_body(spec.name, event_type)  # refuses an unknown event type
    return is_documented(spec.name, event_type)


def is_signed(provider: str | Provider) -> bool:
    """Whether ``provider`` signs its webhooks (so a receiver needs its secret).

    Raises:
        UnknownProviderError: ``provider`` is not a known id.
    """
    return get_spec(provider).verifier is not None


def build_request(
    provider: str | Provider,
    event_type: str,
    *,
    secret: Secret | None = None,
    signature_scheme: object | None = None,
    **fields: Any,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a webhook request, as the provider would send it.

    The provider's documented example of ``event_type`` is the base (for an event type it
    publishes no example of, a minimal valid body built from the model: see
    :func:`has_documented_example`); ``fields`` replace its values. With no ``fields``, the
    body is the example byte for byte; otherwise it is compact UTF-8 JSON with the example's
    members in their original order.

    Args:
        provider: The provider id (or :class:`Provider` member).
        event_type: The event type (the discriminator's value), one of :func:`event_types`.
        secret: Sign the request with this secret, as the provider would. Leave it out for
            an unsigned request (what a provider that signs nothing sends, or an unsigned
            request your receiver must refuse).
        signature_scheme: For providers whose signature construction is a documented choice
            (AndDone), the same scheme object your receiver passes to ``parse()``.
        **fields: New values by snake_case attribute name, ``__`` to reach nested fields,
            or :data:`OMIT` to leave one out. Values are what the event model accepts
            (``datetime`` for a date-time field, a dict or model for a nested object) and are
            written the way the provider writes them.

    Returns:
        ``(body, headers)``; ``headers`` includes ``Content-Type`` and the signature header
        when the provider signs in a header.

    Raises:
        ConfigurationError: The event type, a field name or a value is not valid for this
            event, the discriminator was changed, a field that signing writes (an in-body
            signature) was given along with ``secret``, or a secret was given for a provider
            that signs nothing.
        UnknownProviderError: ``provider`` is not a known id.

    Example:
        >>> from webhook_payloads import parse
        >>> from webhook_payloads.testing import build_request
        >>> body, headers = build_request("payscore", "REPORT_READY", secret="s", report_type="asset")
        >>> parse("payscore", body, headers, secret="s").report_type
        'asset'
    """  # noqa: E501 - the doctest line is as a user would type it
    spec = get_spec(provider)
    body = _build_body(spec, event_type, fields)
    request = _request(spec, body, secret, signature_scheme)
    try:
        event = parse(
            spec.provider,
            request[0],
            request[1],
            secret=secret,
            verify=secret is not None,
            signature_scheme=signature_scheme,
        )
    except PayloadError as exc:
        raise ConfigurationError(
            f"The fields given make a {spec.provider.value} {event_type} body that does not "
            f"parse ({exc}); build such bodies yourself and sign them with raw_request().",
            provider=spec.provider.value,
        ) from None
    if request[0] != body:
        # Signing wrote into the body: a field it wrote must not silently lose the user's value.
        unsigned = spec.adapter.validate_json(body)
        for name in dict.fromkeys(key.split("__")[0] for key in fields):
            if getattr(event, name) != getattr(unsigned, name):  # public comparison: fields
                raise ConfigurationError(
                    f"{name} is written when the request is signed; leave it out, or build "
                    "the request without secret= to set it yourself.",
                    provider=spec.provider.value,
                )
    return request


def raw_request(
    provider: str | Provider,
    body: Body,
    *,
    secret: Secret | None = None,
    signature_scheme: object | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Any body of your own (malformed, unknown events, ...), signed as the provider would.

    Nothing about ``body`` is checked: use it for the requests your receiver must refuse.

    Args:
        provider: The provider id (or :class:`Provider` member).
        body: The exact bytes to send (a ``str`` is encoded as UTF-8).
        secret: Sign with this secret; leave it out for an unsigned request.
        signature_scheme: As for :func:`build_request`.

    Returns:
        ``(body, headers)``: for providers that sign inside the body, the body with the
        signature written in.

    Raises:
        ConfigurationError: A secret was given for a provider that signs nothing, or the
            provider cannot sign this body (an in-body signature needs a JSON object).
    """
    return _request(get_spec(provider), as_bytes(body), secret, signature_scheme)


def build_event(event_class: type[EventT], /, **fields: Any) -> EventT:
    """An event of ``event_class``, built like :func:`build_request` and parsed back.

    Use it to test the code your receiver hands events to, without any HTTP::

        event = build_event(ReportReady, report_type="asset")

    Args:
        event_class: One of a provider's event classes, such as ``payscore.ReportReady``.
        **fields: As for :func:`build_request`.

    Returns:
        An instance of ``event_class``, typed as such.

    Raises:
        ConfigurationError: ``event_class`` is not an event class of a provider (a base
            class, say), or a field is not valid.
    """
    spec, event_type = _spec_of(event_class)
    body = _build_body(spec, event_type, fields)
    event = spec.adapter.validate_json(body)
    if not isinstance(event, event_class):  # pragma: no cover - _build_body checked the class
        raise TypeError(f"built a {type(event).__name__}, not a {event_class.__name__}")
    return event


@dataclass(frozen=True, repr=False)
class RequestBuilder:
    """Signed requests, each signed with its provider's secret (the pytest fixture's type).

    Providers that sign nothing get unsigned requests, so tests can loop over
    :func:`providers` with one builder. ``repr()`` never shows a secret.

    Attributes:
        secret: The secret your receiver is configured with in tests, for every signed
            provider not in :attr:`secrets`.
        signature_schemes: Provider id -> the ``signature_scheme`` your receiver uses, for
            providers that need one.
        secrets: Provider id -> the secret of that provider, where it is not :attr:`secret`.
    """

    secret: Secret
    signature_schemes: Mapping[str, object] = field(default_factory=dict[str, object])
    secrets: Mapping[str, Secret] = field(default_factory=dict[str, Secret])

    def __repr__(self) -> str:
        """The options, every secret shown as ``'***'``."""
        secrets = dict.fromkeys(self.secrets, "***")
        return (
            f"RequestBuilder(secret='***', signature_schemes={dict(self.signature_schemes)!r}, "
            f"secrets={secrets!r})"
        )

    def __call__(
        self, provider: str | Provider, event_type: str, **fields: Any
    ) -> tuple[bytes, dict[str, str]]:
        """:func:`build_request`, signed with :attr:`secret` when the provider signs."""
        secret, scheme = self._signing(provider)
        return build_request(provider, event_type, secret=secret, signature_scheme=scheme, **fields)

    def raw(self, provider: str | Provider, body: Body) -> tuple[bytes, dict[str, str]]:
        """:func:`raw_request`, signed with :attr:`secret` when the provider signs."""
        secret, scheme = self._signing(provider)
        return raw_request(provider, body, secret=secret, signature_scheme=scheme)

    def _signing(self, provider: str | Provider) -> tuple[Secret | None, object | None]:
        spec = get_spec(provider)
        if spec.verifier is None:
            return None, None
        name = spec.provider.value
        return self.secrets.get(name, self.secret), self.signature_schemes.get(name)


# -- building bodies --------------------------------------------------------------------


def _spec_of(event_class: type[WebhookEvent]) -> tuple[ProviderSpec, str]:
    provider = getattr(event_class, "provider", None)
    spec = get_spec(provider) if isinstance(provider, str) else None
    if spec is not None:
        for event_type, cls in spec.event_classes.items():
            if cls is event_class:
                return spec, event_type
    raise ConfigurationError(
        f"{event_class.__name__} is not one provider event; pass a concrete event class "
        "such as payscore.ReportReady.",
        provider=spec.provider.value if spec is not None else None,
    )


def _build_body(spec: ProviderSpec, event_type: str, fields: Mapping[str, Any]) -> bytes:
    name = spec.provider.value
    raw = example_body(name, event_type)
    if not fields:
        return raw
    event_class = spec.event_classes[event_type]
    tag = event_class.event_type_field
    data: dict[str, Any] = json.loads(raw)
    edit = _Edit(name)
    for key, value in fields.items():
        if key == tag or key.startswith(f"{tag}__"):
            raise ConfigurationError(
                f"{tag} says which event this is; pass another event_type instead.",
                provider=name,
            )
        edit.assign(event_class, data, key.split("__"), value, ())
    try:
        event = event_class.model_validate(data)
    except ValidationError as exc:
        details = exc.errors(include_url=False, include_input=False)
    else:
        dumped = event.model_dump(mode="json", by_alias=True, round_trip=True)
        for path in edit.changed:
            _copy(dumped, data, path)
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            raise ConfigurationError(
                "A value given is a str that cannot be encoded as UTF-8 (a lone surrogate); "
                "no provider can send it.",
                provider=name,
            ) from None
    where = ".".join(str(part) for part in details[0]["loc"]) or "body"
    raise ConfigurationError(
        f"The fields given make an invalid {name} {event_type} event at {where}: "
        f"{details[0]['msg']}; build such bodies yourself and sign them with raw_request().",
        provider=name,
    )


@dataclass
class _Edit:
    """Writes attribute-named values into a wire-named JSON object, noting what changed."""

    provider: str
    changed: list[_Path] = field(default_factory=list[_Path])

    def fail(self, message: str) -> ConfigurationError:
        return ConfigurationError(message, provider=self.provider)

    def assign(
        self,
        model: type[BaseModel],
        target: dict[str, Any],
        parts: Sequence[str],
        value: Any,
        prefix: _Path,
    ) -> None:
        """Write ``value`` at attribute path ``parts`` of ``target``, the JSON of ``model``."""
        name, rest = parts[0], parts[1:]
        info = model.model_fields.get(name)
        if info is None:
            raise self.fail(
                f"{model.__name__} has no field {name[:64]!r}; use one of: "
                f"{', '.join(model.model_fields)}."
            )
        key = _wire_name(name, info)
        path = (*prefix, key)
        nested, in_list = _nested_model(info.annotation)
        if rest and in_list:
            self.assign_item(nested, target, rest, value, path)
            return
        updates = _mapping_items(value) if nested is not None and not in_list else None
        if rest or updates is not None:
            if nested is None:
                raise self.fail(f"{model.__name__}.{name} is not a nested object; set it whole.")
            inner = _json_object(target.get(key))
            if inner is None:
                inner = target[key] = {}
            pairs = (
                [(list(rest), value)]
                if rest
                else [(str(k).split("__"), v) for k, v in updates or ()]
            )
            for sub_parts, sub_value in pairs:
                self.assign(nested, inner, sub_parts, sub_value, path)
            return
        if value is OMIT:
            target.pop(key, None)
            return
        target[key] = self.wire_keys(nested, value)
        self.changed.append(path)

    def assign_item(
        self,
        model: type[BaseModel] | None,
        target: dict[str, Any],
        parts: Sequence[str],
        value: Any,
        path: _Path,
    ) -> None:
        """Write ``value`` into item ``parts[0]`` (an index) of the list ``path`` ends at."""
        key = str(path[-1])
        items = _json_list(target.get(key))
        index = int(parts[0]) if parts[0].isascii() and parts[0].isdigit() else -1
        if items is None or not 0 <= index < len(items):
            raise self.fail(f"{key} has no item {parts[0][:20]!r} here; set the list whole.")
        item_path = (*path, index)
        item = _json_object(items[index])
        updates = _mapping_items(value) if model is not None and item is not None else None
        if len(parts) == 1 and updates is not None and model is not None and item is not None:
            # A dict for an object item changes only the members it names, as for any
            # nested object; a model instance replaces the item whole.
            for sub_key, sub_value in updates:
                self.assign(model, item, str(sub_key).split("__"), sub_value, item_path)
            return
        if len(parts) == 1:
            if value is OMIT:
                raise self.fail("OMIT cannot remove a list item; set the list whole.")
            items[index] = self.wire_keys(model, value)
            self.changed.append(item_path)
            return
        if model is None or item is None:
            raise self.fail(f"The items of {key} are not objects; set them whole.")
        self.assign(model, item, parts[1:], value, item_path)

    def wire_keys(self, model: type[BaseModel] | None, value: Any) -> Any:
        """``value`` with attribute-named keys of dicts for ``model`` renamed to wire names."""
        if model is None:
            return value
        pairs = _mapping_items(value)
        if pairs is not None:
            renamed: dict[str, Any] = {}
            wire_names = {_wire_name(n, i) for n, i in model.model_fields.items()}
            for key, item in pairs:
                info = model.model_fields.get(str(key))
                if info is not None:
                    renamed[_wire_name(str(key), info)] = self.wire_keys(
                        _nested_model(info.annotation)[0], item
                    )
                elif key in wire_names:
                    renamed[key] = item
                else:
                    raise self.fail(
                        f"{model.__name__} has no field {str(key)[:64]!r}; use one of: "
                        f"{', '.join(model.model_fields)}."
                    )
            return renamed
        if isinstance(value, (list, tuple)):
            return [self.wire_keys(model, item) for item in cast("Sequence[Any]", value)]
        return value


def _copy(source: Any, target: Any, path: _Path) -> None:
    """Copy the value at ``path`` in ``source`` (the model's JSON) into ``target``."""
    *parents, last = path
    for part in parents:
        source, target = source[part], target[part]
    try:
        target[last] = source[last]
    except (KeyError, IndexError):  # pragma: no cover - a field excluded from serialisation
        target[last] = to_jsonable_python(target[last])


def _wire_name(name: str, info: FieldInfo) -> str:
    return info.serialization_alias or info.alias or name


def _mapping_items(value: object) -> list[tuple[Any, Any]] | None:
    if not isinstance(value, Mapping):
        return None
    mapping: Mapping[Any, Any] = cast(Any, value)
    return list(mapping.items())


def _json_object(value: object) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    json_object: dict[str, Any] = cast(Any, value)
    return json_object


def _json_list(value: object) -> list[Any] | None:
    if not isinstance(value, list):
        return None
    json_list: list[Any] = cast(Any, value)
    return json_list


def _nested_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model class inside a field's annotation, and whether it is a list of them."""
    origin = get_origin(annotation)
    found: tuple[type[BaseModel] | None, bool] = (None, False)
    if origin is Annotated:
        found = _nested_model(get_args(annotation)[0])
    elif origin in (Union, types.UnionType):
        candidates = [_nested_model(arg) for arg in get_args(annotation)]
        found = next((c for c in candidates if c[0] is not None), found)
    elif origin in (list, tuple, Sequence):
        args = get_args(annotation)
        found = (_nested_model(args[0])[0] if args else None, True)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found = (annotation, False)
    return found


def _request(
    spec: ProviderSpec, body: bytes, secret: Secret | None, scheme: object | None
) -> tuple[bytes, dict[str, str]]:
    name = spec.provider.value
    if spec.verifier is None:
        if secret is not None or scheme is not None:
            raise ConfigurationError(spec.unsigned_reason, provider=name)
        return body, dict(_JSON_HEADERS)
    if secret is None:
        if scheme is not None:
            raise ConfigurationError(
                "A signature_scheme without a secret signs nothing; pass secret=... too.",
                provider=name,
            )
        return body, dict(_JSON_HEADERS)
    keys = normalize_secrets(secret, provider=name)
    if len(keys) != 1:
        raise ConfigurationError(
            "A request is signed with one secret; pass one, not a sequence.", provider=name
        )
    signed, headers = spec.verifier.sign_request(body, keys[0], scheme)
    headers = dict(headers)
    if not any(header.lower() == "content-type" for header in headers):
        headers.update(_JSON_HEADERS)
    return signed, headers

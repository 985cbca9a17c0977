"""``to_json()`` and ``from_json()``: any event and its provider, as JSON for queues and databases.

The JSON is a small envelope around the event's wire shape (format 1)::

    {"format": 1, "provider": "payscore", "event": {"code": "REPORT_READY", ...}}

``format`` is the envelope's version, ``provider`` the provider id, and ``event`` the event
as the provider sends it (wire names, the fields that were sent and only those, fields the
provider added included); for an :class:`UnknownEvent`, its ``payload``. The envelope has no
other member. A later format gets a new number; the numbers this release reads are listed in
:func:`from_json`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pydantic_core import from_json as _decode
from pydantic_core import to_json as _encode

from ._base import UnknownEvent, WebhookEvent
from ._parse import parse
from ._registry import get_spec, registered_providers
from ._signing import as_bytes
from ._types import DEFAULT_MAX_BODY_SIZE
from ._webhook import require_size_limit
from .exceptions import (
    ConfigurationError,
    ErrorDetail,
    MalformedPayloadError,
    PayloadValidationError,
)

if TYPE_CHECKING:
    from ._types import Body

__all__ = ["FORMAT", "from_json", "to_json"]

FORMAT: Final = 1
"""The envelope format :func:`to_json` writes."""

_MEMBERS: Final = ("format", "provider", "event")

# How much larger than the body its envelope may be. to_json() writes some numbers longer
# than a body may send them (1e15 comes back as 1000000000000000.0, 4.5 times as long), and
# AndDone's AdditionalFields sent as an array goes back to a JSON string (each quote and
# backslash escaped again); the members of the envelope add a few dozen bytes.
_GROWTH: Final = 5
_ENVELOPE_BYTES: Final = 1024

# The envelope as to_json() writes it: this prefix, the provider, _EVENT, the event, "}".
_PREFIX: Final = b'{"format":%d,"provider":"' % FORMAT
_EVENT: Final = b'","event":'
_PROVIDERS: Final = frozenset(p.value for p in registered_providers())


def to_json(event: WebhookEvent | UnknownEvent) -> bytes:
    """The event and its provider as compact UTF-8 JSON, for a task queue or a database.

    :func:`from_json` turns it back into an equal event. The JSON is an envelope (format
    1): ``{"format": 1, "provider": "payscore", "event": {...}}``, where ``event`` is the
    event's wire shape with the fields that were sent
    (``model_dump(by_alias=True, exclude_unset=True)``: a field left to its default is not
    written, so the JSON stays about as small as the body) or, for an
    :class:`UnknownEvent`, its ``payload``.

    Args:
        event: An event returned by ``parse()``, ``Webhook.parse()`` or :func:`from_json`,
            or built with ``webhook_payloads.testing.build_event``.

    Returns:
        The envelope as bytes (``.decode()`` gives a ``str`` where one is needed).

    Raises:
        ConfigurationError: ``event`` is not one of the library's events: another object,
            a subclass of an event class, or an :class:`UnknownEvent` whose provider is
            unknown or whose ``event_type`` is not its payload's discriminator.

    Example:
        >>> from webhook_payloads import from_json, parse, to_json
        >>> body = b'{"code": "VERIFICATION_STARTED", "verification_id": "v-1"}'
        >>> event = parse("payscore", body, verify=False)
        >>> to_json(event)
        b'{"format":1,"provider":"payscore","event":{"code":"VERIFICATION_STARTED","verification_id":"v-1"}}'
        >>> from_json(to_json(event)) == event
        True
    """
    body: bytes
    if isinstance(event, UnknownEvent):
        spec = get_spec(event.provider)
        # parse() takes the event type from the payload; one built otherwise would come
        # back with another event type.
        if event.payload.get(spec.discriminator) != event.event_type:
            raise ConfigurationError(
                f"This UnknownEvent's event_type is not its payload's {spec.discriminator!r}, "
                "so it would not come back equal; build it with parse(..., allow_unknown=True).",
                provider=spec.name,
            )
        body = _encode(event.payload)
    elif isinstance(event, WebhookEvent):  # pyright: ignore[reportUnnecessaryIsInstance]
        cls = type(event)
        # from_json() gives back the provider's own class for the event type: a base class
        # or a subclass would not come back equal.
        provider = getattr(cls, "provider", None)
        if provider is None or cls not in get_spec(provider).event_classes.values():
            raise ConfigurationError(
                f"to_json() takes the library's own event classes, not {cls.__name__}."
            )
        spec = get_spec(provider)
        body = event.model_dump_json(by_alias=True, exclude_unset=True).encode()
    else:
        raise ConfigurationError(
            f"to_json() takes an event (WebhookEvent or UnknownEvent), not {type(event).__name__}."
        )
    # The envelope is written around the event's bytes, so from_json() can find them again
    # without decoding the envelope (which would add a level of nesting).
    return b"".join((_PREFIX, spec.name.encode(), _EVENT, body, b"}"))


def from_json(
    data: Body, *, max_body_size: int = DEFAULT_MAX_BODY_SIZE
) -> WebhookEvent | UnknownEvent:
    """The event that :func:`to_json` wrote, validated again; no signature is checked.

    For data the app stored itself (a task queue's message, a database column): it was
    verified when it arrived. The event is validated as ``parse()`` validates a body, by
    the same code, with the same errors: wire names only, every field checked, non-finite
    numbers refused. An event type this release does not know (stored by a newer one, or
    stored as an :class:`UnknownEvent`) comes back as an :class:`UnknownEvent`, as
    ``parse(..., allow_unknown=True)`` gives it; one the library has learned since it was
    stored comes back as its event class.

    Reads envelope format 1. What :func:`to_json` wrote is read as written: the event's
    JSON is validated as it stands, so an event nested to the depth ``parse()`` allows
    comes back although the envelope adds a level. The same envelope with its members
    reordered or re-spaced (by a JSON column that rewrites it) is read too, up to one level
    less deep.

    Args:
        data: What :func:`to_json` returned, as ``bytes``, ``bytearray``, ``memoryview``
            or ``str``.
        max_body_size: The size limit the bodies were parsed under (the same value as given
            to ``parse()``, whose default this is). Data larger than 5 times that plus
            1 KiB is refused before it is decoded: every envelope :func:`to_json` writes
            for such a body fits, although it can be larger than the body (a number sent
            as ``1e15`` is written out as ``1000000000000000.0``).

    Returns:
        The event: an instance of one of the provider's event classes, or an
        :class:`UnknownEvent`.

    Raises:
        PayloadError: The data is too large (:class:`BodyTooLargeError`), not a JSON object
            (:class:`MalformedPayloadError`), not an envelope of a known format and provider,
            or its event is not valid (:class:`PayloadValidationError`, with the field paths
            within the event).
        ConfigurationError: ``data`` is not bytes or ``str``, or ``max_body_size`` is not
            a positive ``int``.
    """
    require_size_limit(max_body_size, None)
    limit = max_body_size * _GROWTH + _ENVELOPE_BYTES
    raw = as_bytes(data, limit=limit)
    written = _as_written(raw)
    if written is not None:
        provider, event_bytes = written
        try:
            return parse(
                provider, event_bytes, verify=False, allow_unknown=True, max_body_size=limit
            )
        except MalformedPayloadError:
            pass  # not the one JSON object to_json() writes there: read the data in full
    try:
        envelope = _decode(raw)
    except ValueError as error:
        why = str(error)
    else:
        provider, event = _open(envelope)
        # The event's own bytes, for the one validation parse() does. Re-encoding is
        # harmless here (no signature covers them); NaN and infinities are written as such,
        # so that validation refuses them as it refuses them in a body.
        body = _encode(event, inf_nan_mode="constants")
        return parse(provider, body, verify=False, allow_unknown=True, max_body_size=limit)
    raise MalformedPayloadError(
        f"The data is not valid JSON ({why}); pass what to_json() returned."
    )


def _as_written(raw: bytes) -> tuple[str, bytes] | None:
    """The provider and the event's bytes of an envelope exactly as :func:`to_json` writes it.

    ``None`` for any other form. The bytes between the prefix and the closing brace are the
    event if they are one JSON object, which ``parse()`` then checks.
    """
    if not raw.startswith(_PREFIX) or not raw.endswith(b"}"):
        return None
    end = raw.find(b'"', len(_PREFIX))
    provider = raw[len(_PREFIX) : end].decode("ascii", "replace")
    if provider not in _PROVIDERS or not raw.startswith(_EVENT, end):
        return None
    return provider, raw[end + len(_EVENT) : -1]


def _open(envelope: object) -> tuple[str, dict[str, Any]]:
    """The provider id and the event of a decoded envelope.

    Raises:
        MalformedPayloadError: ``envelope`` is not a JSON object.
        PayloadValidationError: A member is missing, unknown, or of the wrong value.
    """
    if not isinstance(envelope, dict):
        raise MalformedPayloadError(
            "The data is JSON but not a JSON object; pass what to_json() returned."
        )
    members: dict[str, Any] = envelope  # pyright: ignore[reportUnknownVariableType]
    errors = [
        ErrorDetail(loc=(name,), type="missing", msg="Field required; pass what to_json() returned")
        for name in _MEMBERS
        if name not in members
    ]
    errors += [
        ErrorDetail(loc=(name,), type="extra_forbidden", msg="Not a member of the envelope")
        for name in members
        if name not in _MEMBERS
    ]
    version = members.get("format", FORMAT)
    if type(version) is not int or version != FORMAT:
        errors.append(
            ErrorDetail(
                loc=("format",),
                type="envelope_format",
                msg=f"Input should be {FORMAT}, the envelope format this release reads",
            )
        )
    provider = members.get("provider")
    known = [p.value for p in registered_providers()]
    if "provider" in members and provider not in known:
        errors.append(
            ErrorDetail(
                loc=("provider",),
                type="provider",
                msg=f"Input should be one of: {', '.join(known)}",
            )
        )
    event = members.get("event", {})
    if not isinstance(event, dict):
        errors.append(
            ErrorDetail(loc=("event",), type="dict_type", msg="Input should be an object")
        )
    if errors:
        raise PayloadValidationError(
            provider=provider if provider in known else None,
            errors=errors,
            known_names=("format", "provider", "event"),
        )
    return members["provider"], members["event"]

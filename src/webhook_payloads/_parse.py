"""``parse()``: size limit, then signature over the raw bytes, then one validation pass."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast, overload

from pydantic import ValidationError

from ._registry import Provider, ProviderSpec, get_spec, module_paths
from ._signing import Secrets, normalize_secrets
from .exceptions import (
    BodyTooLargeError,
    ConfigurationError,
    ErrorDetail,
    MalformedPayloadError,
    PayloadError,
    PayloadValidationError,
    UnknownEventError,
)

if TYPE_CHECKING:
    # The models are imported with the first provider, not with the package: see validate().
    from ._base import UnknownEvent, WebhookEvent
    from ._headers import Headers
    from .anddone import AndDoneEvent, SignatureScheme
    from .mastercard import MastercardEvent
    from .mastercard_connect import MastercardConnectEvent
    from .payscore import PayscoreEvent
    from .payscore_v1 import PayscoreV1Event

__all__ = ["DEFAULT_MAX_BODY_SIZE", "Body", "parse", "validate"]

DEFAULT_MAX_BODY_SIZE: Final = 1024 * 1024
"""Bodies larger than this (1 MiB) are refused before anything else is done with them."""

Body: TypeAlias = bytes | bytearray | memoryview | str
"""The raw request body: bytes as received (a ``str`` is encoded as UTF-8)."""

_BOM: Final = b"\xef\xbb\xbf"

# Read on every call: a plain dict and sys.modules itself, bound here, look up faster than
# the registry's read-only view and the attribute of sys.
_MODULE_PATHS: Final = module_paths()
_MODULES: Final = sys.modules


@overload
def parse(
    provider: Literal["mastercard", Provider.MASTERCARD],
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: Literal[False] = False,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: object | None = None,
) -> MastercardEvent: ...
@overload
def parse(
    provider: Literal["mastercard", Provider.MASTERCARD],
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: bool,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: object | None = None,
) -> MastercardEvent | UnknownEvent: ...
@overload
def parse(
    provider: Literal["payscore", Provider.PAYSCORE],
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: Literal[False] = False,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: object | None = None,
) -> PayscoreEvent: ...
@overload
def parse(
    provider: Literal["payscore", Provider.PAYSCORE],
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: bool,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: object | None = None,
) -> PayscoreEvent | UnknownEvent: ...
@overload
def parse(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: Literal[False] = False,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: object | None = None,
) -> PayscoreV1Event: ...
@overload
def parse(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: bool,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: object | None = None,
) -> PayscoreV1Event | UnknownEvent: ...
@overload
def parse(
    provider: Literal["anddone", Provider.ANDDONE],
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: Literal[False] = False,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: SignatureScheme | None = None,
) -> AndDoneEvent: ...
@overload
def parse(
    provider: Literal["anddone", Provider.ANDDONE],
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: bool,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: SignatureScheme | None = None,
) -> AndDoneEvent | UnknownEvent: ...
@overload
def parse(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: Literal[False] = False,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: object | None = None,
) -> MastercardConnectEvent: ...
@overload
def parse(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: bool,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: object | None = None,
) -> MastercardConnectEvent | UnknownEvent: ...
@overload
def parse(
    provider: str | Provider,
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: bool = False,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: object | None = None,
) -> WebhookEvent | UnknownEvent: ...
def parse(  # noqa: PLR0912 - one function on purpose: every request runs it, calls cost
    provider: str | Provider,
    body: Body,
    headers: Headers | None = None,
    *,
    secret: Secrets | None = None,
    verify: bool = True,
    allow_unknown: bool = False,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    signature_scheme: object | None = None,
) -> WebhookEvent | UnknownEvent:
    """Verify a webhook request and turn it into the provider's typed event.

    The work is done in this order: the body-size limit, the signature over the raw bytes
    (nothing is re-serialised first), then JSON decoding and validation in one pass.

    Args:
        provider: Whose webhook this is: ``"mastercard"``, ``"mastercard_connect"``,
            ``"payscore"``, ``"payscore_v1"``, ``"anddone"``, or a :class:`Provider` member.
        body: The raw body exactly as received (``request.body``, ``request.get_data()``,
            ``await request.body()``); a ``str`` is encoded as UTF-8.
        headers: The request headers, any mapping, looked up case-insensitively.
        secret: The signing secret, or several to allow key rotation.
        verify: ``False`` skips signature checking. It must be written out: a signed
            provider with no secret raises :class:`ConfigurationError` instead.
        allow_unknown: Return an :class:`UnknownEvent` for event types this library does not
            know, instead of raising :class:`UnknownEventError`.
        max_body_size: Refuse bodies larger than this many bytes.
        signature_scheme: Provider-specific choices about how the signature is built (only
            AndDone, whose construction is not published, has any).

    Returns:
        An instance of one of the provider's event classes.

    Raises:
        ConfigurationError: The call is wrong (no secret for a signed provider, a secret for
            an unsigned one, an unknown provider id, a body that is not bytes or str).
        SignatureError: The signature is missing, malformed, or does not match.
        PayloadError: The body is too large, not a JSON object, or not a valid event.

    Example:
        >>> from webhook_payloads import parse
        >>> from webhook_payloads.payscore import ReportReady, sign
        >>> body = b'{"code": "VERIFICATION_STARTED", "verification_id": "v-1"}'
        >>> headers = {"Verification-Signature": sign(body, "s3cr3t")}
        >>> parse("payscore", body, headers, secret="s3cr3t")
        VerificationStarted(code='VERIFICATION_STARTED', verification_id='v-1')
    """
    # Everything up to validation runs on every request, so the usual call (a provider id
    # already used, one str secret, raw bytes within the limit) is served by lookups and
    # type tests in this function; anything else takes the general helpers, which give the
    # same answers and all the errors. tests/test_fast_paths.py checks that they agree.
    try:
        # A provider's module stays in sys.modules after its first use; a module still
        # being imported by another thread has no SPEC yet, and get_spec() waits for it.
        # Anything else (an unknown id, an object that is not a str, one whose hash fails)
        # is get_spec()'s to load or to refuse.
        spec: ProviderSpec = _MODULES[_MODULE_PATHS[provider]].SPEC
    except Exception:  # noqa: BLE001 - see above
        spec = get_spec(provider)
    verifier = spec.verifier
    keys: tuple[bytes, ...] | None = None
    if verify is not True and verify is not False:
        # Only a written-out False skips verification: a setting that came back None or ""
        # must not turn it off.
        raise ConfigurationError(
            f"verify must be True or False, not {type(verify).__name__}.", provider=spec.name
        )
    if verifier is None:
        if secret is not None or signature_scheme is not None:
            raise ConfigurationError(spec.unsigned_reason, provider=spec.name)
    elif verify:
        if secret is None:
            raise ConfigurationError(
                f"{spec.name} signs its webhooks but no secret was given; pass secret=... "
                "(or verify=False to skip verification, in tests only).",
                provider=spec.name,
            )
        # The type test only picks the shortcut; normalize_secrets() gives the same key, or
        # the error (equivalent mutants, as is leaving keys unset here).
        if type(secret) is str and secret and not secret.isspace():  # pragma: no mutate
            try:
                keys = (secret.encode(),)  # pragma: no mutate
            except UnicodeEncodeError:  # a lone surrogate: normalize_secrets() says so
                keys = None
        if keys is None:
            keys = normalize_secrets(secret, provider=spec.name)
    # Raw bytes within a valid limit, what nearly every call passes, need no conversion.
    # These tests only pick the shortcut: a body they send on to _as_bytes() gets the same
    # answer there, so loosening them changes nothing (equivalent mutants). The test of the
    # limit's sign is the one that guards behaviour (a limit of 0 is a configuration error);
    # its mutant "> 1" survives as an equivalent: a limit of 1 goes to _as_bytes(), which
    # accepts it just the same.
    if (
        type(body) is bytes  # pragma: no mutate
        and type(max_body_size) is int  # pragma: no mutate
        and max_body_size > 0
        and len(body) <= max_body_size  # pragma: no mutate
    ):
        data = body
    else:
        data = _as_bytes(body, spec.name, max_body_size)
    if keys is not None and verifier is not None:
        verifier(data, headers, keys, signature_scheme)
    # What validate() does, without the call.
    try:
        event: WebhookEvent = spec.validate_json(data)
    except ValidationError as exc:
        details = _details(exc)
    else:
        # Unknown fields are kept (model_extra), nearly always none: one slot read.
        if not event.__pydantic_extra__:
            return event
        return _without_shadows(spec, event)
    return _invalid(spec, data, details, allow_unknown)


def _as_bytes(body: object, provider: str, limit: int) -> bytes:
    # Callers from untyped code may pass anything; refuse what is not a positive int.
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigurationError(
            "max_body_size must be a positive number of bytes.", provider=provider
        )
    if isinstance(body, bytes):
        size = len(body)
    elif isinstance(body, (bytearray, memoryview)):
        size = body.nbytes if isinstance(body, memoryview) else len(body)
    elif isinstance(body, str):
        # A str has at least as many UTF-8 bytes as characters: check before encoding it.
        size = len(body)
    else:
        raise ConfigurationError(
            f"The body must be the raw request bytes (or str), not {type(body).__name__}; "
            "pass request.body, not parsed JSON.",
            provider=provider,
        )
    if size > limit:
        raise BodyTooLargeError(provider=provider, size=size, limit=limit)
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        try:
            # Codec names are case-insensitive: "UTF-8" is the same codec (equivalent mutant).
            data: bytes | None = body.encode("utf-8")  # pragma: no mutate
        except UnicodeEncodeError:
            # Raised outside the except block: the UnicodeEncodeError holds the whole body,
            # which must not ride along as __context__ into error trackers.
            data = None
        if data is None:
            raise MalformedPayloadError(
                "The webhook body is a str that cannot be encoded as UTF-8; pass the raw bytes.",
                provider=provider,
            )
        if len(data) > limit:
            raise BodyTooLargeError(provider=provider, size=len(data), limit=limit)
        return data
    # cast() does nothing at run time, whatever its type string says (equivalent mutants).
    return bytes(cast("bytearray | memoryview[int]", body))  # pragma: no mutate


def validate(
    spec: ProviderSpec, data: bytes, *, allow_unknown: bool = False
) -> WebhookEvent | UnknownEvent:
    """Decode and validate ``data`` (already verified) as one of ``spec``'s events.

    Raises:
        PayloadError: The body is not a JSON object or not a valid event.
    """
    try:
        event: WebhookEvent = spec.validate_json(data)
    except ValidationError as exc:
        details = _details(exc)
    else:
        return _without_shadows(spec, event)
    return _invalid(spec, data, details, allow_unknown)


def _without_shadows(spec: ProviderSpec, event: WebhookEvent) -> WebhookEvent:
    """``event``, unless an unknown key of its body is one of its fields' attribute names.

    Such a key is kept as an extra under the same name as the field, and ``model_dump()``
    (which writes extras after fields) would then give the extra's value for the field. Where
    a signature covers only part of the body (AndDone's ``EventBody`` scheme), a key added
    outside it, ``"event_body"``, would so stand in for the signed ``EventBody`` in dumps and
    queues. No provider sends attribute names: refuse the body. Only the top level is checked:
    nested objects lie wholly inside or wholly outside what a signature covers.

    Raises:
        PayloadValidationError: An unknown key shadows a field.
    """
    extra = event.__pydantic_extra__
    # Looking at an empty dict too gives the same answer: the test only saves time.
    if not extra:  # pragma: no mutate
        return event
    shadows = extra.keys() & spec.attribute_names[type(event)]
    if not shadows:
        return event
    fields = type(event).model_fields
    raise _shadow_error(spec, [(name, fields[name].alias or name) for name in sorted(shadows)])


def _shadow_error(spec: ProviderSpec, shadows: list[tuple[str, str]]) -> PayloadValidationError:
    """The error for body keys that are attribute names: (attribute name, wire name) pairs."""
    return PayloadValidationError(
        provider=spec.name,
        errors=[
            ErrorDetail(
                loc=(name,),
                type="attribute_name_key",
                msg=f"Only wire names are accepted; this is the attribute name of {wire!r}",
            )
            for name, wire in shadows
        ],
    )


def _details(exc: ValidationError) -> list[Any]:
    # Read what we need while in the except block and leave it: pydantic's error quotes
    # input values, so it must not ride along as __context__ into tracebacks and logs.
    # Only type, loc, msg and ctx are read, so url and input never leave here whatever
    # these flags say: they save work (equivalent mutants).
    return exc.errors(
        include_url=False,  # pragma: no mutate
        include_context=True,
        include_input=False,  # pragma: no mutate
    )


def _invalid(
    spec: ProviderSpec, data: bytes, details: list[Any], allow_unknown: bool
) -> UnknownEvent:
    """The unknown event for ``details`` when allowed, else raise the error they describe."""
    error = _translate(spec, data, details)
    if isinstance(error, UnknownEventError) and allow_unknown:
        # Imported here, not at the top: a provider module has loaded the models by now, and
        # importing the package stays free of model building.
        from ._base import UnknownEvent  # noqa: PLC0415

        return UnknownEvent(
            provider=spec.name, event_type=error.event_type, payload=dict(error.payload)
        )
    raise error


def _translate(spec: ProviderSpec, data: bytes, details: list[Any]) -> PayloadError:
    name = spec.name
    first = details[0]
    if first["type"] == "json_invalid":
        why = first["ctx"]["error"]
        if data.startswith(_BOM):
            why = "it starts with a UTF-8 byte order mark"
        return MalformedPayloadError(f"The webhook body is not valid JSON ({why}).", provider=name)
    if first["type"] == "dict_type" and not first["loc"]:
        return MalformedPayloadError(
            "The webhook body is JSON but not a JSON object.", provider=name
        )
    if first["type"] in ("union_tag_invalid", "union_tag_not_found") and not first["loc"]:
        # Here, not at the top: building an adapter at import would cost what the lazy
        # model bases save (_base is loaded by every provider before its first parse).
        from ._base import JSON_OBJECT  # noqa: PLC0415

        payload = JSON_OBJECT.validate_json(data)
        # The discriminator's attribute name (event_name for eventName) beside the wire
        # name is read as the tag by pydantic: a shadow, refused as one (see _without_shadows).
        attribute = next(iter(spec.event_classes.values())).event_type_field
        if attribute != spec.discriminator and attribute in payload:
            return _shadow_error(spec, [(attribute, spec.discriminator)])
        tag = payload.get(spec.discriminator)
        if isinstance(tag, str):
            return UnknownEventError(provider=name, event_type=tag, payload=payload)
        what = (
            "Field required"
            if tag is None and spec.discriminator not in payload
            else ("Input should be a valid string")
        )
        return PayloadValidationError(
            provider=name,
            errors=[ErrorDetail(loc=(spec.discriminator,), type="event_type", msg=what)],
        )
    # In a tagged union pydantic puts the tag first in every error's location; the payload
    # has no such level, so drop it to give the field path as it appears on the wire.
    return PayloadValidationError(
        provider=name,
        errors=[
            ErrorDetail(loc=tuple(d["loc"][1:]), type=d["type"], msg=d["msg"]) for d in details
        ],
    )

"""``Webhook``: one provider's options, checked and derived once; ``.parse()`` per request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Generic, Literal, NoReturn, TypeVar, overload

from pydantic import ValidationError

from ._headers import HeaderName, header_value
from ._registry import Provider, get_spec
from ._signing import as_bytes, normalize_secrets
from ._types import DEFAULT_MAX_BODY_SIZE
from .exceptions import (
    ConfigurationError,
    ErrorDetail,
    MalformedPayloadError,
    PayloadError,
    PayloadValidationError,
    UnknownEventError,
    UnsupportedContentTypeError,
)

if TYPE_CHECKING:
    # The models load with the first provider used, not with the package.
    from collections.abc import Callable

    from typing_extensions import Unpack

    from ._base import UnknownEvent, WebhookEvent
    from ._registry import ProviderSpec
    from ._signing import Check
    from ._types import Body, Headers, Secrets, WebhookOptions

    # BEGIN generated imports (tools/gen_overloads.py writes them from the provider registry)
    from .anddone import AndDoneEvent, SignatureScheme
    from .mastercard import MastercardEvent
    from .mastercard_connect import MastercardConnectEvent
    from .payscore import PayscoreEvent
    from .payscore_v1 import PayscoreV1Event
    # END generated imports

__all__ = ["Webhook", "require_size_limit"]

EventT_co = TypeVar("EventT_co", covariant=True)

_BOM: Final = b"\xef\xbb\xbf"
_CONTENT_TYPE: Final = HeaderName("Content-Type")


class Webhook(Generic[EventT_co]):
    """One provider's webhooks, configured once: build it at start-up, then parse requests.

    The constructor checks every option and derives what does not change between requests
    (the provider's validator, the secrets' HMAC key schedules, the signature header's
    spellings), so :meth:`parse` does only the request's own work: the size limit, the
    signature over the raw bytes, then JSON decoding and validation in one pass.

    Instances are immutable and safe to share between threads. ``repr()`` shows the
    provider and options, never the secret.

    Args:
        provider: Whose webhooks: ``"mastercard"``, ``"mastercard_connect"``,
            ``"payscore"``, ``"payscore_v1"``, ``"anddone"``, or a :class:`Provider` member.
        secret: The signing secret (``str`` or ``bytes``), or a list or tuple of them to
            allow key rotation.
        verify: ``False`` skips signature checking. It must be written out: a signed
            provider with no secret raises :class:`ConfigurationError` instead.
        allow_unknown: Return an :class:`UnknownEvent` for event types this library does not
            know, instead of raising :class:`UnknownEventError`.
        max_body_size: Refuse bodies larger than this many bytes (default 1 MiB).
        signature_scheme: Provider-specific choices about how the signature is built (only
            AndDone, whose construction is not published, has any).

    Raises:
        ConfigurationError: An option is wrong: an unknown provider, no secret for a signed
            provider, a secret for an unsigned one, an unusable secret or limit.

    Example:
        >>> from webhook_payloads import Webhook
        >>> from webhook_payloads.payscore import signed_headers
        >>> PAYSCORE = Webhook("payscore", secret="s3cr3t")
        >>> body = b'{"code": "VERIFICATION_STARTED", "verification_id": "v-1"}'
        >>> PAYSCORE.parse(body, signed_headers(body, "s3cr3t"))
        VerificationStarted(code='VERIFICATION_STARTED', verification_id='v-1')
    """

    __slots__ = (
        "_check",
        "_has_secret",
        "_refine",
        "_spec",
        "_validate",
        "allow_unknown",
        "max_body_size",
        "provider",
        "signature_scheme",
        "verify",
    )

    _spec: ProviderSpec
    _validate: Callable[..., Any]
    _check: Check | None
    _refine: Callable[[bytes, Any], Any] | None
    _has_secret: bool
    provider: Provider
    """The provider whose webhooks this parses."""
    verify: bool
    """Whether signatures are checked."""
    allow_unknown: bool
    """Whether unknown event types give an :class:`UnknownEvent` instead of an error."""
    max_body_size: int
    """The largest body accepted, in bytes."""
    signature_scheme: object | None
    """The provider-specific signature construction, if any."""

    # BEGIN generated overloads (tools/gen_overloads.py writes them from the provider registry)
    @overload
    def __init__(
        self: Webhook[MastercardEvent],
        provider: Literal["mastercard", Provider.MASTERCARD],
        *,
        allow_unknown: Literal[False] = False,
        signature_scheme: object | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Webhook[MastercardEvent | UnknownEvent],
        provider: Literal["mastercard", Provider.MASTERCARD],
        *,
        allow_unknown: bool,
        signature_scheme: object | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Webhook[PayscoreEvent],
        provider: Literal["payscore", Provider.PAYSCORE],
        *,
        allow_unknown: Literal[False] = False,
        signature_scheme: object | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Webhook[PayscoreEvent | UnknownEvent],
        provider: Literal["payscore", Provider.PAYSCORE],
        *,
        allow_unknown: bool,
        signature_scheme: object | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Webhook[PayscoreV1Event],
        provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
        *,
        allow_unknown: Literal[False] = False,
        signature_scheme: object | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Webhook[PayscoreV1Event | UnknownEvent],
        provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
        *,
        allow_unknown: bool,
        signature_scheme: object | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Webhook[AndDoneEvent],
        provider: Literal["anddone", Provider.ANDDONE],
        *,
        allow_unknown: Literal[False] = False,
        signature_scheme: SignatureScheme | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Webhook[AndDoneEvent | UnknownEvent],
        provider: Literal["anddone", Provider.ANDDONE],
        *,
        allow_unknown: bool,
        signature_scheme: SignatureScheme | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Webhook[MastercardConnectEvent],
        provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
        *,
        allow_unknown: Literal[False] = False,
        signature_scheme: object | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None: ...
    @overload
    def __init__(
        self: Webhook[MastercardConnectEvent | UnknownEvent],
        provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
        *,
        allow_unknown: bool,
        signature_scheme: object | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None: ...
    # END generated overloads
    @overload
    def __init__(
        self: Webhook[WebhookEvent | UnknownEvent],
        provider: str | Provider,
        *,
        allow_unknown: bool = False,
        signature_scheme: object | None = None,
        **options: Unpack[WebhookOptions],
    ) -> None: ...
    def __init__(
        self,
        provider: str | Provider,
        *,
        secret: Secrets | None = None,
        verify: bool = True,
        allow_unknown: bool = False,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        signature_scheme: object | None = None,
    ) -> None:
        """Check every option and derive what each request needs (see the class)."""
        spec = get_spec(provider)
        name = spec.name
        _require_bool("verify", verify, name)
        _require_bool("allow_unknown", allow_unknown, name)
        require_size_limit(max_body_size, name)
        check: Check | None = None
        if spec.verifier is None:
            if secret is not None or signature_scheme is not None:
                raise ConfigurationError(spec.unsigned_reason, provider=name)
        elif secret is not None:
            # Checked even with verify=False: a wrong setting fails now, not once verifying.
            check = spec.verifier.prepare(
                normalize_secrets(secret, provider=name), signature_scheme
            )
        elif verify:
            raise ConfigurationError(
                f"{name} signs its webhooks but no secret was given; pass secret=... "
                "(or verify=False to skip verification, in tests only).",
                provider=name,
            )
        _set = object.__setattr__
        _set(self, "_spec", spec)
        _set(self, "_validate", spec.adapter.validator.validate_json)
        _set(self, "_refine", spec.refine)
        _set(self, "_check", check if verify else None)
        _set(self, "_has_secret", secret is not None)
        _set(self, "provider", spec.provider)
        _set(self, "verify", verify)
        _set(self, "allow_unknown", allow_unknown)
        _set(self, "max_body_size", max_body_size)
        _set(self, "signature_scheme", signature_scheme)

    def parse(self, body: Body, headers: Headers | None = None) -> EventT_co:
        """Verify one request and turn it into the provider's typed event.

        Args:
            body: The raw body exactly as received (``request.body``,
                ``request.get_data()``, ``await request.body()``); a ``str`` is encoded
                as UTF-8.
            headers: The request headers, any mapping, looked up case-insensitively.

        Returns:
            An instance of one of the provider's event classes (or an
            :class:`UnknownEvent`, with ``allow_unknown=True``).

        Raises:
            SignatureError: The signature is missing, malformed, or does not match.
            PayloadError: The body is too large, not a JSON object, or not a valid event.
            ConfigurationError: ``body`` or ``headers`` is of the wrong type.
        """
        # bytes within the limit, as every framework hands them over, are used as they are;
        # anything else (str, bytearray, memoryview, too large) is for as_bytes to decide.
        if type(body) is bytes and len(body) <= self.max_body_size:  # pragma: no mutate
            data = body
        else:
            data = as_bytes(body, self._spec.name, self.max_body_size)
        if self._check is not None:
            self._check(data, headers)
        try:
            # Attribute names (event_name for eventName) are for building events in Python:
            # a body is read by the names the provider sends.
            event = self._validate(data, by_name=False)
        except ValidationError as error:
            details = _details(error)
        else:
            if event.__pydantic_extra__:
                _refuse_shadows(self._spec, event.__pydantic_extra__)
            if self._refine is not None:
                event = self._refine(data, event)
            parsed: EventT_co = event
            return parsed
        unknown: EventT_co = self._invalid(data, details, headers)
        return unknown

    def _invalid(self, data: bytes, details: list[Any], headers: Headers | None) -> Any:
        """The unknown event for ``details`` when allowed, else raise the error they describe."""
        error = _translate(self._spec, data, details, headers)
        if isinstance(error, UnknownEventError) and self.allow_unknown:
            # Imported here: a provider module has loaded the models by now.
            from ._base import UnknownEvent  # noqa: PLC0415

            return UnknownEvent(
                provider=self._spec.name, event_type=error.event_type, payload=dict(error.payload)
            )
        raise error

    def __setattr__(self, name: str, value: object) -> NoReturn:
        """Refuse: a ``Webhook`` is immutable."""
        raise AttributeError(f"Webhook is immutable; build a new one to change {name!r}.")

    def __delattr__(self, name: str) -> NoReturn:
        """Refuse: a ``Webhook`` is immutable."""
        raise AttributeError(f"Webhook is immutable; {name!r} cannot be deleted.")

    def __repr__(self) -> str:
        """The provider and options; the secret only as ``'***'`` when one is set."""
        secret = ", secret='***'" if self._has_secret else ""
        scheme = f", signature_scheme={self.signature_scheme}" if self.signature_scheme else ""
        return (
            f"Webhook({self.provider.value!r}{secret}, verify={self.verify}, "
            f"allow_unknown={self.allow_unknown}, max_body_size={self.max_body_size}{scheme})"
        )


def _require_bool(option: str, value: object, provider: str) -> None:
    # Only a written-out True or False: a setting that came back None, "" or 0 must not
    # switch verification off.
    if value is not True and value is not False:
        raise ConfigurationError(
            f"{option} must be True or False, not {type(value).__name__}.", provider=provider
        )


def require_size_limit(max_body_size: object, provider: str | None) -> None:
    """Refuse a ``max_body_size`` that is not a positive ``int``.

    Raises:
        ConfigurationError: ``max_body_size`` is not a positive ``int`` (a ``bool`` is not).
    """
    if isinstance(max_body_size, bool) or not isinstance(max_body_size, int) or max_body_size <= 0:
        raise ConfigurationError(
            "max_body_size must be a positive number of bytes.", provider=provider
        )


def _refuse_shadows(spec: ProviderSpec, body: dict[str, Any]) -> None:
    """Refuse a body whose top-level key is one of its fields' attribute names.

    Bodies are read by wire names, so such a key (``event_body`` beside ``EventBody``) is
    kept as an unknown field under the field's own name, and ``model_dump()`` (which writes
    extras after fields) would give its value for the field. Where a signature covers only
    part of the body (AndDone's ``EventBody`` scheme), an unsigned key could so stand in for
    a signed one in dumps and queues. No provider sends attribute names.

    Raises:
        PayloadValidationError: A key is a field's attribute name.
    """
    shadows = sorted(spec.attribute_names.keys() & body.keys())
    if shadows:
        raise PayloadValidationError(
            provider=spec.name,
            known_names=spec.field_names,
            errors=[
                ErrorDetail(
                    loc=(name,),
                    type="attribute_name_key",
                    msg=f"Only wire names are accepted; this is the attribute name of "
                    f"{spec.attribute_names[name]!r}",
                )
                for name in shadows
            ],
        )


def _details(exc: ValidationError) -> list[Any]:
    # Read what we need while in the except block and leave it: pydantic's error quotes
    # input values, so it must not ride along as __context__ into tracebacks and logs.
    return exc.errors(include_url=False, include_input=False)  # pragma: no mutate


def _translate(
    spec: ProviderSpec, data: bytes, details: list[Any], headers: Headers | None
) -> PayloadError:
    name = spec.name
    first = details[0]
    if first["type"] == "json_invalid":
        return _not_json(spec, data, first["ctx"]["error"], headers)
    if first["type"] == "dict_type" and not first["loc"]:
        return MalformedPayloadError(
            "The webhook body is JSON but not a JSON object.", provider=name
        )
    # Here, not at the top: the adapter is built with the models, on a provider's first use.
    from ._base import JSON_OBJECT  # noqa: PLC0415

    try:
        payload = JSON_OBJECT.validate_json(data)
    except ValidationError as error:
        # A number that cannot make the round trip (NaN, 1e999), wherever it is.
        return _validation_error(spec, _details(error), in_union=False)  # pragma: no mutate
    # An attribute name at the top level explains the failure better than what pydantic
    # makes of it (a missing wire name, a tag that is not the one sent).
    _refuse_shadows(spec, payload)
    if first["type"] in ("union_tag_invalid", "union_tag_not_found") and not first["loc"]:
        tag = payload.get(spec.discriminator)
        if isinstance(tag, str):
            return UnknownEventError(provider=name, event_type=tag, payload=payload)
        absent = spec.discriminator not in payload
        what = "Field required" if absent else "Input should be a valid string"
        return PayloadValidationError(
            provider=name,
            known_names=spec.field_names,
            errors=[ErrorDetail(loc=(spec.discriminator,), type="event_type", msg=what)],
        )
    return _validation_error(spec, details, in_union=True)


def _validation_error(spec: ProviderSpec, details: list[Any], *, in_union: bool) -> PayloadError:
    # In a tagged union pydantic puts the tag first in every error's location; the payload
    # has no such level, so drop it to give the field path as it appears on the wire.
    skip = 1 if in_union else 0
    return PayloadValidationError(
        provider=spec.name,
        known_names=spec.field_names,
        errors=[
            ErrorDetail(loc=tuple(d["loc"][skip:]), type=d["type"], msg=d["msg"]) for d in details
        ],
    )


def _not_json(
    spec: ProviderSpec, data: bytes, why: str, headers: Headers | None
) -> MalformedPayloadError:
    if spec.xml_advice and _is_xml(data, headers):
        return UnsupportedContentTypeError(
            f"The webhook body is XML, and this library reads JSON bodies only; {spec.xml_advice}.",
            provider=spec.name,
        )
    if data.startswith(_BOM):
        why = "it starts with a UTF-8 byte order mark"
    return MalformedPayloadError(f"The webhook body is not valid JSON ({why}).", provider=spec.name)


def _is_xml(data: bytes, headers: Headers | None) -> bool:
    """Whether a body that is not JSON is XML: it starts with ``<``, or is declared XML.

    Asked only once JSON decoding has failed, so JSON bodies pay nothing for it.
    """
    text = data[len(_BOM) :] if data.startswith(_BOM) else data
    if text.lstrip(b" \t\r\n").startswith(b"<"):
        return True
    try:
        declared = header_value(headers, _CONTENT_TYPE)
    except ConfigurationError:
        # Headers the provider's check did not need may be of any type: they only refine
        # the answer here, so unreadable ones count as no Content-Type.
        return False
    if declared is None:
        return False
    media_type = declared.partition(";")[0].strip().lower()
    return media_type.endswith(("/xml", "+xml"))

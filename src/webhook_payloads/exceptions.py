"""The one error tree of webhook_payloads.

Everything the library raises is a :class:`WebhookError`::

    WebhookError                      root: ``except WebhookError`` catches all of it
    ├── ConfigurationError            the caller's mistake (500): no secret for a signed provider
    │   └── UnknownProviderError      also a LookupError; .provider
    ├── SignatureError                signature missing, malformed or not matching (401); .provider
    └── PayloadError                  also a ValueError (400); .provider
        ├── BodyTooLargeError         .size, .limit (413)
        ├── MalformedPayloadError     not UTF-8, not JSON, too deeply nested, not a JSON object
        │   └── UnsupportedContentTypeError   XML where JSON is read (Mastercard can send XML)
        ├── PayloadValidationError    a field is missing or of the wrong type; .errors
        └── UnknownEventError         .event_type, .payload

Messages are one sentence saying what failed and what to do. The data lives on attributes.
No message, ``str()`` or ``repr()`` ever contains a secret, a signature or a value taken from
the payload: the attributes that do hold payload data (:attr:`UnknownEventError.payload`) are
kept out of ``repr()``, and pydantic's own error (which quotes input values) is never chained.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar, Final

from typing_extensions import TypedDict

__all__ = [
    "BodyTooLargeError",
    "ConfigurationError",
    "ErrorDetail",
    "MalformedPayloadError",
    "PayloadError",
    "PayloadValidationError",
    "SignatureError",
    "UnknownEventError",
    "UnknownProviderError",
    "UnsupportedContentTypeError",
    "WebhookError",
]


class WebhookError(Exception):
    """Root of every error this library raises.

    Attributes:
        provider: The provider id the call was for, or ``None`` when it is not known.
        http_status: The HTTP status a webhook receiver should answer with.
    """

    http_status: ClassVar[int] = 400

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        """Create the error with a safe, one-sentence message."""
        super().__init__(message)
        self.provider: str | None = provider

    def __repr__(self) -> str:
        """Show the class, the message and the provider, never payload data."""
        return f"{type(self).__name__}({str(self)!r}, provider={self.provider!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support: rebuild from the message and the attributes.

        Exceptions with keyword-only arguments do not pickle by default, and errors cross
        process boundaries in task queues.
        """
        return (_rebuild, (type(self), str(self), self.__dict__))


def _rebuild(cls: type[WebhookError], message: str, state: dict[str, Any]) -> WebhookError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ConfigurationError(WebhookError):
    """The call itself is wrong: fix the code or settings, not the request.

    Raised, for example, when a signed provider is parsed with no secret and without an
    explicit ``verify=False``, or when a secret is passed for a provider that signs nothing.
    """

    http_status: ClassVar[int] = 500


class UnknownProviderError(ConfigurationError, LookupError):
    """The provider id is not one this library knows.

    Attributes:
        provider: The id that was asked for.
        known: The ids that exist.
    """

    def __init__(self, provider: str, known: Sequence[str]) -> None:
        """Create the error for an unknown provider id."""
        super().__init__(
            f"Unknown webhook provider {provider!r}; use one of: {', '.join(known)}.",
            provider=provider,
        )
        self.known: tuple[str, ...] = tuple(known)


class SignatureError(WebhookError):
    """The request's signature is missing, malformed, or does not match.

    Answer 401 and do not act on the request. The message says which of the three happened;
    it never contains the received or the expected signature.

    Attributes:
        reason: ``"missing"``, ``"malformed"`` or ``"mismatch"``.
    """

    http_status: ClassVar[int] = 401

    def __init__(self, message: str, *, provider: str | None = None, reason: str) -> None:
        """Create the error; ``reason`` is one of ``missing``, ``malformed``, ``mismatch``."""
        super().__init__(message, provider=provider)
        self.reason: str = reason


class PayloadError(WebhookError, ValueError):
    """The body is not a valid webhook of this provider (answer 400)."""

    http_status: ClassVar[int] = 400


class BodyTooLargeError(PayloadError):
    """The body is larger than the configured limit; nothing of it was parsed (answer 413).

    Attributes:
        size: The body's size in bytes.
        limit: The limit in force, in bytes.
    """

    http_status: ClassVar[int] = 413

    def __init__(
        self, *, provider: str | None, size: int, limit: int, setting: str = "max_body_size"
    ) -> None:
        """Create the error from the body's size and the limit (``setting`` names the limit)."""
        super().__init__(
            f"Webhook body of {size} bytes exceeds the limit of {limit} bytes; "
            f"raise {setting} if the provider really sends bodies this large.",
            provider=provider,
        )
        self.size: int = size
        self.limit: int = limit


class MalformedPayloadError(PayloadError):
    """The body is not a JSON object: not UTF-8, not JSON, too deep, or another JSON type."""


class UnsupportedContentTypeError(MalformedPayloadError):
    """The body is XML: this library reads JSON bodies only (answer 400).

    Mastercard sends XML when asked to (a Connect URL made with ``webhookContentType:
    application/xml``, a report generated with an XML ``Accept`` type). It publishes no
    XML example, so no XML model exists here; the message says how to ask for JSON. Raised
    only after the body failed to decode as JSON: it starts with ``<`` (after optional
    whitespace or a byte order mark), or the request's ``Content-Type`` names XML. A
    :class:`MalformedPayloadError`, so code catching that keeps working.
    """


class ErrorDetail(TypedDict):
    """One validation failure: where (``loc``, wire names), what kind (``type``), and why."""

    loc: tuple[str | int, ...]
    type: str
    msg: str


class PayloadValidationError(PayloadError):
    """The body is a JSON object but a field is missing or has the wrong type.

    Attributes:
        errors: One :class:`ErrorDetail` per failure, with the field path in wire names.
            The offending input values are deliberately left out: they may be personal data.
    """

    def __init__(
        self,
        *,
        provider: str | None,
        errors: Sequence[ErrorDetail],
        known_names: Collection[str] = (),
    ) -> None:
        """Create the error from the failures found.

        The message shows the path of the first failure: list positions, and the names in
        ``known_names`` (the library's own field names). Any other key came from the body,
        which may have put anything there, so the message says ``<unknown key>`` instead;
        :attr:`errors` holds the path as sent.
        """
        self.errors: tuple[ErrorDetail, ...] = tuple(errors)
        self._known_names = known_names
        first = self.errors[0] if self.errors else None
        where = self.location(first) if first and first["loc"] else "body"
        what = first["msg"] if first else "invalid payload"
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(
            f"Webhook payload failed validation at {where}: {what}{more}; "
            "see .errors for every failing field.",
            provider=provider,
        )

    def location(self, detail: ErrorDetail) -> str:
        """``detail``'s path as it may be shown in a message or a log line.

        List positions and the library's own field names are shown; any other key came
        from the body, so it is shown as ``<unknown key>`` (it could hold personal data or
        terminal escapes). ``detail["loc"]`` itself keeps the path as sent.

        Args:
            detail: One of :attr:`errors`.

        Returns:
            The path joined with dots, such as ``EventBody.<unknown key>``; empty for the
            body itself.
        """
        known = self._known_names
        return ".".join(
            str(part) if isinstance(part, int) or part in known else "<unknown key>"
            for part in detail["loc"]
        )


# The event type comes from the request; an attacker could make it megabytes long.
_MAX_SHOWN: Final = 64


class UnknownEventError(PayloadError):
    """The discriminator names an event this library does not know (yet).

    Providers add events without notice. Catch this to log and acknowledge such events, or
    call ``parse(..., allow_unknown=True)`` to receive an ``UnknownEvent`` instead.

    Attributes:
        event_type: The discriminator's value (for example Payscore's ``code``).
        payload: The decoded JSON object, for handling it by hand. Kept out of ``repr()``.
    """

    def __init__(
        self, *, provider: str | None, event_type: str, payload: Mapping[str, Any]
    ) -> None:
        """Create the error for an event type the library does not know."""
        super().__init__(
            f"Unknown event type {_shown_event_type(event_type)!r} for provider {provider!r}; "
            "handle .payload yourself or pass allow_unknown=True.",
            provider=provider,
        )
        self.event_type: str = event_type
        self.payload: Mapping[str, Any] = payload

    def __repr__(self) -> str:
        """Show the event type (cut to 64 characters), never the payload."""
        shown = _shown_event_type(self.event_type)
        return f"{type(self).__name__}(provider={self.provider!r}, event_type={shown!r})"


def _shown_event_type(event_type: str) -> str:
    """``event_type`` cut to 64 characters (with "..." when cut), for messages and reprs."""
    return event_type[:_MAX_SHOWN] + ("..." if len(event_type) > _MAX_SHOWN else "")

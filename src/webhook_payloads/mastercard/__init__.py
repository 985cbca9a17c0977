"""Mastercard Open Finance US (formerly Finicity) report webhooks, sent to a ``callbackUrl``.

Mastercard does **not** sign these webhooks, and requires the endpoint to have no security
restrictions. ``Webhook("mastercard")`` therefore takes no secret. The one defence a receiver has is
what it put into the ``callbackUrl`` itself: :func:`callback_url` adds an unguessable token
bound to a reference of yours, and :func:`verify_callback_url` checks it on receipt. Treat
the event as a hint and fetch the report through Mastercard's API before acting on it.

Example:
    >>> from webhook_payloads import mastercard
    >>> body = b'{"eventName": "done", "id": "r-1", "status": "success", "customerId": 1005}'
    >>> from webhook_payloads import Webhook
    >>> MASTERCARD = Webhook("mastercard")
    >>> event = MASTERCARD.parse(body)
    >>> match event:
    ...     case mastercard.ReportDone():
    ...         print("fetch report", event.id, "for customer", event.customer_id)
    fetch report r-1 for customer 1005
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import TYPE_CHECKING, Final, cast
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .._registry import Provider, ProviderSpec
from .._signing import HmacKey, normalize_secrets, signing_key
from ..exceptions import ConfigurationError, SignatureError
from ._events import (
    MastercardEvent,
    MastercardEventBase,
    ReportCustomField,
    ReportDone,
    ReportFailed,
    ReportFamily,
    ReportInProgress,
    ReportPrimaryFieldUpdate,
    ReportStatus,
    ReportType,
)

if TYPE_CHECKING:
    from .._types import Secrets

__all__ = [
    "MastercardEvent",
    "MastercardEventBase",
    "ReportCustomField",
    "ReportDone",
    "ReportFailed",
    "ReportFamily",
    "ReportInProgress",
    "ReportPrimaryFieldUpdate",
    "ReportStatus",
    "ReportType",
    "callback_token",
    "callback_url",
    "verify_callback_token",
    "verify_callback_url",
]

_PROVIDER: Final = "mastercard"

# Domain separation: a key reused elsewhere (it should not be) still yields tokens that
# mean nothing outside this use.
_TOKEN_CONTEXT: Final = b"webhook-payloads/mastercard/callbackUrl/v1\x00"
_TOKEN_SIZE: Final = 32
_TOKEN_LENGTH: Final = 43  # unpadded base64url of 32 bytes
_MAX_REFERENCE: Final = 256

_UNSIGNED_REASON: Final = (
    "Mastercard does not sign report webhooks, so there is no signature to verify; "
    "call parse('mastercard', body) without secret or signature_scheme, and check the "
    "callbackUrl token with webhook_payloads.mastercard.verify_callback_url instead."
)


def _encoded(reference: str) -> bytes | None:
    if not reference or len(reference) > _MAX_REFERENCE:
        return None
    try:
        return reference.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: it could not travel in a URL anyway
        return None


def _check_reference(reference: object) -> bytes:
    if not isinstance(reference, str):
        raise ConfigurationError(
            f"A callback reference must be a str, not {type(reference).__name__}.",
            provider=_PROVIDER,
        )
    encoded = _encoded(reference)
    if encoded is None:
        raise ConfigurationError(
            f"A callback reference must be a non-empty str of at most {_MAX_REFERENCE} "
            "characters, encodable as UTF-8.",
            provider=_PROVIDER,
        )
    return encoded


def _token_bytes(reference: bytes, key: HmacKey) -> bytes:
    return key.digest(_TOKEN_CONTEXT + reference)


def callback_token(reference: str, key: Secrets) -> str:
    """The token for ``reference`` under your key: 43 URL-safe characters.

    The token is the HMAC-SHA256 of ``reference`` under ``key`` (a secret of yours, not one
    Mastercard knows), base64url-encoded without padding.

    Args:
        reference: Your own reference for the report request, such as a random id you store
            with it. It travels in the URL in clear: put no personal data in it.
        key: Your callback key (at least 32 random bytes are recommended); of a rotation
            list, the first (current) one.

    Raises:
        ConfigurationError: ``reference`` or ``key`` is empty or of the wrong type.
    """
    raw_key = HmacKey(signing_key(key, provider=_PROVIDER))
    digest = _token_bytes(_check_reference(reference), raw_key)
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def callback_url(
    base_url: str,
    reference: str,
    key: Secrets,
    *,
    reference_param: str = "ref",
    token_param: str = "token",  # noqa: S107 - a query parameter's name, not a secret
) -> str:
    """``base_url`` with ``reference`` and its token added to the query string.

    Pass the result as ``callbackUrl`` when you ask Mastercard to generate a report, and
    check each webhook's URL with :func:`verify_callback_url`.

    Args:
        base_url: Your webhook endpoint; query parameters it already has are kept.
        reference: Your reference for this report request (see :func:`callback_token`).
        key: Your callback key.
        reference_param: The query parameter that carries ``reference``.
        token_param: The query parameter that carries the token.

    Returns:
        The URL to give Mastercard.

    Raises:
        ConfigurationError: An argument is empty, or ``base_url`` already has one of the
            two parameters.

    Example:
        >>> from webhook_payloads.mastercard import callback_url
        >>> callback_url("https://example.com/hooks/mastercard", "req-7", "k" * 32)
        'https://example.com/hooks/mastercard?ref=req-7&token=BEKyVixdgHQmAcpL53uPfKw-VHjrXiA_Ky1TpS_c2kY'
    """
    token = callback_token(reference, key)
    if not reference_param or not token_param or reference_param == token_param:
        raise ConfigurationError(
            "reference_param and token_param must be two different, non-empty names.",
            provider=_PROVIDER,
        )
    parts = urlsplit(base_url)
    existing = parse_qs(parts.query, keep_blank_values=True)
    if reference_param in existing or token_param in existing:
        raise ConfigurationError(
            f"base_url already has a {reference_param!r} or {token_param!r} query parameter.",
            provider=_PROVIDER,
        )
    added = urlencode({reference_param: reference, token_param: token})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit(parts._replace(query=query))


def verify_callback_token(reference: str | None, token: str | None, key: Secrets) -> None:
    """Check that ``token`` was made by :func:`callback_token` for ``reference``.

    Args:
        reference: The reference received (``None`` when it is missing).
        token: The token received (``None`` when it is missing).
        key: Your callback key, or several during a key rotation.

    Raises:
        SignatureError: The reference or token is missing, malformed, or does not match.
        ConfigurationError: No usable key was given, or ``reference`` or ``token`` is
            neither ``str`` nor ``None``.
    """
    keys = [HmacKey(raw_key) for raw_key in normalize_secrets(key, provider=_PROVIDER)]
    for name, value in (("reference", reference), ("token", token)):
        # From untyped code anything may come; only str or None is a reference or token.
        if value is not None and not isinstance(value, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError(
                f"The callback {name} must be a str (or None when missing), "
                f"not {type(value).__name__}.",
                provider=_PROVIDER,
            )
    if not reference or not token:
        raise SignatureError(
            "The callbackUrl reference or token is missing; this request did not come "
            "through a callbackUrl made by callback_url().",
            provider=_PROVIDER,
            reason="missing",
        )
    received = b""
    encoded = _encoded(reference)
    if len(token) == _TOKEN_LENGTH and encoded is not None:
        try:
            received = base64.urlsafe_b64decode(token + "=")
            # Only the text callback_url() writes: the decoder also takes the standard
            # alphabet and ignores the last character's spare bits, so several texts would
            # carry one token. (A token that is not ASCII fails to encode: a ValueError.)
            canonical = base64.urlsafe_b64encode(received).rstrip(b"=")
            if not hmac.compare_digest(canonical, token.encode("ascii")):
                received = b""
        except (binascii.Error, ValueError):
            received = b""
    if encoded is None or len(received) != _TOKEN_SIZE:
        raise SignatureError(
            "The callbackUrl token or reference is malformed.",
            provider=_PROVIDER,
            reason="malformed",
        )
    matched = False
    for raw_key in keys:
        # Every key is tried, so the time taken does not reveal which one matched.
        matched |= hmac.compare_digest(_token_bytes(encoded, raw_key), received)
    if not matched:
        raise SignatureError(
            "The callbackUrl token does not match its reference under any configured key.",
            provider=_PROVIDER,
            reason="mismatch",
        )


def verify_callback_url(
    url: str,
    key: Secrets,
    *,
    reference_param: str = "ref",
    token_param: str = "token",  # noqa: S107 - a query parameter's name, not a secret
) -> str:
    """Check the token in the URL a webhook arrived at, and return its reference.

    Args:
        url: The request's URL as received, still percent-encoded, full or path-and-query
            only (Django ``request.get_full_path()``, Flask ``request.url`` (not
            ``request.full_path``, which decodes an encoded ``?`` in the path), Starlette
            ``str(request.url)``). Act on the reference returned, not on the request's own
            query parameters.
        key: Your callback key, or several during a key rotation.
        reference_param: The query parameter that carries the reference.
        token_param: The query parameter that carries the token.

    Returns:
        The reference the token was made for: look your report request up with it.

    Raises:
        SignatureError: A parameter is missing, repeated, malformed, or does not match.
        ConfigurationError: No usable key was given.
    """
    try:
        split = urlsplit(url)
    except ValueError:  # such as an unclosed "[" in the host: nothing of it can be trusted
        split = None
    if split is None:
        raise SignatureError(
            "The callbackUrl is not a valid URL; pass the request's path and query.",
            provider=_PROVIDER,
            reason="malformed",
        )
    query = parse_qs(split.query, keep_blank_values=True)
    references = query.get(reference_param, [])
    tokens = query.get(token_param, [])
    if len(references) > 1 or len(tokens) > 1:
        raise SignatureError(
            "The callbackUrl reference or token appears more than once in the URL.",
            provider=_PROVIDER,
            reason="malformed",
        )
    reference = references[0] if references else None
    verify_callback_token(reference, tokens[0] if tokens else None, key)
    return cast("str", reference)


SPEC: Final = ProviderSpec(
    provider=Provider.MASTERCARD,
    union=MastercardEvent,
    discriminator="eventName",
    verifier=None,
    unsigned_reason=_UNSIGNED_REASON,
    # The body's type follows the Accept type of the generate-report call (JSON or XML).
    xml_advice="ask for JSON with 'Accept: application/json' on the generate-report call "
    "that set this callbackUrl",
)
"""How ``parse()`` handles Mastercard (read by the registry; not public API)."""

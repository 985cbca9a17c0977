"""Mastercard Open Finance US (formerly Finicity) Connect webhooks, keyed on ``eventType``.

Connect notifies the ``webhook`` URL you pass when generating a Connect URL as the consumer
moves through Connect: institution found or not, accounts being added, added, deleted,
credentials refused, session done. It signs every event: ``X-Finicity-Signature`` is the
hex HMAC-SHA256 of the raw body keyed with your partner secret. Undelivered events are
retried, and there is no timestamp: store ``event.idempotency_key`` (built on ``eventId``)
and ignore repeats.

These are not the report webhooks sent to a generate-report call's ``callbackUrl`` (see
:mod:`webhook_payloads.mastercard`): those are unsigned, sent once, and keyed on
``eventName``.

Example:
    >>> from webhook_payloads import parse
    >>> from webhook_payloads import mastercard_connect as connect
    >>> body = b'{"customerId":"1005","eventType":"adding","eventId":"e-1","payload":{"oauth":true}}'
    >>> event = parse("mastercard_connect", body, connect.signed_headers(body, "s3cr3t"), secret="s3cr3t")
    >>> match event:
    ...     case connect.AccountsAdding(payload=connect.InstitutionPayload(oauth=True)):
    ...         print("OAuth connection for customer", event.customer_id)
    OAuth connection for customer 1005
"""  # noqa: E501 - the example's lines are as a user would type them

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .._registry import Provider, ProviderSpec
from .._signing import HexHeaderScheme
from ._events import (
    AccountDetail,
    AccountsAdded,
    AccountsAdding,
    AccountsDeleted,
    AccountsDeletedPayload,
    AccountsDiscovered,
    AccountsPayload,
    AccountType,
    ConnectAccount,
    ConnectDone,
    ConnectErrorPayload,
    ConnectPayload,
    ConnectStarted,
    CredentialsUpdated,
    InstitutionNotFound,
    InstitutionNotFoundPayload,
    InstitutionNotSupported,
    InstitutionPayload,
    InstitutionSupported,
    InvalidCredentials,
    MastercardConnectEvent,
    MastercardConnectEventBase,
    Ping,
    Processing,
    SessionEvent,
    UnableToConnect,
)

if TYPE_CHECKING:
    from .._types import Body, Headers, Secrets

__all__ = [
    "SIGNATURE_HEADER",
    "AccountDetail",
    "AccountType",
    "AccountsAdded",
    "AccountsAdding",
    "AccountsDeleted",
    "AccountsDeletedPayload",
    "AccountsDiscovered",
    "AccountsPayload",
    "ConnectAccount",
    "ConnectDone",
    "ConnectErrorPayload",
    "ConnectPayload",
    "ConnectStarted",
    "CredentialsUpdated",
    "InstitutionNotFound",
    "InstitutionNotFoundPayload",
    "InstitutionNotSupported",
    "InstitutionPayload",
    "InstitutionSupported",
    "InvalidCredentials",
    "MastercardConnectEvent",
    "MastercardConnectEventBase",
    "Ping",
    "Processing",
    "SessionEvent",
    "UnableToConnect",
    "sign",
    "signed_headers",
    "verify_signature",
]

SIGNATURE_HEADER: Final = "X-Finicity-Signature"
"""The header Mastercard Connect puts the signature in."""

_SCHEME: Final = HexHeaderScheme(provider="mastercard_connect", header=SIGNATURE_HEADER)


def sign(body: Body, secret: Secrets) -> str:
    """The ``X-Finicity-Signature`` value Mastercard would send for ``body``.

    Args:
        body: The exact bytes to send (a ``str`` is encoded as UTF-8).
        secret: Your Mastercard partner secret; of a rotation list, the first (current) one.

    Returns:
        The hex HMAC-SHA256 of ``body``.
    """
    return _SCHEME.sign(body, secret)


def signed_headers(body: Body, secret: Secrets) -> dict[str, str]:
    """Headers for a request carrying ``body`` as Mastercard Connect would sign it (for tests)."""
    return _SCHEME.signed_headers(body, secret)


def verify_signature(body: Body, headers: Headers | None, secret: Secrets) -> None:
    """Check a request's ``X-Finicity-Signature`` without parsing the body.

    Args:
        body: The raw body as received.
        headers: The request headers (any mapping, any letter case).
        secret: Your partner secret, or several during a key rotation.

    Raises:
        SignatureError: The header is missing, malformed, or matches no secret.
        ConfigurationError: No usable secret was given.
    """
    _SCHEME.verify(body, headers, secret)


SPEC: Final = ProviderSpec(
    provider=Provider.MASTERCARD_CONNECT,
    union=MastercardConnectEvent,
    discriminator="eventType",
    verifier=_SCHEME,
    # webhookContentType in the Generate Connect URL request picks JSON or XML.
    xml_advice="ask for JSON with 'webhookContentType: application/json' in the Generate "
    "Connect URL request",
)
"""How ``parse()`` handles Mastercard Connect (read by the registry; not public API)."""

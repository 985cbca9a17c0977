"""Payscore's v1 (deprecated) screening API: fifteen screening webhooks.

Signed exactly like the current API: ``Verification-Signature`` is the hex HMAC-SHA256 of the
raw body under your secret key. v1 and the current API are separate integrations, so they
have separate event classes; only the signature scheme is shared.

Example:
    >>> from webhook_payloads import payscore_v1
    >>> body = b'{"code": "NO_BANK", "screening_group_id": "g-1", "screening_id": "s-1"}'
    >>> from webhook_payloads import Webhook
    >>> PAYSCORE_V1 = Webhook("payscore_v1", secret="k")
    >>> event = PAYSCORE_V1.parse(body, payscore_v1.signed_headers(body, "k"))
    >>> event
    NoBank(screening_group_id='g-1', screening_id='s-1', code='NO_BANK')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .._registry import Provider, ProviderSpec
from .._signing import HexHeaderScheme
from ._events import (
    Applicant,
    ApplicantAdded,
    ApplicantEvent,
    ApplicantRemoved,
    BankCannotConnect,
    BankEvent,
    BankNotSupported,
    BeginScreening,
    InviteExpired,
    NoBank,
    NoIncome,
    NoOnlineBanking,
    PayscoreV1Event,
    PayscoreV1EventBase,
    ReOpenScreening,
    ReportExpired,
    ReportSoonToExpire,
    ScreeningCompleted,
    ScreeningEvent,
    ScreeningGroupCompleted,
    ShareBank,
)

if TYPE_CHECKING:
    from .._types import Body, Headers, Secrets

__all__ = [
    "SIGNATURE_HEADER",
    "Applicant",
    "ApplicantAdded",
    "ApplicantEvent",
    "ApplicantRemoved",
    "BankCannotConnect",
    "BankEvent",
    "BankNotSupported",
    "BeginScreening",
    "InviteExpired",
    "NoBank",
    "NoIncome",
    "NoOnlineBanking",
    "PayscoreV1Event",
    "PayscoreV1EventBase",
    "ReOpenScreening",
    "ReportExpired",
    "ReportSoonToExpire",
    "ScreeningCompleted",
    "ScreeningEvent",
    "ScreeningGroupCompleted",
    "ShareBank",
    "sign",
    "signed_headers",
    "verify_signature",
]

SIGNATURE_HEADER: Final = "Verification-Signature"
"""The header Payscore puts the signature in (the same as in the current API)."""

_SCHEME: Final = HexHeaderScheme(provider="payscore_v1", header=SIGNATURE_HEADER)


def sign(body: Body, secret: Secrets) -> str:
    """The ``Verification-Signature`` value Payscore would send for ``body``.

    Args:
        body: The exact bytes to send (a ``str`` is encoded as UTF-8).
        secret: Your Payscore secret key; of a rotation list, the first (current) one.

    Returns:
        The hex HMAC-SHA256 of ``body``.
    """
    return _SCHEME.sign(body, secret)


def signed_headers(body: Body, secret: Secrets) -> dict[str, str]:
    """Headers for a request carrying ``body`` as Payscore would sign it (for tests)."""
    return _SCHEME.signed_headers(body, secret)


def verify_signature(body: Body, headers: Headers | None, secret: Secrets) -> None:
    """Check a request's ``Verification-Signature`` without parsing the body.

    Args:
        body: The raw body as received.
        headers: The request headers (any mapping, any letter case).
        secret: Your secret key, or several during a key rotation.

    Raises:
        SignatureError: The header is missing, malformed, or matches no secret.
        ConfigurationError: No usable secret was given.
    """
    _SCHEME.verify(body, headers, secret)


SPEC: Final = ProviderSpec(
    provider=Provider.PAYSCORE_V1,
    union=PayscoreV1Event,
    discriminator="code",
    verifier=_SCHEME,
)
"""How ``parse()`` handles Payscore v1 (read by the registry; not public API)."""

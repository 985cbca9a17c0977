"""Payscore's current API: verification and report webhooks.

Payscore signs every webhook: the ``Verification-Signature`` header is the hex HMAC-SHA256 of
the raw body under your account's secret key. There is no timestamp, so use
``event.idempotency_key`` to ignore repeats.

Example:
    >>> from webhook_payloads import payscore
    >>> body = b'{"code": "REPORT_READY", "applicant_group_id": "g-1", "report_id": "r-1", "report_type": "income"}'
    >>> headers = payscore.signed_headers(body, "s3cr3t")
    >>> from webhook_payloads import Webhook
    >>> PAYSCORE = Webhook("payscore", secret="s3cr3t")
    >>> event = PAYSCORE.parse(body, headers)
    >>> match event:
    ...     case payscore.ReportReady(report_type="income"):
    ...         print("fetch income report", event.report_id)
    fetch income report r-1
"""  # noqa: E501 - the example's body is one line on purpose

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .._registry import Provider, ProviderSpec
from .._signing import HexHeaderScheme
from ._events import (
    PayscoreEvent,
    PayscoreEventBase,
    ReasonCompleted,
    ReportReady,
    ReportType,
    VerificationCompleted,
    VerificationStarted,
)

if TYPE_CHECKING:
    from .._types import Body, Headers, Secrets

__all__ = [
    "SIGNATURE_HEADER",
    "PayscoreEvent",
    "PayscoreEventBase",
    "ReasonCompleted",
    "ReportReady",
    "ReportType",
    "VerificationCompleted",
    "VerificationStarted",
    "sign",
    "signed_headers",
    "verify_signature",
]

SIGNATURE_HEADER: Final = "Verification-Signature"
"""The header Payscore puts the signature in."""

_SCHEME: Final = HexHeaderScheme(provider="payscore", header=SIGNATURE_HEADER)


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
    provider=Provider.PAYSCORE,
    union=PayscoreEvent,
    discriminator="code",
    verifier=_SCHEME,
)
"""How ``parse()`` handles Payscore (read by the registry; not public API)."""

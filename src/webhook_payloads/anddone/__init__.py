r"""AndDone webhooks: report, transaction, refund, chargeback, void and premium finance.

AndDone puts an HMAC-SHA256 ``Signature`` (base64) inside the JSON body, keyed with the hex
key you set for the endpoint in AndDone's portal. AndDone does not publish which bytes it
signs nor whether the hex key is decoded first, so verifying needs an explicit
:class:`SignatureScheme`; confirm it with AndDone, and use :func:`matching_schemes` to see
which choice a real delivery verifies under.

Example:
    >>> from webhook_payloads import anddone
    >>> scheme = anddone.SignatureScheme(
    ...     signed=anddone.SignedContent.BODY_WITHOUT_SIGNATURE,
    ...     key=anddone.KeyEncoding.HEX_DECODED,
    ... )
    >>> key = "6b" * 32
    >>> body = anddone.sign(
    ...     b'{"EventCode": "ReportGenerated", "EventDateTime": "12-15-2023 00:02:51",'
    ...     b' "EventBody": {"MerchantId": "4bvl9KxM", "ReportId": "KGx1n813"},'
    ...     b' "AdditionalFields": "[{\\"ReportGenerationLogId\\":\\"evGYDYL8\\"}]"}',
    ...     key,
    ...     scheme,
    ... )
    >>> from webhook_payloads import Webhook
    >>> ANDDONE = Webhook("anddone", secret=key, signature_scheme=scheme)
    >>> event = ANDDONE.parse(body)
    >>> event.report_generation_log_id
    'evGYDYL8'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .._registry import Provider, ProviderSpec
from .._signing import as_bytes, normalize_secrets, signing_key
from ..exceptions import ConfigurationError, SignatureError
from ._events import (
    DATETIME_FORMAT,
    AccountBooked,
    AccountBookedEventBody,
    AdditionalField,
    AdditionalFields,
    AndDoneDateTime,
    AndDoneEvent,
    AndDoneEventBase,
    ChargebackEventBody,
    Money,
    NotificationType,
    PaymentEventBase,
    PaymentEventBody,
    PaymentMethod,
    RefundEventBase,
    RefundEventBody,
    ReportEventBase,
    ReportEventBody,
    ReportGenerated,
    ReportGeneratedWithNoData,
    ReportGenerationFailed,
    TextBool,
    TransactionAuthorized,
    TransactionCancelled,
    TransactionChargeback,
    TransactionEventBase,
    TransactionEventBody,
    TransactionFailed,
    TransactionOrigin,
    TransactionRefundAccepted,
    TransactionRefundFailed,
    TransactionRefundInitiated,
    TransactionRefundSuccess,
    TransactionStatus,
    TransactionSuccess,
    TransactionVoided,
    VoidEventBody,
    format_datetime,
    read_datetime,
)
from ._money import read_amounts
from ._signature import (
    SIGNATURE_FIELD,
    KeyEncoding,
    SignatureScheme,
    SignedBytesFunction,
    SignedContent,
    Verifier,
    signed_bytes,
)

if TYPE_CHECKING:
    from .._types import Body, Secrets

__all__ = [
    "ALL_SCHEMES",
    "DATETIME_FORMAT",
    "SIGNATURE_FIELD",
    "AccountBooked",
    "AccountBookedEventBody",
    "AdditionalField",
    "AdditionalFields",
    "AndDoneDateTime",
    "AndDoneEvent",
    "AndDoneEventBase",
    "ChargebackEventBody",
    "KeyEncoding",
    "Money",
    "NotificationType",
    "PaymentEventBase",
    "PaymentEventBody",
    "PaymentMethod",
    "RefundEventBase",
    "RefundEventBody",
    "ReportEventBase",
    "ReportEventBody",
    "ReportGenerated",
    "ReportGeneratedWithNoData",
    "ReportGenerationFailed",
    "SignatureScheme",
    "SignedBytesFunction",
    "SignedContent",
    "TextBool",
    "TransactionAuthorized",
    "TransactionCancelled",
    "TransactionChargeback",
    "TransactionEventBase",
    "TransactionEventBody",
    "TransactionFailed",
    "TransactionOrigin",
    "TransactionRefundAccepted",
    "TransactionRefundFailed",
    "TransactionRefundInitiated",
    "TransactionRefundSuccess",
    "TransactionStatus",
    "TransactionSuccess",
    "TransactionVoided",
    "VoidEventBody",
    "format_datetime",
    "matching_schemes",
    "read_datetime",
    "sign",
    "signed_bytes",
    "verify_signature",
]

_VERIFIER: Final = Verifier()

ALL_SCHEMES: Final = tuple(
    SignatureScheme(signed=signed, key=key) for signed in SignedContent for key in KeyEncoding
)
"""Every combination of the named choices, the candidates :func:`matching_schemes` tries."""


def sign(body: Body, secret: Secrets, scheme: SignatureScheme) -> bytes:
    """``body`` with the ``Signature`` AndDone would add under ``scheme`` (for tests).

    The signature becomes the object's last member; one already present is replaced.

    Args:
        body: A JSON object, as the bytes to send (a ``str`` is encoded as UTF-8).
        secret: Your endpoint's hex HMAC key; of a rotation list, the first (current) one.
        scheme: How the signature is built.

    Returns:
        The body to send.

    Raises:
        ConfigurationError: The body is not a JSON object, or the key or scheme is unusable.
    """
    key = signing_key(secret, provider="anddone")
    signed, _ = _VERIFIER.sign_request(as_bytes(body, provider="anddone"), key, scheme)
    return signed


def verify_signature(body: Body, secret: Secrets, scheme: SignatureScheme) -> None:
    """Check a request's in-body ``Signature`` without parsing the event.

    Args:
        body: The raw body as received.
        secret: Your hex HMAC key, or several during a key rotation.
        scheme: How AndDone builds the signature, as confirmed with AndDone.

    Raises:
        SignatureError: The signature is missing, malformed, or matches no secret.
        ConfigurationError: No usable secret, or a wrong scheme.
    """
    keys = normalize_secrets(secret, provider="anddone")
    _VERIFIER.prepare(keys, scheme)(as_bytes(body, provider="anddone"), None)


def matching_schemes(body: Body, secret: Secrets) -> list[SignatureScheme]:
    """The named schemes under which a real delivery's ``Signature`` verifies.

    Run it on one genuine delivery, raw bytes as received, to learn which construction
    your AndDone endpoint uses; then pass that scheme to :func:`parse`. An empty list means
    none of the named choices fits: ask AndDone and supply a :class:`SignatureScheme` with
    your own ``signed`` function.

    Raises:
        SignatureError: The body carries no readable ``Signature`` at all.
        ConfigurationError: ``secret`` is empty.
    """
    keys = normalize_secrets(secret, provider="anddone")
    data = as_bytes(body, provider="anddone")
    return [scheme for scheme in ALL_SCHEMES if _verifies(data, keys, scheme)]


def _verifies(body: bytes, keys: tuple[bytes, ...], scheme: SignatureScheme) -> bool:
    try:
        _VERIFIER.prepare(keys, scheme)(body, None)
    except SignatureError as error:
        # A body without EventBody cannot fit EVENT_BODY; any other malformation is fatal.
        event_body_only = scheme.signed is SignedContent.EVENT_BODY  # public comparison: config
        if error.reason != "mismatch" and not event_body_only:
            raise
        return False
    except ConfigurationError:
        return False  # the secret is not hex: HEX_DECODED cannot be the construction
    return True


SPEC: Final = ProviderSpec(
    provider=Provider.ANDDONE,
    union=AndDoneEvent,
    discriminator="EventCode",
    verifier=_VERIFIER,
    named_schemes={str(scheme.name): scheme for scheme in ALL_SCHEMES},
    key_members=("EventBody",),
    refine=read_amounts,
)
"""How ``parse()`` handles AndDone (read by the registry; not public API)."""

"""What the framework receivers share: where secrets come from, and how refusals look.

Every receiver does the same thing in the same order: refuse anything but POST (405), refuse a
declared ``Content-Length`` above the limit before reading the body, read the raw body (one of
undeclared length, chunked, piece by piece, refused once it passes the limit), call
``parse()``, and on a :class:`WebhookError` answer ``error.http_status`` with a short body that
says only which of three things went wrong. The error's own message is logged (it is safe by
contract: no secret, signature or payload value), never sent back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias

from .._parse import parse
from .._registry import get_spec
from .._types import DEFAULT_MAX_BODY_SIZE
from ..exceptions import (
    BodyTooLargeError,
    ConfigurationError,
    PayloadError,
    SignatureError,
    WebhookError,
)

if TYPE_CHECKING:
    from .._base import UnknownEvent, WebhookEvent
    from .._types import Headers, Secrets

__all__ = [
    "SECRETS_SETTING",
    "Receiver",
    "SecretSource",
    "refusal",
]

SECRETS_SETTING: Final = "WEBHOOK_PAYLOADS_SECRETS"
"""The Django setting and Flask config key: a dict of provider id -> secret or secrets."""

SecretSource: TypeAlias = "Secrets | Callable[[], Secrets | None] | None"
"""A secret, several (key rotation), or a function returning them, called per request."""

logger: Final = logging.getLogger("webhook_payloads.integrations")

_REFUSALS: Final[Mapping[int, str]] = {
    400: "invalid webhook payload",
    401: "invalid webhook signature",
    413: "webhook body too large",
}
_SERVER_ERROR: Final = "webhook receiver misconfigured"
# More digits than any real Content-Length has (and int() of thousands of digits fails).
_MAX_DIGITS: Final = 18


@dataclass(frozen=True)
class Receiver:
    """One provider's receiving options, checked once when the view is declared.

    Attributes:
        provider: The provider id.
        secret: Where the secret comes from; ``None`` means the framework's settings.
        signature_scheme: Passed to ``parse()`` (AndDone's choice of construction).
        max_body_size: Passed to ``parse()``; also checked against ``Content-Length`` first.
        allow_unknown: Passed to ``parse()``: hand on ``UnknownEvent`` instead of answering 400.
    """

    provider: str
    secret: SecretSource = None
    signature_scheme: object | None = None
    max_body_size: int = DEFAULT_MAX_BODY_SIZE
    allow_unknown: bool = False

    @classmethod
    def create(
        cls,
        provider: str,
        *,
        secret: SecretSource,
        signature_scheme: object | None,
        max_body_size: int,
        allow_unknown: bool,
    ) -> Receiver:
        """Check the provider id now, so a typo fails when the app starts, not per request.

        Raises:
            UnknownProviderError: ``provider`` is not a known id.
        """
        return cls(
            provider=get_spec(provider).provider.value,
            secret=secret,
            signature_scheme=signature_scheme,
            max_body_size=max_body_size,
            allow_unknown=allow_unknown,
        )

    def check_length(self, declared: str | int | None) -> int | None:
        """Refuse a declared ``Content-Length`` above the limit before reading the body.

        Also called with the bytes read so far while a body of undeclared length (chunked)
        is read, so that it is refused as soon as it passes the limit.

        Returns:
            The declared length when it is a usable number (the server then stops there), or
            ``None``: a chunked request, or a header that is not a number, whose body the
            receiver reads piece by piece, refusing it once past the limit, instead of
            letting the framework read all of it first.

        Raises:
            BodyTooLargeError: The declared length is above :attr:`max_body_size`.
        """
        if isinstance(declared, str):
            declared = self._declared(declared)
        if declared is not None and declared > self.max_body_size:
            raise BodyTooLargeError(provider=self.provider, size=declared, limit=self.max_body_size)
        return declared

    def _declared(self, text: str) -> int | None:
        text = text.strip()
        if not (text.isascii() and text.isdigit()):
            return None
        return int(text) if len(text) <= _MAX_DIGITS else self.max_body_size + 1

    def parse(
        self, body: bytes, headers: Headers, settings: object | None
    ) -> WebhookEvent | UnknownEvent:
        """``parse()`` with this receiver's options and the secret from wherever it comes.

        Args:
            body: The raw body.
            headers: The request headers.
            settings: The framework's ``WEBHOOK_PAYLOADS_SECRETS`` value, if it has one.

        Raises:
            WebhookError: Whatever ``parse()`` raises, or ``ConfigurationError`` for a
                settings value that is not a dict.
        """
        secret = self._secret(settings)
        return parse(
            self.provider,
            body,
            headers,
            secret=secret,
            allow_unknown=self.allow_unknown,
            max_body_size=self.max_body_size,
            signature_scheme=self.signature_scheme,
        )

    def _secret(self, settings: object | None) -> Secrets | None:
        if self.secret is not None:
            return self.secret() if callable(self.secret) else self.secret
        if settings is None:
            return None
        if not isinstance(settings, Mapping):
            raise ConfigurationError(
                f"{SECRETS_SETTING} must be a dict of provider id -> secret or secrets.",
                provider=self.provider,
            )
        secret: Secrets | None = settings.get(self.provider)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        return secret  # pyright: ignore[reportUnknownVariableType]


def refusal(error: WebhookError, provider: str) -> tuple[int, str]:
    """Log ``error`` and say what to answer: its ``http_status`` and a short, fixed text.

    The text names only the kind of failure (payload, signature, or the receiver's own
    configuration); the details stay in the log.
    """
    status = error.http_status
    if isinstance(error, (SignatureError, PayloadError)):
        logger.warning("Refused a %s webhook (%d): %s", provider, status, error)
    else:
        logger.error("Cannot receive %s webhooks (%d): %s", provider, status, error)
    return status, _REFUSALS.get(status, _SERVER_ERROR)

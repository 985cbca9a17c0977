"""What the framework receivers share: their ``Webhook``, the URL token, and how refusals look.

Every receiver does the same thing in the same order: refuse anything but POST (405); find
the ``Webhook`` (built when the receiver was declared, or for the secret now in settings:
500 when none is usable); check the ``callbackUrl`` token of a Mastercard receiver (401);
refuse a declared ``Content-Length`` above the limit (413); read the raw body (one of
undeclared length, chunked, piece by piece, refused once it passes the limit); parse it. An
authentic body that fails validation goes to ``on_invalid`` when there is one (then 202).
On a :class:`WebhookError` the receiver answers ``error.http_status`` with a short body that
says only which of a few things went wrong. The error's own message is logged (it is safe by
contract: no secret, signature or payload value), never sent back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeAlias, cast

from .._registry import get_spec, registered_providers
from .._signing import normalize_secrets
from .._types import DEFAULT_MAX_BODY_SIZE
from .._webhook import Webhook
from ..exceptions import (
    BodyTooLargeError,
    ConfigurationError,
    PayloadError,
    SignatureError,
    WebhookError,
)

if TYPE_CHECKING:
    from .._types import Headers, Secrets

__all__ = [
    "KEPT",
    "KEPT_TEXT",
    "SECRETS_SETTING",
    "InvalidHandler",
    "Receiver",
    "SecretSource",
    "Start",
    "refusal",
]

SECRETS_SETTING: Final = "WEBHOOK_PAYLOADS_SECRETS"
"""The Django setting and Flask config key: a dict of provider id -> secret or secrets."""

SecretSource: TypeAlias = "Secrets | Callable[[], Secrets | None] | None"
"""A secret, several (key rotation), or a function returning them, called per request."""

InvalidHandler: TypeAlias = Callable[[bytes, PayloadError], None]
"""``on_invalid(body, error)``: keeps an authentic body that failed validation."""

KEPT: Final = object()
"""What :meth:`Receiver.deliver` returns when ``on_invalid`` kept the body (answer 202)."""

KEPT_TEXT: Final = "webhook kept for replay"

logger: Final = logging.getLogger("webhook_payloads.integrations")

_REFUSALS: Final[Mapping[int, str]] = {
    400: "invalid webhook payload",
    401: "invalid webhook signature",
    413: "webhook body too large",
}
_SERVER_ERROR: Final = "webhook receiver misconfigured"
# More digits than any real Content-Length has (and int() of thousands of digits fails).
_MAX_DIGITS: Final = 18
# Signs nothing: it lets the constructor check the signature scheme and the other options
# when the receiver is declared, before the real secret can be read (it is hex text, which
# every AndDone key encoding accepts).
_STAND_IN_KEY: Final = "ab" * 32
_NOTHING: Final = object()
_UNSIGNED_ENTRY: Final = (
    "{where} is ignored: {provider} does not sign its webhooks, so no secret can verify "
    "them; remove the entry{advice}."
)


class Start(NamedTuple):
    """What is known of a request before its body is read."""

    webhook: Webhook[Any]
    """The ``Webhook`` that parses it."""
    reference: str | None
    """The verified ``callbackUrl`` reference (receivers with ``callback_key`` only)."""
    declared: int | None
    """The declared ``Content-Length`` when it is a usable number, else ``None``."""


class Receiver:
    """One provider's receiving options, checked once when the view is declared.

    The ``Webhook`` is built then when the secret is known then (given as a value, or a
    provider that signs nothing). A secret read at request time (the framework's settings,
    or a function) builds a ``Webhook`` on first use and again only when the value changes:
    a rotation in settings takes effect on the next request, and the key schedules are not
    rebuilt per request.

    Args:
        provider: The provider id.
        secret: Where the secret comes from; ``None`` means the framework's settings.
        setting: How the framework's secrets setting is written in messages
            (``settings.WEBHOOK_PAYLOADS_SECRETS``); ``None`` for a framework without
            settings, where a signed provider needs ``secret``.
        signature_scheme: Passed to :class:`Webhook` (AndDone's choice of construction).
        max_body_size: Passed to :class:`Webhook`; also checked against ``Content-Length``.
        allow_unknown: Passed to :class:`Webhook`: hand on ``UnknownEvent`` instead of 400.
        callback_key: For ``"mastercard"``: the key (or keys) its ``callbackUrl`` tokens
            were made with; the token is checked before the body is read.
        on_invalid: Called with an authentic body that fails validation or has an unknown
            event type; when it returns, the receiver answers 202.

    Raises:
        ConfigurationError: An option is wrong (the same checks as :class:`Webhook`, and
            ``callback_key``/``on_invalid`` where they cannot work).
    """

    __slots__ = (
        "_callback_keys",
        "_current",
        "_noted",
        "_options",
        "_setting",
        "_source",
        "_unsigned",
        "_webhook",
        "max_body_size",
        "on_invalid",
        "provider",
    )

    def __init__(
        self,
        provider: str,
        *,
        secret: SecretSource,
        setting: str | None,
        signature_scheme: object | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        allow_unknown: bool = False,
        callback_key: Secrets | None = None,
        on_invalid: InvalidHandler | None = None,
    ) -> None:
        """Check every option now (see the class)."""
        spec = get_spec(provider)
        self.provider: str = spec.name
        options: dict[str, Any] = {
            "signature_scheme": signature_scheme,
            "max_body_size": max_body_size,
            "allow_unknown": allow_unknown,
        }
        self._options = options
        self._setting = setting
        self._unsigned = spec.verifier is None
        self._current: tuple[object, Webhook[Any]] | None = None
        self._noted: object = _NOTHING
        self._webhook: Webhook[Any] | None = None
        self._source: Callable[[], Secrets | None] | None = None
        if callable(secret):
            self._source = secret
        elif secret is not None or spec.verifier is None:
            self._webhook = Webhook(provider, secret=secret, **options)
        elif setting is None:
            raise ConfigurationError(
                f"{self.provider} signs its webhooks but no secret was given; pass secret=... "
                "(the secret, a list of them while rotating, or a function returning them).",
                provider=self.provider,
            )
        if self._webhook is None:
            Webhook(provider, secret=_STAND_IN_KEY, **options)
        self.max_body_size: int = max_body_size
        self._callback_keys = _callback_keys(self.provider, callback_key)
        if on_invalid is not None and not callable(on_invalid):
            raise ConfigurationError(
                "on_invalid must be a function of (body, error).", provider=self.provider
            )
        if on_invalid is not None and spec.verifier is None and self._callback_keys is None:
            raise ConfigurationError(
                f"on_invalid needs callback_key= for {self.provider}: it signs nothing, so "
                "without the callbackUrl token nothing shows that a body is authentic.",
                provider=self.provider,
            )
        self.on_invalid: InvalidHandler | None = on_invalid

    @property
    def checks_token(self) -> bool:
        """Whether requests must carry a valid ``callbackUrl`` token."""
        return self._callback_keys is not None

    def start(self, settings: object | None, url: str, declared: str | int | None) -> Start:
        """Do what comes before reading the body: find the ``Webhook``, check token and length.

        Args:
            settings: The framework's ``WEBHOOK_PAYLOADS_SECRETS`` value (``None`` if unset).
            url: The request's path and query as received (for the ``callbackUrl`` token).
            declared: The ``Content-Length`` header, if any.

        Raises:
            ConfigurationError: No usable secret (the message names where to put one).
            SignatureError: The ``callbackUrl`` token is missing or wrong.
            BodyTooLargeError: The declared length is above :attr:`max_body_size`.
        """
        webhook = self.webhook(settings)
        reference = None
        if self._callback_keys is not None:
            from ..mastercard import verify_callback_url  # noqa: PLC0415 - loaded with its models

            reference = verify_callback_url(url, self._callback_keys)
        return Start(webhook, reference, self.check_length(declared))

    def webhook(self, settings: object | None) -> Webhook[Any]:
        """The ``Webhook`` for the secret in force now.

        Raises:
            ConfigurationError: No usable secret (the message names where to put one).
        """
        if self._webhook is not None:
            if self._setting is not None and self._source is None and self._unsigned:
                self._note_unsigned_entry(settings)
            return self._webhook
        if self._source is not None:
            secret: object = self._source()
            where = "the function given as secret="
        else:
            secret, where = self._from_settings(settings)
        # A snapshot: a list changed in place must not match what it was when cached.
        value = tuple(secret) if isinstance(secret, list) else secret  # pyright: ignore[reportUnknownArgumentType]
        current = self._current
        if current is not None and current[0] == value:
            return current[1]
        if secret is None:
            raise ConfigurationError(
                f"{where} returned no secret for {self.provider}, which signs its webhooks.",
                provider=self.provider,
            )
        try:
            # Any value: the constructor checks it, and says what is wrong with it.
            webhook: Webhook[Any] = Webhook(
                self.provider, secret=cast("Secrets", secret), **self._options
            )
        except ConfigurationError as error:
            message = f"The secret from {where} cannot be used: {error}"
        else:
            self._current = (value, webhook)
            return webhook
        raise ConfigurationError(message, provider=self.provider)

    def _from_settings(self, settings: object | None) -> tuple[object, str]:
        table = self._setting
        where = f'{table}["{self.provider}"]'
        if settings is None:
            raise ConfigurationError(
                f"{table} is not set; add it with a {self.provider!r} entry: the "
                f"{self.provider} signing secret, or a list of secrets while rotating.",
                provider=self.provider,
            )
        if not isinstance(settings, Mapping):
            raise ConfigurationError(
                f"{table} must be a dict of provider id -> secret or secrets.",
                provider=self.provider,
            )
        entries: Mapping[object, object] = settings  # pyright: ignore[reportUnknownVariableType]
        if self.provider not in entries:
            known = {provider.value for provider in registered_providers()}
            # Counted, never shown: a dict written the wrong way round has secrets as keys.
            others = sum(1 for key in entries if key not in known)
            hint = f" ({others} of its keys are not provider ids)" if others else ""
            raise ConfigurationError(
                f"{where} is missing{hint}; add the {self.provider} signing secret there, "
                "or a list of secrets while rotating.",
                provider=self.provider,
            )
        return entries[self.provider], where

    def _note_unsigned_entry(self, settings: object | None) -> None:
        # An entry for a provider that signs nothing cannot be used: say so once per value,
        # and keep receiving (each request would otherwise answer 500 for the same reason).
        if not isinstance(settings, Mapping) or self.provider not in settings:
            return
        entry: object = settings[self.provider]  # pyright: ignore[reportUnknownVariableType]
        if self._noted is entry:
            return
        self._noted = entry
        advice = "" if self._callback_keys is not None else " and pass callback_key= instead"
        where = f'{self._setting}["{self.provider}"]'
        logger.error(_UNSIGNED_ENTRY.format(where=where, provider=self.provider, advice=advice))

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

    def deliver(self, webhook: Webhook[Any], body: bytes, headers: Headers) -> object:
        """The event, or :data:`KEPT` when ``on_invalid`` kept an authentic invalid body.

        Raises:
            WebhookError: Whatever ``Webhook.parse`` raises, unless ``on_invalid`` kept it.
        """
        try:
            event: object = webhook.parse(body, headers)
        except BodyTooLargeError:
            raise
        except PayloadError as error:
            # The signature (or the callbackUrl token) was checked before the body was read
            # as JSON: what fails now is authentic.
            if self.on_invalid is None or not self._keep(body, error):
                raise
            return KEPT
        return event

    def _keep(self, body: bytes, error: PayloadError) -> bool:
        on_invalid: InvalidHandler = self.on_invalid  # type: ignore[assignment]
        try:
            on_invalid(body, error)
        except Exception:
            # Answered as if there were no on_invalid: the provider may send it again.
            logger.exception("on_invalid failed for a webhook from %s", self.provider)
            return False
        logger.warning("Kept a webhook from %s for replay: %s", self.provider, error)
        return True


def _callback_keys(provider: str, callback_key: Secrets | None) -> tuple[bytes, ...] | None:
    if callback_key is None:
        return None
    if provider != "mastercard":
        raise ConfigurationError(
            f"callback_key is for Mastercard report webhooks (a callbackUrl token); "
            f"{provider} webhooks are authenticated by their signature.",
            provider=provider,
        )
    return normalize_secrets(callback_key, provider=provider)


def refusal(error: WebhookError, provider: str | None) -> tuple[int, str]:
    """Log ``error`` and say what to answer: its ``http_status`` and a short, fixed text.

    The text names only the kind of failure (payload, signature, or the receiver's own
    configuration); the details stay in the log.
    """
    status = error.http_status
    source = provider or error.provider or "an unknown provider"
    if isinstance(error, (SignatureError, PayloadError)):
        logger.warning("Refused a webhook from %s (%d): %s", source, status, error)
    else:
        logger.error("Cannot receive webhooks from %s (%d): %s", source, status, error)
    return status, _REFUSALS.get(status, _SERVER_ERROR)

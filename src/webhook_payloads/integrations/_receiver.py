"""What the framework receivers share: their ``Webhook``, the URL token, and how refusals look.

Every receiver does the same thing in the same order: refuse anything but POST (405); find
the ``Webhook`` (built when the receiver was declared, or for the secret now in settings:
500 when none is usable); check the ``callbackUrl`` token of a Mastercard receiver (401);
refuse a declared ``Content-Length`` above the limit (413); read the raw body (one of
undeclared length, chunked, piece by piece, refused once it passes the limit). Those steps
read the request, so each framework adapter does them its own way; then it hands the body to
:meth:`Receiver.handle` (or :meth:`Receiver.handle_async`), the one place where the body is
parsed, an authentic body that fails validation goes to ``on_invalid`` (202 once it returned,
500 when it raised), and the user's handler is called. On a :class:`WebhookError` the
receiver answers ``error.http_status`` with a short body that says only which of a few things
went wrong. The error's own message is logged (it is safe by contract: no secret, signature
or payload value), never sent back.
"""

from __future__ import annotations

import copy
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol, TypeAlias, TypeVar, cast

from typing_extensions import TypedDict

from .._headers import HeaderName, header_value
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
    from ._inbox import Store

__all__ = [
    "KEPT",
    "KEPT_TEXT",
    "LENGTH_REQUIRED",
    "LENGTH_REQUIRED_TEXT",
    "NOT_KEPT",
    "OFFLOAD_SIZE",
    "SECRETS_SETTING",
    "Answer",
    "InvalidDelivery",
    "InvalidHandler",
    "Offload",
    "Receiver",
    "ReceiverOptions",
    "SecretSource",
    "Start",
    "StoreReceiverOptions",
    "refusal",
]

T = TypeVar("T")

SECRETS_SETTING: Final = "WEBHOOK_PAYLOADS_SECRETS"
"""The Django setting and Flask config key: a dict of provider id -> secret or secrets."""

SecretSource: TypeAlias = "Secrets | Callable[[], Secrets | None] | None"
"""A secret, several (key rotation), or a function returning them, called per request."""


@dataclass(frozen=True, slots=True, repr=False)
class InvalidDelivery:
    """An authentic delivery that this version cannot read, handed to ``on_invalid``.

    Authentic means every byte of :attr:`body` was verified: its signature, or for
    Mastercard report webhooks (which are unsigned) the ``callbackUrl`` token. Keep it, and
    after an upgrade verify and parse it again with
    ``Webhook(delivery.provider, secret=...).parse(delivery.body, delivery.headers)``.
    ``repr()`` shows neither the body nor the headers (the body holds personal data).

    Attributes:
        provider: The provider id, such as ``"payscore"``.
        receiver: The receiver's name (``name=``; by default the handler's
            ``module.qualname``).
        body: The raw body, as received.
        headers: Only the headers its verification needs, under their documented spelling
            (``{"Verification-Signature": "..."}`` for Payscore); empty when the signature
            is in the body (AndDone) or there is none (Mastercard report webhooks).
        reference: The verified ``callbackUrl`` reference of a Mastercard receiver with
            ``callback_key``, else ``None``.
        error: Why it cannot be read: the :class:`PayloadError` (its message is safe to log).
        received_at: When the receiver handed it over (timezone-aware, UTC).
    """

    provider: str
    receiver: str
    body: bytes
    headers: Mapping[str, str]
    reference: str | None
    error: PayloadError
    received_at: datetime

    def __repr__(self) -> str:
        """The provider, receiver, reference, error type and time; never body or headers."""
        return (
            f"InvalidDelivery(provider={self.provider!r}, receiver={self.receiver!r}, "
            f"reference={self.reference!r}, error={type(self.error).__name__}, "
            f"received_at={self.received_at.isoformat()!r}, body=<{len(self.body)} bytes>)"
        )


InvalidHandler: TypeAlias = Callable[[InvalidDelivery], object]
"""``on_invalid(delivery)``: keeps an authentic delivery that failed validation.

A plain function, or an ``async def`` one where the view is async (FastAPI/Starlette,
Django ``async def`` views); what it returns is ignored."""


class ReceiverOptions(TypedDict, total=False):
    """The options every framework's receiver takes alike, whatever the provider.

    For type checkers: each provider's overload of a receiver takes these (through the
    receiver's own options below) as ``**options: Unpack[...]`` and spells out only what
    differs between providers. The receivers name every option with its default; their
    docstrings say what each one does.
    """

    secret: SecretSource
    max_body_size: int
    on_invalid: InvalidHandler | None
    name: str | None


class StoreReceiverOptions(ReceiverOptions, total=False):
    """The options of the Flask and Starlette/FastAPI receivers, whose inbox is a store."""

    inbox: Store | None
    defer: Callable[[int], object] | None


KEPT_TEXT: Final = "webhook kept for replay"

OFFLOAD_SIZE: Final = 32 * 1024
"""Bodies larger than this are verified and parsed off the event loop by async receivers.

Below it, a hostile body costs well under a millisecond to refuse, and a real one less than
the hop to a worker thread and back (about 0.05 ms): small bodies stay on the loop."""


class Answer:
    """What the receiver answers instead of the handler: a status and a short text.

    Attributes:
        status: The HTTP status (202 when ``on_invalid`` kept the delivery).
        text: The short text of the answer (never an error's details).
    """

    __slots__ = ("status", "text")

    def __init__(self, status: int, text: str) -> None:
        """Keep ``status`` and ``text``."""
        self.status = status
        self.text = text

    def __repr__(self) -> str:
        """``Answer(status, text)``."""
        return f"Answer({self.status}, {self.text!r})"


KEPT: Final = Answer(202, KEPT_TEXT)
"""What the receiver answers when ``on_invalid`` kept the delivery."""


class Offload(Protocol):
    """How an async adapter runs blocking work without stalling its event loop."""

    async def cpu(self, function: Callable[..., T], /, *args: Any) -> T:
        """Run CPU work (verifying and parsing a large body) in a worker thread."""
        ...

    async def blocking(self, function: Callable[..., T], /, *args: Any) -> T:
        """Run the user's sync callback the way the framework expects (Django's ORM)."""
        ...


logger: Final = logging.getLogger("webhook_payloads.integrations")

_REFUSALS: Final[Mapping[int, str]] = {
    400: "invalid webhook payload",
    401: "invalid webhook signature",
    413: "webhook body too large",
}
_SERVER_ERROR: Final = "webhook receiver misconfigured"
NOT_KEPT: Final = "webhook could not be kept"
LENGTH_REQUIRED_TEXT: Final = "webhook length required"
LENGTH_REQUIRED: Final = (
    "Refused a webhook from %s (411): it came without Content-Length (chunked) and the WSGI "
    "server does not mark such a body as complete (wsgi.input_terminated), so it cannot be "
    "read; run a server that does (gunicorn does), or have the proxy send Content-Length."
)
# More digits than any real Content-Length has (and int() of thousands of digits fails).
_MAX_DIGITS: Final = 18
# Signs nothing: it lets the constructor check the signature scheme and the other options
# when the receiver is declared, before the real secret can be read (it is hex text, which
# every AndDone key encoding accepts).
_STAND_IN_KEY: Final = "ab" * 32
_NOTHING: Final = object()
_SOURCE: Final = "the function given as secret="
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
        on_invalid: Called with an :class:`InvalidDelivery` when an authentic body fails
            validation or has an unknown event type; when it returns, the receiver answers
            202, when it raises, 500.
        name: The receiver's name (:attr:`name`); ``None`` for the adapter's default
            (:meth:`named` sets it from the handler).

    Attributes:
        provider: The provider id.
        name: The receiver's stable name, as handed over in :attr:`InvalidDelivery.receiver`.
        max_body_size: The largest body accepted, in bytes.
        on_invalid: The keeper, or ``None``.
        checks_token: Whether requests must carry a valid ``callbackUrl`` token (adapters
            build the request URL only then).

    Raises:
        ConfigurationError: An option is wrong (the same checks as :class:`Webhook`, and
            ``callback_key``/``on_invalid`` where they cannot work).
    """

    __slots__ = (
        "_async_keeper",
        "_callback_keys",
        "_current",
        "_kept_headers",
        "_named",
        "_noted",
        "_options",
        "_setting",
        "_source",
        "_unsigned",
        "_webhook",
        "checks_token",
        "max_body_size",
        "name",
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
        name: str | None = None,
    ) -> None:
        """Check every option now (see the class)."""
        spec = get_spec(provider)
        self.provider: str = spec.name
        if name is not None and (not isinstance(name, str) or not name.strip()):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError(
                "name must be a non-empty string (the receiver's stable name).",
                provider=self.provider,
            )
        self.name: str = self.provider if name is None else name
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
        self.checks_token: bool = self._callback_keys is not None
        header = getattr(spec.verifier, "header", None)
        # Only the headers verification reads are kept with an invalid delivery.
        self._kept_headers = (HeaderName(header),) if isinstance(header, str) else ()
        if on_invalid is not None:
            if not callable(on_invalid):
                raise ConfigurationError(
                    "on_invalid must be a function of one InvalidDelivery.",
                    provider=self.provider,
                )
            self.check_can_keep("on_invalid")
        self.on_invalid: InvalidHandler | None = on_invalid
        self._async_keeper = on_invalid is not None and is_async(on_invalid)
        self._named = name is not None

    @property
    def can_keep(self) -> bool:
        """Whether every byte of a delivery is authenticated, so that it can be kept.

        ``False`` for a provider that signs nothing without ``callback_key``, and for
        AndDone's ``event_body`` scheme, which leaves the envelope (``EventCode``,
        ``EventDateTime``, ``AdditionalFields``) unsigned. ``on_invalid`` and an inbox need it.
        """
        return self._keeping_refused() is None

    def check_can_keep(self, option: str) -> None:
        """Refuse ``option`` (``"on_invalid"``, ``"inbox"``) when :attr:`can_keep` is false.

        Raises:
            ConfigurationError: Says why the deliveries cannot be kept as authentic.
        """
        reason = self._keeping_refused()
        if reason is not None:
            raise ConfigurationError(f"{option} {reason}", provider=self.provider)

    def _keeping_refused(self) -> str | None:
        if self._unsigned and self._callback_keys is None:
            return (
                f"needs callback_key= for {self.provider}: it signs nothing, so without the "
                "callbackUrl token nothing shows that a body is authentic."
            )
        if _signs_part_only(self.provider, self._options["signature_scheme"]):
            return (
                "cannot be used with AndDone's event_body signature scheme: it signs only "
                "EventBody, so a kept delivery's EventCode, EventDateTime and "
                "AdditionalFields could be forged; use a scheme that signs the whole body."
            )
        return None

    def refuse_async_keeper(self, where: str) -> None:
        """Refuse an ``async def`` ``on_invalid`` in a view that cannot await it.

        Args:
            where: The kind of view, for the message (``"a sync Django view"``).

        Raises:
            ConfigurationError: ``on_invalid`` is an ``async def`` function.
        """
        if self._async_keeper:
            raise ConfigurationError(
                f"on_invalid is an async function, which {where} cannot await (it would "
                "never run); pass a plain function, or make the view async.",
                provider=self.provider,
            )

    def named(self, handler: Callable[..., Any]) -> Receiver:
        """This receiver for ``handler``: named ``module.qualname`` unless ``name=`` was given.

        A copy, so that one decorator applied to two handlers gives two names.
        """
        if self._named:
            return self
        named = copy.copy(self)
        named.name = f"{handler.__module__}.{handler.__qualname__}"
        return named

    @property
    def reads_settings(self) -> bool:
        """Whether :meth:`start` reads the framework's settings (else pass ``None``).

        ``False`` when the secret was given as a value or a function, and for a framework
        without settings: adapters then skip reading the setting on every request. A
        provider that signs nothing still reads it, to say once that an entry there is
        ignored.
        """
        return (
            self._setting is not None
            and self._source is None
            and (self._webhook is None or self._unsigned)
        )

    def start(self, settings: object | None, url: str, declared: str | int | None) -> Start:
        """Do what comes before reading the body: find the ``Webhook``, check token and length.

        Args:
            settings: The framework's ``WEBHOOK_PAYLOADS_SECRETS`` value (``None`` if unset).
            url: The request's path and query as received (for the ``callbackUrl`` token);
                read only when :attr:`checks_token`, so adapters build it only then.
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
        # _make builds the tuple in one step, without the keyword handling of Start(...).
        return Start._make((webhook, reference, self.check_length(declared)))

    def webhook(self, settings: object | None) -> Webhook[Any]:
        """The ``Webhook`` for the secret in force now.

        Raises:
            ConfigurationError: No usable secret (the message names where to put one), or
                the function given as ``secret`` raised (the message names its exception's
                type only).
        """
        if self._webhook is not None:
            if self._setting is not None and self._source is None and self._unsigned:
                self._note_unsigned_entry(settings)
            return self._webhook
        current = self._current
        entries: Any = settings
        if current is not None and self._source is None and isinstance(entries, dict):
            # The common case, in a straight line: the setting still holds the secret cached
            # (a list compared as the snapshot it was cached as, as below).
            secret: object = entries.get(self.provider, _NOTHING)  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            if current[0] == (tuple(secret) if isinstance(secret, list) else secret):  # pyright: ignore[reportUnknownArgumentType]
                return current[1]
        if self._source is not None:
            secret, where = self._from_source(self._source), _SOURCE
        else:
            secret, where = self._from_settings(settings)
        # A snapshot: a list changed in place must not match what it was when cached.
        value = tuple(secret) if isinstance(secret, list) else secret  # pyright: ignore[reportUnknownArgumentType]
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

    def _from_source(self, source: Callable[[], Secrets | None]) -> Secrets | None:
        try:
            return source()
        except Exception as error:  # noqa: BLE001 - the app's function: its failure, named
            failure = type(error).__name__
        # Raised outside the except block: the error's message may hold what the function read.
        raise ConfigurationError(
            f"{_SOURCE} raised {failure} for {self.provider}; make it return the secret, or "
            "None where there is none.",
            provider=self.provider,
        )

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
            text = declared.strip()
            if not (text.isascii() and text.isdigit()):
                return None
            declared = int(text) if len(text) <= _MAX_DIGITS else self.max_body_size + 1
        if declared is not None and declared > self.max_body_size:
            raise BodyTooLargeError(provider=self.provider, size=declared, limit=self.max_body_size)
        return declared

    def handle(
        self,
        start: Start,
        body: bytes,
        headers: Headers,
        call: Callable[[tuple[object, ...]], T],
    ) -> T | Answer:
        """Parse ``body``, then keep it (``on_invalid``) or call the handler: the one path.

        Args:
            start: What :meth:`start` found.
            body: The raw body, read within the limit.
            headers: The request's headers.
            call: Calls the user's handler with the event and, with ``callback_key``, the
                reference (``(event,)`` or ``(event, reference)``).

        Returns:
            What ``call`` returned, or the :class:`Answer` to give instead: the refusal of a
            :class:`WebhookError` (from parsing or from the handler), :data:`KEPT` (202)
            when ``on_invalid`` kept the delivery, 500 when it raised.
        """
        event = self.parse(start, body, headers)
        if isinstance(event, Answer):
            return event
        try:
            return call((event,) if start.reference is None else (event, start.reference))
        except WebhookError as error:
            return self.refuse(error)

    def parse(self, start: Start, body: bytes, headers: Headers) -> object:
        """The event of ``body``, or the :class:`Answer` instead (the first step of :meth:`handle`).

        An authentic body that fails validation goes to ``on_invalid`` here.
        """
        try:
            return start.webhook.parse(body, headers)
        except PayloadError as error:
            return self._invalid(start, body, headers, error)
        except WebhookError as error:
            return self.refuse(error)

    async def handle_async(
        self,
        start: Start,
        body: bytes,
        headers: Headers,
        call: Callable[[tuple[object, ...]], Awaitable[T]],
        offload: Offload,
    ) -> T | Answer:
        """:meth:`handle` for async views: nothing here blocks the event loop.

        Args:
            start: What :meth:`start` found.
            body: The raw body, read within the limit.
            headers: The request's headers.
            call: Calls the user's async handler as in :meth:`handle`.
            offload: How the framework runs blocking work.

        Returns:
            As :meth:`handle`.
        """
        event = await self.parse_async(start, body, headers, offload)
        if isinstance(event, Answer):
            return event
        try:
            return await call((event,) if start.reference is None else (event, start.reference))
        except WebhookError as error:
            return self.refuse(error)

    async def parse_async(
        self, start: Start, body: bytes, headers: Headers, offload: Offload
    ) -> object:
        """:meth:`parse` for async views (alone, for a dependency whose endpoint FastAPI calls).

        A body over :data:`OFFLOAD_SIZE` is verified and parsed by ``offload.cpu``; an
        ``async def`` ``on_invalid`` is awaited, a plain one runs by ``offload.blocking``.
        """
        try:
            if len(body) > OFFLOAD_SIZE:
                return await offload.cpu(start.webhook.parse, body, headers)
            return start.webhook.parse(body, headers)
        except PayloadError as error:
            return await self._invalid_async(start, body, headers, error, offload)
        except WebhookError as error:
            return self.refuse(error)

    def refuse(self, error: WebhookError) -> Answer:
        """Log ``error`` and give the short answer for it (see :func:`refusal`)."""
        return Answer(*refusal(error, self.provider))

    def _delivery(
        self, start: Start, body: bytes, headers: Headers, error: PayloadError
    ) -> InvalidDelivery | None:
        """The delivery for ``on_invalid``, or ``None`` when it is not authentic or too large."""
        # The signature (or the callbackUrl token) was checked before the body was read as
        # JSON: what fails now is authentic, unless the body was refused for its size first.
        if self.on_invalid is None or isinstance(error, BodyTooLargeError):
            return None
        kept: dict[str, str] = {}
        for header in self._kept_headers:
            value = header_value(headers, header)
            if value is not None:
                kept[header.name] = value
        return InvalidDelivery(
            provider=self.provider,
            receiver=self.name,
            body=body,
            headers=kept,
            reference=start.reference,
            error=error,
            received_at=datetime.now(timezone.utc),
        )

    def _invalid(self, start: Start, body: bytes, headers: Headers, error: PayloadError) -> Answer:
        delivery = self._delivery(start, body, headers, error)
        if delivery is None:
            return self.refuse(error)
        try:
            result = cast("InvalidHandler", self.on_invalid)(delivery)
        except Exception:  # noqa: BLE001 - whatever the keeper raises is the app's failure
            return self._not_kept()
        if inspect.isawaitable(result):
            # Declared as a plain function, yet it gave a coroutine: nothing was kept.
            close(result)
            logger.error(
                "on_invalid returned an awaitable for a webhook from %s, which a sync view "
                "cannot await: nothing was kept (answered 500).",
                self.provider,
            )
            return Answer(500, NOT_KEPT)
        return self._kept(error)

    async def _invalid_async(
        self, start: Start, body: bytes, headers: Headers, error: PayloadError, offload: Offload
    ) -> Answer:
        delivery = self._delivery(start, body, headers, error)
        if delivery is None:
            return self.refuse(error)
        on_invalid = cast("InvalidHandler", self.on_invalid)
        try:
            if self._async_keeper:
                await cast("Awaitable[object]", on_invalid(delivery))
            else:
                result = await offload.blocking(on_invalid, delivery)
                if inspect.isawaitable(result):
                    await result
        except Exception:  # noqa: BLE001 - whatever the keeper raises is the app's failure
            return self._not_kept()
        return self._kept(error)

    def _kept(self, error: PayloadError) -> Answer:
        logger.warning("Kept a webhook from %s for replay: %s", self.provider, error)
        return KEPT

    def _not_kept(self) -> Answer:
        # The app's failure, not the sender's: 500 (never a 400 that blames the request),
        # so that a provider that retries sends the delivery again.
        logger.exception("on_invalid failed for a webhook from %s (answered 500)", self.provider)
        return Answer(500, NOT_KEPT)


def is_async(function: Callable[..., object]) -> bool:
    """Whether ``function`` (or the ``__call__`` of an object) is an ``async def``."""
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004 - the method itself is inspected
    )


def close(result: object) -> None:
    """Close ``result`` when it is a coroutine that will not be awaited."""
    if inspect.iscoroutine(result):
        result.close()  # no "coroutine was never awaited" warning: it is refused instead


def _signs_part_only(provider: str, scheme: object | None) -> bool:
    """Whether ``scheme`` leaves bytes of the body unsigned (AndDone's ``event_body``)."""
    if provider != "anddone" or scheme is None:
        return False
    from ..anddone import SignedContent  # noqa: PLC0415 - loaded with AndDone's models

    return getattr(scheme, "signed", None) is SignedContent.EVENT_BODY


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

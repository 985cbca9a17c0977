"""The Django view decorator: :func:`webhook_view` (re-exported by the package)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, Literal, ParamSpec, Protocol, TypeVar, overload

from ..._registry import Provider
from ..._types import DEFAULT_MAX_BODY_SIZE
from ...exceptions import WebhookError
from .._receiver import KEPT, SECRETS_SETTING, InvalidHandler, Receiver, SecretSource, refusal

try:
    from django.conf import settings
    from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
    from django.http.response import HttpResponseBase
    from django.views.decorators.csrf import csrf_exempt
except ImportError as exc:  # pragma: no cover - tested in a subprocess without Django
    raise ImportError(
        "webhook_payloads.integrations.django needs Django: pip install 'webhook-payloads[django]'"
    ) from exc

if TYPE_CHECKING:
    from ..._base import UnknownEvent, WebhookEvent
    from ..._types import Secrets
    from ...anddone import AndDoneEvent, SignatureScheme
    from ...mastercard import MastercardEvent
    from ...mastercard_connect import MastercardConnectEvent
    from ...payscore import PayscoreEvent
    from ...payscore_v1 import PayscoreV1Event

__all__ = ["SECRETS_SETTING", "CallbackViewDecorator", "ViewDecorator", "webhook_view"]

P = ParamSpec("P")
EventT_co = TypeVar("EventT_co", covariant=True)


class ViewDecorator(Protocol[EventT_co]):
    """What :func:`webhook_view` returns: wraps ``handler(request, event, *args, **kwargs)``."""

    @overload
    def __call__(
        self,
        handler: Callable[
            Concatenate[HttpRequest, EventT_co, P], Awaitable[HttpResponseBase | None]
        ],
    ) -> Callable[Concatenate[HttpRequest, P], Awaitable[HttpResponseBase]]: ...
    @overload
    def __call__(
        self, handler: Callable[Concatenate[HttpRequest, EventT_co, P], HttpResponseBase | None]
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]: ...


class CallbackViewDecorator(Protocol[EventT_co]):
    """With ``callback_key``: wraps ``handler(request, event, reference, *args, **kwargs)``."""

    @overload
    def __call__(
        self,
        handler: Callable[
            Concatenate[HttpRequest, EventT_co, str, P], Awaitable[HttpResponseBase | None]
        ],
    ) -> Callable[Concatenate[HttpRequest, P], Awaitable[HttpResponseBase]]: ...
    @overload
    def __call__(
        self,
        handler: Callable[Concatenate[HttpRequest, EventT_co, str, P], HttpResponseBase | None],
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]: ...


class _Decorator:
    """The decorator behind both protocols: wraps sync and async view functions alike."""

    def __init__(self, receiver: Receiver) -> None:
        self._receiver = receiver

    def __call__(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap ``handler`` into a Django view."""
        receive = self._receive
        provider = self._receiver.provider
        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def async_view(
                request: HttpRequest, *args: Any, **kwargs: Any
            ) -> HttpResponseBase:
                outcome = receive(request)
                if isinstance(outcome, HttpResponseBase):
                    return outcome
                try:
                    result = await handler(request, *outcome, *args, **kwargs)
                except WebhookError as error:
                    return _refused(error, provider)
                return HttpResponse(status=200) if result is None else result

            # Marked by hand, not wrapped in csrf_exempt(): before Django 5.0 that decorator
            # returns a sync wrapper, and Django would not await the view's coroutine.
            async_view.csrf_exempt = True  # type: ignore[attr-defined]  # pyright: ignore[reportFunctionMemberAccess]
            return async_view

        @functools.wraps(handler)
        def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            outcome = receive(request)
            if isinstance(outcome, HttpResponseBase):
                return outcome
            try:
                result = handler(request, *outcome, *args, **kwargs)
            except WebhookError as error:
                return _refused(error, provider)
            return HttpResponse(status=200) if result is None else result

        return csrf_exempt(view)

    def _receive(self, request: HttpRequest) -> HttpResponseBase | tuple[object, ...]:
        """The handler's arguments after the request (event, reference), or the answer."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        receiver = self._receiver
        try:
            start = receiver.start(
                getattr(settings, SECRETS_SETTING, None),
                request.get_full_path(),
                request.META.get("CONTENT_LENGTH"),
            )
            if start.declared is not None:
                body = request.body  # the server stops at the declared length
            else:
                # A chunked body (ASGI) declares no length, and Django's own limit on
                # request.body reads only the declared one: read at most one byte past the
                # limit, so a huge body is refused without being loaded into memory. (The
                # stream is then consumed: the view cannot read request.body again.)
                body = request.read(receiver.max_body_size + 1)
                receiver.check_length(len(body))
            event = receiver.deliver(start.webhook, body, request.headers)
        except WebhookError as error:
            return _refused(error, receiver.provider)
        if event is KEPT:
            return HttpResponse(status=202)
        return (event,) if start.reference is None else (event, start.reference)


def _refused(error: WebhookError, provider: str) -> HttpResponseBase:
    status, text = refusal(error, provider)
    return JsonResponse({"error": text}, status=status)


@overload
def webhook_view(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: Literal[False] = False,
    callback_key: None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[MastercardEvent]: ...
@overload
def webhook_view(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool,
    callback_key: None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[MastercardEvent | UnknownEvent]: ...
@overload
def webhook_view(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: Literal[False] = False,
    callback_key: Secrets,
    on_invalid: InvalidHandler | None = None,
) -> CallbackViewDecorator[MastercardEvent]: ...
@overload
def webhook_view(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool,
    callback_key: Secrets,
    on_invalid: InvalidHandler | None = None,
) -> CallbackViewDecorator[MastercardEvent | UnknownEvent]: ...
@overload
def webhook_view(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: Literal[False] = False,
    callback_key: None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[MastercardConnectEvent]: ...
@overload
def webhook_view(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool,
    callback_key: None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[MastercardConnectEvent | UnknownEvent]: ...
@overload
def webhook_view(
    provider: Literal["payscore", Provider.PAYSCORE],
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: Literal[False] = False,
    callback_key: None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[PayscoreEvent]: ...
@overload
def webhook_view(
    provider: Literal["payscore", Provider.PAYSCORE],
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool,
    callback_key: None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[PayscoreEvent | UnknownEvent]: ...
@overload
def webhook_view(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: Literal[False] = False,
    callback_key: None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[PayscoreV1Event]: ...
@overload
def webhook_view(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool,
    callback_key: None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[PayscoreV1Event | UnknownEvent]: ...
@overload
def webhook_view(
    provider: Literal["anddone", Provider.ANDDONE],
    *,
    secret: SecretSource = None,
    signature_scheme: SignatureScheme | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: Literal[False] = False,
    callback_key: None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[AndDoneEvent]: ...
@overload
def webhook_view(
    provider: Literal["anddone", Provider.ANDDONE],
    *,
    secret: SecretSource = None,
    signature_scheme: SignatureScheme | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool,
    callback_key: None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[AndDoneEvent | UnknownEvent]: ...
@overload
def webhook_view(
    provider: str | Provider,
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool = False,
    callback_key: None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[WebhookEvent | UnknownEvent]: ...


def webhook_view(
    provider: str | Provider,
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool = False,
    callback_key: Secrets | None = None,
    on_invalid: InvalidHandler | None = None,
) -> ViewDecorator[Any] | CallbackViewDecorator[Any]:
    """Turn ``handler(request, event, *args, **kwargs)`` into a CSRF-exempt, POST-only view.

    The handler runs only for a request that was verified and parsed, and receives the
    typed event (with ``callback_key``, then the verified reference). It may return a
    response; returning ``None`` answers 200 with an empty body. A :class:`WebhookError` it
    raises is answered with the error's ``http_status``. An ``async def`` handler gives an
    async view.

    Args:
        provider: The provider id, such as ``"payscore"``.
        secret: The secret, several (key rotation), or a function returning them (called
            per request). Without it, ``settings.WEBHOOK_PAYLOADS_SECRETS[provider]`` is used.
        signature_scheme: For providers whose signature construction you name (AndDone).
        max_body_size: Larger bodies get 413, checked on ``Content-Length`` before reading
            (a chunked body, which declares none, by reading one byte past the limit).
        allow_unknown: Hand the handler an ``UnknownEvent`` for event types this library does
            not know, instead of answering 400.
        callback_key: ``"mastercard"`` only: the key (or a rotation list) its ``callbackUrl``
            was made with (:func:`webhook_payloads.mastercard.callback_url`). The token is
            checked before the body is read (401 when missing or wrong), and the handler
            gets the reference as its third argument: ``handler(request, event, reference)``.
        on_invalid: ``on_invalid(body, error)``, called with an authentic body that fails
            validation or has an unknown event type; when it returns, the view answers 202
            (when it raises, 400).

    Returns:
        A decorator for the handler.

    Raises:
        ConfigurationError: An option is wrong (checked now, not per request): an unknown
            provider, a secret for a provider that signs nothing, a bad signature scheme or
            size limit, ``callback_key`` for another provider than ``"mastercard"``.
    """
    receiver = Receiver(
        provider,
        secret=secret,
        setting=f"settings.{SECRETS_SETTING}",
        signature_scheme=signature_scheme,
        max_body_size=max_body_size,
        allow_unknown=allow_unknown,
        callback_key=callback_key,
        on_invalid=on_invalid,
    )
    return _Decorator(receiver)

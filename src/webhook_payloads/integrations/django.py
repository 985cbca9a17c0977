"""Receive webhooks in Django: a view decorator that hands your function the typed event.

Example (``views.py``)::

    from webhook_payloads.integrations.django import webhook_view

    @webhook_view("payscore")
    def payscore_hook(request, event):
        handle(event)

with ``WEBHOOK_PAYLOADS_SECRETS = {"payscore": ["new-secret", "old-secret"]}`` in settings.
The view is CSRF-exempt (providers cannot send a CSRF token; the signature authenticates the
request), answers 405 to anything but POST, and 400/401/413/500 (from the error's
``http_status``) with a short JSON body when ``parse()`` refuses the request.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, overload

from .._types import DEFAULT_MAX_BODY_SIZE
from ..exceptions import WebhookError
from ._receiver import SECRETS_SETTING, Receiver, SecretSource, refusal

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
    from .._base import UnknownEvent, WebhookEvent

__all__ = ["SECRETS_SETTING", "webhook_view"]

P = ParamSpec("P")

SyncHandler = Callable[Concatenate[HttpRequest, Any, P], "HttpResponseBase | None"]
AsyncHandler = Callable[Concatenate[HttpRequest, Any, P], Awaitable["HttpResponseBase | None"]]
SyncView = Callable[Concatenate[HttpRequest, P], HttpResponseBase]
AsyncView = Callable[Concatenate[HttpRequest, P], Awaitable[HttpResponseBase]]


class _Decorator:
    """What :func:`webhook_view` returns: wraps sync and async view functions alike."""

    def __init__(self, receiver: Receiver) -> None:
        self._receiver = receiver

    @overload
    def __call__(self, handler: AsyncHandler[P]) -> AsyncView[P]: ...
    @overload
    def __call__(self, handler: SyncHandler[P]) -> SyncView[P]: ...
    def __call__(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap ``handler(request, event, *args, **kwargs)`` into a Django view."""
        receive = self._receive
        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def async_view(
                request: HttpRequest, *args: Any, **kwargs: Any
            ) -> HttpResponseBase:
                outcome = receive(request)
                if isinstance(outcome, HttpResponseBase):
                    return outcome
                result = await handler(request, outcome, *args, **kwargs)
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
            result = handler(request, outcome, *args, **kwargs)
            return HttpResponse(status=200) if result is None else result

        return csrf_exempt(view)

    def _receive(self, request: HttpRequest) -> HttpResponseBase | WebhookEvent | UnknownEvent:
        """The event, or the response that refuses the request."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        receiver = self._receiver
        try:
            if receiver.check_length(request.META.get("CONTENT_LENGTH")) is not None:
                body = request.body  # the server stops at the declared length
            else:
                # A chunked body (ASGI) declares no length, and Django's own limit on
                # request.body reads only the declared one: read at most one byte past the
                # limit, so a huge body is refused without being loaded into memory. (The
                # stream is then consumed: the view cannot read request.body again.)
                body = request.read(receiver.max_body_size + 1)
                receiver.check_length(len(body))
            return receiver.parse(body, request.headers, getattr(settings, SECRETS_SETTING, None))
        except WebhookError as error:
            status, text = refusal(error, receiver.provider)
            return JsonResponse({"error": text}, status=status)


def webhook_view(
    provider: str,
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool = False,
) -> _Decorator:
    """Turn ``handler(request, event, *args, **kwargs)`` into a CSRF-exempt, POST-only view.

    The handler runs only for a request that ``parse()`` accepted, and receives the typed
    event. It may return a response; returning ``None`` answers 200 with an empty body. An
    ``async def`` handler gives an async view.

    Args:
        provider: The provider id, such as ``"payscore"`` (checked now, not per request).
        secret: The secret, several (key rotation), or a function returning them (called
            per request). Without it, ``settings.WEBHOOK_PAYLOADS_SECRETS[provider]`` is used.
        signature_scheme: Passed to ``parse()``, for providers that need one (AndDone).
        max_body_size: Larger bodies get 413, checked on ``Content-Length`` before reading
            (a chunked body, which declares none, by reading one byte past the limit).
        allow_unknown: Hand the handler an ``UnknownEvent`` for event types this library does
            not know, instead of answering 400.

    Returns:
        A decorator for the handler.

    Raises:
        UnknownProviderError: ``provider`` is not a known id.
    """
    return _Decorator(
        Receiver.create(
            provider,
            secret=secret,
            signature_scheme=signature_scheme,
            max_body_size=max_body_size,
            allow_unknown=allow_unknown,
        )
    )

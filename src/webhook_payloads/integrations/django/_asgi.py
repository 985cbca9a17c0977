"""Django under ASGI: :func:`limit_webhook_bodies`, which stops reading a webhook body at its limit.

Django's ASGI handler reads the whole request body (into memory, then a temporary file) before
any view runs, so a view cannot refuse a chunked body of 200 MiB, or a declared length over its
limit, until all of it has arrived. This wrapper runs before that handler: for a POST to a
``webhook_view`` it refuses a declared ``Content-Length`` over the view's ``max_body_size``
before reading anything, and counts a chunked body as it arrives, answering 413 as soon as it
passes the limit. Every other request goes to Django untouched.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final, TypeAlias

# isort: off
# First: without Django, importing it raises the error that says how to install it.
from ._views import RECEIVER_ATTRIBUTE

from django.conf import settings
from django.urls import Resolver404, resolve

# isort: on
from ...exceptions import BodyTooLargeError
from .._receiver import refusal

__all__ = ["limit_webhook_bodies"]

Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]

_TOO_LARGE: Final = json.dumps({"error": "webhook body too large"}).encode()


def limit_webhook_bodies(application: ASGIApp) -> ASGIApp:
    """Wrap Django's ASGI application so that webhook bodies are read up to their limit only.

    In ``asgi.py``::

        from django.core.asgi import get_asgi_application
        from webhook_payloads.integrations.django import limit_webhook_bodies

        application = limit_webhook_bodies(get_asgi_application())

    For a POST whose path resolves to a ``webhook_view``, a declared ``Content-Length`` over
    the view's ``max_body_size`` is answered 413 before the body is read, and a body of
    undeclared length (chunked) is counted as it arrives and answered 413 once it passes the
    limit; a body within the limit is handed to Django as it came. Other requests are passed
    on untouched (their path is resolved once more, which costs microseconds).

    Args:
        application: Django's ASGI application (``get_asgi_application()``).

    Returns:
        The wrapped ASGI application.
    """

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        receiver = _receiver_of(scope)
        if receiver is None:
            await application(scope, receive, send)
            return
        limit: int = receiver.max_body_size
        try:
            receiver.check_length(_declared_length(scope))
        except BodyTooLargeError as error:
            await _too_large(send, error, receiver.provider)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # a disconnect: Django ends the request itself
            size += len(message.get("body", b""))
            if size > limit:
                too_large = BodyTooLargeError(provider=receiver.provider, size=size, limit=limit)
                await _too_large(send, too_large, receiver.provider)
                return
            if not message.get("more_body", False):
                break
        await application(scope, _replay(messages, receive), send)

    return limited


def _receiver_of(scope: Scope) -> Any:
    if scope["type"] != "http" or scope.get("method") != "POST":
        return None
    path: str = scope["path"]
    # The path Django resolves: without the script prefix, as ASGIRequest computes it.
    prefix = settings.FORCE_SCRIPT_NAME or scope.get("root_path", "") or ""
    try:
        match = resolve(path.removeprefix(prefix) if prefix else path)
    except Resolver404:
        return None
    return getattr(match.func, RECEIVER_ATTRIBUTE, None)


def _declared_length(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return bytes(value).decode("latin-1")
    return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` for Django: the messages read here, then the server's own."""
    pending = iter(messages)

    async def replayed() -> Message:
        for message in pending:
            return message
        return await receive()

    return replayed


async def _too_large(send: Send, error: BodyTooLargeError, provider: str) -> None:
    # Answered without reading on: the server closes the connection after the answer.
    status, _ = refusal(error, provider)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_TOO_LARGE)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _TOO_LARGE})

"""Receive webhooks in Flask: a view decorator that hands your function the typed event.

Example::

    from webhook_payloads.integrations.flask import webhook_handler

    app.config["WEBHOOK_PAYLOADS_SECRETS"] = {"payscore": ["new-secret", "old-secret"]}

    @app.post("/hooks/payscore")
    @webhook_handler("payscore")
    def payscore_hook(event):
        handle(event)

The body is read with ``request.get_data()`` (one of undeclared length, chunked, piece by piece
from ``request.stream``, refused once it passes the limit); a refused request gets 400/401/413/500
(from the error's ``http_status``) with a short JSON body, and anything but POST gets 405.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, cast

from .._types import DEFAULT_MAX_BODY_SIZE
from ..exceptions import WebhookError
from ._receiver import SECRETS_SETTING, Receiver, SecretSource, refusal

try:
    from flask import Response, current_app, jsonify, request
except ImportError as exc:  # pragma: no cover - tested in a subprocess without Flask
    raise ImportError(
        "webhook_payloads.integrations.flask needs Flask: pip install 'webhook-payloads[flask]'"
    ) from exc

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

__all__ = ["SECRETS_SETTING", "webhook_handler"]

P = ParamSpec("P")


def webhook_handler(
    provider: str,
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool = False,
) -> Callable[
    [Callable[Concatenate[Any, P], ResponseReturnValue | None]],
    Callable[P, ResponseReturnValue],
]:
    """Turn ``handler(event, **view_args)`` into a Flask view that receives one provider.

    Put it under the route decorator. The handler runs only for a request that ``parse()``
    accepted; it may return any Flask response value, and ``None`` answers 200 with an empty
    body. ``async def`` handlers work where Flask's async support is installed.

    Args:
        provider: The provider id, such as ``"payscore"`` (checked now, not per request).
        secret: The secret, several (key rotation), or a function returning them (called
            per request). Without it, ``app.config["WEBHOOK_PAYLOADS_SECRETS"][provider]``.
        signature_scheme: Passed to ``parse()``, for providers that need one (AndDone).
        max_body_size: Larger bodies get 413, checked on ``Content-Length`` before reading
            (a chunked body, which declares none, as it is read).
        allow_unknown: Hand the handler an ``UnknownEvent`` for event types this library does
            not know, instead of answering 400.

    Returns:
        A decorator for the handler.

    Raises:
        UnknownProviderError: ``provider`` is not a known id.
    """
    receiver = Receiver.create(
        provider,
        secret=secret,
        signature_scheme=signature_scheme,
        max_body_size=max_body_size,
        allow_unknown=allow_unknown,
    )

    def decorate(
        handler: Callable[Concatenate[Any, P], ResponseReturnValue | None],
    ) -> Callable[P, ResponseReturnValue]:
        @functools.wraps(handler)
        def view(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            if request.method != "POST":
                return Response(status=405, headers={"Allow": "POST"})
            config = cast("Mapping[str, object]", current_app.config)
            try:
                if receiver.check_length(request.content_length) is not None:
                    body = request.get_data()  # Werkzeug stops at the declared length
                else:
                    body = _read_undeclared(receiver)
                event = receiver.parse(body, request.headers, config.get(SECRETS_SETTING))
            except WebhookError as error:
                status, text = refusal(error, receiver.provider)
                return jsonify(error=text), status
            result = current_app.ensure_sync(handler)(event, *args, **kwargs)
            return ("", 200) if result is None else result

        return view

    return decorate


_PIECE = 64 * 1024


def _read_undeclared(receiver: Receiver) -> bytes:
    # A chunked body has no Content-Length to check first (Werkzeug hands it over only when
    # the server marks the input terminated): count it as it is read, so that a client
    # streaming gigabytes is refused at the limit, not after all of it is in memory. (The
    # stream is then consumed: the view cannot call request.get_data() again.)
    chunks: list[bytes] = []
    size = 0
    while chunk := request.stream.read(_PIECE):
        size += len(chunk)
        receiver.check_length(size)
        chunks.append(chunk)
    return b"".join(chunks)

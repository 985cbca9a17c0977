"""Receive webhooks in Starlette or FastAPI: a dependency that awaits the body and parses it.

Example (FastAPI)::

    from typing import Annotated
    from fastapi import Depends, FastAPI
    from webhook_payloads.integrations.fastapi import webhook_event
    from webhook_payloads.payscore import PayscoreEvent

    app = FastAPI()
    payscore_event = webhook_event("payscore", secret=["new-secret", "old-secret"])

    @app.post("/hooks/payscore")
    def payscore_hook(event: Annotated[PayscoreEvent, Depends(payscore_event)]) -> None:
        handle(event)

In a plain Starlette endpoint, ``event = await payscore_event(request)`` does the same. A
refused request raises ``HTTPException`` with the error's ``http_status`` (400/401/413/500) and a
short detail; anything but POST gets 405.
"""

# No "from __future__ import annotations" here: FastAPI reads the dependency's signature at
# run time and must see the real Request class, not a string.

from collections.abc import Awaitable, Callable

from .._base import UnknownEvent, WebhookEvent
from .._types import DEFAULT_MAX_BODY_SIZE
from ..exceptions import WebhookError
from ._openapi import register
from ._receiver import Receiver, SecretSource, refusal

try:
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
except ImportError as exc:  # pragma: no cover - tested in a subprocess without Starlette
    raise ImportError(
        "webhook_payloads.integrations.starlette needs Starlette (FastAPI brings it): "
        "pip install 'webhook-payloads[fastapi]'"
    ) from exc

__all__ = ["webhook_event"]


def webhook_event(
    provider: str,
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool = False,
) -> Callable[[Request], Awaitable[WebhookEvent | UnknownEvent]]:
    """A dependency returning the typed event of the request, for ``Depends(...)``.

    Args:
        provider: The provider id, such as ``"payscore"`` (checked now, not per request).
        secret: The secret, several (key rotation), or a function returning them, called per
            request (``lambda: get_settings().payscore_secrets``). Required for providers that
            sign: there is no settings object to fall back on.
        signature_scheme: Passed to ``parse()``, for providers that need one (AndDone).
        max_body_size: Larger bodies get 413, checked on ``Content-Length`` before reading
            (a chunked body, which declares none, as it is read).
        allow_unknown: Return an ``UnknownEvent`` for event types this library does not know,
            instead of answering 400.

    Returns:
        An async function of the request that returns the event or raises ``HTTPException``.

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

    async def dependency(request: Request) -> WebhookEvent | UnknownEvent:
        if request.method != "POST":
            raise HTTPException(status_code=405, headers={"Allow": "POST"})
        try:
            if receiver.check_length(request.headers.get("content-length")) is not None:
                body = await request.body()  # the server stops at the declared length
            else:
                body = await _read_undeclared(request, receiver)
            return receiver.parse(body, request.headers, None)
        except WebhookError as error:
            status, text = refusal(error, receiver.provider)
            raise HTTPException(status_code=status, detail=text) from None

    dependency.__name__ = dependency.__qualname__ = f"{receiver.provider}_webhook_event"
    register(dependency, receiver.provider)
    return dependency


async def _read_undeclared(request: Request, receiver: Receiver) -> bytes:
    # A chunked body has no Content-Length to check first: count it as it arrives, so that
    # a client streaming gigabytes is refused at the limit, not after all of it is in memory.
    # (The stream is then consumed: the endpoint cannot await request.body() again.)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        receiver.check_length(size)
        chunks.append(chunk)
    return b"".join(chunks)

"""Receive webhooks in Starlette or FastAPI: a dependency that awaits the body and parses it.

Example (FastAPI)::

    from typing import Annotated
    from fastapi import Depends, FastAPI
    from webhook_payloads.integrations.fastapi import webhook_event
    from webhook_payloads.payscore import PayscoreEvent

    app = FastAPI()
    payscore_event = webhook_event("payscore", secret=["new-secret", "old-secret"])

    @app.post("/hooks/payscore")
    async def payscore_hook(event: Annotated[PayscoreEvent, Depends(payscore_event)]) -> None:
        handle(event)

In a plain Starlette endpoint, ``event = await payscore_event(request)`` does the same. A
refused request raises ``HTTPException`` with the error's ``http_status`` (400/401/413/500) and a
short detail; anything but POST gets 405.
"""

# No "from __future__ import annotations" here: FastAPI reads the dependency's signature at
# run time and must see the real Request class, not a string.

import asyncio
from collections.abc import Callable, ItemsView, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, NoReturn, TypeVar, cast, overload

from typing_extensions import Unpack

from .._registry import Provider
from .._types import DEFAULT_MAX_BODY_SIZE
from ..exceptions import ConfigurationError, WebhookError
from ._inbox import ReceiverInbox, Store, check_defer
from ._openapi import register
from ._receiver import (
    KEPT,
    OFFLOAD_SIZE,
    Answer,
    InvalidHandler,
    Receiver,
    SecretSource,
    Start,
    StoreReceiverOptions,
    is_async,
    logger,
    refusal,
)

try:
    import anyio.from_thread
    import anyio.lowlevel
    import anyio.to_thread
    from starlette.exceptions import HTTPException
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse
except ImportError as exc:  # pragma: no cover - tested in a subprocess without Starlette
    raise ImportError(
        "webhook_payloads.integrations.starlette needs Starlette (FastAPI brings it): "
        "pip install 'webhook-payloads[fastapi]'"
    ) from exc

if TYPE_CHECKING:
    from .._base import UnknownEvent, WebhookEvent
    from .._types import Secrets

    # BEGIN generated imports (tools/gen_overloads.py writes them from the provider registry)
    from ..anddone import AndDoneEvent, SignatureScheme
    from ..mastercard import MastercardEvent
    from ..mastercard_connect import MastercardConnectEvent
    from ..payscore import PayscoreEvent
    from ..payscore_v1 import PayscoreV1Event
    # END generated imports

__all__ = ["CallbackDependency", "WebhookDependency", "webhook_error_handler", "webhook_event"]

EventT_co = TypeVar("EventT_co", covariant=True)
T = TypeVar("T")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


class WebhookDependency(Generic[EventT_co]):
    """What :func:`webhook_event` returns: ``await dependency(request)`` gives the event.

    Use it as ``Depends(dependency)`` in FastAPI, or await it in a Starlette endpoint.

    Attributes:
        provider: The provider id.
        max_body_size: The largest body accepted, in bytes.
    """

    def __init__(
        self,
        receiver: Receiver,
        inbox: "Store | None" = None,
        options: "Mapping[str, Any] | None" = None,
        defer: "Callable[[int], object] | None" = None,
    ) -> None:
        """Wrap a checked :class:`Receiver` (made by :func:`webhook_event`)."""
        self._receiver = receiver
        self._inbox = inbox
        self._defer = defer
        self._options: Mapping[str, Any] = options or {}
        self._kept: ReceiverInbox | None = None
        self._call: Callable[..., Any] | None = None
        self.provider: str = receiver.provider
        self.max_body_size: int = receiver.max_body_size

    def handler(self, function: Callable[[EventT_co], R]) -> Callable[[EventT_co], R]:
        """Declare the function the inbox calls once per delivery (and replay calls again).

        With an inbox the dependency records the delivery, calls ``function(event)`` (with
        ``callback_key``: ``function(event, reference)``) unless the delivery was processed
        already, and marks the row; the endpoint then runs for every accepted copy and only
        answers. A plain function runs in a worker thread, an ``async def`` one on the
        event loop, both while the row is locked. With ``defer``, the worker calls it
        (``inbox.process(row_id)``, in a process that declares it too). Returns
        ``function`` unchanged.

        Type checkers accept a function of the dependency's events (or of a base class of
        them: ``WebhookEvent``), and refuse one typed for another provider's events.

        Raises:
            ConfigurationError: The dependency has no inbox, or has its handler already.
        """
        return self._declare(function)

    def _declare(self, function: F) -> F:
        """What :meth:`handler` does, for any handler's signature."""
        if self._inbox is None:
            raise ConfigurationError(
                "handler() is for a dependency with an inbox: webhook_event(..., inbox=...).",
                provider=self.provider,
            )
        if self._kept is not None:
            raise ConfigurationError(
                "This dependency has its handler already; declare one dependency per handler.",
                provider=self.provider,
            )
        named = self._receiver.named(function)
        call = _in_worker_thread(function)
        self._kept = ReceiverInbox(
            named,
            self._inbox,
            handler=function,
            call_stored=lambda row, first: _outside_loop(function)(*first),
            settings=lambda: None,
            options=self._options,
            defer=self._defer,
        )
        self._receiver = named
        self._call = call
        return function

    async def __call__(self, request: Request) -> EventT_co:
        """The verified, typed event of ``request``.

        Raises:
            HTTPException: The request is refused (405, 400, 401, 413, 500), or 202 when
                ``on_invalid`` kept an authentic body that failed validation.
        """
        if request.method != "POST":
            raise HTTPException(status_code=405, headers={"Allow": "POST"})
        receiver = self._receiver
        headers = _ScopeHeaders(request.scope["headers"])
        try:
            start = receiver.start(
                None,
                str(request.url) if receiver.checks_token else "",
                headers.get("content-length"),
            )
            if start.declared is not None:
                body = await _read_declared(request, receiver, start.declared)
            else:
                body = await _read_undeclared(request, receiver)
        except WebhookError as error:
            _raise(receiver.refuse(error))
        if self._inbox is not None:
            return cast("EventT_co", await self._deliver(start, body, request))
        if receiver.on_invalid is None and len(body) <= OFFLOAD_SIZE:
            # Nothing to await (no keeper, a body parsed in microseconds): parsed right here.
            result = receiver.parse(start, body, headers)
        else:
            result = await receiver.parse_async(start, body, headers, _OFFLOAD)
        if isinstance(result, Answer):
            # A dependency can end the request only by raising, even with a success (202).
            _raise(result)
        return cast("EventT_co", result)

    async def _deliver(self, start: Start, body: bytes, request: Request) -> object:
        """The inbox's flow, off the event loop; the event when the delivery is processed."""
        kept, call = self._kept, self._call
        if kept is None or call is None:
            _raise(self._receiver.refuse(ConfigurationError(_NO_HANDLER, provider=self.provider)))
        event: list[object] = []

        def handle(first: tuple[object, ...]) -> object:
            event.append(first[0])
            return call(*first)

        # The flow is synchronous (one implementation for every store): it runs in a worker
        # thread, so waiting for the row's lock or the database never blocks the loop.
        outcome = await anyio.to_thread.run_sync(kept.handle, start, body, request.headers, handle)
        if isinstance(outcome, Answer):
            _raise(outcome)
        if isinstance(outcome.error, WebhookError):
            _raise(self._receiver.refuse(outcome.error))
        if outcome.error is not None:
            logger.error(
                "The inbox handler for %s failed; row %s is marked failed",
                self.provider,
                outcome.row_id,
                exc_info=outcome.error,
            )
            _raise(Answer(500, _HANDLER_FAILED))
        if outcome.status != 200:  # noqa: PLR2004 - kept as invalid, or for a worker (202)
            _raise(KEPT)
        if event:
            return event[0]
        # A repeat of a processed delivery: the handler did not run; the endpoint answers.
        return await anyio.to_thread.run_sync(start.webhook.parse, body, request.headers)


_NO_HANDLER: Final = (
    "A dependency with an inbox needs its handler: decorate it with @dependency.handler."
)
_HANDLER_FAILED: Final = "webhook handler failed"


def _in_worker_thread(function: Callable[..., Any]) -> Callable[..., Any]:
    # The flow runs in a worker thread: an async def handler goes back to the event loop
    # for its run, and the thread waits for it while holding the row.
    if not is_async(function):
        return function
    return lambda *args: anyio.from_thread.run(function, *args)


def _outside_loop(function: Callable[..., Any]) -> Callable[..., Any]:
    # Replay and workers call the handler with no event loop running.
    if not is_async(function):
        return function
    return lambda *args: asyncio.run(function(*args))


def _raise(answer: Answer) -> NoReturn:
    raise HTTPException(status_code=answer.status, detail=answer.text) from None


class _AnyioOffload:
    """Blocking work in the event loop's worker threads (see :class:`Offload`)."""

    async def cpu(self, function: Callable[..., T], /, *args: Any) -> T:
        """Verifying and parsing a large body, one at a time (see ``_cpu_limiter``)."""
        return await anyio.to_thread.run_sync(function, *args, limiter=_cpu_limiter())

    async def blocking(self, function: Callable[..., T], /, *args: Any) -> T:
        """A plain ``on_invalid``: it may write to a database."""
        return await anyio.to_thread.run_sync(function, *args)


_OFFLOAD: Final = _AnyioOffload()
_KEPT_BY_INBOX: Final = (
    "An authentic delivery that this version cannot read (it fails validation or has an "
    "unknown event type) was kept in the inbox as invalid, for replay; the endpoint did not run."
)
_KEPT_FOR_A_WORKER: Final = (
    "The delivery was stored for a worker to process (defer), or it is authentic but this "
    "version cannot read it (it fails validation or has an unknown event type) and was kept "
    "in the inbox as invalid, for replay; the endpoint did not run."
)
_KEPT_BY_ON_INVALID: Final = (
    "An authentic delivery that this version cannot read (it fails validation or has an "
    "unknown event type) was kept by on_invalid; the endpoint did not run."
)
_CPU: Final[anyio.lowlevel.RunVar[anyio.CapacityLimiter]] = anyio.lowlevel.RunVar("cpu")


def _cpu_limiter() -> anyio.CapacityLimiter:
    # One large body at a time per event loop: threads share one GIL, so more of them would
    # not go faster, and each more thread the loop competes with stretches its stalls.
    try:
        return _CPU.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(1)
        _CPU.set(limiter)
        return limiter


class CallbackDependency(WebhookDependency[EventT_co]):
    """A Mastercard dependency with ``callback_key``: also gives the verified reference."""

    # The inbox calls this dependency's handler with the verified reference too: it takes
    # (event, reference), so the override narrows what a WebhookDependency's takes.
    def handler(  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        self, function: Callable[[EventT_co, str], R]
    ) -> Callable[[EventT_co, str], R]:
        """Declare ``function(event, reference)``, called once per delivery (see the base class).

        Raises:
            ConfigurationError: The dependency has no inbox, or has its handler already.
        """
        return self._declare(function)

    async def reference(self, request: Request) -> str:
        """The ``callbackUrl`` reference of ``request``, its token checked (a dependency too).

        Raises:
            HTTPException: 401 when the token is missing or wrong.
        """
        try:
            reference = self._receiver.start(None, str(request.url), None).reference
        except WebhookError as error:
            _raise(self._receiver.refuse(error))
        return cast("str", reference)


_SCOPE_NAMES: Final[dict[str, bytes]] = {}
"""Header names as the ASGI scope spells them, by the name looked up (the receivers look up
a few names on every request: content-length and the provider's signature header)."""
_SCOPE_NAMES_KEPT: Final = 64


class _ScopeHeaders(Mapping[str, str]):
    """``request.headers``, read from the ASGI scope's list as it is, without a copy.

    Starlette's ``Headers`` copies the list first; verification reads one or two names, so
    this view looks each up as ``Headers.get`` does (names in lower case, the first of a
    repeated header, latin-1), and leaves ``request.headers`` to the endpoint.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: "list[tuple[bytes, bytes]]") -> None:
        """Look names up in ``raw``, the scope's ``headers``."""
        self.raw = raw

    def get(self, key: str, default: Any = None) -> Any:  # pyright: ignore[reportIncompatibleMethodOverride]
        """The value of header ``key`` (its first, when repeated), or ``default``."""
        name = _SCOPE_NAMES.get(key)
        if name is None:
            name = key.lower().encode("latin-1")
            if len(_SCOPE_NAMES) < _SCOPE_NAMES_KEPT:
                _SCOPE_NAMES[key] = name
        for raw_name, value in self.raw:
            if raw_name == name:
                return value.decode("latin-1")
        return default

    def __getitem__(self, key: str) -> str:
        """The value of header ``key``; ``KeyError`` when absent."""
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return cast("str", value)

    def __iter__(self) -> "Iterator[str]":
        """The header names, as ``Headers.keys()`` gives them (repeats included)."""
        return (name.decode("latin-1") for name, _ in self.raw)

    def items(self) -> "ItemsView[str, str]":
        """The header lines, in one pass over the list, as ``Headers.items()`` gives them.

        Verification walks them when the documented name is not found: looking each name
        up again would cost the square of the number of lines, and miss a name that a
        middleware added in capitals.
        """
        return _ScopeItems(self)

    def __len__(self) -> int:
        """How many header lines there are."""
        return len(self.raw)


class _ScopeItems(ItemsView[str, str]):
    """The items of :class:`_ScopeHeaders`, read straight from the scope's list."""

    _mapping: _ScopeHeaders

    def __iter__(self) -> "Iterator[tuple[str, str]]":
        """Each header line as ``(name, value)``, decoded as latin-1, in order."""
        for name, value in self._mapping.raw:
            yield name.decode("latin-1"), value.decode("latin-1")


_BODY: Final = Request.body
_STREAM: Final = Request.stream


async def _read_declared(request: Request, receiver: Receiver, declared: int) -> bytes:
    """``await request.body()``, with the messages read straight from ``receive``.

    Starlette's ``body()`` runs an async generator, one step per message and a context to
    close it (about 2 us for a small body, as much as the signature check): the receiver
    reads the messages itself, as ``stream()`` does, and keeps the body where ``body()``
    looks first (``_body``), so that the endpoint can still await ``request.body()``. A
    ``Request`` class that reads its body its own way (one that decompresses it, say),
    or one whose body was read already, is read through its own ``body()``.

    The server stops at the declared length, unless the request also says
    ``Transfer-Encoding: chunked``: then the chunks frame it (h11 passes both on), so what
    arrives past ``declared`` is counted against the limit as it comes.
    """
    cls = type(request)
    # Starlette keeps the body, once read, in these attributes (the same since 0.27).
    state = cast("Any", request)
    if cls.body is not _BODY or cls.stream is not _STREAM or hasattr(request, "_body"):
        return await request.body()
    if state._stream_consumed:
        return await request.body()  # raises as Starlette does: the stream is consumed
    receive = request.receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > declared:
                    receiver.check_length(size)
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        elif kind == "http.disconnect":
            state._is_disconnected = True
            raise ClientDisconnect
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    state._stream_consumed = True
    state._body = body
    return body


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


async def webhook_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Answer a :class:`WebhookError` raised by an endpoint with its ``http_status``.

    Register it for ``WebhookError`` (``app.add_exception_handler(WebhookError,
    webhook_error_handler)``, or ``exception_handlers={WebhookError: ...}``); the answer is
    the short ``{"detail": ...}`` the dependency gives, and the error is logged the same way.
    """
    status, text = refusal(cast("WebhookError", exc), None)
    return JSONResponse({"detail": text}, status_code=status)


# BEGIN generated overloads (tools/gen_overloads.py writes them from the provider registry)
@overload
def webhook_event(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> "WebhookDependency[MastercardEvent]": ...
@overload
def webhook_event(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> "WebhookDependency[MastercardEvent | UnknownEvent]": ...
@overload
def webhook_event(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: "Secrets",
    **options: Unpack[StoreReceiverOptions],
) -> "CallbackDependency[MastercardEvent]": ...
@overload
def webhook_event(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: "Secrets",
    **options: Unpack[StoreReceiverOptions],
) -> "CallbackDependency[MastercardEvent | UnknownEvent]": ...
@overload
def webhook_event(
    provider: Literal["payscore", Provider.PAYSCORE],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> "WebhookDependency[PayscoreEvent]": ...
@overload
def webhook_event(
    provider: Literal["payscore", Provider.PAYSCORE],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> "WebhookDependency[PayscoreEvent | UnknownEvent]": ...
@overload
def webhook_event(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> "WebhookDependency[PayscoreV1Event]": ...
@overload
def webhook_event(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> "WebhookDependency[PayscoreV1Event | UnknownEvent]": ...
@overload
def webhook_event(
    provider: Literal["anddone", Provider.ANDDONE],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: "SignatureScheme | None" = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> "WebhookDependency[AndDoneEvent]": ...
@overload
def webhook_event(
    provider: Literal["anddone", Provider.ANDDONE],
    *,
    allow_unknown: bool,
    signature_scheme: "SignatureScheme | None" = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> "WebhookDependency[AndDoneEvent | UnknownEvent]": ...
@overload
def webhook_event(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> "WebhookDependency[MastercardConnectEvent]": ...
@overload
def webhook_event(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> "WebhookDependency[MastercardConnectEvent | UnknownEvent]": ...
# END generated overloads
@overload
def webhook_event(
    provider: str | Provider,
    *,
    allow_unknown: bool = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> "WebhookDependency[WebhookEvent | UnknownEvent]": ...


def webhook_event(
    provider: str | Provider,
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool = False,
    callback_key: "Secrets | None" = None,
    on_invalid: InvalidHandler | None = None,
    name: str | None = None,
    inbox: "Store | None" = None,
    defer: "Callable[[int], object] | None" = None,
) -> WebhookDependency[Any]:
    """A dependency returning the typed event of the request, for ``Depends(...)``.

    Args:
        provider: The provider id, such as ``"payscore"``.
        secret: The secret, several (key rotation), or a function returning them, called per
            request (``lambda: get_settings().payscore_secrets``). Required for providers that
            sign: there is no settings object to fall back on.
        signature_scheme: For providers whose signature construction you name (AndDone).
        max_body_size: Larger bodies get 413, checked on ``Content-Length`` before reading
            (a chunked body, which declares none, as it is read).
        allow_unknown: Return an ``UnknownEvent`` for event types this library does not know,
            instead of answering 400.
        callback_key: ``"mastercard"`` only: the key (or a rotation list) its ``callbackUrl``
            was made with. The token is checked before the body is read (401 when missing
            or wrong); ``Depends(dependency.reference)`` gives the verified reference.
        on_invalid: ``on_invalid(delivery)``, called with an
            :class:`~webhook_payloads.integrations.InvalidDelivery` when an authentic body
            fails validation or has an unknown event type; when it returns, the request is
            answered 202 and the endpoint does not run (when it raises, 500). An
            ``async def`` one is awaited; a plain one runs in a worker thread. Refused with
            AndDone's ``event_body`` scheme, which leaves the envelope unsigned.
        name: The receiver's stable name (in ``InvalidDelivery.receiver``, and how replay
            finds the inbox's handler); by default the provider id, or with an inbox the
            handler's ``module.qualname``.
        inbox: Keep every authentic delivery in this store
            (:class:`webhook_payloads.integrations.sqlalchemy.Inbox`) and call the function
            declared with :meth:`WebhookDependency.handler` once per delivery: a repeat
            answers what the endpoint answers without calling it again, a handler that
            raises leaves the row ``failed`` (500), an invalid body is a row ``invalid``
            (202). The store's work runs in a worker thread, off the event loop.
        defer: With ``inbox``: ``defer(row_id)`` is called (in a worker thread) once the
            row is stored (a task's ``delay``), the request is answered 202 at once without
            running the endpoint, and a worker processes the row with
            ``inbox.process(row_id)``, exactly once. A repeat of a processed delivery runs
            the endpoint as without ``defer``.

    Returns:
        An async callable of the request that returns the event or raises ``HTTPException``
        (a :class:`CallbackDependency` with ``callback_key``).

    Raises:
        ConfigurationError: An option is wrong (checked now, not per request): an unknown
            provider, no secret for a provider that signs, a secret for one that signs
            nothing, a bad signature scheme or size limit, ``callback_key`` for another
            provider than ``"mastercard"``, ``defer`` without ``inbox``.
    """
    receiver = Receiver(
        provider,
        secret=secret,
        setting=None,
        signature_scheme=signature_scheme,
        max_body_size=max_body_size,
        allow_unknown=allow_unknown,
        callback_key=callback_key,
        on_invalid=on_invalid,
        name=name,
    )
    options = {
        "signature_scheme": signature_scheme,
        "max_body_size": max_body_size,
        "allow_unknown": allow_unknown,
    }
    check_defer(defer, inbox=inbox, provider=receiver.provider, needs="inbox=...")
    accepted = None if on_invalid is None else _KEPT_BY_ON_INVALID
    if inbox is not None:
        accepted = _KEPT_BY_INBOX if defer is None else _KEPT_FOR_A_WORKER
    if receiver.checks_token:
        dependency: WebhookDependency[Any] = CallbackDependency(receiver, inbox, options, defer)
        register(dependency, receiver.provider, callback_params=("ref", "token"), accepted=accepted)
    else:
        dependency = WebhookDependency(receiver, inbox, options, defer)
        register(dependency, receiver.provider, accepted=accepted)
    return dependency

"""Receive webhooks in Flask: a view decorator that hands your function the typed event.

Example::

    from webhook_payloads.integrations.flask import webhook_handler

    app.config["WEBHOOK_PAYLOADS_SECRETS"] = {"payscore": ["new-secret", "old-secret"]}

    @app.post("/hooks/payscore")
    @webhook_handler("payscore")
    def payscore_hook(event):
        handle(event)

The body is read from the WSGI input up to its declared length, within Flask's
``MAX_CONTENT_LENGTH`` too, and left where ``request.get_data()`` finds it (one of undeclared
length, chunked, piece by piece from ``request.stream`` when the server marks it complete,
refused once it passes the limit, else 411); a refused request gets 400/401/413/500 (from
the error's ``http_status``) with a short JSON body, and anything but POST gets 405.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import io
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Final,
    Literal,
    ParamSpec,
    Protocol,
    TypeAlias,
    TypeVar,
    cast,
    overload,
)

from .._registry import Provider
from .._types import DEFAULT_MAX_BODY_SIZE
from ..exceptions import BodyTooLargeError, ConfigurationError, WebhookError
from ._commands import InboxCommands, parse_time, run_prune, run_replay
from ._inbox import REPLAYABLE, Outcome, ReceiverInbox, Row, Store, check_defer
from ._receiver import (
    KEPT,
    LENGTH_REQUIRED,
    LENGTH_REQUIRED_TEXT,
    SECRETS_SETTING,
    Answer,
    InvalidHandler,
    Receiver,
    SecretSource,
    Start,
    StoreReceiverOptions,
    is_async,
    logger,
)

try:
    import click
    from flask import Flask, Request, Response, current_app, has_app_context, jsonify, request
    from flask.cli import AppGroup
    from werkzeug.exceptions import ClientDisconnected
    from werkzeug.wsgi import get_content_length
except ImportError as exc:  # pragma: no cover - tested in a subprocess without Flask
    raise ImportError(
        "webhook_payloads.integrations.flask needs Flask: pip install 'webhook-payloads[flask]'"
    ) from exc

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue
    from typing_extensions import Unpack

    from .._base import UnknownEvent, WebhookEvent
    from .._types import Secrets

    # BEGIN generated imports (tools/gen_overloads.py writes them from the provider registry)
    from ..anddone import AndDoneEvent, SignatureScheme
    from ..mastercard import MastercardEvent
    from ..mastercard_connect import MastercardConnectEvent
    from ..payscore import PayscoreEvent
    from ..payscore_v1 import PayscoreV1Event
    # END generated imports

__all__ = [
    "SECRETS_SETTING",
    "CallbackHandlerDecorator",
    "HandlerDecorator",
    "init_inbox",
    "webhook_handler",
]

P = ParamSpec("P")
T = TypeVar("T")
EventT_co = TypeVar("EventT_co", covariant=True)

HandlerResult: TypeAlias = "ResponseReturnValue | Awaitable[ResponseReturnValue | None] | None"
"""What a handler returns: a Flask response value or ``None`` (200), or a coroutine of one."""
# A type variable, not HandlerResult itself, in the protocols below: a checker's message for a
# handler typed for another provider's events then shows the event types that differ, not
# every kind of Flask response value beside them.
ResultT = TypeVar("ResultT", bound=HandlerResult)


class HandlerDecorator(Protocol[EventT_co]):
    """What :func:`webhook_handler` returns: wraps ``handler(event, **view_args)``."""

    def __call__(
        self, handler: Callable[Concatenate[EventT_co, P], ResultT]
    ) -> Callable[P, ResponseReturnValue]:
        """Wrap ``handler`` into a view taking the route's variables."""
        ...


class CallbackHandlerDecorator(Protocol[EventT_co]):
    """With ``callback_key``: wraps ``handler(event, reference, **view_args)``."""

    def __call__(
        self, handler: Callable[Concatenate[EventT_co, str, P], ResultT]
    ) -> Callable[P, ResponseReturnValue]:
        """Wrap ``handler`` into a view taking the route's variables."""
        ...


_PIECE = 64 * 1024
_ENSURE_SYNC: Final = Flask.ensure_sync


def _read_undeclared(receiver: Receiver, req: Request) -> bytes:
    # A chunked body has no Content-Length to check first (the server marks the input
    # terminated, so it ends there): count it as it is read, so that a client streaming
    # gigabytes is refused at the limit (the receiver's, or Flask's if lower), not after all
    # of it is in memory. A WSGI stream's read(n) waits for n bytes: never ask for more than
    # one byte past the limit, so that a body over it is refused as soon as that much arrived.
    limit, setting = _limit(receiver, req)
    chunks: list[bytes] = []
    size = 0
    stream = req.environ["wsgi.input"]
    while chunk := _read_input(stream, min(_PIECE, limit + 1 - size)):
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(
                provider=receiver.provider, size=size, limit=limit, setting=setting
            )
        chunks.append(chunk)
    return _keep(req, b"".join(chunks))


def _read_declared(receiver: Receiver, req: Request, declared: int) -> bytes:
    # What request.get_data() does for a body of declared length, without the guarded stream
    # Werkzeug builds around the input for it (about 7 us a request): Flask's own limit is
    # checked first (the receiver's was checked on the declared length already), then the
    # input read up to the declared length.
    limit, setting = _limit(receiver, req)
    if declared > limit:
        raise BodyTooLargeError(
            provider=receiver.provider, size=declared, limit=limit, setting=setting
        )
    stream = req.environ["wsgi.input"]
    chunks = [_read_input(stream, declared)]
    size = len(chunks[0])
    while size < declared and (chunk := _read_input(stream, declared - size)):
        chunks.append(chunk)
        size += len(chunk)
    if size < declared:
        raise ClientDisconnected  # as Werkzeug's stream does: the client left mid-body (400)
    return _keep(req, chunks[0] if len(chunks) == 1 else b"".join(chunks))


def _read_input(stream: Any, size: int) -> bytes:
    """``stream.read(size)``; a failed read means the client is gone (400, not 500).

    A connection reset, a socket timeout, gunicorn's ``NoMoreData``: Werkzeug's own stream
    answers these ``ClientDisconnected``, and so does the receiver. So are a server's own
    errors for a body it cannot decode (gunicorn's ``InvalidChunkSize`` is no ``OSError``).
    """
    try:
        return cast("bytes", stream.read(size))
    except Exception:  # noqa: BLE001 - the server could not hand over the body the client sent
        raise ClientDisconnected from None


def _limit(receiver: Receiver, req: Request) -> tuple[int, str]:
    """The lower of the receiver's limit and Flask's (``MAX_CONTENT_LENGTH``), and its name."""
    flask_limit = req.max_content_length  # the app's MAX_CONTENT_LENGTH, or the request's own
    if flask_limit is not None and flask_limit < receiver.max_body_size:
        return flask_limit, "Flask's MAX_CONTENT_LENGTH"
    return receiver.max_body_size, "max_body_size"


def _keep(req: Request, body: bytes) -> bytes:
    # Left where request.get_data() (and so request.data and request.get_json()) looks
    # first, for the handler to read the body again. The input itself is consumed: the
    # request's stream (a cached property) reads the body too, instead of waiting on a socket
    # for bytes the client will not send (Werkzeug's development server hands over the socket).
    setattr(req, "_cached_data", body)  # noqa: B010 - Werkzeug's get_data() cache, not typed
    req.__dict__["stream"] = io.BytesIO(body)
    return body


def _current(proxy: T) -> T:
    # Flask's request and current_app are proxies that find the object again on every
    # attribute read (about 1 us each): a view resolves each of them once.
    current: T = getattr(proxy, "_get_current_object")()  # noqa: B009 - not typed on T
    return current


def _read(receiver: Receiver) -> Answer | tuple[Start, bytes]:
    """What the receiver knows before parsing and the raw body, or the answer already."""
    return _read_request(receiver, _current(request), _current(current_app))


def _read_request(receiver: Receiver, req: Request, app: Flask) -> Answer | tuple[Start, bytes]:
    """:func:`_read` of the request and app themselves (not their proxies)."""
    environ = req.environ
    config = cast("Mapping[str, object]", app.config)
    try:
        # request.url keeps the query string as sent; request.full_path decodes it.
        start = receiver.start(
            config.get(SECRETS_SETTING) if receiver.reads_settings else None,
            req.url if receiver.checks_token else "",
            # request.content_length, without its two lookups through request.headers.
            get_content_length(environ),
        )
        read = req.__dict__.get("_cached_data")
        if type(read) is bytes:
            # Read already, by a before_request hook or an extension calling get_data()
            # (within Flask's own limit): the input is empty now, Werkzeug's cache holds it.
            body = read
            receiver.check_length(len(body))
        elif start.declared is not None:
            body = _read_declared(receiver, req, start.declared)
        elif environ.get("wsgi.input_terminated"):
            body = _read_undeclared(receiver, req)  # counted as it is read
        else:
            # Werkzeug reads nothing of a body without a length that the server does not mark
            # complete: parsing b"" would blame the signature. Say what is wrong instead.
            logger.warning(LENGTH_REQUIRED, receiver.provider)
            return Answer(411, LENGTH_REQUIRED_TEXT)
    except WebhookError as error:
        return receiver.refuse(error)
    return start, body


def _answer(answer: Answer) -> ResponseReturnValue:
    if answer.status == KEPT.status:
        return "", KEPT.status
    return jsonify(error=answer.text), answer.status


# BEGIN generated overloads (tools/gen_overloads.py writes them from the provider registry)
@overload
def webhook_handler(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> HandlerDecorator[MastercardEvent]: ...
@overload
def webhook_handler(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> HandlerDecorator[MastercardEvent | UnknownEvent]: ...
@overload
def webhook_handler(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: Secrets,
    **options: Unpack[StoreReceiverOptions],
) -> CallbackHandlerDecorator[MastercardEvent]: ...
@overload
def webhook_handler(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: Secrets,
    **options: Unpack[StoreReceiverOptions],
) -> CallbackHandlerDecorator[MastercardEvent | UnknownEvent]: ...
@overload
def webhook_handler(
    provider: Literal["payscore", Provider.PAYSCORE],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> HandlerDecorator[PayscoreEvent]: ...
@overload
def webhook_handler(
    provider: Literal["payscore", Provider.PAYSCORE],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> HandlerDecorator[PayscoreEvent | UnknownEvent]: ...
@overload
def webhook_handler(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> HandlerDecorator[PayscoreV1Event]: ...
@overload
def webhook_handler(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> HandlerDecorator[PayscoreV1Event | UnknownEvent]: ...
@overload
def webhook_handler(
    provider: Literal["anddone", Provider.ANDDONE],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: SignatureScheme | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> HandlerDecorator[AndDoneEvent]: ...
@overload
def webhook_handler(
    provider: Literal["anddone", Provider.ANDDONE],
    *,
    allow_unknown: bool,
    signature_scheme: SignatureScheme | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> HandlerDecorator[AndDoneEvent | UnknownEvent]: ...
@overload
def webhook_handler(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> HandlerDecorator[MastercardConnectEvent]: ...
@overload
def webhook_handler(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> HandlerDecorator[MastercardConnectEvent | UnknownEvent]: ...
# END generated overloads
@overload
def webhook_handler(
    provider: str | Provider,
    *,
    allow_unknown: bool = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[StoreReceiverOptions],
) -> HandlerDecorator[WebhookEvent | UnknownEvent]: ...


def webhook_handler(
    provider: str | Provider,
    *,
    secret: SecretSource = None,
    signature_scheme: object | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    allow_unknown: bool = False,
    callback_key: Secrets | None = None,
    on_invalid: InvalidHandler | None = None,
    name: str | None = None,
    inbox: Store | None = None,
    defer: Callable[[int], object] | None = None,
) -> HandlerDecorator[Any] | CallbackHandlerDecorator[Any]:
    """Turn ``handler(event, **view_args)`` into a Flask view that receives one provider.

    Put it under the route decorator. The handler runs only for a request that was verified
    and parsed (with ``callback_key``, it gets the verified reference second). It may return
    any Flask response value, and ``None`` answers 200 with an empty body; a
    :class:`WebhookError` it raises is answered with the error's ``http_status``.
    ``async def`` handlers work where Flask's async support is installed.

    Args:
        provider: The provider id, such as ``"payscore"``.
        secret: The secret, several (key rotation), or a function returning them (called
            per request). Without it, ``app.config["WEBHOOK_PAYLOADS_SECRETS"][provider]``.
        signature_scheme: For providers whose signature construction you name (AndDone).
        max_body_size: Larger bodies get 413, checked on ``Content-Length`` before reading
            (a chunked body, which declares none, as it is read).
        allow_unknown: Hand the handler an ``UnknownEvent`` for event types this library does
            not know, instead of answering 400.
        callback_key: ``"mastercard"`` only: the key (or a rotation list) its ``callbackUrl``
            was made with. The token is checked before the body is read (401 when missing
            or wrong), and the handler is called as ``handler(event, reference, **view_args)``.
        on_invalid: ``on_invalid(delivery)``, called with an
            :class:`~webhook_payloads.integrations.InvalidDelivery` when an authentic body
            fails validation or has an unknown event type; when it returns, the view answers
            202 (when it raises, 500). A plain function: Flask views are sync, so an
            ``async def`` one is refused. Refused with AndDone's ``event_body`` scheme,
            which leaves the envelope unsigned.
        name: The receiver's stable name (in ``InvalidDelivery.receiver``, and how replay
            finds the handler); by default the handler's ``module.qualname``.
        inbox: Keep every authentic delivery in this store
            (:class:`webhook_payloads.integrations.sqlalchemy.Inbox`) and call the handler
            once per delivery: a repeat answers 200 without calling it, a handler that
            raises leaves the row ``failed`` (500), an invalid body is a row ``invalid``
            (202). The handler then takes no route variables (replay has none to give).
        defer: With ``inbox``: ``defer(row_id)`` is called once the row is stored (a task's
            ``delay``), the view answers 202 at once, and a worker processes the row with
            ``inbox.process(row_id)``, exactly once. A repeat of a processed delivery
            answers 200; one still waiting is handed over again (the worker skips it once
            processed).

    Returns:
        A decorator for the handler.

    Raises:
        ConfigurationError: An option is wrong (checked now, not per request): an unknown
            provider, a secret for a provider that signs nothing, a bad signature scheme or
            size limit, ``callback_key`` for another provider than ``"mastercard"``,
            ``defer`` without ``inbox``.
    """
    receiver = Receiver(
        provider,
        secret=secret,
        setting=f'app.config["{SECRETS_SETTING}"]',
        signature_scheme=signature_scheme,
        max_body_size=max_body_size,
        allow_unknown=allow_unknown,
        callback_key=callback_key,
        on_invalid=on_invalid,
        name=name,
    )

    receiver.refuse_async_keeper("a Flask view")
    check_defer(defer, inbox=inbox, provider=receiver.provider, needs="inbox=...")
    options = {
        "signature_scheme": signature_scheme,
        "max_body_size": max_body_size,
        "allow_unknown": allow_unknown,
    }

    def decorate(handler: Callable[..., Any]) -> Callable[..., ResponseReturnValue]:
        named = receiver.named(handler)
        if inbox is not None:
            return _inbox_view(named, handler, inbox, options, defer)

        plain = not inspect.iscoroutinefunction(handler)

        @functools.wraps(handler)
        def view(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            req = _current(request)
            if req.method != "POST":
                return Response(status=405, headers={"Allow": "POST"})
            app = _current(current_app)
            ready = _read_request(named, req, app)
            if isinstance(ready, Answer):
                return _answer(ready)
            # Flask's ensure_sync gives a plain function back as it is: it is asked only for
            # an async def handler, or by an app that changes what ensure_sync does.
            if plain and type(app).ensure_sync is _ENSURE_SYNC:
                call = handler
            else:
                call = app.ensure_sync(handler)
            result = named.handle(
                ready[0], ready[1], req.headers, lambda first: call(*first, *args, **kwargs)
            )
            if result is None:
                return "", 200
            if isinstance(result, Answer):
                return _answer(result)
            return cast("ResponseReturnValue", result)

        return view

    return decorate


def _inbox_view(
    receiver: Receiver,
    handler: Callable[..., Any],
    store: Store,
    options: Mapping[str, Any],
    defer: Callable[[int], object] | None,
) -> Callable[..., ResponseReturnValue]:
    """The view of ``handler`` with an inbox: the flow of ``_inbox.py`` does the rest.

    With ``defer``, the flow stores the row and hands its id over (answer 202).
    """
    call = _plain(handler)

    def call_stored(row: Row, first: tuple[object, ...]) -> object:
        return call(*first)

    kept = ReceiverInbox(
        receiver,
        store,
        handler=handler,
        call_stored=call_stored,
        settings=_settings,
        options=options,
        defer=defer,
    )

    @functools.wraps(handler)
    def view(**view_args: Any) -> ResponseReturnValue:
        if request.method != "POST":
            return Response(status=405, headers={"Allow": "POST"})
        if view_args:
            return _answer(receiver.refuse(ConfigurationError(_ROUTE_VARIABLES)))
        ready = _read(receiver)
        if isinstance(ready, Answer):
            return _answer(ready)
        outcome = kept.handle(ready[0], ready[1], request.headers, lambda first: call(*first))
        return _answer(outcome) if isinstance(outcome, Answer) else _respond(outcome, receiver)

    return view


_ROUTE_VARIABLES = (
    "A view with an inbox takes no route variables: replay calls the handler without a "
    "request, so it could not pass them. Give each route its own view (and name=)."
)


def _settings() -> object | None:
    # Replay outside a request: the app's config when there is an app context (the flask
    # webhooks command has one), else none (the stored bytes were verified when received).
    if not has_app_context():
        return None
    return cast("Mapping[str, object]", current_app.config).get(SECRETS_SETTING)


def _plain(handler: Callable[..., Any]) -> Callable[..., Any]:
    # An async def handler runs to completion in the view's (or the command's) thread,
    # inside the row's transaction; Flask views are sync, so no event loop runs there.
    if not is_async(handler):
        return handler
    return lambda *args: asyncio.run(handler(*args))


def _respond(outcome: Outcome, receiver: Receiver) -> ResponseReturnValue:
    error = outcome.error
    if isinstance(error, WebhookError):
        return _answer(receiver.refuse(error))
    if error is not None:
        # The row is marked failed (committed); Flask logs it and answers 500, as it does
        # for any view that raises.
        raise error
    if outcome.ran and outcome.result is not None:
        return cast("ResponseReturnValue", outcome.result)
    return "", outcome.status


def init_inbox(app: Flask, inbox: InboxCommands) -> None:
    """Add ``flask webhooks replay`` and ``flask webhooks prune`` for ``inbox`` to ``app``.

    The Flask extension convention: call it where the app is made (an app factory too). The
    inbox is kept in ``app.extensions["webhook_payloads"]``.

    Args:
        app: The Flask app.
        inbox: The inbox its receivers were declared with (``inbox=inbox``).
    """
    app.extensions["webhook_payloads"] = inbox
    app.cli.add_command(_webhooks_group(inbox))


class _Time(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2 on
    name = "time"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return parse_time(str(value))
        except ValueError:
            self.fail(f"not an ISO 8601 time: {value!r}", param, ctx)


_TIME = _Time()


def _webhooks_group(inbox: InboxCommands) -> click.Group:
    # An AppGroup runs its commands in the app's context: handlers replayed there can use
    # current_app, and the receivers read app.config's secrets, as in a request.
    @click.group(
        "webhooks",
        cls=AppGroup,
        help="Replay or prune the deliveries the webhook inbox keeps.",
    )
    def webhooks() -> None:
        pass

    @webhooks.command(
        "replay",
        help="Process every delivery not processed yet (received, failed, invalid; fewer "
        "with --status); processed ones never run twice. Exit status 1 when some failed again.",
    )
    @click.option("--status", multiple=True, type=click.Choice(REPLAYABLE), help="repeatable")
    @click.option("--provider", help="Only this provider's deliveries.")
    @click.option("--receiver", help="Only this receiver's deliveries (its name).")
    @click.option("--since", type=_TIME, help="Received at or after (ISO 8601).")
    @click.option("--until", type=_TIME, help="Received before (ISO 8601).")
    @click.option("--id", "ids", type=int, multiple=True, help="Only this row (repeatable).")
    def replay(
        *,
        status: tuple[str, ...],
        provider: str | None,
        receiver: str | None,
        since: datetime | None,
        until: datetime | None,
        ids: tuple[int, ...],
    ) -> None:
        code = run_replay(
            inbox,
            statuses=status,
            provider=provider,
            receiver=receiver,
            since=since,
            until=until,
            ids=ids,
            out=sys.stdout,
            err=sys.stderr,
        )
        raise SystemExit(code)

    @webhooks.command("prune", help="Delete deliveries received more than DAYS days ago.")
    @click.option("--older-than", "days", type=click.FloatRange(min=0), required=True)
    def prune(*, days: float) -> None:
        run_prune(inbox, days, out=sys.stdout)

    return webhooks

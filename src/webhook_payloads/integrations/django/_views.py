"""The Django view decorator: :func:`webhook_view` (re-exported by the package)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Final,
    Literal,
    ParamSpec,
    Protocol,
    TypeVar,
    cast,
    overload,
)

from ..._registry import Provider
from ..._types import DEFAULT_MAX_BODY_SIZE
from ...exceptions import BodyTooLargeError, ConfigurationError, WebhookError
from .._receiver import (
    KEPT,
    LENGTH_REQUIRED,
    LENGTH_REQUIRED_TEXT,
    SECRETS_SETTING,
    Answer,
    InvalidHandler,
    Receiver,
    ReceiverOptions,
    SecretSource,
    Start,
    logger,
)

try:
    from asgiref.sync import sync_to_async
    from django.conf import settings
    from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
    from django.http.request import RawPostDataException
    from django.http.response import HttpResponseBase
    from django.views.decorators.csrf import csrf_exempt
except ImportError as exc:  # pragma: no cover - tested in a subprocess without Django
    raise ImportError(
        "webhook_payloads.integrations.django needs Django: pip install 'webhook-payloads[django]'"
    ) from exc

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..._base import UnknownEvent, WebhookEvent
    from ..._types import Secrets

    # BEGIN generated imports (tools/gen_overloads.py writes them from the provider registry)
    from ...anddone import AndDoneEvent, SignatureScheme
    from ...mastercard import MastercardEvent
    from ...mastercard_connect import MastercardConnectEvent
    from ...payscore import PayscoreEvent
    from ...payscore_v1 import PayscoreV1Event

    # END generated imports
    from .._inbox import Store

__all__ = [
    "RECEIVER_ATTRIBUTE",
    "SECRETS_SETTING",
    "CallbackViewDecorator",
    "ViewDecorator",
    "webhook_view",
]

RECEIVER_ATTRIBUTE: Final = "webhook_payloads_receiver"
"""The attribute holding a view's :class:`Receiver` (read by ``limit_webhook_bodies``)."""

P = ParamSpec("P")
T = TypeVar("T")
EventT_co = TypeVar("EventT_co", covariant=True)
# What a handler returns, as type variables rather than fixed types in the overloads below,
# and the plain handler's overload first: for a handler that matches neither (one typed for
# another provider's events), mypy reports the first overload and pyright the last, and the
# message then shows the event types that differ, not an awaitable the handler never returned.
ResultT = TypeVar("ResultT", bound="HttpResponseBase | None")
ViewResultT = TypeVar("ViewResultT", bound="Awaitable[HttpResponseBase | None]")


class ViewDecorator(Protocol[EventT_co]):
    """What :func:`webhook_view` returns: wraps ``handler(request, event, *args, **kwargs)``."""

    @overload
    def __call__(
        self, handler: Callable[Concatenate[HttpRequest, EventT_co, P], ResultT]
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]: ...
    @overload
    def __call__(
        self,
        handler: Callable[Concatenate[HttpRequest, EventT_co, P], ViewResultT],
    ) -> Callable[Concatenate[HttpRequest, P], Awaitable[HttpResponseBase]]: ...


class CallbackViewDecorator(Protocol[EventT_co]):
    """With ``callback_key``: wraps ``handler(request, event, reference, *args, **kwargs)``."""

    @overload
    def __call__(
        self,
        handler: Callable[Concatenate[HttpRequest, EventT_co, str, P], ResultT],
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]: ...
    @overload
    def __call__(
        self,
        handler: Callable[Concatenate[HttpRequest, EventT_co, str, P], ViewResultT],
    ) -> Callable[Concatenate[HttpRequest, P], Awaitable[HttpResponseBase]]: ...


class _Decorator:
    """The decorator behind both protocols: wraps sync and async view functions alike."""

    def __init__(
        self,
        receiver: Receiver,
        inbox: object = False,
        defer: Callable[[int], object] | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self._receiver = receiver
        self._inbox = inbox
        self._defer = defer
        self._options = options or {}

    def __call__(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap ``handler`` into a Django view."""
        receiver = self._receiver.named(handler)
        if self._inbox is not False and self._inbox is not None:
            from ._inbox_views import inbox_view  # noqa: PLC0415 - only views with an inbox

            return inbox_view(
                receiver,
                handler,
                inbox=self._inbox,
                defer=self._defer,
                options=self._options,
                read=_read,
                answer=_answer,
            )
        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def async_view(
                request: HttpRequest, *args: Any, **kwargs: Any
            ) -> HttpResponseBase:
                ready = _read(receiver, request)
                if isinstance(ready, HttpResponseBase):
                    return ready
                result = await receiver.handle_async(
                    ready[0],
                    ready[1],
                    _MetaHeaders(request.META),
                    lambda first: handler(request, *first, *args, **kwargs),
                    _OFFLOAD,
                )
                return _response(result)

            # Marked by hand, not wrapped in csrf_exempt(): before Django 5.0 that decorator
            # returns a sync wrapper, and Django would not await the view's coroutine.
            async_view.csrf_exempt = True  # type: ignore[attr-defined]  # pyright: ignore[reportFunctionMemberAccess]
            setattr(async_view, RECEIVER_ATTRIBUTE, receiver)
            return async_view

        receiver.refuse_async_keeper("a sync Django view")

        @functools.wraps(handler)
        def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            ready = _read(receiver, request)
            if isinstance(ready, HttpResponseBase):
                return ready
            result = receiver.handle(
                ready[0],
                ready[1],
                _MetaHeaders(request.META),
                lambda first: handler(request, *first, *args, **kwargs),
            )
            return _response(result)

        setattr(view, RECEIVER_ATTRIBUTE, receiver)
        return csrf_exempt(view)


class _DjangoOffload:
    """Blocking work in an async view, as Django expects it (see :class:`Offload`)."""

    async def cpu(self, function: Callable[..., T], /, *args: Any) -> T:
        """In a worker thread of its own: it touches no database."""
        return await sync_to_async(function, thread_sensitive=False)(*args)

    async def blocking(self, function: Callable[..., T], /, *args: Any) -> T:
        """In the thread Django runs sync code in, so that the ORM works there."""
        return await sync_to_async(function, thread_sensitive=True)(*args)


_OFFLOAD: Final = _DjangoOffload()
_PIECE: Final = 64 * 1024
# The two headers WSGI (and Django's ASGI handler) put in META without the HTTP_ prefix.
_UNPREFIXED: Final = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


class _MetaHeaders(Mapping[str, str]):
    """``request.headers``, read straight from ``request.META`` instead of built first.

    Django builds ``request.headers`` by walking every entry of ``META`` (about 10 us for the
    ten headers behind a proxy), where verification reads one or two of them: this view
    finds a name as ``HttpHeaders`` does (case and ``-``/``_`` alike, under ``HTTP_`` but
    for ``Content-Type`` and ``Content-Length``) with one dict lookup. The handler still
    gets the request, whose ``request.headers`` is unchanged.
    """

    __slots__ = ("_meta",)

    def __init__(self, meta: Mapping[str, Any]) -> None:
        """Look names up in ``meta`` (the request's ``META``)."""
        self._meta = meta

    def get(self, key: str, default: Any = None) -> Any:  # pyright: ignore[reportIncompatibleMethodOverride]
        """The value of header ``key``, or ``default``."""
        name = key.replace("-", "_").upper()
        if name not in _UNPREFIXED:
            name = "HTTP_" + name
        value = self._meta.get(name)
        return default if value is None else value

    def __getitem__(self, key: str) -> str:
        """The value of header ``key``; ``KeyError`` when absent."""
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return cast("str", value)

    def __iter__(self) -> Iterator[str]:
        """The header names, spelt as ``request.headers`` spells them."""
        for name in self._meta:
            if name.startswith("HTTP_"):
                yield name[5:].replace("_", "-").title()
            elif name in _UNPREFIXED:
                yield name.replace("_", "-").title()

    def __len__(self) -> int:
        """How many headers there are."""
        return sum(1 for _ in self)


def _read(receiver: Receiver, request: HttpRequest) -> HttpResponseBase | tuple[Start, bytes]:
    """What the receiver knows before parsing and the raw body, or the answer already."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    meta = request.META
    try:
        start = receiver.start(
            getattr(settings, SECRETS_SETTING, None) if receiver.reads_settings else None,
            request.get_full_path() if receiver.checks_token else "",
            meta.get("CONTENT_LENGTH"),
        )
        if start.declared is not None:
            body = _read_declared(receiver, request, start.declared)
            return _unreadable(receiver) if body is None else (start, body)
        stream = meta.get("wsgi.input")
        if stream is None:
            # ASGI: a chunked body declares no length, and Django's own limit on
            # request.body reads only the declared one: read at most one byte past the
            # limit, so a huge body is refused without being loaded into memory. (The
            # stream is then consumed: the view cannot read request.body again.)
            body = request.read(receiver.max_body_size + 1)
            receiver.check_length(len(body))
            return start, body
        if not meta.get("wsgi.input_terminated"):
            # Django reads nothing of a WSGI body without a length: parsing b"" would blame
            # the signature. Say what is wrong instead.
            logger.warning(LENGTH_REQUIRED, receiver.provider)
            return _answer(Answer(411, LENGTH_REQUIRED_TEXT))
        # The server decodes the chunks and ends the stream: read it piece by piece,
        # counting, so that a body past the limit is refused without loading all of it.
        body = _read_stream(stream, receiver)
        return _unreadable(receiver) if body is None else (start, body)
    except WebhookError as error:
        return _answer(receiver.refuse(error))


def _read_declared(receiver: Receiver, request: HttpRequest, declared: int) -> bytes | None:
    """``request.body`` (the server stops at the declared length); ``None`` if cut short.

    Django refuses a declared length over its ``DATA_UPLOAD_MAX_MEMORY_SIZE`` as a bad
    request (400): a body below the receiver's limit but over Django's is answered 413 here
    instead, naming the setting to raise.

    Raises:
        BodyTooLargeError: ``declared`` is above ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
    """
    django_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if django_limit is not None and declared > django_limit:
        raise BodyTooLargeError(
            provider=receiver.provider,
            size=declared,
            limit=django_limit,
            setting="Django's DATA_UPLOAD_MAX_MEMORY_SIZE",
        )
    try:
        body = request.body
    except RawPostDataException:
        raise  # the app read the stream before the receiver: its bug, not the request's
    except Exception:  # noqa: BLE001 - the server could not hand over the body the client sent
        return None
    return body if len(body) == declared else None


def _read_stream(stream: Any, receiver: Receiver) -> bytes | None:
    """The chunked body, counted as it is read; ``None`` when the server cannot read it."""
    # A WSGI stream's read(n) waits for n bytes: never ask for more than one byte past the
    # limit, so that a body over it is refused as soon as that much has arrived.
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = stream.read(min(_PIECE, receiver.max_body_size + 1 - size))
        except Exception:  # noqa: BLE001 - gunicorn's NoMoreData, InvalidChunkSize, a reset
            return None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        receiver.check_length(size)
        chunks.append(chunk)


def _unreadable(receiver: Receiver) -> HttpResponseBase:
    # The client left mid-body, or sent chunks the server cannot decode: parsing what
    # arrived would blame the signature. Nobody may be listening, but say what happened.
    logger.warning(_UNREADABLE, receiver.provider)
    return _answer(Answer(400, _UNREADABLE_TEXT))


_UNREADABLE: Final = (
    "Refused a webhook from %s (400): its body could not be read in full (the client left "
    "before sending all of it, or the server could not decode it)."
)
_UNREADABLE_TEXT: Final = "invalid webhook payload"


def _response(result: object) -> HttpResponseBase:
    if result is None:
        return HttpResponse(status=200)
    if isinstance(result, Answer):
        return _answer(result)
    return cast("HttpResponseBase", result)


def _answer(answer: Answer) -> HttpResponseBase:
    if answer.status == KEPT.status:
        return HttpResponse(status=KEPT.status)
    return JsonResponse({"error": answer.text}, status=answer.status)


class ViewOptions(ReceiverOptions, total=False):
    """The options of :func:`webhook_view` that every provider takes alike (see there)."""

    inbox: bool | Store
    defer: Callable[[int], object] | None


# BEGIN generated overloads (tools/gen_overloads.py writes them from the provider registry)
@overload
def webhook_view(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[ViewOptions],
) -> ViewDecorator[MastercardEvent]: ...
@overload
def webhook_view(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[ViewOptions],
) -> ViewDecorator[MastercardEvent | UnknownEvent]: ...
@overload
def webhook_view(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: Secrets,
    **options: Unpack[ViewOptions],
) -> CallbackViewDecorator[MastercardEvent]: ...
@overload
def webhook_view(
    provider: Literal["mastercard", Provider.MASTERCARD],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: Secrets,
    **options: Unpack[ViewOptions],
) -> CallbackViewDecorator[MastercardEvent | UnknownEvent]: ...
@overload
def webhook_view(
    provider: Literal["payscore", Provider.PAYSCORE],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[ViewOptions],
) -> ViewDecorator[PayscoreEvent]: ...
@overload
def webhook_view(
    provider: Literal["payscore", Provider.PAYSCORE],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[ViewOptions],
) -> ViewDecorator[PayscoreEvent | UnknownEvent]: ...
@overload
def webhook_view(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[ViewOptions],
) -> ViewDecorator[PayscoreV1Event]: ...
@overload
def webhook_view(
    provider: Literal["payscore_v1", Provider.PAYSCORE_V1],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[ViewOptions],
) -> ViewDecorator[PayscoreV1Event | UnknownEvent]: ...
@overload
def webhook_view(
    provider: Literal["anddone", Provider.ANDDONE],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: SignatureScheme | None = None,
    callback_key: None = None,
    **options: Unpack[ViewOptions],
) -> ViewDecorator[AndDoneEvent]: ...
@overload
def webhook_view(
    provider: Literal["anddone", Provider.ANDDONE],
    *,
    allow_unknown: bool,
    signature_scheme: SignatureScheme | None = None,
    callback_key: None = None,
    **options: Unpack[ViewOptions],
) -> ViewDecorator[AndDoneEvent | UnknownEvent]: ...
@overload
def webhook_view(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    *,
    allow_unknown: Literal[False] = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[ViewOptions],
) -> ViewDecorator[MastercardConnectEvent]: ...
@overload
def webhook_view(
    provider: Literal["mastercard_connect", Provider.MASTERCARD_CONNECT],
    *,
    allow_unknown: bool,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[ViewOptions],
) -> ViewDecorator[MastercardConnectEvent | UnknownEvent]: ...
# END generated overloads
@overload
def webhook_view(
    provider: str | Provider,
    *,
    allow_unknown: bool = False,
    signature_scheme: object | None = None,
    callback_key: None = None,
    **options: Unpack[ViewOptions],
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
    name: str | None = None,
    inbox: bool | Store = False,
    defer: Callable[[int], object] | None = None,
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
        on_invalid: ``on_invalid(delivery)``, called with an
            :class:`~webhook_payloads.integrations.InvalidDelivery` when an authentic body
            fails validation or has an unknown event type; when it returns, the view answers
            202 (when it raises, 500). In an async view it may be ``async def`` (awaited); a
            plain one runs through ``sync_to_async``, so it can use the ORM. Refused with
            AndDone's ``event_body`` scheme, which leaves the envelope unsigned.
        name: The receiver's stable name (in ``InvalidDelivery.receiver``, and the inbox's
            rows); by default the handler's ``module.qualname``.
        inbox: ``True`` keeps every authentic delivery in the app's database (the app
            ``webhook_payloads.integrations.django`` in ``INSTALLED_APPS``) and calls the
            handler once per delivery, whatever the provider resends; or an
            :class:`~webhook_payloads.integrations.django.inbox.Inbox` for another database.
            See the docs' "Keeping every delivery".
        defer: With ``inbox``: ``defer(row_id)`` is called once the row is stored (a task's
            ``delay``), the view answers 202 at once, and a worker processes the row.

    Returns:
        A decorator for the handler.

    Raises:
        ConfigurationError: An option is wrong (checked now, not per request): an unknown
            provider, a secret for a provider that signs nothing, a bad signature scheme or
            size limit, ``callback_key`` for another provider than ``"mastercard"``, an
            ``async def`` ``on_invalid`` for a sync view (when the view is decorated).
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
        name=name,
    )
    if defer is not None and not inbox:
        raise ConfigurationError(
            "defer needs inbox=True: the row it hands over is kept by the inbox.",
            provider=receiver.provider,
        )
    options = {
        "signature_scheme": signature_scheme,
        "max_body_size": max_body_size,
        "allow_unknown": allow_unknown,
    }
    return _Decorator(receiver, inbox, defer, options)

"""Django views with an inbox: ``webhook_view(..., inbox=True)`` (see ``_inbox.py``).

The view reads the request as every Django receiver does, then hands it to the inbox flow
instead of calling the handler directly. The flow runs in sync code: in an async view, all
of it runs through ``sync_to_async`` (the ORM and its transaction in the thread Django
keeps for sync code), and an ``async def`` handler is called from there with
``async_to_sync``, which runs it on the view's event loop while the row stays locked; its
own ORM calls (through ``sync_to_async``) come back to that same thread and connection, so
they are inside the savepoint too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import RequestFactory
from django.views.decorators.csrf import csrf_exempt

from ...exceptions import ConfigurationError, WebhookError
from .._inbox import Outcome, ReceiverInbox, Row, Store
from .._receiver import SECRETS_SETTING, Answer, Receiver, Start, is_async
from ._views import RECEIVER_ATTRIBUTE

__all__ = ["PROCESS_DELIVERY", "inbox_view"]

PROCESS_DELIVERY: Final = "webhook_payloads.process_delivery"
"""The name of the app's Celery task (``tasks.process_delivery``)."""

_URL_ARGUMENTS: Final = (
    "A view with an inbox takes no URL arguments: replay and workers call the handler "
    "without a request's URL, so they could not pass them. Give each URL its own view "
    "(and name=)."
)


def _settings() -> object | None:
    return getattr(settings, SECRETS_SETTING, None)


def _stored_request(row: Row) -> HttpRequest:
    """The request a stored row came in, as far as it was kept: its body and headers."""
    return RequestFactory().post(
        "/", data=row.body, content_type="application/json", headers=dict(row.headers)
    )


def inbox_view(
    receiver: Receiver,
    handler: Callable[..., Any],
    *,
    inbox: object,
    defer: Callable[[int], object] | None,
    options: Mapping[str, Any],
    read: Callable[[Receiver, HttpRequest], HttpResponseBase | tuple[Start, bytes]],
    answer: Callable[[Answer], HttpResponseBase],
) -> Callable[..., Any]:
    """The view for ``handler`` with an inbox.

    Args:
        receiver: The named receiver.
        handler: The user's function ``handler(request, event[, reference])``.
        inbox: ``True`` (the app's ``Delivery`` table, see :class:`Inbox`) or a store.
        defer: Queues a row id for a worker instead of processing in the request.
        options: The receiver's ``Webhook`` options.
        read: Reads the request (the receivers' own step).
        answer: Turns a refusal into a response.

    Raises:
        ConfigurationError: What :class:`ReceiverInbox` refuses.
    """
    from .inbox import Inbox  # noqa: PLC0415 - the view decorator works without the app

    if inbox is True:
        store: Store = Inbox()
    else:
        store = inbox  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    if defer is not None and isinstance(store, Inbox) and _is_process_delivery(defer):
        defer = _on_database(defer, store)
    handler_is_async = is_async(handler)
    sync_handler: Callable[..., Any] = async_to_sync(handler) if handler_is_async else handler

    def call_stored(row: Row, arguments: tuple[object, ...]) -> object:
        return sync_handler(_stored_request(row), *arguments)

    kept = ReceiverInbox(
        receiver,
        store,
        handler=handler,
        call_stored=call_stored,
        settings=_settings,
        options=options,
        defer=defer,
    )

    def flow(request: HttpRequest, start: Start, body: bytes) -> HttpResponseBase:
        outcome = kept.handle(
            start, body, request.headers, lambda first: sync_handler(request, *first)
        )
        return _respond(outcome, receiver, answer)

    if handler_is_async:

        @functools.wraps(handler)
        async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if args or kwargs:
                return answer(receiver.refuse(ConfigurationError(_URL_ARGUMENTS)))
            ready = read(receiver, request)
            if isinstance(ready, HttpResponseBase):
                return ready
            return await sync_to_async(flow, thread_sensitive=True)(request, *ready)

        # Marked by hand, as the plain receivers do (csrf_exempt() would wrap it in sync
        # code before Django 5.0); the flow manages its own transactions.
        async_view.csrf_exempt = True  # type: ignore[attr-defined]  # pyright: ignore[reportFunctionMemberAccess]
        return _marked(transaction.non_atomic_requests(async_view), receiver)

    @functools.wraps(handler)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if args or kwargs:
            return answer(receiver.refuse(ConfigurationError(_URL_ARGUMENTS)))
        ready = read(receiver, request)
        if isinstance(ready, HttpResponseBase):
            return ready
        return flow(request, *ready)

    # The row is recorded and marked in transactions of the flow's own: under
    # ATOMIC_REQUESTS, one transaction around the request would lose the failed mark.
    return _marked(transaction.non_atomic_requests(csrf_exempt(view)), receiver)


def _is_process_delivery(defer: object) -> bool:
    """Whether ``defer`` is the app's task's ``delay`` (of whichever Celery app it is bound to).

    Recognised by the task's name, so that this module need not import Celery.
    """
    task = getattr(defer, "__self__", None)
    return getattr(defer, "__name__", None) == "delay" and getattr(task, "name", None) == (
        PROCESS_DELIVERY
    )


def _on_database(delay: Callable[..., object], store: Any) -> Callable[[int], object]:
    """``delay`` handing the worker the database the row is in, with the row's id.

    The worker's task would otherwise look in the database its own routers choose (the
    default one), not find a row kept by ``Inbox(using=...)``, and leave it ``received``.
    """

    def deferred(row_id: int) -> object:
        return delay(row_id, using=store.using)

    return deferred


def _marked(view: Callable[..., Any], receiver: Receiver) -> Callable[..., Any]:
    """``view`` marked as a receiver's, as the plain receivers are.

    ``limit_webhook_bodies`` finds a path's receiver, and its ``max_body_size``, by this
    mark on the object the URLconf holds: set it on the view returned, after every wrapper.
    """
    setattr(view, RECEIVER_ATTRIBUTE, receiver)
    return view


def _respond(
    outcome: Outcome | Answer, receiver: Receiver, answer: Callable[[Answer], HttpResponseBase]
) -> HttpResponseBase:
    if isinstance(outcome, Answer):
        return answer(outcome)
    error = outcome.error
    if isinstance(error, WebhookError):
        return answer(receiver.refuse(error))
    if error is not None:
        # The row is marked failed (committed); the framework answers 500 and logs it, as
        # it does for any view that raises.
        raise error
    if isinstance(outcome.result, HttpResponseBase):
        return outcome.result
    return HttpResponse(status=outcome.status)

"""Checked by mypy --strict and pyright strict (not run by pytest): receivers, typed per provider.

A handler typed for the provider's events (or a base class of them) is accepted; one typed for
another provider's events is an error, and so is a Mastercard handler that does not take the
reference when ``callback_key`` is given.
"""

# Expected errors are marked with ignores; an ignore that silences nothing fails (mypy
# --strict warns on unused ignores itself).
# pyright: reportUnnecessaryTypeIgnoreComment=true

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from fastapi import Depends
from sqlalchemy import create_engine
from starlette.requests import Request
from typing_extensions import assert_type

from webhook_payloads import PayloadError, Provider, UnknownEvent, WebhookEvent
from webhook_payloads.anddone import AndDoneEvent, SignatureScheme
from webhook_payloads.integrations import InvalidDelivery
from webhook_payloads.integrations.django import (
    CallbackViewDecorator,
    ViewDecorator,
    webhook_view,
)
from webhook_payloads.integrations.django.inbox import Inbox
from webhook_payloads.integrations.django.tasks import process_delivery
from webhook_payloads.integrations.fastapi import webhook_event
from webhook_payloads.integrations.flask import (
    CallbackHandlerDecorator,
    HandlerDecorator,
    webhook_handler,
)
from webhook_payloads.integrations.sqlalchemy import Inbox as SqlInbox
from webhook_payloads.integrations.starlette import CallbackDependency, WebhookDependency
from webhook_payloads.mastercard import MastercardEvent
from webhook_payloads.mastercard_connect import MastercardConnectEvent
from webhook_payloads.payscore import PayscoreEvent
from webhook_payloads.payscore_v1 import PayscoreV1Event


def keep(delivery: InvalidDelivery) -> None:
    """An on_invalid."""


def old_keep(body: bytes, error: PayloadError) -> None:
    """An on_invalid of the old signature: refused."""


# --- Django -------------------------------------------------------------------------------


@webhook_view("payscore", inbox=True, name="payscore")
def inbox_view(request: HttpRequest, event: PayscoreEvent) -> None:
    """Accepted: the inbox in the app's table."""


@webhook_view("payscore", inbox=Inbox(using="other"), defer=process_delivery.delay)
def deferred_view(request: HttpRequest, event: PayscoreEvent) -> None:
    """Accepted: an inbox on another database, processed by the Celery task."""


@webhook_view("payscore", inbox="yes")  # type: ignore[call-overload, untyped-decorator]
def wrong_inbox_view(request: HttpRequest, event: PayscoreEvent) -> None:
    """Refused: an inbox is True or a store."""


@webhook_view("payscore", on_invalid=keep)
def payscore_view(request: HttpRequest, event: PayscoreEvent) -> None:
    """Accepted: the provider's own union."""


@webhook_view(Provider.PAYSCORE_V1)
def base_class_view(request: HttpRequest, event: WebhookEvent, tenant: str) -> HttpResponse:
    """Accepted: a base class of every event, and URL arguments after the event."""
    return HttpResponse()


@webhook_view("payscore")  # type: ignore[arg-type]
def wrong_provider_view(request: HttpRequest, event: MastercardEvent) -> None:
    """Refused: Payscore sends no Mastercard events."""


@webhook_view("payscore", allow_unknown=True)  # type: ignore[arg-type]
def no_unknown_view(request: HttpRequest, event: PayscoreEvent) -> None:
    """Refused: with allow_unknown the handler must take UnknownEvent too."""


@webhook_view("payscore")  # type: ignore[arg-type, type-var]
async def wrong_provider_async_view(request: HttpRequest, event: MastercardEvent) -> None:
    """Refused: async or not, Payscore sends no Mastercard events."""


@webhook_view("payscore")  # type: ignore[type-var]
def wrong_result_view(request: HttpRequest, event: PayscoreEvent) -> int:
    """Refused: a view answers with a response or None."""
    return 200


@webhook_view("mastercard", callback_key="k" * 32)
async def mastercard_view(request: HttpRequest, event: MastercardEvent, reference: str) -> None:
    """Accepted: with callback_key the verified reference comes third (async view)."""


@webhook_view("mastercard", callback_key="k" * 32)  # type: ignore[arg-type]
def no_reference_view(request: HttpRequest, event: MastercardEvent) -> None:
    """Refused: the reference is passed, so the handler must take it."""


def django_views(request: HttpRequest) -> None:
    assert_type(payscore_view(request), HttpResponseBase)
    assert_type(base_class_view(request, tenant="t"), HttpResponseBase)
    webhook_view(
        "anddone",
        secret=lambda: ["new", "old"],
        signature_scheme=SignatureScheme.from_name("event_body:text"),
    )
    webhook_view("mastercard", callback_key="k", on_invalid=keep)
    webhook_view("payscore", callback_key="k")  # type: ignore[call-overload]
    webhook_view("payscore", on_invalid=len)  # type: ignore[arg-type]
    webhook_view("payscore", on_invalid=old_keep)  # type: ignore[arg-type]
    webhook_view("payscore", name=3)  # type: ignore[call-overload]


# --- Flask --------------------------------------------------------------------------------


@webhook_handler("anddone")
def anddone_handler(event: AndDoneEvent) -> tuple[str, int]:
    """Accepted."""
    return "", 204


@webhook_handler("anddone")  # type: ignore[arg-type]
def wrong_provider_handler(event: PayscoreEvent) -> None:
    """Refused."""


@webhook_handler("anddone")  # type: ignore[type-var]
def wrong_result_handler(event: AndDoneEvent) -> int:
    """Refused: an int is no Flask response value."""
    return 204


@webhook_handler("payscore_v1", allow_unknown=True)
async def lenient_handler(event: PayscoreV1Event | UnknownEvent, tenant: str) -> None:
    """Accepted: async, with a route variable."""


@webhook_handler("mastercard", callback_key=["new", "old"])
def mastercard_handler(event: MastercardEvent, reference: str) -> None:
    """Accepted."""


SQL_INBOX = SqlInbox(create_engine("sqlite://"))


@webhook_handler("payscore", inbox=SQL_INBOX)
def inbox_handler(event: PayscoreEvent) -> None:
    """Accepted: an inbox on SQLAlchemy."""


@webhook_handler("payscore", inbox="yes")  # type: ignore[call-overload, untyped-decorator]
def wrong_inbox_handler(event: PayscoreEvent) -> None:
    """Refused: an inbox is a store."""


def receivers_of_every_provider() -> None:
    # One generated overload set per registered provider and receiver.
    assert_type(webhook_view("mastercard_connect"), ViewDecorator[MastercardConnectEvent])
    assert_type(
        webhook_view("anddone", allow_unknown=True), ViewDecorator[AndDoneEvent | UnknownEvent]
    )
    assert_type(
        webhook_view("mastercard", callback_key="k"), CallbackViewDecorator[MastercardEvent]
    )
    assert_type(webhook_handler(Provider.PAYSCORE_V1), HandlerDecorator[PayscoreV1Event])
    assert_type(
        webhook_handler("mastercard", callback_key="k", allow_unknown=True),
        CallbackHandlerDecorator[MastercardEvent | UnknownEvent],
    )
    assert_type(webhook_event("anddone", secret="s"), WebhookDependency[AndDoneEvent])
    assert_type(
        webhook_event("mastercard_connect", secret="s", allow_unknown=True),
        WebhookDependency[MastercardConnectEvent | UnknownEvent],
    )


def shared_receiver_options() -> None:
    # The options every provider takes alike (**options: Unpack[...]) keep their names and types.
    assert_type(
        webhook_view(
            "payscore",
            secret=lambda: "s",
            max_body_size=2048,
            on_invalid=keep,
            name="payscore",
            inbox=True,
            defer=process_delivery.delay,
        ),
        ViewDecorator[PayscoreEvent],
    )
    assert_type(
        webhook_handler("payscore", secret=["new", "old"], name="p", inbox=SQL_INBOX),
        HandlerDecorator[PayscoreEvent],
    )
    assert_type(
        webhook_event("payscore", secret="s", max_body_size=10, on_invalid=keep, inbox=None),
        WebhookDependency[PayscoreEvent],
    )
    webhook_view("payscore", max_body_size="1 MiB")  # type: ignore[call-overload]
    webhook_handler("payscore", inbox=True)  # type: ignore[call-overload]
    webhook_event("payscore", secret=3)  # type: ignore[call-overload]


def flask_views() -> None:
    anddone_handler()
    lenient_handler(tenant="t")
    mastercard_handler()
    inbox_handler()


# --- FastAPI / Starlette ------------------------------------------------------------------

payscore_event = webhook_event("payscore", secret="s")
lenient_event = webhook_event("payscore", secret="s", allow_unknown=True)
mastercard_event = webhook_event("mastercard", callback_key="k", on_invalid=keep)
inbox_event = webhook_event("payscore", secret="s", inbox=SQL_INBOX)
assert_type(inbox_event, WebhookDependency[PayscoreEvent])


@inbox_event.handler
def handle_payscore(event: PayscoreEvent) -> None:
    """Accepted: the inbox's handler, returned as it is."""


def payscore_endpoint(event: Annotated[PayscoreEvent, Depends(payscore_event)]) -> None:
    """Accepted."""


def mismatched_endpoint(event: Annotated[MastercardEvent, Depends(payscore_event)]) -> None:
    """Not reported: checkers ignore Annotated metadata, as the FastAPI page says."""


def mastercard_endpoint(
    event: Annotated[MastercardEvent, Depends(mastercard_event)],
    reference: Annotated[str, Depends(mastercard_event.reference)],
) -> None:
    """Accepted: the reference is a dependency of its own."""


async def starlette_endpoint(request: Request) -> None:
    assert_type(payscore_event, WebhookDependency[PayscoreEvent])
    assert_type(mastercard_event, CallbackDependency[MastercardEvent])
    event = await payscore_event(request)
    assert_type(event, PayscoreEvent)
    assert_type(await lenient_event(request), PayscoreEvent | UnknownEvent)
    assert_type(await mastercard_event.reference(request), str)
    wrong: MastercardEvent = await payscore_event(request)  # type: ignore[assignment]
    assert wrong
    payscore_event.reference  # type: ignore[attr-defined]  # noqa: B018
    webhook_event("payscore", secret="s", callback_key="k")  # type: ignore[call-overload]
